//! The address of a shared session, as `zspark share` prints it and `zspark exec
//! resume` takes it: `<server>/v1/workspaces/<workspace>/sessions/<session>`.

use std::fmt;

/// A session of a workspace on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSessionAddress {
    /// The server's base URL, without a trailing `/`.
    pub server: String,
    pub workspace_id: String,
    pub session_id: String,
}

impl SharedSessionAddress {
    /// The address `text` holds, when it is a shared session's URL.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_end_matches('/');
        if !(text.starts_with("http://") || text.starts_with("https://")) {
            return None;
        }
        let (server, rest) = text.split_once("/v1/workspaces/")?;
        let (workspace_id, session_id) = rest.split_once("/sessions/")?;
        let id = |part: &str| zspark_api::rules::is_uuid(part).then(|| part.to_string());
        Some(Self {
            server: server.to_string(),
            workspace_id: id(workspace_id)?,
            session_id: id(session_id)?,
        })
    }

    /// The API path of the session, from the server's root.
    pub fn path(&self) -> String {
        format!(
            "/v1/workspaces/{}/sessions/{}",
            self.workspace_id, self.session_id
        )
    }
}

impl fmt::Display for SharedSessionAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.server, self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "01a23856-c023-7250-8dd1-64b56cc4de00";
    const S: &str = "01a23856-c023-7250-8dd1-64b56cc4de01";

    #[test]
    fn an_address_reads_back_as_written() {
        let text = format!("https://zspark.example.com/v1/workspaces/{WS}/sessions/{S}");
        let address = SharedSessionAddress::parse(&text).unwrap();
        assert_eq!(address.server, "https://zspark.example.com");
        assert_eq!(address.to_string(), text);
        assert_eq!(
            SharedSessionAddress::parse(&format!("{text}/")).as_ref(),
            Some(&address)
        );
    }

    #[test]
    fn other_text_is_no_address() {
        assert_eq!(SharedSessionAddress::parse("01a23856-c023"), None);
        assert_eq!(
            SharedSessionAddress::parse(&format!("https://x/v1/workspaces/{WS}/sessions/nope")),
            None
        );
        assert_eq!(
            SharedSessionAddress::parse(&format!("ftp://x/v1/workspaces/{WS}/sessions/{S}")),
            None
        );
    }
}

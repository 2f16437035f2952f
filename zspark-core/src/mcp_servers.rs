//! The MCP servers of the user's `config.toml` as the desktop's settings show and edit
//! them: each server's name, whether it is on, how it is reached, whether it is signed
//! in (OAuth, for HTTP servers), and what is wrong with it when it is broken (broken entries are listed so they can be fixed or
//! removed). Edits go through `codex_core::mcp::edit`, keeping the rest of the file as
//! the user wrote it; sessions opened afterwards use the new settings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use codex_core::ConfigOverrides;
use codex_core::config::McpSettings;
use codex_core::mcp::edit::{ConfigDocument, NewServer};
use codex_core::mcp::listing::{AuthStatus, ServerListing, TransportRecord};
use codex_core::mcp::oauth::{LoginSettings, TokenStore, logout};

/// How a server is reached, as the form edits it.
pub type McpServerSpec = NewServer;

/// One configured server.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServerEntry {
    pub name: String,
    pub enabled: bool,
    /// `None` when the entry is broken.
    pub spec: Option<McpServerSpec>,
    /// What is wrong with a broken entry, with the fix.
    pub problem: Option<String>,
    pub sign_in: McpSignIn,
}

/// Where a server stands with OAuth sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpSignIn {
    /// Nothing to sign in to: a stdio server, one with a bearer token, a broken entry.
    NotApplicable,
    /// An HTTP server with no saved sign-in (it may or may not want one).
    SignedOut,
    /// An HTTP server with saved OAuth tokens (from zspark or the Codex CLI).
    SignedIn,
}

impl McpServerEntry {
    /// One line about how the server is reached: its command line or its URL.
    pub fn summary(&self) -> String {
        match &self.spec {
            Some(NewServer::Stdio { command, args, .. }) => std::iter::once(command.as_str())
                .chain(args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
            Some(NewServer::StreamableHttp { url, .. }) => url.clone(),
            None => "(not valid)".to_string(),
        }
    }
}

/// The servers of one `CODEX_HOME`.
#[derive(Debug, Clone)]
pub struct McpServerStore {
    codex_home: PathBuf,
}

impl McpServerStore {
    pub fn new(codex_home: PathBuf) -> Self {
        Self { codex_home }
    }

    fn config_path(&self) -> PathBuf {
        self.codex_home.join("config.toml")
    }

    /// The servers of `config.toml`, by name.
    pub fn list(&self) -> Result<Vec<McpServerEntry>, String> {
        let McpSettings { servers, oauth } = self.settings()?;
        let tokens = oauth.tokens;
        Ok(servers
            .iter()
            .map(|(name, entry)| match ServerListing::new(name, entry) {
                Ok(listing) => {
                    let listed = listing.with_sign_in_from(&tokens).listed();
                    let sign_in = match listed.auth_status {
                        AuthStatus::OAuth => McpSignIn::SignedIn,
                        AuthStatus::Unknown | AuthStatus::NotLoggedIn => McpSignIn::SignedOut,
                        AuthStatus::Unsupported | AuthStatus::BearerToken => {
                            McpSignIn::NotApplicable
                        }
                    };
                    McpServerEntry {
                        name: name.clone(),
                        enabled: listed.enabled,
                        spec: Some(spec_of(listed.transport)),
                        problem: None,
                        sign_in,
                    }
                }
                Err(problem) => McpServerEntry {
                    name: name.clone(),
                    enabled: entry.enabled.unwrap_or(true),
                    spec: None,
                    problem: Some(problem.to_string()),
                    sign_in: McpSignIn::NotApplicable,
                },
            })
            .collect())
    }

    fn settings(&self) -> Result<McpSettings, String> {
        codex_core::config::load_mcp_settings(
            &self.codex_home,
            &self.codex_home,
            &ConfigOverrides::default(),
        )
        .map_err(|error| error.to_string())
    }

    /// What signing in to the HTTP server `name` takes, and where its tokens go.
    pub fn login_settings(&self, name: &str) -> Result<(LoginSettings, TokenStore), String> {
        let McpSettings { servers, oauth } = self.settings()?;
        let entry = servers
            .get(name)
            .ok_or_else(|| format!("there is no MCP server named `{name}` in config.toml"))?;
        let server = entry.resolve(name).map_err(|problem| problem.to_string())?;
        let settings = LoginSettings::for_server(&server, &oauth).ok_or_else(|| {
            format!("`{name}` is a program zspark starts (stdio); only HTTP servers take a sign-in")
        })?;
        Ok((settings, oauth.tokens))
    }

    /// Forgets the sign-in of the HTTP server `name`.
    pub fn sign_out(&self, name: &str) -> Result<(), String> {
        let (settings, tokens) = self.login_settings(name)?;
        logout(&settings.server, &settings.url, &tokens)
            .map(|_| ())
            .map_err(|error| format!("cannot forget the sign-in of `{name}`: {error}"))
    }

    /// Saves server `name` as `spec`; `previous` is the name it had when it was renamed
    /// in the form. Its other settings are kept.
    pub fn save(
        &self,
        previous: Option<&str>,
        name: &str,
        spec: &McpServerSpec,
    ) -> Result<(), String> {
        spec.as_entry()
            .resolve(name)
            .map_err(|problem| problem.to_string())?;
        let mut document = self.document()?;
        if let Some(previous) = previous.filter(|previous| *previous != name) {
            document
                .remove_server(previous)
                .map_err(|error| error.to_string())?;
        }
        document
            .update_server(name, spec)
            .and_then(|()| document.save())
            .map_err(|error| error.to_string())
    }

    pub fn remove(&self, name: &str) -> Result<(), String> {
        let mut document = self.document()?;
        document
            .remove_server(name)
            .and_then(|_| document.save())
            .map_err(|error| error.to_string())
    }

    pub fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), String> {
        let mut document = self.document()?;
        if !document
            .set_enabled(name, enabled)
            .map_err(|error| error.to_string())?
        {
            return Err(format!(
                "there is no MCP server named `{name}` in config.toml"
            ));
        }
        document.save().map_err(|error| error.to_string())
    }

    fn document(&self) -> Result<ConfigDocument, String> {
        ConfigDocument::open(&self.config_path()).map_err(|error| error.to_string())
    }
}

/// The editable part of a listed transport.
fn spec_of(transport: TransportRecord) -> McpServerSpec {
    match transport {
        TransportRecord::Stdio {
            command, args, env, ..
        } => NewServer::Stdio {
            command,
            args,
            env: env.unwrap_or_else(BTreeMap::new),
        },
        TransportRecord::StreamableHttp {
            url,
            bearer_token_env_var,
            ..
        } => NewServer::StreamableHttp {
            url,
            bearer_token_env_var,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_listed_saved_renamed_switched_off_and_removed() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            "# keep\n[mcp_servers.broken]\ncommand = \"a\"\nurl = \"http://b\"\n",
        )
        .unwrap();
        let store = McpServerStore::new(home.path().to_path_buf());
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(
            listed[0]
                .problem
                .as_deref()
                .unwrap()
                .contains("url is not supported for stdio")
        );

        let files = NewServer::Stdio {
            command: "npx".into(),
            args: vec!["-y".into(), "server-filesystem".into()],
            env: BTreeMap::new(),
        };
        store.save(None, "files", &files).unwrap();
        store.save(Some("files"), "disk", &files).unwrap();
        store.set_enabled("disk", false).unwrap();
        let listed = store.list().unwrap();
        let disk = listed.iter().find(|entry| entry.name == "disk").unwrap();
        assert!(!disk.enabled);
        assert_eq!(disk.summary(), "npx -y server-filesystem");
        assert!(!listed.iter().any(|entry| entry.name == "files"), "renamed");

        let bad = NewServer::StreamableHttp {
            url: "localhost:3000".into(),
            bearer_token_env_var: None,
        };
        let error = store.save(None, "web", &bad).unwrap_err();
        assert!(error.contains("not an http:// or https:// URL"), "{error}");
        assert!(
            store
                .set_enabled("nope", true)
                .unwrap_err()
                .contains("no MCP server named `nope`")
        );
        store.remove("broken").unwrap();
        let text = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
        assert!(
            text.starts_with("# keep\n") && !text.contains("broken"),
            "{text}"
        );
    }
}

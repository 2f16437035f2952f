//! What `zspark mcp list` and `zspark mcp get` print, in the shapes `codex mcp` prints:
//! the `--json` records ([`ListedServer`], [`ServerDetails`]), the two tables of `list`
//! (stdio and HTTP servers) and the `key: value` lines of `get`. Secrets never reach the
//! human-readable forms: environment values and static headers are shown as `*****`,
//! and a header helper command as `<redacted>` everywhere.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::config::{EnvVarFile, McpServerFile};
use super::oauth::TokenStore;

/// The placeholder shown instead of a secret value.
const MASK: &str = "*****";
/// Shown for an empty field in the human-readable forms.
const NONE: &str = "-";

/// How zspark would authenticate to a server, as `codex mcp list --json` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthStatus {
    /// A stdio server, or a disabled one: nothing to sign in to.
    Unsupported,
    /// An HTTP server whose token comes from `bearer_token_env_var`.
    BearerToken,
    /// An HTTP server with no bearer token: it may or may not want a sign-in.
    Unknown,
    /// An HTTP server that publishes OAuth metadata, with no sign-in saved.
    NotLoggedIn,
    /// An HTTP server zspark (or Codex) signed in to with OAuth.
    #[serde(rename = "o_auth")]
    OAuth,
}

impl AuthStatus {
    fn label(self) -> &'static str {
        match self {
            Self::Unsupported => "Unsupported",
            Self::BearerToken => "Bearer token",
            Self::Unknown => "Unknown",
            Self::NotLoggedIn => "Not logged in",
            Self::OAuth => "OAuth",
        }
    }
}

/// A server's transport as written in the config (nothing resolved or defaulted).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TransportRecord {
    Stdio {
        command: String,
        args: Vec<String>,
        env: Option<BTreeMap<String, String>>,
        env_vars: Vec<EnvVarFile>,
        cwd: Option<PathBuf>,
    },
    StreamableHttp {
        url: String,
        bearer_token_env_var: Option<String>,
        http_headers: Option<BTreeMap<String, String>>,
        env_http_headers: Option<BTreeMap<String, String>>,
        /// Always `<redacted>` when set: the helper's command line may hold a secret.
        http_headers_helper: Option<String>,
    },
}

/// One element of `zspark mcp list --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListedServer {
    pub name: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub transport: TransportRecord,
    pub startup_timeout_sec: Option<f64>,
    pub tool_timeout_sec: Option<f64>,
    pub auth_status: AuthStatus,
}

/// What `zspark mcp get --json` prints: the listing without the sign-in state, with
/// the tool filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerDetails {
    pub name: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub transport: TransportRecord,
    pub enabled_tools: Option<Vec<String>>,
    pub disabled_tools: Option<Vec<String>>,
    pub startup_timeout_sec: Option<f64>,
    pub tool_timeout_sec: Option<f64>,
}

/// One configured server as the `mcp` commands show it. Built only from entries that
/// [`McpServerFile::resolve`] accepts, so exactly one of `command` and `url` is set.
#[derive(Debug, Clone)]
pub struct ServerListing {
    name: String,
    entry: McpServerFile,
    transport: TransportRecord,
    /// Whether OAuth tokens are saved for the server.
    signed_in: bool,
    /// Whether the server was found to publish OAuth metadata.
    offers_oauth: bool,
}

impl ServerListing {
    /// The listing of `entry`, or what is wrong with it.
    pub fn new(name: &str, entry: &McpServerFile) -> Result<Self, super::McpConfigError> {
        entry.resolve(name)?;
        let transport = match (&entry.command, &entry.url) {
            (Some(command), _) => TransportRecord::Stdio {
                command: command.clone(),
                args: entry.args.clone().unwrap_or_default(),
                env: entry.env.clone(),
                env_vars: entry.env_vars.clone().unwrap_or_default(),
                cwd: entry.cwd.clone(),
            },
            (None, url) => TransportRecord::StreamableHttp {
                url: url.clone().unwrap_or_default(),
                bearer_token_env_var: entry.bearer_token_env_var.clone(),
                http_headers: entry.http_headers.clone(),
                env_http_headers: entry.env_http_headers.clone(),
                http_headers_helper: entry
                    .http_headers_helper
                    .as_ref()
                    .map(|_| "<redacted>".to_string()),
            },
        };
        Ok(Self {
            name: name.to_string(),
            entry: entry.clone(),
            transport,
            signed_in: false,
            offers_oauth: false,
        })
    }

    /// Whether the server's sign-in state depends on asking it: an HTTP server with
    /// no bearer token and no saved sign-in.
    pub fn needs_oauth_probe(&self) -> bool {
        self.auth_status() == AuthStatus::Unknown
    }

    /// The same listing, knowing whether the server publishes OAuth metadata.
    pub fn with_oauth_offered(mut self, offered: bool) -> Self {
        self.offers_oauth = offered;
        self
    }

    /// The same listing, knowing whether `tokens` hold a sign-in for the server (a
    /// store that cannot be read counts as none).
    pub fn with_sign_in_from(mut self, tokens: &TokenStore) -> Self {
        self.signed_in = match &self.transport {
            TransportRecord::StreamableHttp { url, .. } => {
                matches!(tokens.load(&self.name, url), Ok(Some(_)))
            }
            TransportRecord::Stdio { .. } => false,
        };
        self
    }

    /// The server as a session would use it.
    pub fn resolved(&self) -> Result<super::McpServer, super::McpConfigError> {
        self.entry.resolve(&self.name)
    }

    /// The URL of an HTTP server.
    pub fn url(&self) -> Option<&str> {
        match &self.transport {
            TransportRecord::StreamableHttp { url, .. } => Some(url),
            TransportRecord::Stdio { .. } => None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn enabled(&self) -> bool {
        self.entry.enabled.unwrap_or(true)
    }

    fn startup_timeout_sec(&self) -> Option<f64> {
        self.entry.startup_timeout_sec.or_else(|| {
            self.entry
                .startup_timeout_ms
                .map(|millis| millis as f64 / 1000.0)
        })
    }

    pub fn auth_status(&self) -> AuthStatus {
        match &self.transport {
            _ if !self.enabled() => AuthStatus::Unsupported,
            TransportRecord::Stdio { .. } => AuthStatus::Unsupported,
            TransportRecord::StreamableHttp {
                bearer_token_env_var: Some(_),
                ..
            } => AuthStatus::BearerToken,
            TransportRecord::StreamableHttp { .. } if self.signed_in => AuthStatus::OAuth,
            TransportRecord::StreamableHttp { .. } if self.offers_oauth => AuthStatus::NotLoggedIn,
            TransportRecord::StreamableHttp { .. } => AuthStatus::Unknown,
        }
    }

    pub fn listed(&self) -> ListedServer {
        ListedServer {
            name: self.name.clone(),
            enabled: self.enabled(),
            disabled_reason: None,
            transport: self.transport.clone(),
            startup_timeout_sec: self.startup_timeout_sec(),
            tool_timeout_sec: self.entry.tool_timeout_sec,
            auth_status: self.auth_status(),
        }
    }

    pub fn details(&self) -> ServerDetails {
        ServerDetails {
            name: self.name.clone(),
            enabled: self.enabled(),
            disabled_reason: None,
            transport: self.transport.clone(),
            enabled_tools: self.entry.enabled_tools.clone(),
            disabled_tools: self.entry.disabled_tools.clone(),
            startup_timeout_sec: self.startup_timeout_sec(),
            tool_timeout_sec: self.entry.tool_timeout_sec,
        }
    }

    /// The `key: value` lines of `zspark mcp get <name>`; `program` names the command
    /// in the removal hint.
    pub fn describe(&self, program: &str) -> String {
        if !self.enabled() {
            return format!("{} (disabled)\n", self.name);
        }
        let mut lines = vec![self.name.clone(), "  enabled: true".to_string()];
        if let Some(tools) = &self.entry.enabled_tools {
            lines.push(format!("  enabled_tools: {}", tools.join(", ")));
        }
        if let Some(tools) = &self.entry.disabled_tools {
            lines.push(format!("  disabled_tools: {}", tools.join(", ")));
        }
        match &self.transport {
            TransportRecord::Stdio {
                command, args, cwd, ..
            } => {
                lines.push("  transport: stdio".to_string());
                lines.push(format!("  command: {command}"));
                lines.push(format!("  args: {}", joined_or_none(args, " ")));
                lines.push(format!(
                    "  cwd: {}",
                    cwd.as_ref()
                        .map_or(NONE.to_string(), |cwd| cwd.display().to_string())
                ));
                lines.push(format!("  env: {}", self.masked_env()));
            }
            TransportRecord::StreamableHttp {
                url,
                bearer_token_env_var,
                http_headers,
                env_http_headers,
                http_headers_helper,
            } => {
                lines.push("  transport: streamable_http".to_string());
                lines.push(format!("  url: {url}"));
                lines.push(format!(
                    "  bearer_token_env_var: {}",
                    bearer_token_env_var.as_deref().unwrap_or(NONE)
                ));
                let masked_headers: Vec<String> = http_headers
                    .iter()
                    .flatten()
                    .map(|(name, _)| format!("{name}={MASK}"))
                    .collect();
                lines.push(format!(
                    "  http_headers: {}",
                    joined_or_none(&masked_headers, ", ")
                ));
                let header_variables: Vec<String> = env_http_headers
                    .iter()
                    .flatten()
                    .map(|(name, variable)| format!("{name}={variable}"))
                    .collect();
                lines.push(format!(
                    "  env_http_headers: {}",
                    joined_or_none(&header_variables, ", ")
                ));
                lines.push(format!(
                    "  http_headers_helper: {}",
                    http_headers_helper.as_deref().unwrap_or(NONE)
                ));
            }
        }
        if let Some(seconds) = self.startup_timeout_sec() {
            lines.push(format!("  startup_timeout_sec: {seconds}"));
        }
        if let Some(seconds) = self.entry.tool_timeout_sec {
            lines.push(format!("  tool_timeout_sec: {seconds}"));
        }
        lines.push(format!("  remove: {program} mcp remove {}", self.name));
        lines.join("\n") + "\n"
    }

    /// `env` names then `env_vars` names, each with its value hidden.
    fn masked_env(&self) -> String {
        let names: Vec<String> = self
            .entry
            .env
            .iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .chain(
                self.entry
                    .env_vars
                    .iter()
                    .flatten()
                    .map(|variable| variable.name().to_string()),
            )
            .map(|name| format!("{name}={MASK}"))
            .collect();
        joined_or_none(&names, ", ")
    }
}

/// The two tables of `zspark mcp list`: stdio servers, then HTTP servers, each left out
/// when it has no rows; `None` when there are no servers at all.
pub fn render_tables(servers: &[ServerListing]) -> Option<String> {
    let status = |server: &ServerListing| {
        if server.enabled() {
            "enabled"
        } else {
            "disabled"
        }
    };
    let mut stdio_rows = Vec::new();
    let mut http_rows = Vec::new();
    for server in servers {
        match &server.transport {
            TransportRecord::Stdio {
                command, args, cwd, ..
            } => stdio_rows.push(vec![
                server.name.clone(),
                command.clone(),
                joined_or_none(args, " "),
                server.masked_env(),
                cwd.as_ref()
                    .map_or(NONE.to_string(), |cwd| cwd.display().to_string()),
                status(server).to_string(),
                server.auth_status().label().to_string(),
            ]),
            TransportRecord::StreamableHttp {
                url,
                bearer_token_env_var,
                ..
            } => http_rows.push(vec![
                server.name.clone(),
                url.clone(),
                bearer_token_env_var
                    .clone()
                    .unwrap_or_else(|| NONE.to_string()),
                status(server).to_string(),
                server.auth_status().label().to_string(),
            ]),
        }
    }
    let mut tables = Vec::new();
    if !stdio_rows.is_empty() {
        tables.push(aligned(
            &["Name", "Command", "Args", "Env", "Cwd", "Status", "Auth"],
            &stdio_rows,
        ));
    }
    if !http_rows.is_empty() {
        tables.push(aligned(
            &["Name", "Url", "Bearer Token Env Var", "Status", "Auth"],
            &http_rows,
        ));
    }
    (!tables.is_empty()).then(|| tables.join("\n"))
}

/// Columns padded to their widest cell and separated by two spaces.
fn aligned(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ") + "\n"
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

fn joined_or_none(items: &[String], separator: &str) -> String {
    if items.is_empty() {
        NONE.to_string()
    } else {
        items.join(separator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(name: &str, text: &str) -> ServerListing {
        let entry: McpServerFile = toml::from_str(text).unwrap();
        ServerListing::new(name, &entry).unwrap()
    }

    #[test]
    fn the_tables_pad_every_column_and_hide_values() {
        let servers = [
            listing(
                "alpha",
                "command = \"python3\"\nargs = [\"/srv/a.py\"]\nenv = { FOO = \"bar\" }\nenv_vars = [\"HOME\"]",
            ),
            listing("web", "url = \"https://w.example/mcp\"\nenabled = false"),
        ];
        let text = render_tables(&servers).unwrap();
        assert_eq!(
            text,
            concat!(
                "Name   Command  Args       Env                    Cwd  Status   Auth       \n",
                "alpha  python3  /srv/a.py  FOO=*****, HOME=*****  -    enabled  Unsupported\n",
                "\n",
                "Name  Url                    Bearer Token Env Var  Status    Auth       \n",
                "web   https://w.example/mcp  -                     disabled  Unsupported\n",
            )
        );
        assert!(!text.contains("bar"));
        assert!(render_tables(&[]).is_none());
    }

    #[test]
    fn get_hides_header_values_but_names_their_variables() {
        let server = listing(
            "n",
            "url = \"https://n.example/mcp\"\nhttp_headers = { B = \"secret\" }\nenv_http_headers = { K = \"KEY_VAR\" }\nhttp_headers_helper = \"print-token --password hunter2\"\ntool_timeout_sec = 7.0",
        );
        let text = server.describe("zspark");
        assert!(text.contains("  http_headers: B=*****\n"), "{text}");
        assert!(text.contains("  env_http_headers: K=KEY_VAR\n"), "{text}");
        assert!(text.contains("  tool_timeout_sec: 7\n"), "{text}");
        assert!(text.ends_with("  remove: zspark mcp remove n\n"), "{text}");
        assert!(
            !text.contains("secret") && !text.contains("hunter2"),
            "{text}"
        );
        let json = serde_json::to_value(server.listed()).unwrap();
        assert_eq!(json["transport"]["http_headers_helper"], "<redacted>");
        assert_eq!(json["auth_status"], "unknown");
        assert_eq!(json["tool_timeout_sec"], 7.0);
    }

    #[test]
    fn a_legacy_millisecond_timeout_is_listed_in_seconds() {
        let server = listing("m", "command = \"x\"\nstartup_timeout_ms = 2500");
        assert_eq!(server.listed().startup_timeout_sec, Some(2.5));
        assert_eq!(server.details().enabled_tools, None);
    }
}

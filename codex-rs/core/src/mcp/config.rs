//! `[mcp_servers.<name>]` in `config.toml`, as Codex reads it: [`McpServerFile`] holds
//! every key Codex accepts (so none of them warns as unknown), and [`McpServerFile::resolve`]
//! turns one entry into an [`McpServer`] or says what is wrong with it. The transport
//! follows from the keys: `command` means a stdio server, `url` a streamable HTTP one;
//! keys of the other transport, both or neither, a literal `bearer_token` and a
//! `transport` key are errors, with the fix in the message.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a server may take to start (answer `initialize` and list its tools).
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one `tools/call` may take.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(300);

/// One `[mcp_servers.<name>]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct McpServerFile {
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
    pub env: Option<BTreeMap<String, String>>,
    pub env_vars: Option<Vec<EnvVarFile>>,
    pub cwd: Option<PathBuf>,
    pub url: Option<String>,
    pub bearer_token_env_var: Option<String>,
    /// Never accepted: a token belongs in an environment variable.
    pub bearer_token: Option<String>,
    pub http_headers: Option<BTreeMap<String, String>>,
    pub env_http_headers: Option<BTreeMap<String, String>>,
    pub http_headers_helper: Option<String>,
    pub auth: Option<AuthMode>,
    pub oauth: Option<OAuthFile>,
    pub oauth_resource: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub startup_timeout_sec: Option<f64>,
    /// The older form of `startup_timeout_sec`.
    pub startup_timeout_ms: Option<u64>,
    pub tool_timeout_sec: Option<f64>,
    pub enabled: Option<bool>,
    pub required: Option<bool>,
    pub enabled_tools: Option<Vec<String>>,
    pub disabled_tools: Option<Vec<String>>,
    pub default_tools_approval_mode: Option<ApprovalMode>,
    pub tools: Option<BTreeMap<String, ToolFile>>,
    pub supports_parallel_tool_calls: Option<bool>,
    pub tool_input_schema_max_bytes: Option<u64>,
    pub startup_readiness: Option<StartupReadiness>,
    pub environment_id: Option<String>,
    /// A display name from older releases; accepted and ignored.
    pub name: Option<String>,
    /// Not a setting; read only to say so.
    pub transport: Option<toml::Value>,
}

/// `[plugins."<plugin>@<marketplace>"]`: whether the plugin is on, and the user's policy
/// for each MCP server it declares.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PluginSettingsFile {
    pub enabled: Option<bool>,
    #[serde(default)]
    pub mcp_servers: BTreeMap<String, PluginServerPolicyFile>,
}

/// `[plugins."<id>".mcp_servers.<server>]`: the keys a user may set over a plugin's
/// server.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PluginServerPolicyFile {
    pub enabled: Option<bool>,
    pub enabled_tools: Option<Vec<String>>,
    pub disabled_tools: Option<Vec<String>>,
    pub default_tools_approval_mode: Option<ApprovalMode>,
    pub tools: Option<BTreeMap<String, ToolFile>>,
}

impl PluginServerPolicyFile {
    /// `server` with this policy laid over it.
    pub fn apply(&self, server: &mut McpServerFile) {
        if self.enabled.is_some() {
            server.enabled = self.enabled;
        }
        if self.enabled_tools.is_some() {
            server.enabled_tools.clone_from(&self.enabled_tools);
        }
        if self.disabled_tools.is_some() {
            server.disabled_tools.clone_from(&self.disabled_tools);
        }
        if self.default_tools_approval_mode.is_some() {
            server.default_tools_approval_mode = self.default_tools_approval_mode;
        }
        if let Some(tools) = &self.tools {
            server
                .tools
                .get_or_insert_with(BTreeMap::new)
                .extend(tools.clone());
        }
    }
}

/// An `env_vars` entry: a variable forwarded to the server by name.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum EnvVarFile {
    Name(String),
    Table {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
}

impl EnvVarFile {
    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) | Self::Table { name, .. } => name,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    Oauth,
    Chatgpt,
    EmaAuth,
}

/// `[mcp_servers.<name>.oauth]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OAuthFile {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub callback_url: Option<String>,
    pub callback_port: Option<u16>,
    pub token_endpoint_auth_method: Option<String>,
    pub authorization_server_issuer: Option<String>,
}

/// `[mcp_servers.<name>.tools.<tool>]`, keyed by the raw tool name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ToolFile {
    pub approval_mode: Option<ApprovalMode>,
    pub output_token_limit: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartupReadiness {
    Connection,
    Catalog,
}

/// When a tool call needs the user's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// Ask unless the tool says it only reads (`readOnlyHint`).
    #[default]
    Auto,
    /// Always ask.
    Prompt,
    /// Ask for tools that may write.
    Writes,
    /// Never ask.
    Approve,
}

impl ApprovalMode {
    /// Whether a call of a tool with this mode must be approved first.
    pub fn asks(self, read_only: bool) -> bool {
        match self {
            Self::Approve => false,
            Self::Prompt => true,
            Self::Auto | Self::Writes => !read_only,
        }
    }
}

/// How zspark reaches a server.
#[derive(Debug, Clone, PartialEq)]
pub enum McpTransport {
    Stdio(StdioTransport),
    StreamableHttp(HttpTransport),
}

/// A program zspark starts and talks to over its stdin and stdout.
#[derive(Debug, Clone, PartialEq)]
pub struct StdioTransport {
    pub command: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Variables of zspark's own environment passed on by name.
    pub env_vars: Vec<String>,
    pub cwd: Option<PathBuf>,
}

/// A server already running behind a streamable HTTP endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpTransport {
    pub url: String,
    pub bearer_token_env_var: Option<String>,
    pub http_headers: BTreeMap<String, String>,
    /// Header name -> the environment variable holding its value.
    pub env_http_headers: BTreeMap<String, String>,
    /// How zspark signs in when the server wants OAuth (`oauth`, `scopes`).
    pub oauth: OAuthClientSettings,
}

/// The OAuth client a server's sign-in uses: one registered beforehand, or (without
/// `client_id`) one zspark registers itself; and the scopes to ask for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OAuthClientSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub callback_port: Option<u16>,
    pub callback_url: Option<String>,
    pub scopes: Vec<String>,
}

/// Which of a server's tools the model gets: `enabled_tools` (all when absent), then
/// minus `disabled_tools`; both name raw MCP tool names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolFilter {
    pub enabled: Option<Vec<String>>,
    pub disabled: Vec<String>,
}

impl ToolFilter {
    pub fn allows(&self, raw_tool: &str) -> bool {
        let enabled = self
            .enabled
            .as_ref()
            .is_none_or(|enabled| enabled.iter().any(|name| name == raw_tool));
        enabled && !self.disabled.iter().any(|name| name == raw_tool)
    }
}

/// One configured server, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServer {
    pub name: String,
    pub transport: McpTransport,
    pub enabled: bool,
    pub required: bool,
    pub startup_timeout: Duration,
    pub tool_timeout: Duration,
    pub tools: ToolFilter,
    pub default_approval: ApprovalMode,
    /// Raw tool name -> its own approval mode.
    pub tool_approvals: BTreeMap<String, ApprovalMode>,
    /// Raw tool name -> the most estimated tokens of its results the model gets
    /// (`tools.<tool>.output_token_limit`).
    pub tool_output_limits: BTreeMap<String, usize>,
    pub supports_parallel_tool_calls: bool,
    /// The plugin (`<plugin>@<marketplace>`) that declared the server, if one did.
    pub plugin: Option<String>,
}

impl McpServer {
    /// The most estimated tokens of one tool's results the model gets.
    pub fn output_token_limit(&self, raw_tool: &str) -> usize {
        self.tool_output_limits
            .get(raw_tool)
            .copied()
            .unwrap_or(super::tools::MAX_RESULT_TOKENS)
    }

    /// The approval mode of one tool: its own, or the server's default.
    pub fn approval_mode(&self, raw_tool: &str) -> ApprovalMode {
        self.tool_approvals
            .get(raw_tool)
            .copied()
            .unwrap_or(self.default_approval)
    }
}

/// What is wrong with one `[mcp_servers.<name>]` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[mcp_servers.{server}]: {problem}")]
pub struct McpConfigError {
    pub server: String,
    pub problem: String,
}

const STDIO_ONLY: &[&str] = &["args", "env", "env_vars", "cwd"];
const HTTP_ONLY: &[&str] = &[
    "bearer_token_env_var",
    "http_headers",
    "env_http_headers",
    "http_headers_helper",
    "oauth_resource",
];

impl McpServerFile {
    /// The keys of this entry that are set, by name.
    fn set_keys(&self) -> Vec<&'static str> {
        let present = [
            ("args", self.args.is_some()),
            ("env", self.env.is_some()),
            ("env_vars", self.env_vars.is_some()),
            ("cwd", self.cwd.is_some()),
            ("bearer_token_env_var", self.bearer_token_env_var.is_some()),
            ("http_headers", self.http_headers.is_some()),
            ("env_http_headers", self.env_http_headers.is_some()),
            ("http_headers_helper", self.http_headers_helper.is_some()),
            ("oauth_resource", self.oauth_resource.is_some()),
        ];
        present
            .into_iter()
            .filter_map(|(key, set)| set.then_some(key))
            .collect()
    }

    fn oauth_client(&self) -> OAuthClientSettings {
        let oauth = self.oauth.clone().unwrap_or_default();
        OAuthClientSettings {
            client_id: oauth.client_id,
            client_secret: oauth.client_secret,
            callback_port: oauth.callback_port,
            callback_url: oauth.callback_url,
            scopes: self.scopes.clone().unwrap_or_default(),
        }
    }

    /// Checks the entry named `name` and resolves its transport and defaults.
    pub fn resolve(&self, name: &str) -> Result<McpServer, McpConfigError> {
        let problem = |text: String| McpConfigError {
            server: name.to_string(),
            problem: text,
        };
        if self.transport.is_some() {
            return Err(problem(
                "`transport` is not a setting: the transport follows from `command` (a stdio server) or `url` (a streamable HTTP server)".to_string(),
            ));
        }
        if self.bearer_token.is_some() {
            return Err(problem(
                "bearer_token is not supported for streamable_http: put the token in an environment variable and name it in `bearer_token_env_var`".to_string(),
            ));
        }
        let set = self.set_keys();
        let transport = match (&self.command, &self.url) {
            (Some(_), Some(_)) => {
                return Err(problem(
                    "url is not supported for stdio: keep `command` for a program zspark starts, or `url` for a server that is already running".to_string(),
                ));
            }
            (None, None) => {
                return Err(problem(
                    "invalid transport: set `command` (a program to start) or `url` (a streamable HTTP endpoint)".to_string(),
                ));
            }
            (Some(command), None) => {
                if let Some(key) = set.iter().find(|key| HTTP_ONLY.contains(key)) {
                    return Err(problem(format!("{key} is not supported for stdio")));
                }
                if command.trim().is_empty() {
                    return Err(problem("`command` is empty".to_string()));
                }
                McpTransport::Stdio(StdioTransport {
                    command: command.clone(),
                    args: self.args.clone().unwrap_or_default(),
                    env: self.env.clone().unwrap_or_default(),
                    env_vars: self
                        .env_vars
                        .iter()
                        .flatten()
                        .map(|var| var.name().to_string())
                        .collect(),
                    cwd: self.cwd.clone(),
                })
            }
            (None, Some(url)) => {
                if let Some(key) = set.iter().find(|key| STDIO_ONLY.contains(key)) {
                    return Err(problem(format!(
                        "{key} is not supported for streamable_http"
                    )));
                }
                match reqwest::Url::parse(url) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
                    _ => {
                        return Err(problem(format!(
                            "`url` {url:?} is not an http:// or https:// URL"
                        )));
                    }
                }
                McpTransport::StreamableHttp(HttpTransport {
                    url: url.clone(),
                    bearer_token_env_var: self.bearer_token_env_var.clone(),
                    http_headers: self.http_headers.clone().unwrap_or_default(),
                    env_http_headers: self.env_http_headers.clone().unwrap_or_default(),
                    oauth: self.oauth_client(),
                })
            }
        };
        let startup_timeout = match (self.startup_timeout_sec, self.startup_timeout_ms) {
            (Some(seconds), _) => {
                seconds_setting(seconds, "startup_timeout_sec").map_err(problem)?
            }
            (None, Some(millis)) => Duration::from_millis(millis),
            (None, None) => DEFAULT_STARTUP_TIMEOUT,
        };
        let tool_timeout = match self.tool_timeout_sec {
            Some(seconds) => seconds_setting(seconds, "tool_timeout_sec").map_err(problem)?,
            None => DEFAULT_TOOL_TIMEOUT,
        };
        Ok(McpServer {
            name: name.to_string(),
            transport,
            enabled: self.enabled.unwrap_or(true),
            required: self.required.unwrap_or(false),
            startup_timeout,
            tool_timeout,
            tools: ToolFilter {
                enabled: self.enabled_tools.clone(),
                disabled: self.disabled_tools.clone().unwrap_or_default(),
            },
            default_approval: self.default_tools_approval_mode.unwrap_or_default(),
            tool_approvals: self
                .tools
                .iter()
                .flatten()
                .filter_map(|(tool, settings)| Some((tool.clone(), settings.approval_mode?)))
                .collect(),
            tool_output_limits: self
                .tools
                .iter()
                .flatten()
                .filter_map(|(tool, settings)| {
                    let limit = usize::try_from(settings.output_token_limit?).ok()?;
                    Some((tool.clone(), limit))
                })
                .collect(),
            supports_parallel_tool_calls: self.supports_parallel_tool_calls.unwrap_or(false),
            plugin: None,
        })
    }
}

/// A time-out in seconds: positive and finite.
fn seconds_setting(seconds: f64, key: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or_else(|| format!("`{key}` must be a positive number of seconds, not {seconds}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> McpServerFile {
        toml::from_str(text).unwrap()
    }

    fn problem(text: &str) -> String {
        entry(text).resolve("demo").unwrap_err().to_string()
    }

    #[test]
    fn a_stdio_server_with_every_key() {
        let server = entry(
            r#"
            command = "npx"
            args = ["-y", "@modelcontextprotocol/server-everything"]
            env = { FOO = "bar" }
            env_vars = ["HOME", { name = "PATH", source = "local" }]
            cwd = "/tmp"
            startup_timeout_sec = 12.5
            tool_timeout_sec = 3
            required = true
            enabled_tools = ["echo", "add"]
            disabled_tools = ["add"]
            default_tools_approval_mode = "prompt"
            tools.echo.approval_mode = "approve"
            tools.echo.output_token_limit = 100
            supports_parallel_tool_calls = true
            startup_readiness = "catalog"
            environment_id = "local"
            name = "legacy"
            "#,
        )
        .resolve("everything")
        .unwrap();
        assert_eq!(
            server.transport,
            McpTransport::Stdio(StdioTransport {
                command: "npx".into(),
                args: vec![
                    "-y".into(),
                    "@modelcontextprotocol/server-everything".into()
                ],
                env: BTreeMap::from([("FOO".into(), "bar".into())]),
                env_vars: vec!["HOME".into(), "PATH".into()],
                cwd: Some(PathBuf::from("/tmp")),
            })
        );
        assert_eq!(server.startup_timeout, Duration::from_millis(12_500));
        assert_eq!(server.tool_timeout, Duration::from_secs(3));
        assert!(server.required && server.enabled && server.supports_parallel_tool_calls);
        assert!(server.tools.allows("echo"));
        assert!(!server.tools.allows("add"), "disabled after enabled");
        assert!(!server.tools.allows("other"), "not in enabled_tools");
        assert_eq!(server.approval_mode("echo"), ApprovalMode::Approve);
        assert_eq!(server.approval_mode("other"), ApprovalMode::Prompt);
        assert_eq!(server.output_token_limit("echo"), 100);
        assert_eq!(server.output_token_limit("other"), 10_000);
    }

    #[test]
    fn an_http_server_and_the_defaults() {
        let server = entry(
            r#"
            url = "https://mcp.example.com/mcp"
            bearer_token_env_var = "DEMO_TOKEN"
            http_headers = { "X-Team" = "core" }
            env_http_headers = { "X-Key" = "DEMO_KEY" }
            scopes = ["read"]
            oauth = { client_id = "abc", callback_port = 5555 }
            oauth_resource = "https://mcp.example.com"
            auth = "oauth"
            "#,
        )
        .resolve("remote")
        .unwrap();
        assert!(matches!(
            &server.transport,
            McpTransport::StreamableHttp(HttpTransport { url, bearer_token_env_var: Some(var), .. })
                if url == "https://mcp.example.com/mcp" && var == "DEMO_TOKEN"
        ));
        let McpTransport::StreamableHttp(remote) = &server.transport else {
            unreachable!("matched above")
        };
        assert_eq!(
            remote.oauth,
            OAuthClientSettings {
                client_id: Some("abc".into()),
                callback_port: Some(5555),
                scopes: vec!["read".into()],
                ..OAuthClientSettings::default()
            }
        );
        assert_eq!(server.startup_timeout, DEFAULT_STARTUP_TIMEOUT);
        assert_eq!(server.tool_timeout, DEFAULT_TOOL_TIMEOUT);
        assert!(server.enabled && !server.required);
        assert!(server.tools.allows("anything"));
        assert_eq!(server.approval_mode("anything"), ApprovalMode::Auto);
        let legacy = entry("command = \"x\"\nstartup_timeout_ms = 2500")
            .resolve("x")
            .unwrap();
        assert_eq!(legacy.startup_timeout, Duration::from_millis(2500));
    }

    #[test]
    fn wrong_entries_say_what_to_change() {
        assert!(problem("args = [\"x\"]").contains("invalid transport"));
        assert!(
            problem("command = \"a\"\nurl = \"http://b\"")
                .contains("url is not supported for stdio")
        );
        assert!(
            problem("url = \"http://b\"\nenv = { A = \"1\" }")
                .contains("env is not supported for streamable_http")
        );
        assert!(
            problem("command = \"a\"\nbearer_token_env_var = \"T\"")
                .contains("bearer_token_env_var is not supported for stdio")
        );
        assert!(
            problem("url = \"http://b\"\nbearer_token = \"secret\"")
                .contains("bearer_token_env_var")
        );
        assert!(
            problem("url = \"http://b\"\ntransport = \"sse\"")
                .contains("`transport` is not a setting")
        );
        assert!(problem("url = \"localhost:3000\"").contains("not an http:// or https:// URL"));
        assert!(
            problem("command = \"a\"\nstartup_timeout_sec = -1")
                .contains("positive number of seconds")
        );
        assert!(
            problem("command = \"a\"\ntool_timeout_sec = 0").contains("positive number of seconds")
        );
        assert_eq!(
            problem("args = []"),
            "[mcp_servers.demo]: invalid transport: set `command` (a program to start) or `url` (a streamable HTTP endpoint)"
        );
        assert!(
            toml::from_str::<McpServerFile>(
                "command = \"a\"\ndefault_tools_approval_mode = \"bogus\""
            )
            .is_err()
        );
    }

    #[test]
    fn the_approval_matrix() {
        use ApprovalMode::*;
        let asks = |mode: ApprovalMode, read_only| mode.asks(read_only);
        assert!(!asks(Approve, false) && !asks(Approve, true));
        assert!(asks(Prompt, false) && asks(Prompt, true));
        assert!(asks(Auto, false) && !asks(Auto, true));
        assert!(asks(Writes, false) && !asks(Writes, true));
    }
}

//! One connection to an MCP server, on the official Rust SDK (`rmcp`).
//! [`McpConnection::start`] spawns the server's program (stdio) or reaches its URL
//! (streamable HTTP), sends `initialize` as Codex does (protocol 2025-06-18, client
//! `codex-mcp-client`), then `notifications/initialized` and `tools/list`, all within the
//! server's start-up time-out; [`McpConnection::call_tool`] runs one `tools/call`, and
//! the resource methods one request each, within the tool time-out. A stdio server gets
//! a small default environment (as under Codex), the variables named in `env_vars`, then
//! `env`; what it printed on stderr is kept so a failed start says why. An HTTP server
//! the user signed in to (`zspark mcp login`) gets its saved OAuth token, refreshed as
//! it expires.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ClientRequest,
    CustomRequest, CustomResult, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResult,
    ServerResult, Tool,
};
use rmcp::service::{MaybeSendFuture, NotificationContext, RoleClient, RunningService};
use rmcp::transport::auth::OAuthClientConfig;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransport, StreamableHttpClientTransportConfig,
};
use rmcp::transport::{AuthClient, AuthError, AuthorizationManager, TokioChildProcess};
use rmcp::{ClientHandler, ServiceExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Notify;

use super::config::{HttpTransport, McpServer, McpTransport, StdioTransport};
use super::oauth::TokenStore;
use super::oauth::credentials::ServerCredentials;
use crate::config::Env;

/// Variables a stdio server gets from zspark's environment without being named.
const DEFAULT_ENV_VARS: &[&str] = &[
    "HOME", "LOGNAME", "PATH", "SHELL", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ",
];
/// Lines of a server's stderr kept for the start-up error.
const STDERR_LINES_KEPT: usize = 20;

/// Why a server did not start.
#[derive(Debug, thiserror::Error)]
pub enum McpStartError {
    #[error("MCP client for `{server}` failed to start: {reason}")]
    Spawn { server: String, reason: String },
    #[error(
        "MCP server `{server}` did not finish starting within {} s; raise `startup_timeout_sec` in [mcp_servers.{server}] if it needs longer{}",
        after.as_secs_f64(),
        stderr_note(stderr)
    )]
    TimedOut {
        server: String,
        after: Duration,
        stderr: Vec<String>,
    },
    #[error(
        "MCP server `{server}` failed during start-up: {reason}{}",
        stderr_note(stderr)
    )]
    Handshake {
        server: String,
        reason: String,
        stderr: Vec<String>,
    },
    #[error(
        "MCP server `{server}` wants credentials (it answered 401 Unauthorized): if it supports OAuth, sign in with `zspark mcp login {server}` (or Settings > MCP servers > Sign in); otherwise put a token in an environment variable and name it in `bearer_token_env_var` of [mcp_servers.{server}], or send what it needs in `http_headers`"
    )]
    Unauthorized { server: String },
    #[error(
        "MCP server `{server}` no longer accepts its saved sign-in (it answered 401 Unauthorized): sign in again with `zspark mcp login {server}` (or Settings > MCP servers > Sign in)"
    )]
    SignInExpired { server: String },
}

fn stderr_note(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("\nits stderr ended with:\n{}", lines.join("\n"))
    }
}

/// Why a tool call failed (the server's own `isError` results are not errors here).
#[derive(Debug, thiserror::Error)]
pub enum McpCallError {
    #[error("tool call failed for `{server}/{tool}`: timed out after {} s", after.as_secs_f64())]
    TimedOut {
        server: String,
        tool: String,
        after: Duration,
    },
    /// The connection ended: a stdio server's process exited, or the transport broke.
    #[error("tool call failed for `{server}/{tool}`: the connection to the server closed")]
    Closed { server: String, tool: String },
    #[error("tool call failed for `{server}/{tool}`: {reason}")]
    Failed {
        server: String,
        tool: String,
        reason: String,
    },
}

/// What zspark tells servers about itself, and what it hears: a server saying its
/// tools changed. It answers no server-initiated requests yet.
#[derive(Clone)]
struct Client {
    config: ClientConfig,
    tools_changed: Arc<Notify>,
}

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        self.config.clone()
    }

    fn on_tool_list_changed(
        &self,
        _context: NotificationContext<RoleClient>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        self.tools_changed.notify_one();
        std::future::ready(())
    }
}

fn client(tools_changed: Arc<Notify>) -> Client {
    let mut identity = Implementation::new("codex-mcp-client", env!("CARGO_PKG_VERSION"));
    identity.title = Some("zspark".to_string());
    Client {
        config: ClientConfig::new(ClientCapabilities::default(), identity)
            .with_protocol_version(ProtocolVersion::V_2025_06_18),
        tools_changed,
    }
}

/// A started server: its tools and instructions, ready for calls.
pub struct McpConnection {
    server: String,
    tool_timeout: Duration,
    service: RunningService<RoleClient, Client>,
    tools: Vec<Tool>,
    /// The tools of the first listing that could not be read, each with why.
    unreadable_tools: Vec<String>,
    instructions: Option<String>,
    /// Signalled when the server says its tools changed, and when the connection ends.
    tools_changed: Arc<Notify>,
    /// Set when a request found the connection closed (the service may not know yet).
    closed: AtomicBool,
    _wake_on_drop: WakeOnDrop,
}

/// Signals its `Notify` when dropped: whoever waits for a change of tools learns that
/// the connection ended.
struct WakeOnDrop(Arc<Notify>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl McpConnection {
    /// Starts `server` and lists its tools, within its start-up time-out.
    pub async fn start(
        server: &McpServer,
        env: &Env,
        cwd: &Path,
        tokens: &TokenStore,
    ) -> Result<McpConnection, McpStartError> {
        let stderr: Arc<Mutex<Vec<String>>> = Arc::default();
        let tools_changed = Arc::new(Notify::new());
        let mut signed_in = false;
        let starting = async {
            let service = match &server.transport {
                McpTransport::Stdio(stdio) => {
                    let transport = spawn(&server.name, stdio, env, cwd, stderr.clone())?;
                    client(tools_changed.clone()).serve(transport).await
                }
                McpTransport::StreamableHttp(remote) => {
                    let http = zspark_bridge::http::client_builder()
                        .build()
                        .map_err(|error| McpStartError::Spawn {
                            server: server.name.clone(),
                            reason: format!("no HTTP client: {error}"),
                        })?;
                    let config = http_config(&server.name, remote, env)?;
                    let saved_sign_in = if config.auth_header.is_some()
                        || config.custom_headers.contains_key(&AUTHORIZATION)
                    {
                        None
                    } else {
                        signed_in_manager(&server.name, remote, tokens).await?
                    };
                    signed_in = saved_sign_in.is_some();
                    let client = client(tools_changed.clone());
                    match saved_sign_in {
                        Some(manager) => {
                            let http = AuthClient::new(http, manager);
                            let transport =
                                StreamableHttpClientTransport::with_client(http, config);
                            client.serve(transport).await
                        }
                        None => {
                            let transport =
                                StreamableHttpClientTransport::with_client(http, config);
                            client.serve(transport).await
                        }
                    }
                }
            }
            .map_err(|error| {
                if is_auth_required(&error) && signed_in {
                    McpStartError::SignInExpired {
                        server: server.name.clone(),
                    }
                } else if is_auth_required(&error) {
                    McpStartError::Unauthorized {
                        server: server.name.clone(),
                    }
                } else {
                    McpStartError::Handshake {
                        server: server.name.clone(),
                        reason: with_causes(&error),
                        stderr: kept(&stderr),
                    }
                }
            })?;
            let ToolListing { tools, unreadable } = list_tools_leniently(service.peer())
                .await
                .map_err(|error| McpStartError::Handshake {
                    server: server.name.clone(),
                    reason: format!("tools/list failed: {}", with_causes(&error)),
                    stderr: kept(&stderr),
                })?;
            let instructions = service
                .peer_info()
                .and_then(|info| info.instructions.clone());
            Ok(McpConnection {
                server: server.name.clone(),
                tool_timeout: server.tool_timeout,
                service,
                tools,
                unreadable_tools: unreadable,
                instructions,
                tools_changed: tools_changed.clone(),
                _wake_on_drop: WakeOnDrop(tools_changed.clone()),
                closed: AtomicBool::new(false),
            })
        };
        match tokio::time::timeout(server.startup_timeout, starting).await {
            Ok(started) => started,
            Err(_) => Err(McpStartError::TimedOut {
                server: server.name.clone(),
                after: server.startup_timeout,
                stderr: kept(&stderr),
            }),
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// Whether the server said in `initialize` that it has resources.
    pub fn offers_resources(&self) -> bool {
        self.service
            .peer_info()
            .is_some_and(|info| info.capabilities.resources.is_some())
    }

    /// Whether the connection ended (a stdio server's process exited, or the transport
    /// failed): calls through it can only fail.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire) || self.service.is_closed()
    }

    /// The tools the server listed when it started, unfiltered.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The tools it listed when it started that could not be read, each with why.
    pub fn unreadable_tools(&self) -> &[String] {
        &self.unreadable_tools
    }

    /// What is signalled when the server says its tools changed (`notifications/
    /// tools/list_changed`) and when this connection ends.
    pub fn tools_changed(&self) -> Arc<Notify> {
        self.tools_changed.clone()
    }

    /// Lists the server's tools again.
    pub async fn list_tools(&self) -> Result<ToolListing, McpCallError> {
        self.within_tool_timeout("tools/list", list_tools_leniently(self.service.peer()))
            .await
    }

    /// One page of the server's resources (`resources/list`).
    pub async fn list_resources(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourcesResult, McpCallError> {
        let page = PaginatedRequestParams::default().with_cursor(cursor);
        self.within_tool_timeout("resources/list", self.service.list_resources(Some(page)))
            .await
    }

    /// One page of the server's resource templates (`resources/templates/list`).
    pub async fn list_resource_templates(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourceTemplatesResult, McpCallError> {
        let page = PaginatedRequestParams::default().with_cursor(cursor);
        self.within_tool_timeout(
            "resources/templates/list",
            self.service.list_resource_templates(Some(page)),
        )
        .await
    }

    /// Reads one resource (`resources/read`).
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, McpCallError> {
        let request = ReadResourceRequestParams::new(uri);
        self.within_tool_timeout("resources/read", self.service.read_resource(request))
            .await
    }

    /// Runs one request to the server within the tool time-out; `what` names it in
    /// errors.
    async fn within_tool_timeout<T>(
        &self,
        what: &str,
        request: impl Future<Output = Result<T, rmcp::ServiceError>>,
    ) -> Result<T, McpCallError> {
        match tokio::time::timeout(self.tool_timeout, request).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(rmcp::ServiceError::TransportClosed)) => {
                self.closed.store(true, Ordering::Release);
                Err(McpCallError::Closed {
                    server: self.server.clone(),
                    tool: what.to_string(),
                })
            }
            Ok(Err(error)) => Err(McpCallError::Failed {
                server: self.server.clone(),
                tool: what.to_string(),
                reason: with_causes(&error),
            }),
            Err(_) => Err(McpCallError::TimedOut {
                server: self.server.clone(),
                tool: what.to_string(),
                after: self.tool_timeout,
            }),
        }
    }

    /// The server's `instructions` from `initialize`.
    pub fn instructions(&self) -> Option<&str> {
        self.instructions.as_deref()
    }

    /// Runs `tools/call` for the raw tool name, within the tool time-out.
    pub async fn call_tool(
        &self,
        raw_tool: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<CallToolResult, McpCallError> {
        let mut params = CallToolRequestParams::new(raw_tool.to_string());
        params.arguments = arguments;
        self.within_tool_timeout(raw_tool, self.service.call_tool(params))
            .await
    }

    /// Ends the connection (a stdio server's process is stopped with it).
    pub async fn stop(self) {
        // The reason of an orderly stop carries nothing the caller needs.
        let _ = self.service.cancel().await;
    }
}

/// A server's tools, and those that could not be read.
#[derive(Debug, Clone, Default)]
pub struct ToolListing {
    pub tools: Vec<Tool>,
    /// `<name or position>: <why>` for each tool left out.
    pub unreadable: Vec<String>,
}

/// The most pages of tools read from one server.
const MAX_TOOL_PAGES: usize = 100;

/// Every page of `tools/list`, keeping the tools that can be read: one tool with a
/// broken entry (no name, a schema that is not an object) is left out with the reason
/// instead of failing the whole listing, as the typed call would.
async fn list_tools_leniently(
    peer: &rmcp::Peer<RoleClient>,
) -> Result<ToolListing, rmcp::ServiceError> {
    let mut listing = ToolListing::default();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_TOOL_PAGES {
        let params = cursor
            .take()
            .map(|cursor| serde_json::json!({"cursor": cursor}));
        let request = ClientRequest::CustomRequest(CustomRequest::new("tools/list", params));
        let next = match peer.send_request(request).await? {
            ServerResult::ListToolsResult(page) => {
                listing.tools.extend(page.tools);
                page.next_cursor
            }
            ServerResult::CustomResult(CustomResult(page)) => {
                let entries = page.get("tools").and_then(serde_json::Value::as_array);
                for (index, entry) in entries.into_iter().flatten().enumerate() {
                    match serde_json::from_value::<Tool>(entry.clone()) {
                        Ok(tool) => listing.tools.push(tool),
                        Err(error) => {
                            let name = entry
                                .get("name")
                                .and_then(serde_json::Value::as_str)
                                .map_or_else(|| format!("tool #{}", index + 1), str::to_string);
                            listing.unreadable.push(format!("{name}: {error}"));
                        }
                    }
                }
                page.get("nextCursor")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
            }
            _ => return Err(rmcp::ServiceError::UnexpectedResponse),
        };
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(listing)
}

/// Whether the server refused for want of credentials (HTTP 401). `rmcp` boxes its
/// transport errors without their causes, so this goes by the transport's wording
/// ("Auth required"), unless the typed error is in the chain.
fn is_auth_required(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error
            .downcast_ref::<rmcp::transport::streamable_http_client::AuthRequiredError>()
            .is_some()
            || error.to_string().contains("error: Auth required")
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// An error and its causes on one line, each said once.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        cause = error.source();
    }
    text
}

fn kept(stderr: &Mutex<Vec<String>>) -> Vec<String> {
    stderr.lock().map(|lines| lines.clone()).unwrap_or_default()
}

/// Spawns a stdio server with its environment; its stderr lines go to `stderr`.
fn spawn(
    server: &str,
    stdio: &StdioTransport,
    env: &Env,
    cwd: &Path,
    stderr: Arc<Mutex<Vec<String>>>,
) -> Result<TokioChildProcess, McpStartError> {
    let command = &stdio.command;
    let mut child = tokio::process::Command::new(command);
    child
        .args(&stdio.args)
        .env_clear()
        .envs(server_env(env, &stdio.env_vars, &stdio.env))
        .current_dir(stdio.cwd.as_deref().unwrap_or(cwd))
        .kill_on_drop(true);
    let (transport, child_stderr) = TokioChildProcess::builder(child)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| McpStartError::Spawn {
            server: server.to_string(),
            reason: format!("MCP startup failed: {error} (command `{command}`)"),
        })?;
    if let Some(child_stderr) = child_stderr {
        tokio::spawn(async move {
            let mut lines = BufReader::new(child_stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(mut kept) = stderr.lock() {
                    if kept.len() == STDERR_LINES_KEPT {
                        kept.remove(0);
                    }
                    kept.push(line);
                }
            }
        });
    }
    Ok(transport)
}

/// An authorization manager holding the server's saved OAuth tokens (refreshing them
/// as they expire, and saving what it gets), or `None` when it has none.
async fn signed_in_manager(
    server: &str,
    remote: &HttpTransport,
    tokens: &TokenStore,
) -> Result<Option<AuthorizationManager>, McpStartError> {
    let saved = tokens
        .load(server, &remote.url)
        .map_err(|error| McpStartError::Spawn {
            server: server.to_string(),
            reason: error.to_string(),
        })?;
    let Some(saved) = saved else {
        return Ok(None);
    };
    zspark_bridge::http::install_crypto_provider();
    let cannot = |error: AuthError| McpStartError::Handshake {
        server: server.to_string(),
        reason: format!(
            "cannot use its saved sign-in: {}; sign in again with `zspark mcp login {server}`",
            with_causes(&error)
        ),
        stderr: Vec::new(),
    };
    let mut manager = AuthorizationManager::new(remote.url.as_str())
        .await
        .map_err(cannot)?;
    manager.set_credential_store(ServerCredentials::new(tokens.clone(), server, &remote.url));
    if !manager.initialize_from_store().await.map_err(cannot)? {
        return Ok(None);
    }
    if let Some(secret) = &remote.oauth.client_secret {
        let redirect = remote.oauth.callback_url.clone().unwrap_or_default();
        manager
            .configure_client(
                OAuthClientConfig::new(saved.client_id.clone(), redirect)
                    .with_client_secret(secret),
            )
            .map_err(cannot)?;
    }
    Ok(Some(manager))
}

/// The URL, bearer token (from its environment variable) and headers of an HTTP server.
fn http_config(
    server: &str,
    remote: &HttpTransport,
    env: &Env,
) -> Result<StreamableHttpClientTransportConfig, McpStartError> {
    let HttpTransport {
        url,
        bearer_token_env_var,
        http_headers,
        env_http_headers,
        oauth: _,
    } = remote;
    let unset = |var: &str, what: &str| McpStartError::Spawn {
        server: server.to_string(),
        reason: format!("{what} comes from the environment variable {var}, which is not set"),
    };
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.clone());
    if let Some(var) = bearer_token_env_var {
        let token = env.get(var).ok_or_else(|| unset(var, "the bearer token"))?;
        config = config.auth_header(token.clone());
    }
    let mut headers = HashMap::new();
    let values = http_headers
        .iter()
        .map(|(name, value)| Ok((name, value.clone())))
        .chain(env_http_headers.iter().map(|(name, var)| {
            env.get(var)
                .map(|value| (name, value.clone()))
                .ok_or_else(|| unset(var, &format!("the header {name}")))
        }));
    for entry in values {
        let (name, value) = entry?;
        let bad = |what: &str| McpStartError::Spawn {
            server: server.to_string(),
            reason: format!("the header {name:?} has {what}"),
        };
        headers.insert(
            // Names are sent in lower case: a name kept in capitals cannot be sent.
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
                .map_err(|_| bad("an invalid name"))?,
            HeaderValue::from_str(&value).map_err(|_| bad("a value that cannot be sent"))?,
        );
    }
    Ok(config.custom_headers(headers))
}

/// A stdio server's environment: the default variables and those named in `env_vars`
/// (when zspark has them), then `env`.
fn server_env(
    env: &Env,
    env_vars: &[String],
    extra: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut chosen: BTreeMap<String, String> = DEFAULT_ENV_VARS
        .iter()
        .copied()
        .chain(env_vars.iter().map(String::as_str))
        .filter_map(|name| Some((name.to_string(), env.get(name)?.clone())))
        .collect();
    chosen.extend(
        extra
            .iter()
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stdio_server_gets_the_defaults_the_named_variables_and_its_env() {
        let env = Env::from([
            ("PATH".to_string(), "/usr/bin".to_string()),
            ("OPENAI_API_KEY".to_string(), "secret".to_string()),
            ("GITHUB_TOKEN".to_string(), "gh".to_string()),
        ]);
        let chosen = server_env(
            &env,
            &["GITHUB_TOKEN".to_string(), "ABSENT".to_string()],
            &BTreeMap::from([("PATH".to_string(), "/opt/bin".to_string())]),
        );
        assert_eq!(
            chosen,
            BTreeMap::from([
                ("GITHUB_TOKEN".to_string(), "gh".to_string()),
                ("PATH".to_string(), "/opt/bin".to_string()),
            ]),
            "no secrets unless named; env wins"
        );
    }
}

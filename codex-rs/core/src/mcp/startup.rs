//! A session's MCP servers, started when the session starts. Servers with
//! `required = true` are started first, together, and the session does not start
//! without them ([`start_required`]); every other enabled server starts in its own
//! task ([`start_servers`]). Each says `starting`, then `ready` or `failed` with the
//! reason, in `McpStartupUpdate` events. The session's first request waits for those a
//! few seconds at most (`MCP_STARTUP_GRACE`); a server that becomes ready later offers
//! its namespace from the next request on. When a server says its tools changed, they
//! are listed again and the next request offers the new list (Codex ignores the
//! notification). A server whose connection ended (its process exited) is started again
//! on its next use ([`connection_for_call`]), and the model is told.

use std::sync::{Arc, Weak};

use codex_protocol::{EventMsg, McpStartupStatus};

use super::McpServer;
use super::client::McpConnection;
use super::servers::ServerState;
use super::{names, resources, tools};
use crate::session::Session;

/// A server marked `required` did not start, so the session cannot.
#[derive(Debug, thiserror::Error)]
#[error("required MCP servers failed to initialize: {server}: {reason}")]
pub struct RequiredServerFailed {
    pub server: String,
    pub reason: String,
}

/// Offers the resource tools when the session has servers, then starts its required
/// servers and offers their tools, or says which failed. The events of their start
/// are returned, to go out after the session's `SessionConfigured`.
pub async fn start_required(session: &Arc<Session>) -> Result<Vec<EventMsg>, RequiredServerFailed> {
    if !session.mcp_servers().is_empty() {
        resources::register(session.tools());
    }
    let required: Vec<&McpServer> = session
        .config()
        .mcp_servers
        .iter()
        .filter(|server| server.enabled && server.required)
        .collect();
    let started =
        futures::future::join_all(required.iter().map(|server| start(session, server))).await;
    let mut events = Vec::new();
    for (server, outcome) in required.into_iter().zip(started) {
        events.push(status(&server.name, McpStartupStatus::Starting));
        let (_, announcement) = outcome.map_err(|reason| RequiredServerFailed {
            server: server.name.clone(),
            reason,
        })?;
        events.push(status(&server.name, McpStartupStatus::Ready));
        events.push(announcement);
    }
    Ok(events)
}

/// Starts `session`'s other enabled servers in the background.
pub async fn start_servers(session: &Arc<Session>) {
    let starting = session.mcp_starting().clone();
    let optional: Vec<McpServer> = session
        .config()
        .mcp_servers
        .iter()
        .filter(|server| server.enabled && !server.required)
        .cloned()
        .collect();
    for server in &optional {
        let event = status(&server.name, McpStartupStatus::Starting);
        session.events().send("", event).await;
    }
    for server in optional {
        let session = session.clone();
        starting.spawn(async move {
            match start(&session, &server).await {
                Ok((_, announcement)) => {
                    let ready = status(&server.name, McpStartupStatus::Ready);
                    session.events().send("", ready).await;
                    session.events().send("", announcement).await;
                }
                Err(reason) => {
                    let failed = status(
                        &server.name,
                        McpStartupStatus::Failed {
                            error: reason.clone(),
                        },
                    );
                    session.events().send("", failed).await;
                    let message = format!("{reason}; its tools are left out");
                    session
                        .events()
                        .send("", EventMsg::Warning { message })
                        .await;
                }
            }
        });
    }
    starting.close();
}

/// The warning naming the tools of `server` that could not be read, if any.
fn unreadable_warning(server: &str, unreadable: &[String]) -> Option<EventMsg> {
    (!unreadable.is_empty()).then(|| EventMsg::Warning {
        message: format!(
            "MCP server `{server}` listed tools that cannot be used, so they are left out (its other tools work): {}",
            unreadable.join("; ")
        ),
    })
}

fn status(server: &str, status: McpStartupStatus) -> EventMsg {
    EventMsg::McpStartupUpdate {
        server: server.to_string(),
        status,
    }
}

/// Starts one server, offers its tools and follows changes to them: its connection and
/// the event that announces its tools, or why not. The server's state says which.
async fn start(
    session: &Arc<Session>,
    server: &McpServer,
) -> Result<(Arc<McpConnection>, EventMsg), String> {
    let config = session.config();
    let servers = session.mcp_servers();
    let failed = |reason: String| {
        servers.set(&server.name, ServerState::Failed(reason.clone()));
        reason
    };
    let connection =
        McpConnection::start(server, &config.env, &config.cwd, &config.mcp_oauth.tokens)
            .await
            .map(Arc::new)
            .map_err(|error| failed(error.to_string()))?;
    servers.set(&server.name, ServerState::Ready(connection.clone()));
    let announcement = offer(session, server, &connection, connection.tools()).map_err(failed)?;
    if let Some(warning) = unreadable_warning(&server.name, connection.unreadable_tools()) {
        session.events().send("", warning).await;
    }
    tokio::spawn(follow_tool_changes(
        Arc::downgrade(session),
        server.clone(),
        Arc::downgrade(&connection),
    ));
    Ok((connection, announcement))
}

/// The connection a call of `server`'s tools uses, and a note for the model when the
/// server had stopped and was started again for it; or why there is none.
pub async fn connection_for_call(
    session: &Arc<Session>,
    server: &str,
) -> Result<(Arc<McpConnection>, Option<String>), String> {
    let servers = session.mcp_servers();
    let state = servers.state(server);
    match state {
        Some(ServerState::Ready(connection)) if !connection.is_closed() => {
            return Ok((connection, None));
        }
        Some(ServerState::Ready(_)) => {}
        Some(ServerState::Starting) => {
            return Err(format!(
                "MCP server `{server}` is still starting; try again in a moment"
            ));
        }
        Some(ServerState::Failed(reason)) => {
            return Err(format!("MCP server `{server}` is not available: {reason}"));
        }
        None => {
            return Err(format!(
                "unknown MCP server `{server}`; the session's servers are: {}",
                servers.names().join(", ")
            ));
        }
    }
    let _restarting = servers.restart_guard().await;
    if let Some(ServerState::Ready(connection)) = servers.state(server)
        && !connection.is_closed()
    {
        // Another call restarted it meanwhile.
        return Ok((connection, None));
    }
    let Some(config) = session
        .config()
        .mcp_servers
        .iter()
        .find(|configured| configured.name == server)
    else {
        return Err(format!("unknown MCP server `{server}`"));
    };
    match start(session, config).await {
        Ok((connection, announcement)) => {
            session.events().send("", announcement).await;
            Ok((
                connection,
                Some(format!(
                    "(MCP server `{server}` had stopped; it was started again for this call, so anything it held in memory is gone.)"
                )),
            ))
        }
        Err(reason) => Err(format!(
            "MCP server `{server}` stopped and could not be started again: {reason}"
        )),
    }
}

/// Offers `tools` (listed by `connection`) as the server's namespace, described by the
/// server's instructions and replacing what it held; the event that says which.
fn offer(
    session: &Session,
    server: &McpServer,
    connection: &McpConnection,
    tools: &[rmcp::model::Tool],
) -> Result<EventMsg, String> {
    let handlers = tools::handlers(server, tools);
    session
        .tools()
        .set_namespace(
            &names::namespace(&server.name),
            connection.instructions().unwrap_or_default(),
            handlers,
        )
        .map_err(|error| format!("MCP server `{}` was left out: {error}", server.name))?;
    let offered = tools
        .iter()
        .map(|tool| tool.name.to_string())
        .filter(|name| server.tools.allows(name))
        .collect();
    Ok(EventMsg::McpServerTools {
        server: server.name.clone(),
        tools: offered,
    })
}

/// Whenever the server says its tools changed, lists them again and offers the new
/// list from the next request on. Ends with the connection or the session (neither is
/// kept alive by this task).
async fn follow_tool_changes(
    session: Weak<Session>,
    server: McpServer,
    connection: Weak<McpConnection>,
) {
    let Some(changed) = connection
        .upgrade()
        .map(|connection| connection.tools_changed())
    else {
        return;
    };
    loop {
        changed.notified().await;
        let (Some(session), Some(connection)) = (session.upgrade(), connection.upgrade()) else {
            return;
        };
        if connection.is_closed() {
            return;
        }
        let offered = match connection.list_tools().await {
            Ok(listing) => {
                if let Some(warning) = unreadable_warning(&server.name, &listing.unreadable) {
                    session.events().send("", warning).await;
                }
                offer(&session, &server, &connection, &listing.tools)
            }
            Err(error) => Err(error.to_string()),
        };
        let event = offered.unwrap_or_else(|problem| EventMsg::Warning {
            message: format!("{problem}; the tools offered stay as they were"),
        });
        session.events().send("", event).await;
    }
}

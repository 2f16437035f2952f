//! A session's MCP servers, started when the session starts. Servers with
//! `required = true` are started first, together, and the session does not start
//! without them ([`start_required`]); every other enabled server starts in its own
//! task ([`start_servers`]). The session's first request waits for those a few seconds
//! at most (`MCP_STARTUP_GRACE`); a server that becomes ready later offers its
//! namespace from the next request on, and one that fails says why in a warning. When
//! a server says its tools changed, they are listed again and the next request offers
//! the new list (Codex ignores the notification). The connections live as long as the
//! session's tool registry holds their tools.

use std::sync::{Arc, Weak};

use codex_protocol::EventMsg;

use super::McpServer;
use super::client::McpConnection;
use super::{names, tools};
use crate::session::Session;

/// A server marked `required` did not start, so the session cannot.
#[derive(Debug, thiserror::Error)]
#[error("required MCP servers failed to initialize: {server}: {reason}")]
pub struct RequiredServerFailed {
    pub server: String,
    pub reason: String,
}

/// Starts `session`'s required servers and offers their tools, or says which failed.
/// The events announcing their tools are returned, to go out after the session's
/// `SessionConfigured`.
pub async fn start_required(session: &Arc<Session>) -> Result<Vec<EventMsg>, RequiredServerFailed> {
    let required: Vec<&McpServer> = session
        .config()
        .mcp_servers
        .iter()
        .filter(|server| server.enabled && server.required)
        .collect();
    let started =
        futures::future::join_all(required.iter().map(|server| start(session, server))).await;
    let mut announcements = Vec::new();
    for (server, outcome) in required.into_iter().zip(started) {
        announcements.push(outcome.map_err(|reason| RequiredServerFailed {
            server: server.name.clone(),
            reason,
        })?);
    }
    Ok(announcements)
}

/// Starts `session`'s other enabled servers in the background.
pub fn start_servers(session: &Arc<Session>) {
    let starting = session.mcp_starting().clone();
    let optional = session
        .config()
        .mcp_servers
        .iter()
        .filter(|server| server.enabled && !server.required);
    for server in optional {
        let session = session.clone();
        let server = server.clone();
        starting.spawn(async move {
            let event = match start(&session, &server).await {
                Ok(announcement) => announcement,
                Err(reason) => EventMsg::Warning {
                    message: format!("{reason}; its tools are left out"),
                },
            };
            session.events().send("", event).await;
        });
    }
    starting.close();
}

/// Starts one server, offers its tools and follows changes to them: the event that
/// announces its tools, or why not.
async fn start(session: &Arc<Session>, server: &McpServer) -> Result<EventMsg, String> {
    let config = session.config();
    let connection = McpConnection::start(server, &config.env, &config.cwd)
        .await
        .map_err(|error| error.to_string())?;
    let connection = Arc::new(connection);
    let announcement = offer(session, server, &connection, connection.tools())?;
    tokio::spawn(follow_tool_changes(
        Arc::downgrade(session),
        server.clone(),
        Arc::downgrade(&connection),
    ));
    Ok(announcement)
}

/// Offers `tools` of `connection` as the server's namespace, replacing what it held;
/// the event that says which.
fn offer(
    session: &Session,
    server: &McpServer,
    connection: &Arc<McpConnection>,
    tools: &[rmcp::model::Tool],
) -> Result<EventMsg, String> {
    let handlers = tools::handlers(server, connection, tools);
    let description = connection.instructions().unwrap_or_default().to_string();
    session
        .tools()
        .set_namespace(&names::namespace(&server.name), &description, handlers)
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
        let offered = match connection.list_tools().await {
            Ok(tools) => offer(&session, &server, &connection, &tools),
            Err(error) => Err(error.to_string()),
        };
        let event = offered.unwrap_or_else(|problem| EventMsg::Warning {
            message: format!("{problem}; the tools offered stay as they were"),
        });
        session.events().send("", event).await;
    }
}

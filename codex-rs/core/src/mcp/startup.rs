//! A session's MCP servers, started when the session starts. Servers with
//! `required = true` are started first, together, and the session does not start
//! without them ([`start_required`]); every other enabled server starts in its own
//! task ([`start_servers`]). The session's first request waits for those a few seconds
//! at most (`MCP_STARTUP_GRACE`); a server that becomes ready later offers its
//! namespace from the next request on, and one that fails says why in a warning. The
//! connections live as long as the session's tool registry holds their tools.

use std::sync::Arc;

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
pub async fn start_required(session: &Arc<Session>) -> Result<(), RequiredServerFailed> {
    let required: Vec<&McpServer> = session
        .config()
        .mcp_servers
        .iter()
        .filter(|server| server.enabled && server.required)
        .collect();
    let started =
        futures::future::join_all(required.iter().map(|server| start(session, server))).await;
    for (server, outcome) in required.into_iter().zip(started) {
        outcome.map_err(|reason| RequiredServerFailed {
            server: server.name.clone(),
            reason,
        })?;
    }
    Ok(())
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
            if let Err(reason) = start(&session, &server).await {
                let message = format!("{reason}; its tools are left out");
                session
                    .events()
                    .send("", EventMsg::Warning { message })
                    .await;
            }
        });
    }
    starting.close();
}

/// Starts one server and offers its tools; the error says why not.
async fn start(session: &Session, server: &McpServer) -> Result<(), String> {
    let config = session.config();
    let connection = McpConnection::start(server, &config.env, &config.cwd)
        .await
        .map_err(|error| error.to_string())?;
    let connection = Arc::new(connection);
    let handlers = tools::handlers(server, &connection);
    let description = connection.instructions().unwrap_or_default().to_string();
    session
        .tools()
        .set_namespace(&names::namespace(&server.name), &description, handlers)
        .map_err(|error| format!("MCP server `{}` was left out: {error}", server.name))
}

//! A session's MCP servers, started when the session starts: each enabled server in
//! its own task. The session's first request waits for them a few seconds at most
//! (`MCP_STARTUP_GRACE`); a server that becomes ready later offers its namespace from
//! the next request on, and one that fails says why in a warning. The
//! connections live as long as the session's tool registry holds their tools.

use std::sync::Arc;

use codex_protocol::EventMsg;

use super::client::McpConnection;
use super::{names, tools};
use crate::session::Session;

/// Starts `session`'s enabled servers in the background.
pub fn start_servers(session: &Arc<Session>) {
    let starting = session.mcp_starting().clone();
    for server in session
        .config()
        .mcp_servers
        .iter()
        .filter(|server| server.enabled)
    {
        let session = session.clone();
        let server = server.clone();
        starting.spawn(async move {
            let config = session.config();
            let started = McpConnection::start(&server, &config.env, &config.cwd).await;
            let message = match started {
                Ok(connection) => {
                    let connection = Arc::new(connection);
                    let handlers = tools::handlers(&server, &connection);
                    let description = connection.instructions().unwrap_or_default().to_string();
                    match session.tools().set_namespace(
                        &names::namespace(&server.name),
                        &description,
                        handlers,
                    ) {
                        Ok(()) => return,
                        Err(error) => format!("MCP server `{}` was left out: {error}", server.name),
                    }
                }
                Err(error) => format!("{error}; its tools are left out"),
            };
            session
                .events()
                .send("", EventMsg::Warning { message })
                .await;
        });
    }
    starting.close();
}

//! A session's MCP servers by name, and where each stands: starting, ready (with its
//! connection) or failed (with the reason). Tool calls find their server's connection
//! here, so a server that was restarted is used from the next call on, and the tools a
//! user allowed "for the session" stay allowed across new tool lists and restarts.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use super::McpServer;
use super::client::McpConnection;

/// Where one server stands.
#[derive(Clone)]
pub enum ServerState {
    Starting,
    Ready(Arc<McpConnection>),
    Failed(String),
}

/// The session's enabled servers.
#[derive(Default)]
pub struct McpServers {
    states: Mutex<BTreeMap<String, ServerState>>,
    /// (server, raw tool) pairs the user allowed for the rest of the session.
    allowed_for_session: Mutex<HashSet<(String, String)>>,
    /// Held while a stopped server is started again, so two calls do not both restart it.
    restarting: tokio::sync::Mutex<()>,
}

impl McpServers {
    /// The enabled ones of `servers`, all starting.
    pub fn new(servers: &[McpServer]) -> Self {
        let states = servers
            .iter()
            .filter(|server| server.enabled)
            .map(|server| (server.name.clone(), ServerState::Starting))
            .collect();
        Self {
            states: Mutex::new(states),
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.states.lock().map_or(true, |states| states.is_empty())
    }

    pub fn set(&self, server: &str, state: ServerState) {
        if let Ok(mut states) = self.states.lock() {
            states.insert(server.to_string(), state);
        }
    }

    pub fn state(&self, server: &str) -> Option<ServerState> {
        self.states.lock().ok()?.get(server).cloned()
    }

    /// The names of all enabled servers, in order.
    pub fn names(&self) -> Vec<String> {
        self.states
            .lock()
            .map(|states| states.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The connections of the servers that are ready, by name order.
    pub fn ready(&self) -> Vec<Arc<McpConnection>> {
        self.states
            .lock()
            .map(|states| {
                states
                    .values()
                    .filter_map(|state| match state {
                        ServerState::Ready(connection) => Some(connection.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Serialises restarts: held by whoever starts a stopped server again.
    pub async fn restart_guard(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.restarting.lock().await
    }

    /// Whether the user allowed `raw_tool` of `server` for the rest of the session.
    pub fn allowed_for_session(&self, server: &str, raw_tool: &str) -> bool {
        self.allowed_for_session
            .lock()
            .is_ok_and(|allowed| allowed.contains(&(server.to_string(), raw_tool.to_string())))
    }

    /// Allows `raw_tool` of `server` without asking for the rest of the session.
    pub fn allow_for_session(&self, server: &str, raw_tool: &str) {
        if let Ok(mut allowed) = self.allowed_for_session.lock() {
            allowed.insert((server.to_string(), raw_tool.to_string()));
        }
    }
}

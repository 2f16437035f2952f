//! The engine's MCP server settings commands: list the servers of `config.toml`, save,
//! remove, switch one on or off. Each runs on a blocking thread; a change that fails
//! answers with [`EngineEvent::Problem`], and every command ends with the list as it
//! now is ([`EngineEvent::McpServers`]).

use super::{EngineEvent, EngineSetup, Outbox};
use crate::mcp_servers::{McpServerSpec, McpServerStore};

/// Work on the MCP servers of `config.toml`.
#[derive(Debug, Clone, PartialEq)]
pub enum McpCommand {
    Load,
    /// Save server `name`; `previous` is its name before a rename in the form.
    Save {
        previous: Option<String>,
        name: String,
        spec: McpServerSpec,
    },
    Remove {
        name: String,
    },
    SetEnabled {
        name: String,
        enabled: bool,
    },
}

/// Carries out `command` off the run loop and reports the result.
pub(super) fn spawn(command: McpCommand, setup: &EngineSetup, outbox: &Outbox) {
    let store = McpServerStore::new(setup.codex_home.clone());
    let outbox = outbox.clone();
    tokio::spawn(async move {
        let done = tokio::task::spawn_blocking(move || {
            let changed = match &command {
                McpCommand::Load => Ok(()),
                McpCommand::Save {
                    previous,
                    name,
                    spec,
                } => store.save(previous.as_deref(), name, spec),
                McpCommand::Remove { name } => store.remove(name),
                McpCommand::SetEnabled { name, enabled } => store.set_enabled(name, *enabled),
            };
            (changed, store.list())
        })
        .await;
        match done {
            Ok((changed, list)) => {
                if let Err(message) = changed {
                    outbox.send(EngineEvent::Problem(message)).await;
                }
                outbox.send(EngineEvent::McpServers(list)).await;
            }
            Err(error) => {
                let message = format!("the MCP settings task failed: {error}");
                outbox.send(EngineEvent::Problem(message)).await;
            }
        }
    });
}

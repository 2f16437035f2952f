//! The MCP servers installed plugins declare, joining a session's servers as Codex
//! joins them: named as in the plugin's file, with the user's policy from
//! `[plugins."<plugin>@<marketplace>".mcp_servers.<server>]` laid over each (on/off,
//! tool filters, approval modes), none for a plugin switched off. A server of
//! `config.toml` with the same name wins, with a warning.

use std::collections::BTreeMap;
use std::path::Path;

use super::McpServer;
use super::config::{McpServerFile, PluginSettingsFile};
use crate::context::plugins::discover_plugins;

/// The plugins' servers, checked; what was left out and why goes to `warnings`.
pub fn plugin_servers(
    codex_home: &Path,
    settings: &BTreeMap<String, PluginSettingsFile>,
    configured: &BTreeMap<String, McpServerFile>,
    warnings: &mut Vec<String>,
) -> Vec<McpServer> {
    let (plugins, _) = discover_plugins(codex_home);
    let mut servers = Vec::new();
    for plugin in plugins {
        let policy = settings.get(&plugin.id);
        if policy.and_then(|policy| policy.enabled) == Some(false) {
            continue;
        }
        if let Some(problem) = &plugin.mcp_error {
            warnings.push(format!(
                "the plugin {}'s MCP servers are left out: {problem}",
                plugin.id
            ));
        }
        for (name, mut entry) in plugin.mcp_servers {
            if configured.contains_key(&name) || servers.iter().any(|s: &McpServer| s.name == name)
            {
                warnings.push(format!(
                    "the plugin {}'s MCP server `{name}` is left out: a server of that name is configured already",
                    plugin.id
                ));
                continue;
            }
            if let Some(server_policy) = policy.and_then(|policy| policy.mcp_servers.get(&name)) {
                server_policy.apply(&mut entry);
            }
            match entry.resolve(&name) {
                Ok(mut server) => {
                    server.plugin = Some(plugin.id.clone());
                    servers.push(server);
                }
                Err(error) => warnings.push(format!(
                    "{error} (from the plugin {}); the server is left out",
                    plugin.id
                )),
            }
        }
    }
    servers
}

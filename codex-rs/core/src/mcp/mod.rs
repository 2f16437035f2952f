//! MCP (Model Context Protocol) servers, the Codex way: how `[mcp_servers.<name>]` is
//! read and checked ([`config`]), joined by the servers plugins declare
//! (`plugin_servers`), and shown and written by `zspark mcp` ([`listing`], [`edit`]); one connection to a server ([`client`], on `rmcp`); the names a server's
//! tools get for the model ([`names`]); OAuth sign-in and tokens for HTTP servers
//! ([`oauth`]); the handlers of those tools (`tools`) and of
//! the resource tools (`resources`), recorded in rollouts as Codex records them
//! (`record`); and a session's servers by name (`servers`), started in the background
//! and restarted when they stop (`startup`). A Codex user's servers and
//! rollouts work unchanged.

pub mod client;
pub mod config;
pub mod edit;
pub mod listing;
pub mod names;
pub mod oauth;
mod plugin_servers;
mod record;
mod resources;
pub(crate) mod servers;
pub(crate) mod startup;
mod tools;

pub use config::{
    ApprovalMode, HttpTransport, McpConfigError, McpServer, McpTransport, OAuthClientSettings,
    StdioTransport, ToolFilter,
};
pub use plugin_servers::plugin_servers;
pub use record::replayed as replayed_call;
pub use startup::RequiredServerFailed;

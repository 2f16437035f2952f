//! MCP (Model Context Protocol) servers, the Codex way: how `[mcp_servers.<name>]` is
//! read and checked ([`config`]), one connection to a server ([`client`], on `rmcp`)
//! the names a server's tools get for the model ([`names`]), their handlers (`tools`)
//! and a session's servers started in the background (`startup`), so a Codex user's
//! servers and rollouts work unchanged.

pub mod client;
pub mod config;
pub mod names;
pub(crate) mod startup;
mod tools;

pub use config::{
    ApprovalMode, HttpTransport, McpConfigError, McpServer, McpTransport, StdioTransport,
    ToolFilter,
};
pub use startup::RequiredServerFailed;

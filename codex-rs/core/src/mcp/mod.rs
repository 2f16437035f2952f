//! MCP (Model Context Protocol) servers, the Codex way: how `[mcp_servers.<name>]` is
//! read and checked ([`config`]), one connection to a server ([`client`], on `rmcp`)
//! and the names a server's tools get for the model ([`names`]), so a Codex user's
//! servers and rollouts work unchanged.

pub mod client;
pub mod config;
pub mod names;

pub use config::{ApprovalMode, McpConfigError, McpServer, McpTransport, ToolFilter};

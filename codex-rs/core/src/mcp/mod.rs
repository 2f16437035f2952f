//! MCP (Model Context Protocol) servers, the Codex way: how `[mcp_servers.<name>]` is
//! read and checked ([`config`]) and the names a server's tools get for the model
//! ([`names`]), so a Codex user's servers and rollouts work unchanged.

pub mod config;
pub mod names;

pub use config::{ApprovalMode, McpConfigError, McpServer, McpTransport, ToolFilter};

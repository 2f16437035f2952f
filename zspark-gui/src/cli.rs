//! Command-line definition of `zspark` (clap derive).

use clap::{Parser, Subcommand};

/// zspark: an open, self-hostable agent desktop with a Codex-compatible runtime.
///
/// Run with no subcommand to open the desktop.
#[derive(Debug, Parser)]
#[command(name = "zspark", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the shared-workspace server (workspaces, sessions, activity, artifacts).
    #[cfg(feature = "server")]
    Serve(zspark_server::ServeArgs),
    /// Run the shared-workspace server (not included in this build).
    #[cfg(not(feature = "server"))]
    Serve(NoServer),
    /// Run one agent task headless in the current directory and print its events.
    Exec(Box<zspark_core::exec::ExecArgs>),
    /// Serve Codex's app-server protocol (JSON-RPC over stdio, or a loopback
    /// WebSocket), so front-ends written for `codex app-server` run on zspark.
    AppServer(zspark_core::app_server::AppServerArgs),
    /// Add, list, show and remove the MCP servers in config.toml.
    Mcp(zspark_core::mcp::McpArgs),
    /// Serve the Responses API over a Chat-Completions-only provider (a local proxy).
    Bridge(zspark_bridge::proxy::BridgeArgs),
    /// Sign in to a shared-workspace server's identity provider (Entra ID or OpenID).
    #[cfg(feature = "desktop")]
    Auth(crate::auth_command::AuthArgs),
    /// Share a local session to a workspace and print its URL (`zspark exec resume
    /// <URL>` continues it).
    #[cfg(feature = "desktop")]
    Share(zspark_core::sharing::commands::ShareArgs),
    /// The sessions shared to a workspace.
    #[cfg(feature = "desktop")]
    Shared(zspark_core::sharing::commands::SharedArgs),
}

/// Arguments of `serve` in a build without the server.
#[cfg(not(feature = "server"))]
#[derive(Debug, clap::Args)]
pub struct NoServer {}

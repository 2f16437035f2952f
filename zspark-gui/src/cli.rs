//! Command-line definition of `zspark` (clap derive).

use clap::{Args, Parser, Subcommand};

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
    Serve(ServeArgs),
    /// Run one agent task headless in the current directory and print its events.
    Exec(Box<codex_exec::ExecArgs>),
    /// Serve the Responses API over a Chat-Completions-only provider (a local proxy).
    Bridge(zspark_bridge::proxy::BridgeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {}

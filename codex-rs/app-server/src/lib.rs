//! `zspark app-server`: Codex's app-server protocol (JSON-RPC, v2) on zspark's
//! runtime, so IDE extensions and other front-ends written for `codex app-server`
//! drive zspark (and through it Chat-Completions providers). One connection over
//! stdio by default, or any number over a WebSocket on a loopback address with a
//! capability token ([`transport`]). `generate-json-schema` writes the JSON Schema of
//! what zspark serves, derived from [`protocol`]'s types ([`schema`]).

mod catalog;
mod config_view;
mod connection;
mod events;
mod paging;
pub mod protocol;
pub mod schema;
pub mod transport;
mod wire;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use codex_core::{Env, find_codex_home};

pub use connection::{ServerContext, serve};

/// Serve Codex's app-server protocol (JSON-RPC over stdio, or a loopback WebSocket).
#[derive(Debug, Clone, Args)]
pub struct AppServerArgs {
    #[command(subcommand)]
    pub command: Option<AppServerCommand>,

    /// Where to serve: `stdio://` (one connection on stdin and stdout), or
    /// `ws://127.0.0.1:PORT` (a WebSocket on a loopback address; port 0 picks one).
    #[arg(long, default_value = "stdio://", value_name = "URL")]
    pub listen: String,

    /// With `ws://`: the file holding the capability token clients send as
    /// `Authorization: Bearer <token>`; written with a new token when it does not
    /// exist. Without it a token is made and printed.
    #[arg(long = "ws-token-file", value_name = "FILE")]
    pub ws_token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AppServerCommand {
    /// Write the JSON Schemas of the requests, answers and notifications zspark serves.
    GenerateJsonSchema {
        /// The folder to write them in (made when missing).
        #[arg(long, short = 'o', value_name = "DIR")]
        out: PathBuf,
    },
}

/// Runs `zspark app-server` with `args`.
pub async fn run(args: AppServerArgs, env: Env, cwd: PathBuf) -> ExitCode {
    match run_inner(args, env, cwd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "zspark app-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run_inner(args: AppServerArgs, env: Env, cwd: PathBuf) -> Result<(), String> {
    if let Some(AppServerCommand::GenerateJsonSchema { out }) = &args.command {
        let written = schema::write_schemas(&cwd.join(out)).map_err(|error| error.to_string())?;
        for path in written {
            let _ = writeln!(std::io::stdout(), "{}", path.display());
        }
        return Ok(());
    }
    let codex_home = find_codex_home(&env).map_err(|error| error.to_string())?;
    let context = ServerContext {
        codex_home,
        env,
        cwd,
    };
    if args.listen == "stdio://" || args.listen == "stdio" {
        transport::run_stdio(context).await;
        return Ok(());
    }
    let Some(address) = args.listen.strip_prefix("ws://") else {
        return Err(format!(
            "--listen {} is not stdio:// or ws://127.0.0.1:PORT",
            args.listen
        ));
    };
    let addr: SocketAddr = address.trim_end_matches('/').parse().map_err(|_| {
        format!(
            "--listen {}: {address} is not an IP address and port such as 127.0.0.1:4500",
            args.listen
        )
    })?;
    let token = capability_token(args.ws_token_file.as_deref())?;
    let listener = transport::WebSocketListener::bind(addr, token.clone())
        .await
        .map_err(|error| error.to_string())?;
    let bound = listener.local_addr().map_err(|error| error.to_string())?;
    let mut stderr = std::io::stderr();
    let _ = writeln!(stderr, "zspark app-server listening on ws://{bound}");
    if args.ws_token_file.is_none() {
        let _ = writeln!(stderr, "capability token: {token}");
    }
    listener.run(context).await;
    Ok(())
}

/// The token in `file` (made there when the file does not exist), or a new one.
fn capability_token(file: Option<&Path>) -> Result<String, String> {
    let fresh = || {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    };
    let Some(file) = file else {
        return Ok(fresh());
    };
    match std::fs::read_to_string(file) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Ok(_) => Err(format!(
            "the token file {} is empty; delete it to have a token made",
            file.display()
        )),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let token = fresh();
            write_private(file, &token).map_err(|error| {
                format!("could not write the token file {}: {error}", file.display())
            })?;
            Ok(token)
        }
        Err(error) => Err(format!(
            "could not read the token file {}: {error}",
            file.display()
        )),
    }
}

/// Writes `text` to a new file only its owner can read.
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file)?.write_all(text.as_bytes())
}

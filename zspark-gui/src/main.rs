//! The `zspark` command. With no subcommand it opens the desktop; `serve`, `exec` and
//! `bridge` run the shared-workspace server, one headless agent task and the
//! Responses-over-Chat proxy; `app-server` serves Codex's app-server protocol to
//! other front-ends; `mcp` manages the MCP servers in config.toml; `auth`
//! signs in to a server's identity provider; `share` and `shared` share sessions to a
//! workspace and list them (`exec resume <URL>` continues one).

#[cfg(feature = "desktop")]
mod auth_command;
mod cli;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    // `zspark __landlock-sandbox …`: the runtime runs commands through this binary when
    // bubblewrap is missing (see zspark_core::sandbox_helper).
    #[cfg(target_os = "linux")]
    {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if let Some(code) = zspark_core::sandbox_helper::run_as_helper(&args) {
            return code;
        }
    }
    let cli = Cli::parse();
    match cli.command {
        None => open_desktop(),
        #[cfg(feature = "server")]
        Some(Command::Serve(args)) => serve(args),
        #[cfg(not(feature = "server"))]
        Some(Command::Serve(_)) => {
            report(
                "zspark serve: this build has no server (it was built without the `server` feature).",
            );
            ExitCode::from(2)
        }
        Some(Command::Exec(args)) => exec(*args),
        Some(Command::Mcp(args)) => mcp(args),
        Some(Command::AppServer(args)) => app_server(args),
        Some(Command::Bridge(args)) => bridge(args),
        #[cfg(feature = "desktop")]
        Some(Command::Auth(args)) => auth(args),
        #[cfg(feature = "desktop")]
        Some(Command::Share(args)) => sharing("share", |env| async move {
            zspark_core::sharing::commands::run_share(
                args,
                env,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            )
            .await
        }),
        #[cfg(feature = "desktop")]
        Some(Command::Shared(args)) => sharing("shared", |env| async move {
            zspark_core::sharing::commands::run_shared(
                args,
                env,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            )
            .await
        }),
    }
}

#[cfg(feature = "desktop")]
fn open_desktop() -> ExitCode {
    match zspark_gui::desktop::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&format!(
                "zspark: could not open the desktop window: {error}\n\
                 On a machine without a display, use `zspark serve` or `zspark exec`."
            ));
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "desktop"))]
fn open_desktop() -> ExitCode {
    report(
        "zspark: this build has no desktop (it was built without the `desktop` feature).\n\
         Run `zspark --help` for the commands it has.",
    );
    ExitCode::from(2)
}

fn exec(args: zspark_core::exec::ExecArgs) -> ExitCode {
    let Some(runtime) = async_runtime("exec") else {
        return ExitCode::FAILURE;
    };
    let process = match zspark_core::exec::Process::current() {
        Ok(process) => process,
        Err(error) => {
            report(&format!(
                "zspark exec: cannot read the current directory: {error}"
            ));
            return ExitCode::FAILURE;
        }
    };
    #[cfg(feature = "desktop")]
    return runtime.block_on(zspark_core::sharing::commands::run_exec(
        args, process, report,
    ));
    #[cfg(not(feature = "desktop"))]
    runtime.block_on(zspark_core::exec::run(args, process))
}

fn app_server(args: zspark_core::app_server::AppServerArgs) -> ExitCode {
    let Some(runtime) = async_runtime("app-server") else {
        return ExitCode::FAILURE;
    };
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            report(&format!(
                "zspark app-server: cannot read the current directory: {error}"
            ));
            return ExitCode::FAILURE;
        }
    };
    let env = std::env::vars().collect();
    runtime.block_on(zspark_core::app_server::run(args, env, cwd))
}

/// Runs a sharing command with the process's environment.
#[cfg(feature = "desktop")]
fn sharing<F, Fut>(command: &str, run: F) -> ExitCode
where
    F: FnOnce(zspark_core::Env) -> Fut,
    Fut: Future<Output = ExitCode>,
{
    let Some(runtime) = async_runtime(command) else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(run(std::env::vars().collect()))
}

fn mcp(args: zspark_core::mcp::McpArgs) -> ExitCode {
    match zspark_core::exec::Process::current() {
        Ok(mut process) => zspark_core::mcp::run(args, &mut process),
        Err(error) => {
            report(&format!(
                "zspark mcp: cannot read the current directory: {error}"
            ));
            ExitCode::FAILURE
        }
    }
}

fn bridge(args: zspark_bridge::proxy::BridgeArgs) -> ExitCode {
    let Some(runtime) = async_runtime("bridge") else {
        return ExitCode::FAILURE;
    };
    let env = std::env::vars().collect();
    runtime.block_on(zspark_bridge::proxy::run(args, env, report))
}

#[cfg(feature = "desktop")]
fn auth(args: auth_command::AuthArgs) -> ExitCode {
    let Some(runtime) = async_runtime("auth") else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(auth_command::run(args, report))
}

fn async_runtime(command: &str) -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            report(&format!(
                "zspark {command}: could not start the async runtime: {error}"
            ));
            None
        }
    }
}

#[cfg(feature = "server")]
fn serve(args: zspark_server::ServeArgs) -> ExitCode {
    let Some(runtime) = async_runtime("serve") else {
        return ExitCode::FAILURE;
    };
    init_logging();
    runtime.block_on(zspark_server::run(args, report))
}

/// Logs on stderr for the server, one line per request with its id: plain text, or
/// JSON with `ZSPARK_LOG_FORMAT=json`. `RUST_LOG` picks the level (info by default).
#[cfg(feature = "server")]
fn init_logging() {
    use std::io::IsTerminal;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if std::env::var("ZSPARK_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[allow(clippy::print_stderr, reason = "the binary reports its own errors")]
fn report(message: &str) {
    eprintln!("{message}");
}

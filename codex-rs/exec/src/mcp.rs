//! `zspark mcp add | list | get | remove | login | logout`: the MCP servers of
//! `config.toml` and their OAuth sign-ins, with the
//! arguments, messages, exit codes and `--json` shapes of `codex mcp`, so scripts
//! written for one work with the other. Servers are written to `$CODEX_HOME/config.toml`
//! keeping the rest of the file as it was; `list` and `get` show what a session in the
//! current folder would use (the user's file, its profile and a trusted project's).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use codex_core::config::McpOAuthConfig;
use codex_core::mcp::edit::{ConfigDocument, NewServer};
use codex_core::mcp::listing::{ServerListing, render_tables};
use codex_core::mcp::oauth::{
    BROWSER_TIMEOUT, CredentialsStoreMode, LoginSettings, SavedIn, logout, offers_oauth,
    open_in_browser, start_login,
};
use codex_core::{ConfigOverrides, find_codex_home};

use crate::Process;

/// Manage the MCP servers in config.toml (the same file and format as `codex mcp`).
#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    #[command(subcommand)]
    pub action: McpAction,

    /// Override a config.toml value while reading: `-c key=value` (value in TOML).
    #[arg(short = 'c', long = "config", value_name = "key=value", global = true)]
    pub config: Vec<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum McpAction {
    /// Add a server (or replace the one of that name).
    Add(AddArgs),
    /// List the configured servers.
    List {
        /// Print a JSON array instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Show one server's settings.
    Get {
        name: String,
        /// Print a JSON object instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Remove a server.
    Remove { name: String },
    /// Sign in to an HTTP server with OAuth (through the browser).
    Login(LoginArgs),
    /// Forget the OAuth sign-in of an HTTP server.
    Logout { name: String },
}

#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    pub name: String,

    /// The scopes to ask for, separated by commas (the server's own when omitted).
    #[arg(long, value_delimiter = ',')]
    pub scopes: Vec<String>,

    /// Print the sign-in link instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("transport").required(true).args(["command", "url"])))]
pub struct AddArgs {
    /// The server's name: letters, numbers, '-', '_', ':', '@', '/', '.'.
    pub name: String,

    /// An environment variable for the server's process, KEY=VALUE (repeatable; stdio
    /// servers only).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_env_entry, conflicts_with = "url")]
    pub env: Vec<(String, String)>,

    /// The endpoint of a streamable HTTP server.
    #[arg(long, conflicts_with = "command")]
    pub url: Option<String>,

    /// The environment variable holding the HTTP server's bearer token.
    #[arg(long, value_name = "ENV_VAR", requires = "url")]
    pub bearer_token_env_var: Option<String>,

    /// An OAuth client registered with the server's authorization server (without one,
    /// `zspark mcp login` registers itself).
    #[arg(long, value_name = "ID", requires = "url")]
    pub oauth_client_id: Option<String>,

    /// The secret of `--oauth-client-id`, for a confidential client.
    #[arg(long, value_name = "SECRET", requires = "oauth_client_id")]
    pub oauth_client_secret: Option<String>,

    /// The RFC 8707 resource to ask tokens for.
    #[arg(long, value_name = "RESOURCE", requires = "url")]
    pub oauth_resource: Option<String>,

    /// The program to start, and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

fn parse_env_entry(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, entry_value)) if !key.is_empty() => {
            Ok((key.to_string(), entry_value.to_string()))
        }
        _ => Err("environment entries must be in KEY=VALUE form".to_string()),
    }
}

/// Runs `zspark mcp` with `args`. Exit status 0 on success, 1 on an error.
pub fn run<Out: Write, Err: Write>(args: McpArgs, process: &mut Process<Out, Err>) -> ExitCode {
    match act(args, process) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(process.stderr, "Error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn act<Out: Write, Err: Write>(
    args: McpArgs,
    process: &mut Process<Out, Err>,
) -> Result<(), String> {
    let codex_home = find_codex_home(&process.env).map_err(|error| error.to_string())?;
    let config_path = codex_home.join("config.toml");
    let say = |process: &mut Process<Out, Err>, text: &str| {
        writeln!(process.stdout, "{text}")
            .map_err(|error| format!("cannot write the output: {error}"))
    };
    match args.action {
        McpAction::Add(add) => {
            let server = new_server(&add)?;
            let mut document =
                ConfigDocument::open(&config_path).map_err(|error| error.to_string())?;
            document
                .add_server(&add.name, &server)
                .and_then(|_| {
                    document.set_oauth_client(
                        &add.name,
                        add.oauth_client_id.as_deref(),
                        add.oauth_client_secret.as_deref(),
                        add.oauth_resource.as_deref(),
                    )
                })
                .and_then(|_| document.save())
                .map_err(|error| error.to_string())?;
            say(process, &format!("Added global MCP server '{}'.", add.name))?;
            if add.url.is_some() && add.bearer_token_env_var.is_none() {
                say(
                    process,
                    &format!(
                        "If it asks for a sign-in, run `zspark mcp login {}`.",
                        add.name
                    ),
                )?;
            }
            Ok(())
        }
        McpAction::Login(login) => {
            let (server, defaults) =
                http_server(&codex_home, &args.config, &login.name, "login", process)?;
            sign_in(server, &defaults, &login, process)
        }
        McpAction::Logout { name } => {
            let (server, defaults) =
                http_server(&codex_home, &args.config, &name, "logout", process)?;
            let url = server.url().unwrap_or_default().to_string();
            let removed = logout(&name, &url, &defaults.tokens)
                .map_err(|error| format!("failed to delete OAuth credentials: {error}"))?;
            if removed {
                say(process, &format!("Removed OAuth credentials for '{name}'."))
            } else {
                say(
                    process,
                    &format!("No OAuth credentials stored for '{name}'."),
                )
            }
        }
        McpAction::Remove { name } => {
            let mut document =
                ConfigDocument::open(&config_path).map_err(|error| error.to_string())?;
            if !document
                .remove_server(&name)
                .map_err(|error| error.to_string())?
            {
                return say(process, &format!("No MCP server named '{name}' found."));
            }
            document.save().map_err(|error| error.to_string())?;
            say(process, &format!("Removed global MCP server '{name}'."))
        }
        McpAction::List { json } => {
            let servers =
                with_oauth_probed(configured_servers(&codex_home, &args.config, process)?.0)?;
            if json {
                let records: Vec<_> = servers.iter().map(ServerListing::listed).collect();
                return say(process, &pretty_json(&records)?);
            }
            match render_tables(&servers) {
                Some(tables) => write!(process.stdout, "{tables}")
                    .map_err(|error| format!("cannot write the output: {error}")),
                None => say(
                    process,
                    "No MCP servers configured yet. Try `zspark mcp add my-tool -- my-command`.",
                ),
            }
        }
        McpAction::Get { name, json } => {
            let (servers, _) = configured_servers(&codex_home, &args.config, process)?;
            let Some(server) = servers.iter().find(|server| server.name() == name) else {
                return Err(format!("No MCP server named '{name}' found."));
            };
            if json {
                say(process, &pretty_json(&server.details())?)
            } else {
                write!(process.stdout, "{}", server.describe("zspark"))
                    .map_err(|error| format!("cannot write the output: {error}"))
            }
        }
    }
}

/// The server `add` writes, checked as a session will check it.
fn new_server(add: &AddArgs) -> Result<NewServer, String> {
    let server = match (&add.url, add.command.split_first()) {
        (Some(url), _) => NewServer::StreamableHttp {
            url: url.clone(),
            bearer_token_env_var: add.bearer_token_env_var.clone(),
        },
        (None, Some((command, args))) => NewServer::Stdio {
            command: command.clone(),
            args: args.to_vec(),
            env: add.env.iter().cloned().collect::<BTreeMap<_, _>>(),
        },
        (None, None) => {
            return Err(
                "command is required: `zspark mcp add <NAME> -- <COMMAND> [ARGS]...`".to_string(),
            );
        }
    };
    server
        .as_entry()
        .resolve(&add.name)
        .map_err(|problem| problem.to_string())?;
    Ok(server)
}

/// The servers a session in the current folder would have, by name (broken entries
/// are left out with a warning, as sessions leave them out), and the OAuth settings.
fn configured_servers<Out: Write, Err: Write>(
    codex_home: &std::path::Path,
    config: &[String],
    process: &mut Process<Out, Err>,
) -> Result<(Vec<ServerListing>, McpOAuthConfig), String> {
    let overrides = ConfigOverrides {
        config_overrides: config.to_vec(),
        ..ConfigOverrides::default()
    };
    let settings = codex_core::config::load_mcp_settings(codex_home, &process.cwd, &overrides)
        .map_err(|error| error.to_string())?;
    let mut servers = Vec::new();
    for (name, entry) in &settings.servers {
        match ServerListing::new(name, entry) {
            Ok(server) => servers.push(server.with_sign_in_from(&settings.oauth.tokens)),
            Err(problem) => {
                let _ = writeln!(process.stderr, "warning: {problem}; the server is left out");
            }
        }
    }
    Ok((servers, settings.oauth))
}

/// The servers, each HTTP server without a token or sign-in asked whether it takes
/// OAuth sign-ins (all at once, each for a few seconds at most).
fn with_oauth_probed(servers: Vec<ServerListing>) -> Result<Vec<ServerListing>, String> {
    if !servers.iter().any(ServerListing::needs_oauth_probe) {
        return Ok(servers);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot ask the servers about OAuth: {error}"))?;
    Ok(
        runtime.block_on(futures::future::join_all(servers.into_iter().map(
            |server| async move {
                match server.url().filter(|_| server.needs_oauth_probe()) {
                    Some(url) => {
                        let offered = offers_oauth(url).await;
                        server.with_oauth_offered(offered)
                    }
                    None => server,
                }
            },
        ))),
    )
}

/// The HTTP server `name` for `login` / `logout`; a stdio server has no sign-in.
fn http_server<Out: Write, Err: Write>(
    codex_home: &std::path::Path,
    config: &[String],
    name: &str,
    action: &str,
    process: &mut Process<Out, Err>,
) -> Result<(ServerListing, McpOAuthConfig), String> {
    let (servers, oauth) = configured_servers(codex_home, config, process)?;
    let Some(server) = servers.into_iter().find(|server| server.name() == name) else {
        return Err(format!("No MCP server named '{name}' found."));
    };
    if server.url().is_none() {
        return Err(match action {
            "login" => "OAuth login is only supported for streamable HTTP servers.".to_string(),
            _ => "OAuth logout is only supported for streamable_http transports.".to_string(),
        });
    }
    Ok((server, oauth))
}

/// Signs in to `server`: prints the link (and opens the browser unless told not to),
/// waits for the answer and keeps the tokens.
fn sign_in<Out: Write, Err: Write>(
    server: ServerListing,
    defaults: &McpOAuthConfig,
    login: &LoginArgs,
    process: &mut Process<Out, Err>,
) -> Result<(), String> {
    let resolved = server.resolved().map_err(|problem| problem.to_string())?;
    let mut settings = LoginSettings::for_server(&resolved, defaults)
        .ok_or("OAuth login is only supported for streamable HTTP servers.")?;
    if !login.scopes.is_empty() {
        settings.scopes = login.scopes.clone();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the sign-in: {error}"))?;
    let outcome = runtime.block_on(async {
        let pending = start_login(&settings).await?;
        let page = pending.authorization_url().to_string();
        let opened = !login.no_browser && open_in_browser(&page).is_ok();
        let invitation = if opened {
            "Your browser opened the sign-in page; if it did not, open this link:"
        } else {
            "Open this link in a browser to sign in:"
        };
        let _ = writeln!(process.stdout, "{invitation}");
        let _ = writeln!(process.stdout, "{page}");
        let pasted = login.no_browser.then(|| {
            let _ = writeln!(
                process.stdout,
                "If the browser is on another machine, paste here the address it ends on."
            );
            pasted_lines()
        });
        let _ = process.stdout.flush();
        pending
            .finish(&defaults.tokens, BROWSER_TIMEOUT, pasted)
            .await
    });
    let logged_in = outcome.map_err(|error| error.to_string())?;
    let _ = writeln!(
        process.stdout,
        "Successfully logged in to MCP server '{}'.",
        settings.server
    );
    if let SavedIn::File(path) = logged_in.saved_in {
        let why = match defaults.tokens.mode() {
            CredentialsStoreMode::File => "as mcp_oauth_credentials_store asks",
            _ => "no OS keychain was available",
        };
        let _ = writeln!(
            process.stdout,
            "The tokens are in {} (readable by you alone): {why}.",
            path.display()
        );
    }
    Ok(())
}

/// The lines typed or pasted on standard input, as they come.
fn pasted_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (sender, lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

fn pretty_json(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|error| format!("cannot print JSON: {error}"))
}

//! The command line of shared sessions: `zspark share [SESSION_ID | --last] --server
//! URL --workspace ID` shares a local session and prints its URL; `zspark shared list
//! --server URL --workspace ID [--json]` lists a workspace's sessions; and `zspark exec`
//! continues a shared session given by its URL in the current folder, then sends what
//! the turn added (a local session that is shared sends its new lines too). Who the
//! user is comes from `zspark auth login` (the `ZSPARK_SIGNIN_*` settings) or, for a
//! development server, `ZSPARK_DEV_USER`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Args, Subcommand};
use codex_core::rollout::{find_session_file, list_sessions};
use codex_core::{Env, find_codex_home};
use codex_exec::{ExecArgs, ExecCommand, Process};
use zspark_auth::signin::SignInSettings;

use super::{
    FileOutcome, SharedLink, SharedSessionAddress, Uploaded, continue_here, send_changed_files,
    share, upload,
};
use crate::providers::SecretBackend;
use crate::shared::{SharedClient, SharedIdentity, SharedServer};

/// `zspark share`.
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The local session's id (or a unique prefix of it). With --last, omit it.
    #[arg(required_unless_present = "last")]
    pub session_id: Option<String>,
    /// Share the most recently updated session.
    #[arg(long)]
    pub last: bool,
    /// The server, e.g. https://zspark.example.com.
    #[arg(long, env = "ZSPARK_SERVER")]
    pub server: String,
    /// The workspace's id.
    #[arg(long)]
    pub workspace: String,
}

/// `zspark shared`.
#[derive(Debug, Args)]
pub struct SharedArgs {
    #[command(subcommand)]
    pub action: SharedAction,
}

#[derive(Debug, Subcommand)]
pub enum SharedAction {
    /// List the sessions of a workspace: id, title, author, items, last activity.
    List {
        #[arg(long, env = "ZSPARK_SERVER")]
        server: String,
        #[arg(long)]
        workspace: String,
        /// One JSON array of the sessions, as the server gives them.
        #[arg(long)]
        json: bool,
    },
}

/// The identity the environment gives: `ZSPARK_DEV_USER`, else the sign-in settings
/// `zspark auth login` uses.
fn identity(env: &Env) -> Result<SharedIdentity, String> {
    if let Some(user) = env
        .get("ZSPARK_DEV_USER")
        .filter(|user| !user.trim().is_empty())
    {
        return Ok(SharedIdentity::Development { user: user.clone() });
    }
    let setting = |name: &str| env.get(name).filter(|value| !value.is_empty()).cloned();
    match (
        setting("ZSPARK_SIGNIN_AUTHORITY"),
        setting("ZSPARK_SIGNIN_CLIENT_ID"),
        setting("ZSPARK_SIGNIN_SCOPE"),
    ) {
        (Some(authority), Some(client_id), Some(api_scope)) => {
            Ok(SharedIdentity::SignIn(SignInSettings {
                authority,
                client_id,
                api_scope,
            }))
        }
        _ => Err("say who you are: sign in with `zspark auth login` (ZSPARK_SIGNIN_AUTHORITY, ZSPARK_SIGNIN_CLIENT_ID and ZSPARK_SIGNIN_SCOPE set), or set ZSPARK_DEV_USER for a development server".to_string()),
    }
}

/// Where `zspark auth login` keeps tokens when there is no keychain.
fn token_dir(env: &Env) -> Result<PathBuf, String> {
    env.get("ZSPARK_SIGNIN_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|dir| dir.join("zspark")))
        .ok_or_else(|| "cannot find a configuration directory; set ZSPARK_SIGNIN_DIR".to_string())
}

async fn connect(server: &str, env: &Env) -> Result<SharedClient, String> {
    let server = SharedServer {
        url: server.to_string(),
        identity: identity(env)?,
    };
    SharedClient::connect(server, &token_dir(env)?, SecretBackend::Keychain)
        .await
        .map_err(|error| error.to_string())
}

/// Runs `zspark share`; the URL goes to `out`, problems to `err`.
pub async fn run_share(
    args: ShareArgs,
    env: Env,
    out: &mut impl Write,
    err: &mut impl Write,
) -> ExitCode {
    match share_session(args, &env).await {
        Ok(url) => {
            let _ = writeln!(out, "{url}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            let _ = writeln!(err, "zspark share: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn share_session(args: ShareArgs, env: &Env) -> Result<String, String> {
    let codex_home = find_codex_home(env).map_err(|error| error.to_string())?;
    let rollout = if args.last {
        list_sessions(&codex_home)
            .into_iter()
            .find(|session| session.parent_thread_id.is_none())
            .map(|session| session.path)
            .ok_or_else(|| format!("there are no sessions in {} to share", codex_home.display()))?
    } else {
        let id = args.session_id.unwrap_or_default();
        find_session_file(&codex_home, &id)
            .ok_or_else(|| format!("no session with id `{id}` (or more than one starts with it); use --last or a longer id"))?
    };
    let client = connect(&args.server, env).await?;
    let (link, uploaded) = share(&client, &codex_home, &rollout, &args.workspace)
        .await
        .map_err(|error| error.to_string())?;
    Ok(match uploaded {
        Uploaded::Forked { fork, .. } => fork.to_string(),
        Uploaded::UpToDate { .. } => link.address().to_string(),
    })
}

/// Runs `zspark shared`.
pub async fn run_shared(
    args: SharedArgs,
    env: Env,
    out: &mut impl Write,
    err: &mut impl Write,
) -> ExitCode {
    let SharedAction::List {
        server,
        workspace,
        json,
    } = args.action;
    let listed = async {
        let client = connect(&server, &env).await?;
        client
            .sessions(&workspace)
            .await
            .map_err(|error| error.to_string())
    };
    match listed.await {
        Ok(sessions) if json => {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(&sessions).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Ok(sessions) => {
            for session in sessions {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{} items\t{}",
                    session.id,
                    session.title,
                    session.author,
                    session.item_count,
                    session.updated_at
                );
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            let _ = writeln!(err, "zspark shared list: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `zspark exec`: a shared session given by its URL is read here first and
/// continued in the current folder; afterwards whatever a shared session's turn
/// added is sent. `report` says what happened to the sharing.
pub async fn run_exec<Out: Write, Err: Write>(
    mut args: ExecArgs,
    process: Process<Out, Err>,
    report: fn(&str),
) -> ExitCode {
    let env = process.env.clone();
    let Ok(codex_home) = find_codex_home(&env) else {
        return codex_exec::run(args, process).await;
    };
    let Some(ExecCommand::Resume(resume)) = &mut args.command else {
        return codex_exec::run(args, process).await;
    };
    let named = resume.session_id.clone().unwrap_or_default();
    let shared = match SharedSessionAddress::parse(&named) {
        Some(address) => {
            let continued = async {
                let client = connect(&address.server, &env).await?;
                continue_here(&client, &codex_home, &address, &process.cwd)
                    .await
                    .map_err(|error| error.to_string())
            };
            match continued.await {
                Ok(continuing) => {
                    for warning in &continuing.warnings {
                        report(&format!("zspark exec: warning: {warning}"));
                    }
                    resume.session_id = Some(continuing.link.rollout_path.display().to_string());
                    // `--cd` may come after `resume` or (as the Codex SDK passes it)
                    // before.
                    let folder = match resume.shared.cwd.as_ref().or(args.shared.cwd.as_ref()) {
                        Some(dir) => process.cwd.join(dir),
                        None => process.cwd.clone(),
                    };
                    resume.shared.cwd = Some(folder.clone());
                    Some((continuing.link, folder))
                }
                Err(message) => {
                    report(&format!(
                        "zspark exec: cannot continue {address}: {message}"
                    ));
                    return ExitCode::FAILURE;
                }
            }
        }
        None => find_session_file(&codex_home, &named).and_then(|path| linked(&codex_home, &path)),
    };
    let started = SystemTime::now();
    let code = codex_exec::run(args, process).await;
    if let Some((mut link, folder)) = shared {
        send_after_turn(&mut link, &folder, started, &codex_home, &env, report).await;
    }
    code
}

/// The link of the session recorded at `rollout`, if it is shared, and its folder.
fn linked(codex_home: &Path, rollout: &Path) -> Option<(SharedLink, PathBuf)> {
    let first = std::fs::read_to_string(rollout).ok()?;
    let meta: serde_json::Value = serde_json::from_str(first.lines().next()?).ok()?;
    let id = meta.pointer("/payload/id")?.as_str()?;
    let folder = PathBuf::from(meta.pointer("/payload/cwd")?.as_str()?);
    Some((SharedLink::load(codex_home, id).ok().flatten()?, folder))
}

/// Sends what a turn that began at `started` in `folder` added: its records, then the
/// files it produced.
async fn send_after_turn(
    link: &mut SharedLink,
    folder: &Path,
    started: SystemTime,
    codex_home: &Path,
    env: &Env,
    report: fn(&str),
) {
    let mut tried = Vec::new();
    let sent = async {
        let client = connect(&link.server, env).await?;
        let uploaded = upload(&client, codex_home, link)
            .await
            .map_err(|error| error.to_string())?;
        let mut note_tried = |_: &SharedLink, sending: Option<&Path>| {
            tried.extend(sending.map(Path::to_path_buf));
        };
        send_changed_files(&client, codex_home, link, folder, started, &mut note_tried)
            .await
            .map_err(|error| error.to_string())?;
        Ok::<_, String>(uploaded)
    };
    let sent = sent.await;
    for file in &link.files {
        if let FileOutcome::Refused(reason) = &file.outcome
            && tried.contains(&file.path)
        {
            report(&format!(
                "zspark exec: {} was not uploaded to the workspace: {reason}",
                file.path.display()
            ));
        }
    }
    match sent {
        Ok(Uploaded::UpToDate { .. }) => {}
        Ok(Uploaded::Forked { fork, .. }) => report(&format!(
            "zspark exec: a teammate added to the shared session while this turn ran; this turn was kept as a new shared session: {fork}"
        )),
        Err(message) => report(&format!(
            "zspark exec: the turn is kept here but not yet on the server ({message}); it is sent with the next `zspark exec resume` or `zspark share` of this session"
        )),
    }
}

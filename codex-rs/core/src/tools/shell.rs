//! The classic shell tools: `shell` (an argv) and `shell_command` (a script for the
//! user's shell). Both run to completion or until their timeout, and answer in the JSON
//! shape older Codex models expect.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::exec::{EndReporter, KillOnDrop, SandboxPermissions};
use super::process::{DeltaTarget, ProcessHandle, SpawnRequest};
use super::truncate::truncate_middle;
use super::{CommandApproval, Invocation, TurnCancelled, approve_command};
use crate::sandbox::denial_note;
use codex_protocol::{EventMsg, ExecCommandBeginEvent};

const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const MAX_OUTPUT_TOKENS: usize = 10_000;
/// Exit code reported for a command killed by its timeout, as `timeout(1)` does.
const TIMEOUT_EXIT_CODE: i32 = 124;

#[derive(Debug, Deserialize)]
pub struct ShellArgs {
    command: Vec<String>,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    sandbox_permissions: Option<SandboxPermissions>,
    #[serde(default)]
    justification: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ShellCommandArgs {
    command: String,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    login: Option<bool>,
    #[serde(default)]
    sandbox_permissions: Option<SandboxPermissions>,
    #[serde(default)]
    justification: Option<String>,
}

pub async fn shell(invocation: &Invocation<'_>, args: ShellArgs) -> Result<String, TurnCancelled> {
    run(
        invocation,
        args.command,
        args.workdir,
        args.timeout_ms,
        args.sandbox_permissions,
        args.justification,
    )
    .await
}

pub async fn shell_command(
    invocation: &Invocation<'_>,
    args: ShellCommandArgs,
) -> Result<String, TurnCancelled> {
    let flag = if args.login.unwrap_or(true) {
        "-lc"
    } else {
        "-c"
    };
    let argv = vec![
        invocation.session.default_shell(),
        flag.to_string(),
        args.command,
    ];
    run(
        invocation,
        argv,
        args.workdir,
        args.timeout_ms,
        args.sandbox_permissions,
        args.justification,
    )
    .await
}

async fn run(
    invocation: &Invocation<'_>,
    argv: Vec<String>,
    workdir: Option<String>,
    timeout_ms: Option<u64>,
    sandbox_permissions: Option<SandboxPermissions>,
    justification: Option<String>,
) -> Result<String, TurnCancelled> {
    if argv.is_empty() {
        return Ok(answer(
            "the command is empty; pass at least the program to run",
            -1,
            Duration::ZERO,
        ));
    }
    let cwd = match workdir.filter(|dir| !dir.trim().is_empty()) {
        Some(dir) => invocation.turn.cwd.join(dir),
        None => invocation.turn.cwd.clone(),
    };
    if !cwd.is_dir() {
        return Ok(answer(
            &format!("the working directory {} does not exist", cwd.display()),
            -1,
            Duration::ZERO,
        ));
    }
    let escalation = sandbox_permissions == Some(SandboxPermissions::RequireEscalated);
    let outside_sandbox = match approve_command(
        invocation,
        &argv,
        escalation,
        justification.as_deref(),
        None,
    )
    .await?
    {
        CommandApproval::Denied(message) => return Ok(answer(&message, -1, Duration::ZERO)),
        CommandApproval::Granted { outside_sandbox } => outside_sandbox,
    };
    let sandbox = &invocation.turn.sandbox_policy;
    let sandboxed = invocation.session.sandbox().enforces(sandbox) && !outside_sandbox;
    let session = invocation.session;
    let submission_id = invocation.turn.submission_id.clone();
    let end = EndReporter {
        events: session.events().clone(),
        submission_id: submission_id.clone(),
        call_id: invocation.call_id.to_string(),
        command: argv.clone(),
        cwd: cwd.clone(),
    };
    session
        .events()
        .send(
            &submission_id,
            EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
                call_id: invocation.call_id.to_string(),
                command: argv.clone(),
                cwd: cwd.clone(),
                process_id: None,
            }),
        )
        .await;
    let deltas = DeltaTarget {
        events: session.events().clone(),
        submission_id,
        call_id: invocation.call_id.to_string(),
    };
    let env = session.command_env();
    let command = match session
        .sandbox()
        .wrap(sandbox, &cwd, &env, argv, outside_sandbox)
    {
        Ok(command) => command,
        Err(error) => {
            let message = format!("{error}; the command was not run");
            end.report(None, Duration::ZERO, message.clone()).await;
            return Ok(answer(&message, -1, Duration::ZERO));
        }
    };
    let request = SpawnRequest {
        command,
        cwd,
        env,
        tty: false,
    };
    let handle = match ProcessHandle::spawn(request, Some(deltas)) {
        Ok(handle) => std::sync::Arc::new(handle),
        Err(error) => {
            let message = format!("failed to start the command: {error}");
            end.report(None, Duration::ZERO, message.clone()).await;
            return Ok(answer(&message, -1, Duration::ZERO));
        }
    };
    let guard = KillOnDrop {
        handle: Some(handle.clone()),
        end: Some(end.clone()),
    };
    let timeout = Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(1));
    let finished = tokio::time::timeout(timeout, handle.wait()).await;
    guard.disarm();
    let exit = match finished {
        Ok(info) => info,
        Err(_) => {
            handle.kill();
            handle.wait().await
        }
    };
    let elapsed = handle.started.elapsed();
    let transcript = handle.transcript();
    end.report(Some(exit), elapsed, transcript.clone()).await;
    if finished.is_err() {
        let message = format!(
            "{transcript}\ncommand timed out after {} ms and was killed; pass a larger timeout_ms for long tasks",
            timeout.as_millis()
        );
        return Ok(answer(&message, TIMEOUT_EXIT_CODE, elapsed));
    }
    let note = sandboxed
        .then(|| denial_note(sandbox, exit.code, &transcript))
        .flatten()
        .unwrap_or_default();
    Ok(answer(
        &format!("{transcript}{note}"),
        exit.code.unwrap_or(-1),
        elapsed,
    ))
}

fn answer(output: &str, exit_code: i32, duration: Duration) -> String {
    json!({
        "output": truncate_middle(output, MAX_OUTPUT_TOKENS),
        "metadata": {"exit_code": exit_code, "duration_seconds": (duration.as_secs_f64() * 10.0).round() / 10.0},
    })
    .to_string()
}

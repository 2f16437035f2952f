//! `exec_command` and `write_stdin`: run a command, wait up to a yield time, and either
//! report its exit or leave it running under a session id that `write_stdin` can talk
//! to and poll.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use codex_protocol::{EventMsg, ExecCommandBeginEvent, ExecCommandEndEvent};
use serde::Deserialize;

use super::process::{DeltaTarget, ExitInfo, ProcessHandle, SpawnRequest};
use super::truncate::{estimate_tokens, truncate_middle};
use super::{CommandApproval, Invocation, TurnCancelled, approve_command};
use crate::events::EventSender;
use crate::sandbox::denial_note;

const DEFAULT_YIELD_MS: u64 = 10_000;
const DEFAULT_POLL_YIELD_MS: u64 = 250;
const MIN_YIELD_MS: u64 = 250;
const MAX_YIELD_MS: u64 = 30_000;
const DEFAULT_MAX_OUTPUT_TOKENS: usize = 10_000;
/// Processes left running at once per session; the oldest is killed beyond this.
const MAX_RUNNING_PROCESSES: usize = 32;

#[derive(Debug, Deserialize)]
pub struct ExecCommandArgs {
    cmd: String,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    shell: Option<String>,
    #[serde(default)]
    login: Option<bool>,
    #[serde(default)]
    tty: Option<bool>,
    #[serde(default)]
    yield_time_ms: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<usize>,
    #[serde(default)]
    sandbox_permissions: Option<SandboxPermissions>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    prefix_rule: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxPermissions {
    UseDefault,
    RequireEscalated,
}

#[derive(Debug, Deserialize)]
pub struct WriteStdinArgs {
    session_id: u32,
    #[serde(default)]
    chars: String,
    #[serde(default)]
    yield_time_ms: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<usize>,
}

/// The session's running processes, by the id `write_stdin` uses.
#[derive(Default)]
pub struct ProcessRegistry {
    next_id: AtomicU32,
    running: Mutex<HashMap<u32, Arc<ProcessHandle>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ProcessRegistry {
    fn allocate_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn insert(&self, id: u32, handle: Arc<ProcessHandle>) {
        let mut running = lock(&self.running);
        running.insert(id, handle);
        while running.len() > MAX_RUNNING_PROCESSES {
            let Some(oldest) = running.keys().min().copied() else {
                break;
            };
            if let Some(evicted) = running.remove(&oldest) {
                evicted.kill();
            }
        }
    }

    fn get(&self, id: u32) -> Option<Arc<ProcessHandle>> {
        lock(&self.running).get(&id).cloned()
    }

    fn remove(&self, id: u32) {
        lock(&self.running).remove(&id);
    }

    /// Kills every process (session end).
    pub fn kill_all(&self) {
        for (_, handle) in lock(&self.running).drain() {
            handle.kill();
        }
    }
}

pub async fn exec_command(
    invocation: &Invocation<'_>,
    args: ExecCommandArgs,
) -> Result<String, TurnCancelled> {
    let session = invocation.session;
    let shell = args
        .shell
        .clone()
        .unwrap_or_else(|| session.default_shell());
    let login_flag = if args.login.unwrap_or(true) {
        "-lc"
    } else {
        "-c"
    };
    let argv = vec![shell, login_flag.to_string(), args.cmd.clone()];
    let cwd = match resolve_workdir(invocation, args.workdir.as_deref()) {
        Ok(cwd) => cwd,
        Err(message) => return Ok(message),
    };
    let escalation = args.sandbox_permissions == Some(SandboxPermissions::RequireEscalated);
    let outside_sandbox = match approve_command(
        invocation,
        &argv,
        escalation,
        args.justification.as_deref(),
        args.prefix_rule.clone(),
    )
    .await?
    {
        CommandApproval::Denied(message) => return Ok(message),
        CommandApproval::Granted { outside_sandbox } => outside_sandbox,
    };
    let sandbox = &invocation.turn.sandbox_policy;
    let sandboxed = session.sandbox().enforces(sandbox) && !outside_sandbox;

    let registry = session.processes();
    let process_id = registry.allocate_id();
    let end = EndReporter {
        events: session.events().clone(),
        submission_id: invocation.turn.submission_id.clone(),
        call_id: invocation.call_id.to_string(),
        command: argv.clone(),
        cwd: cwd.clone(),
    };
    session
        .events()
        .send(
            &invocation.turn.submission_id,
            EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
                call_id: invocation.call_id.to_string(),
                command: argv.clone(),
                cwd: cwd.clone(),
                process_id: Some(process_id.to_string()),
            }),
        )
        .await;
    let env = session.command_env();
    let command = match session
        .sandbox()
        .wrap(sandbox, &cwd, &env, argv, outside_sandbox)
    {
        Ok(command) => command,
        Err(error) => {
            let message = format!("{error}; the command was not run");
            end.report(None, Duration::ZERO, message.clone()).await;
            return Ok(message);
        }
    };
    let request = SpawnRequest {
        command,
        cwd,
        env,
        tty: args.tty.unwrap_or(false),
    };
    let deltas = DeltaTarget {
        events: session.events().clone(),
        submission_id: invocation.turn.submission_id.clone(),
        call_id: invocation.call_id.to_string(),
    };
    let handle = match ProcessHandle::spawn(request, Some(deltas)) {
        Ok(handle) => Arc::new(handle),
        Err(error) => {
            let message = format!("failed to start the command: {error}");
            end.report(None, Duration::ZERO, message.clone()).await;
            return Ok(message);
        }
    };
    // If the turn is interrupted while we wait, the guard kills the process and still
    // reports its end.
    let guard = KillOnDrop {
        handle: Some(handle.clone()),
        end: Some(end.clone()),
    };
    let yield_ms = args
        .yield_time_ms
        .unwrap_or(DEFAULT_YIELD_MS)
        .clamp(MIN_YIELD_MS, MAX_YIELD_MS);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(yield_ms);
    let (output, exit) = handle.collect_until(deadline).await;
    guard.disarm();
    let max_tokens = args.max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS);
    match exit {
        Some(info) => {
            end.report(Some(info), handle.started.elapsed(), handle.transcript())
                .await;
            let note = sandboxed
                .then(|| denial_note(sandbox, info.code, &output))
                .flatten()
                .unwrap_or_default();
            Ok(format_output(
                handle.started.elapsed(),
                Status::Exited(info),
                &format!("{output}{note}"),
                max_tokens,
            ))
        }
        None => {
            registry.insert(process_id, handle.clone());
            let watcher_registry = registry.clone();
            tokio::spawn(async move {
                let info = handle.wait().await;
                end.report(Some(info), handle.started.elapsed(), handle.transcript())
                    .await;
                watcher_registry.remove(process_id);
            });
            Ok(format_output(
                Duration::from_millis(yield_ms),
                Status::Running(process_id),
                &output,
                max_tokens,
            ))
        }
    }
}

pub async fn write_stdin(invocation: &Invocation<'_>, args: WriteStdinArgs) -> String {
    let registry = invocation.session.processes();
    let Some(handle) = registry.get(args.session_id) else {
        return format!(
            "write_stdin failed: there is no running process with session ID {}. It may have exited; its output was reported then.",
            args.session_id
        );
    };
    if !args.chars.is_empty()
        && let Err(error) = handle.write_stdin(args.chars.as_bytes()).await
    {
        return format!("write_stdin failed: {error}");
    }
    let default_yield = if args.chars.is_empty() {
        DEFAULT_POLL_YIELD_MS
    } else {
        DEFAULT_YIELD_MS
    };
    let yield_ms = args
        .yield_time_ms
        .unwrap_or(default_yield)
        .clamp(MIN_YIELD_MS, MAX_YIELD_MS);
    let started = tokio::time::Instant::now();
    let (output, exit) = handle
        .collect_until(started + Duration::from_millis(yield_ms))
        .await;
    let max_tokens = args.max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS);
    let status = match exit {
        Some(info) => {
            registry.remove(args.session_id);
            Status::Exited(info)
        }
        None => Status::Running(args.session_id),
    };
    format_output(started.elapsed(), status, &output, max_tokens)
}

fn resolve_workdir(invocation: &Invocation<'_>, workdir: Option<&str>) -> Result<PathBuf, String> {
    let cwd = match workdir.filter(|dir| !dir.trim().is_empty()) {
        Some(dir) => invocation.turn.cwd.join(dir),
        None => invocation.turn.cwd.clone(),
    };
    if cwd.is_dir() {
        Ok(cwd)
    } else {
        Err(format!(
            "the working directory {} does not exist; pass an existing workdir",
            cwd.display()
        ))
    }
}

pub enum Status {
    Exited(ExitInfo),
    Running(u32),
}

/// The text the model receives for a command, in Codex's layout.
pub fn format_output(wall: Duration, status: Status, output: &str, max_tokens: usize) -> String {
    let status_line = match status {
        Status::Exited(ExitInfo {
            code: Some(code), ..
        }) => format!("Process exited with code {code}"),
        Status::Exited(ExitInfo { killed: true, .. }) => "Process was killed".to_string(),
        Status::Exited(ExitInfo { code: None, .. }) => "Process exited after a signal".to_string(),
        Status::Running(id) => format!("Process running with session ID {id}"),
    };
    format!(
        "Wall time: {:.4} seconds\n{status_line}\nOriginal token count: {}\nOutput:\n{}",
        wall.as_secs_f64(),
        estimate_tokens(output),
        truncate_middle(output, max_tokens)
    )
}

/// Sends the `ExecCommandEnd` event for one command.
#[derive(Clone)]
pub struct EndReporter {
    pub events: EventSender,
    pub submission_id: String,
    pub call_id: String,
    pub command: Vec<String>,
    pub cwd: PathBuf,
}

impl EndReporter {
    pub async fn report(&self, exit: Option<ExitInfo>, duration: Duration, output: String) {
        self.events
            .send(
                &self.submission_id,
                EventMsg::ExecCommandEnd(ExecCommandEndEvent {
                    call_id: self.call_id.clone(),
                    command: self.command.clone(),
                    cwd: self.cwd.clone(),
                    exit_code: exit.and_then(|info| info.code),
                    duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
                    output,
                    killed: exit.is_none_or(|info| info.killed),
                }),
            )
            .await;
    }
}

/// Kills the process and reports its end if the waiting future is dropped (the turn
/// was interrupted) before it is disarmed.
pub struct KillOnDrop {
    pub handle: Option<Arc<ProcessHandle>>,
    pub end: Option<EndReporter>,
}

impl KillOnDrop {
    pub fn disarm(mut self) {
        self.handle = None;
        self.end = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let (Some(handle), Some(end)) = (self.handle.take(), self.end.take()) else {
            return;
        };
        handle.kill();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let info = handle.wait().await;
                end.report(Some(info), handle.started.elapsed(), handle.transcript())
                    .await;
            });
        }
    }
}

//! The one path every command-like tool (`exec_command`, `shell`, `shell_command`)
//! takes: ask for approval as the policy says, choose the sandbox (outside it only for
//! an escalation the user approved), announce the command, run it, wait the way the
//! tool wants, report its end, and add a note when the sandbox denied it. The tools
//! differ only in their arguments and in how they phrase the result for the model.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use codex_protocol::{
    EventMsg, ExecApprovalRequestEvent, ExecCommandBeginEvent, ExecCommandEndEvent, ReviewDecision,
};
use serde::Deserialize;

use super::approval::ask_user;
use super::process::{DeltaTarget, ExitInfo, ProcessHandle, SpawnRequest};
use super::{ToolInvocation, TurnCancelled};
use crate::safety::{CommandAssessment, assess_command};
use crate::sandbox::denial_note;

/// Processes left running at once per session; the oldest is killed beyond this.
const MAX_RUNNING_PROCESSES: usize = 32;
/// The output a command's end event carries (and its rollout record keeps): the
/// first and the last half of this many bytes.
const END_OUTPUT_LIMIT: usize = 64 * 1024;

/// What the model may ask of the sandbox for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxPermissions {
    UseDefault,
    RequireEscalated,
}

/// The model's request to run a command outside the sandbox.
#[derive(Debug, Clone, Default)]
pub struct Escalation {
    pub requested: bool,
    pub justification: Option<String>,
    /// The prefix an approval could remember (`prefix_rule`).
    pub prefix_rule: Option<Vec<String>>,
}

impl Escalation {
    pub fn new(
        permissions: Option<SandboxPermissions>,
        justification: Option<String>,
        prefix_rule: Option<Vec<String>>,
    ) -> Self {
        Self {
            requested: permissions == Some(SandboxPermissions::RequireEscalated),
            justification,
            prefix_rule,
        }
    }
}

/// How long the tool waits for the command.
#[derive(Debug, Clone, Copy)]
pub enum Wait {
    /// Return after this long with the output so far; a command still running then
    /// keeps running under a process id (`exec_command`).
    Yield(Duration),
    /// Wait for the end, killing the command after this long (`shell`).
    Complete { timeout: Duration },
}

/// One command to run.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub tty: bool,
    pub escalation: Escalation,
    pub wait: Wait,
}

/// How a command went.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandOutcome {
    /// It did not run (declined, could not be sandboxed or started); the text says why.
    NotRun(String),
    Exited {
        exit: ExitInfo,
        /// What the model gets: the new output (`Yield`) or all of it (`Complete`),
        /// with the sandbox's denial note when it applies.
        output: String,
        elapsed: Duration,
        /// Killed by the `Complete` time-out.
        timed_out: bool,
    },
    /// Still running after the yield time.
    Running {
        process_id: u32,
        output: String,
        elapsed: Duration,
    },
}

/// Runs `request` for the tool call `invocation`.
pub async fn run_command(
    invocation: &ToolInvocation,
    request: CommandRequest,
) -> Result<CommandOutcome, TurnCancelled> {
    let CommandRequest {
        argv,
        cwd,
        tty,
        escalation,
        wait,
    } = request;
    let outside_sandbox = match approve_command(invocation, &argv, &cwd, &escalation).await? {
        CommandApproval::Denied(message) => return Ok(CommandOutcome::NotRun(message)),
        CommandApproval::Granted { outside_sandbox } => outside_sandbox,
    };
    let session = &invocation.session;
    let sandbox_policy = &invocation.turn.sandbox_policy;
    let sandboxed = session.sandbox().enforces(sandbox_policy) && !outside_sandbox;
    let process_id = match wait {
        Wait::Yield(_) => Some(session.processes().allocate_id()),
        Wait::Complete { .. } => None,
    };
    let end = EndReporter {
        invocation: invocation.clone(),
        command: argv.clone(),
        cwd: cwd.clone(),
    };
    session
        .emit_recorded(
            &invocation.turn.submission_id,
            EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
                call_id: invocation.call_id.clone(),
                command: argv.clone(),
                cwd: cwd.clone(),
                process_id: process_id.map(|id| id.to_string()),
            }),
        )
        .await;
    let env = session.command_env();
    let command = match session
        .sandbox()
        .wrap(sandbox_policy, &cwd, &env, argv, outside_sandbox)
    {
        Ok(command) => command,
        Err(error) => {
            let message = format!("{error}; the command was not run");
            end.report(None, Duration::ZERO, message.clone()).await;
            return Ok(CommandOutcome::NotRun(message));
        }
    };
    let deltas = DeltaTarget {
        events: session.events().clone(),
        submission_id: invocation.turn.submission_id.clone(),
        call_id: invocation.call_id.clone(),
    };
    let handle = match ProcessHandle::spawn(
        SpawnRequest {
            command,
            cwd,
            env,
            tty,
        },
        Some(deltas),
    ) {
        Ok(handle) => Arc::new(handle),
        Err(error) => {
            let message = format!("failed to start the command: {error}");
            end.report(None, Duration::ZERO, message.clone()).await;
            return Ok(CommandOutcome::NotRun(message));
        }
    };
    // If the turn is interrupted while we wait, the guard kills the process and still
    // reports its end.
    let guard = KillOnDrop {
        handle: Some(handle.clone()),
        end: Some(end.clone()),
    };
    let note = |exit: &ExitInfo, output: &str| {
        sandboxed
            .then(|| denial_note(sandbox_policy, exit.code, output))
            .flatten()
            .unwrap_or_default()
    };
    match wait {
        Wait::Yield(yield_time) => {
            let deadline = tokio::time::Instant::now() + yield_time;
            let (output, exit) = handle.collect_until(deadline).await;
            guard.disarm();
            let elapsed = handle.started.elapsed();
            match (exit, process_id) {
                (None, Some(process_id)) => {
                    keep_running(invocation, process_id, handle, end);
                    Ok(CommandOutcome::Running {
                        process_id,
                        output,
                        elapsed: yield_time,
                    })
                }
                (exit, _) => {
                    // (A yielding command always has a process id.)
                    let exit = exit.unwrap_or(ExitInfo {
                        code: None,
                        killed: true,
                    });
                    end.report(Some(exit), elapsed, handle.transcript()).await;
                    let note = note(&exit, &output);
                    Ok(CommandOutcome::Exited {
                        exit,
                        output: format!("{output}{note}"),
                        elapsed,
                        timed_out: false,
                    })
                }
            }
        }
        Wait::Complete { timeout } => {
            let finished = tokio::time::timeout(timeout, handle.wait()).await;
            guard.disarm();
            let exit = match finished {
                Ok(exit) => exit,
                Err(_) => {
                    handle.kill();
                    handle.wait().await
                }
            };
            let elapsed = handle.started.elapsed();
            let transcript = handle.transcript();
            end.report(Some(exit), elapsed, transcript.clone()).await;
            let timed_out = finished.is_err();
            let note = if timed_out {
                String::new()
            } else {
                note(&exit, &transcript)
            };
            Ok(CommandOutcome::Exited {
                exit,
                output: format!("{transcript}{note}"),
                elapsed,
                timed_out,
            })
        }
    }
}

/// Leaves a command running under `process_id` for `write_stdin`, and reports its end
/// whenever it comes.
fn keep_running(
    invocation: &ToolInvocation,
    process_id: u32,
    handle: Arc<ProcessHandle>,
    end: EndReporter,
) {
    let registry = invocation.session.processes().clone();
    registry.insert(process_id, handle.clone());
    tokio::spawn(async move {
        let exit = handle.wait().await;
        end.report(Some(exit), handle.started.elapsed(), handle.transcript())
            .await;
        registry.remove(process_id);
    });
}

/// The user's answer to running a command.
enum CommandApproval {
    /// Run it; outside the sandbox only for an escalation the user approved in
    /// answer to this very request.
    Granted { outside_sandbox: bool },
    /// Not run; the text is what the model is told.
    Denied(String),
}

/// Applies the approval policy to `command`, asking the user when it says so.
async fn approve_command(
    invocation: &ToolInvocation,
    command: &[String],
    cwd: &std::path::Path,
    escalation: &Escalation,
) -> Result<CommandApproval, TurnCancelled> {
    let approvals = invocation.session.approvals();
    let assessment = assess_command(
        invocation.turn.approval_policy,
        command,
        escalation.requested,
        escalation.justification.as_deref(),
        approvals.command_allowed(command),
    );
    let CommandAssessment::Ask { reason } = assessment else {
        return Ok(CommandApproval::Granted {
            outside_sandbox: false,
        });
    };
    let request = EventMsg::ExecApprovalRequest(ExecApprovalRequestEvent {
        call_id: invocation.call_id.clone(),
        turn_id: invocation.turn.turn_id.clone(),
        command: command.to_vec(),
        cwd: cwd.to_path_buf(),
        reason,
        proposed_prefix: escalation.prefix_rule.clone(),
    });
    let approved = CommandApproval::Granted {
        outside_sandbox: escalation.requested,
    };
    Ok(match ask_user(invocation, request).await? {
        ReviewDecision::Accept => approved,
        ReviewDecision::AcceptForSession | ReviewDecision::AcceptAlways => {
            approvals.allow_command_for_session(command);
            approved
        }
        ReviewDecision::AcceptWithExecpolicyAmendment { prefix } => {
            invocation.session.remember_command_prefix(prefix).await;
            approved
        }
        // (`Cancel` never arrives here: `ask_user` stops the turn for it.)
        ReviewDecision::Decline | ReviewDecision::Cancel => CommandApproval::Denied(
            "The user declined to run this command. Do not retry it; ask the user or try another way."
                .to_string(),
        ),
    })
}

/// Sends the `ExecCommandEnd` event for one command.
#[derive(Clone)]
struct EndReporter {
    invocation: ToolInvocation,
    command: Vec<String>,
    cwd: PathBuf,
}

impl EndReporter {
    async fn report(&self, exit: Option<ExitInfo>, duration: Duration, output: String) {
        self.invocation
            .session
            .emit_recorded(
                &self.invocation.turn.submission_id,
                EventMsg::ExecCommandEnd(ExecCommandEndEvent {
                    call_id: self.invocation.call_id.clone(),
                    command: self.command.clone(),
                    cwd: self.cwd.clone(),
                    exit_code: exit.and_then(|info| info.code),
                    duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
                    output: head_and_tail(output, END_OUTPUT_LIMIT),
                    killed: exit.is_none_or(|info| info.killed),
                }),
            )
            .await;
    }
}

/// Kills the process and reports its end if the waiting future is dropped (the turn
/// was interrupted) before it is disarmed.
struct KillOnDrop {
    handle: Option<Arc<ProcessHandle>>,
    end: Option<EndReporter>,
}

impl KillOnDrop {
    fn disarm(mut self) {
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

    pub(super) fn get(&self, id: u32) -> Option<Arc<ProcessHandle>> {
        lock(&self.running).get(&id).cloned()
    }

    pub(super) fn remove(&self, id: u32) {
        lock(&self.running).remove(&id);
    }

    /// Kills every process (session end).
    pub fn kill_all(&self) {
        for (_, handle) in lock(&self.running).drain() {
            handle.kill();
        }
    }
}

/// `text` when it is at most `limit` bytes; else its first and last `limit / 2` bytes
/// (on character boundaries) around a line saying how much was left out.
fn head_and_tail(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut head_end = limit / 2;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - limit / 2;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!(
        "{}\n… {} bytes left out …\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_outputs_keep_their_head_and_tail() {
        assert_eq!(head_and_tail("short".into(), 10), "short");
        let long = format!("{}{}", "a".repeat(10), "b".repeat(10));
        assert_eq!(
            head_and_tail(long, 10),
            "aaaaa\n… 10 bytes left out …\nbbbbb"
        );
        let wide = "é".repeat(10);
        let kept = head_and_tail(wide, 9);
        assert!(kept.starts_with("éé\n") && kept.ends_with("\néé"), "{kept}");
    }
}

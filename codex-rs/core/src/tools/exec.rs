//! `exec_command` and `write_stdin`: run a command, wait up to a yield time, and either
//! report its exit or leave it running under a session id that `write_stdin` can talk
//! to and poll. The command runs through the one command path ([`super::command`]).

use std::time::Duration;

use codex_protocol::ToolOutput;
use serde::Deserialize;
use serde_json::json;

use super::command::{
    CommandOutcome, CommandRequest, Escalation, SandboxPermissions, Wait, run_command,
};
use super::process::ExitInfo;
use super::registry::{ToolFuture, ToolHandler};
use super::spec::{FunctionTool, ToolSpec};
use super::truncate::{estimate_tokens, truncate_middle};
use super::{ToolInvocation, resolve_workdir};

const DEFAULT_YIELD_MS: u64 = 10_000;
const DEFAULT_POLL_YIELD_MS: u64 = 250;
const MIN_YIELD_MS: u64 = 250;
const MAX_YIELD_MS: u64 = 30_000;
const DEFAULT_MAX_OUTPUT_TOKENS: usize = 10_000;

#[derive(Debug, Deserialize)]
struct ExecCommandArgs {
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

#[derive(Debug, Deserialize)]
struct WriteStdinArgs {
    session_id: u32,
    #[serde(default)]
    chars: String,
    #[serde(default)]
    yield_time_ms: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<usize>,
}

/// `exec_command`.
pub struct ExecCommand;

impl ToolHandler for ExecCommand {
    fn spec(&self) -> ToolSpec {
        let mut properties = json!({
            "cmd": {"type": "string", "description": "The shell command to run."},
            "workdir": {"type": "string", "description": "Directory to run in; defaults to the session's working directory."},
            "shell": {"type": "string", "description": "Shell binary to use; defaults to the user's shell."},
            "login": {"type": "boolean", "description": "Run as a login shell (default true)."},
            "tty": {"type": "boolean", "description": "Run in a terminal so the process can be used interactively with write_stdin (default false)."},
            "yield_time_ms": {"type": "number", "description": "How long to wait for output before returning (default 10000, 250 to 30000). A command still running then keeps running and can be continued with write_stdin."},
            "max_output_tokens": {"type": "number", "description": "Most output tokens to return; the middle of longer output is left out."},
            "prefix_rule": {"type": "array", "items": {"type": "string"}, "description": "When asking for escalation: the command prefix the user could allow from now on, e.g. [\"cargo\", \"test\"]."}
        });
        super::merge(&mut properties, super::escalation_properties());
        ToolSpec::Function(FunctionTool::new(
            "exec_command",
            "Run a shell command and return its output, or a session ID when it is still running after the yield time.",
            properties,
            &["cmd"],
        ))
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(async move {
            let args: ExecCommandArgs = match invocation.arguments() {
                Ok(args) => args,
                Err(error) => return Ok(ToolOutput::Text(error.to_string())),
            };
            exec_command(&invocation, args).await.map(ToolOutput::Text)
        })
    }
}

/// `write_stdin`.
pub struct WriteStdin;

impl ToolHandler for WriteStdin {
    fn spec(&self) -> ToolSpec {
        ToolSpec::Function(FunctionTool::new(
            "write_stdin",
            "Send characters to a command started by exec_command that is still running, and return the output since the last call. Send empty chars to just wait for more output.",
            json!({
                "session_id": {"type": "number", "description": "The session ID exec_command returned."},
                "chars": {"type": "string", "description": "Characters to write (may be empty)."},
                "yield_time_ms": {"type": "number", "description": "How long to wait for output (default 250 when chars is empty, else 10000)."},
                "max_output_tokens": {"type": "number", "description": "Most output tokens to return."}
            }),
            &["session_id"],
        ))
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(async move {
            Ok(ToolOutput::Text(match invocation.arguments() {
                Ok(args) => write_stdin(&invocation, args).await,
                Err(error) => error.to_string(),
            }))
        })
    }
}

async fn exec_command(
    invocation: &ToolInvocation,
    args: ExecCommandArgs,
) -> Result<String, super::TurnCancelled> {
    let shell = args
        .shell
        .clone()
        .unwrap_or_else(|| invocation.session.default_shell());
    let login_flag = if args.login.unwrap_or(true) {
        "-lc"
    } else {
        "-c"
    };
    let cwd = match resolve_workdir(invocation, args.workdir.as_deref()) {
        Ok(cwd) => cwd,
        Err(message) => return Ok(message),
    };
    let yield_ms = args
        .yield_time_ms
        .unwrap_or(DEFAULT_YIELD_MS)
        .clamp(MIN_YIELD_MS, MAX_YIELD_MS);
    let request = CommandRequest {
        argv: vec![shell, login_flag.to_string(), args.cmd],
        cwd,
        tty: args.tty.unwrap_or(false),
        escalation: Escalation::new(
            args.sandbox_permissions,
            args.justification,
            args.prefix_rule,
        ),
        wait: Wait::Yield(Duration::from_millis(yield_ms)),
    };
    let max_tokens = args.max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS);
    Ok(match run_command(invocation, request).await? {
        CommandOutcome::NotRun(message) => message,
        CommandOutcome::Exited {
            exit,
            output,
            elapsed,
            ..
        } => format_output(elapsed, Status::Exited(exit), &output, max_tokens),
        CommandOutcome::Running {
            process_id,
            output,
            elapsed,
        } => format_output(elapsed, Status::Running(process_id), &output, max_tokens),
    })
}

async fn write_stdin(invocation: &ToolInvocation, args: WriteStdinArgs) -> String {
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

enum Status {
    Exited(ExitInfo),
    Running(u32),
}

/// The text the model receives for a command, in Codex's layout.
fn format_output(wall: Duration, status: Status, output: &str, max_tokens: usize) -> String {
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

//! The classic shell tools: `shell` (an argv) and `shell_command` (a script for the
//! user's shell). Both run to completion or until their timeout, through the one
//! command path ([`super::command`]), and answer in the JSON shape older Codex models
//! expect.

use std::time::Duration;

use codex_protocol::ToolOutput;
use serde::Deserialize;
use serde_json::json;

use super::command::{
    CommandOutcome, CommandRequest, Escalation, SandboxPermissions, Wait, run_command,
};
use super::registry::{ToolFuture, ToolHandler};
use super::spec::{FunctionTool, ToolSpec};
use super::truncate::truncate_middle;
use super::{ToolInvocation, TurnCancelled, resolve_workdir};

const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const MAX_OUTPUT_TOKENS: usize = 10_000;
/// Exit code reported for a command killed by its timeout, as `timeout(1)` does.
const TIMEOUT_EXIT_CODE: i32 = 124;

#[derive(Debug, Deserialize)]
struct ShellArgs {
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
struct ShellCommandArgs {
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

/// `shell`.
pub struct Shell;

impl ToolHandler for Shell {
    fn spec(&self) -> ToolSpec {
        let mut properties = json!({
            "command": {"type": "array", "items": {"type": "string"}, "description": "The program and its arguments, e.g. [\"bash\", \"-lc\", \"ls -la\"]."},
            "workdir": {"type": "string", "description": "Directory to run in."},
            "timeout_ms": {"type": "number", "description": "Kill the command after this many milliseconds (default 10000)."}
        });
        super::merge(&mut properties, super::escalation_properties());
        ToolSpec::Function(FunctionTool::new(
            "shell",
            "Run a command to completion and return its output and exit code.",
            properties,
            &["command"],
        ))
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(async move {
            let args: ShellArgs = match invocation.arguments() {
                Ok(args) => args,
                Err(error) => return Ok(ToolOutput::Text(error.to_string())),
            };
            let run = ShellRun {
                argv: args.command,
                workdir: args.workdir,
                timeout_ms: args.timeout_ms,
                escalation: Escalation::new(args.sandbox_permissions, args.justification, None),
            };
            run.run(&invocation).await.map(ToolOutput::Text)
        })
    }
}

/// `shell_command`: answered for models that call it; `shell` is what is offered.
pub struct ShellCommand;

impl ToolHandler for ShellCommand {
    fn spec(&self) -> ToolSpec {
        let mut properties = json!({
            "command": {"type": "string", "description": "The script to run with the user's shell."},
            "workdir": {"type": "string", "description": "Directory to run in."},
            "timeout_ms": {"type": "number", "description": "Kill the command after this many milliseconds (default 10000)."},
            "login": {"type": "boolean", "description": "Run as a login shell (default true)."}
        });
        super::merge(&mut properties, super::escalation_properties());
        ToolSpec::Function(FunctionTool::new(
            "shell_command",
            "Run a shell script to completion and return its output and exit code.",
            properties,
            &["command"],
        ))
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(async move {
            let args: ShellCommandArgs = match invocation.arguments() {
                Ok(args) => args,
                Err(error) => return Ok(ToolOutput::Text(error.to_string())),
            };
            let flag = if args.login.unwrap_or(true) {
                "-lc"
            } else {
                "-c"
            };
            let run = ShellRun {
                argv: vec![
                    invocation.session.default_shell(),
                    flag.to_string(),
                    args.command,
                ],
                workdir: args.workdir,
                timeout_ms: args.timeout_ms,
                escalation: Escalation::new(args.sandbox_permissions, args.justification, None),
            };
            run.run(&invocation).await.map(ToolOutput::Text)
        })
    }
}

/// One run of either shell tool.
struct ShellRun {
    argv: Vec<String>,
    workdir: Option<String>,
    timeout_ms: Option<u64>,
    escalation: Escalation,
}

impl ShellRun {
    async fn run(self, invocation: &ToolInvocation) -> Result<String, TurnCancelled> {
        if self.argv.is_empty() {
            return Ok(answer(
                "the command is empty; pass at least the program to run",
                -1,
                Duration::ZERO,
            ));
        }
        let cwd = match resolve_workdir(invocation, self.workdir.as_deref()) {
            Ok(cwd) => cwd,
            Err(message) => return Ok(answer(&message, -1, Duration::ZERO)),
        };
        let timeout = Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(1));
        let request = CommandRequest {
            argv: self.argv,
            cwd,
            tty: false,
            escalation: self.escalation,
            wait: Wait::Complete { timeout },
        };
        Ok(match run_command(invocation, request).await? {
            CommandOutcome::NotRun(message)
            | CommandOutcome::Running {
                output: message, ..
            } => answer(&message, -1, Duration::ZERO),
            CommandOutcome::Exited {
                timed_out: true,
                output,
                elapsed,
                ..
            } => answer(
                &format!(
                    "{output}\ncommand timed out after {} ms and was killed; pass a larger timeout_ms for long tasks",
                    timeout.as_millis()
                ),
                TIMEOUT_EXIT_CODE,
                elapsed,
            ),
            CommandOutcome::Exited {
                exit,
                output,
                elapsed,
                ..
            } => answer(&output, exit.code.unwrap_or(-1), elapsed),
        })
    }
}

fn answer(output: &str, exit_code: i32, duration: Duration) -> String {
    json!({
        "output": truncate_middle(output, MAX_OUTPUT_TOKENS),
        "metadata": {"exit_code": exit_code, "duration_seconds": (duration.as_secs_f64() * 10.0).round() / 10.0},
    })
    .to_string()
}

//! Human-readable output of `zspark exec`: progress on stderr, the final answer on
//! stdout.

use std::io::Write;

use codex_protocol::{EventMsg, FileChange, SessionConfiguredEvent, StepStatus, display_command};

pub struct HumanOutput<Out: Write, Err: Write> {
    pub out: Out,
    pub err: Err,
    total_tokens: u64,
}

impl<Out: Write, Err: Write> HumanOutput<Out, Err> {
    pub fn new(out: Out, err: Err) -> Self {
        Self {
            out,
            err,
            total_tokens: 0,
        }
    }

    pub fn header(&mut self, configured: &SessionConfiguredEvent) {
        let _ = writeln!(
            self.err,
            "--------\nworkdir: {}\nmodel: {}\nprovider: {} ({})\napproval: {}\nsandbox: {}\nsession id: {}\n--------",
            configured.cwd.display(),
            configured.model,
            configured.model_provider_id,
            configured.wire_api.as_str(),
            configured.approval_policy.as_str(),
            configured.sandbox_policy.mode().as_str(),
            configured.session_id,
        );
    }

    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.err, "{text}");
    }

    pub fn event(&mut self, msg: &EventMsg) {
        let err = &mut self.err;
        let _ = match msg {
            EventMsg::Warning { message } => writeln!(err, "warning: {message}"),
            EventMsg::Error {
                message,
                will_retry: Some(retry),
            } => writeln!(
                err,
                "retrying ({}/{}) in {} ms: {message}",
                retry.attempt, retry.max_attempts, retry.delay_ms
            ),
            EventMsg::Error {
                message,
                will_retry: None,
            } => writeln!(err, "error: {message}"),
            EventMsg::UserMessage { message, .. } => writeln!(err, "user\n{message}"),
            EventMsg::AgentReasoning { text, .. } => writeln!(err, "thinking\n{text}"),
            EventMsg::AgentMessage { message } => writeln!(err, "zspark\n{message}"),
            EventMsg::ExecCommandBegin(begin) => {
                writeln!(err, "$ {}", display_command(&begin.command))
            }
            EventMsg::ExecCommandEnd(end) => {
                let status = match (end.exit_code, end.killed) {
                    (_, true) => "killed".to_string(),
                    (Some(code), false) => format!("exit {code}"),
                    (None, false) => "ended by a signal".to_string(),
                };
                writeln!(
                    err,
                    "  {status} in {} ms{}",
                    end.duration_ms,
                    tail_excerpt(&end.output)
                )
            }
            EventMsg::McpToolCallBegin(begin) => {
                writeln!(
                    err,
                    "mcp {}.{}({})",
                    begin.server, begin.tool, begin.arguments
                )
            }
            EventMsg::McpToolCallEnd(end) => writeln!(
                err,
                "  {} in {} ms{}",
                if end.success { "done" } else { "failed" },
                end.duration_ms,
                tail_excerpt(&end.output)
            ),
            EventMsg::CollabToolCall(call) => {
                let names: Vec<&str> = call
                    .receivers
                    .iter()
                    .map(|agent| agent.nickname.as_str())
                    .collect();
                let refused = if call.success { "" } else { " (refused)" };
                writeln!(err, "agent {} {}{refused}", call.tool, names.join(", "))
            }
            EventMsg::AgentMail(mail) => writeln!(
                err,
                "message {} from {} to {}",
                mail.message_type, mail.author, mail.recipient
            ),
            EventMsg::PatchApplyBegin { changes, .. } => {
                let mut text = String::from("apply_patch");
                for (path, change) in changes {
                    let letter = match change {
                        FileChange::Add { .. } => 'A',
                        FileChange::Delete { .. } => 'D',
                        FileChange::Update { .. } => 'M',
                    };
                    text.push_str(&format!("\n  {letter} {}", path.display()));
                }
                writeln!(err, "{text}")
            }
            EventMsg::PatchApplyEnd {
                success: false,
                output,
                ..
            } => writeln!(err, "  patch failed: {output}"),
            EventMsg::PlanUpdate(update) => {
                let mut text = String::from("plan");
                for item in &update.plan {
                    let mark = match item.status {
                        StepStatus::Completed => "[x]",
                        StepStatus::InProgress => "[>]",
                        StepStatus::Pending => "[ ]",
                    };
                    text.push_str(&format!("\n  {mark} {}", item.step));
                }
                writeln!(err, "{text}")
            }
            EventMsg::TokenCount { info } => {
                self.total_tokens = info.total_token_usage.total_tokens;
                Ok(())
            }
            EventMsg::TurnFailed { message, .. } => writeln!(err, "error: {message}"),
            EventMsg::TurnAborted { reason, .. } => writeln!(err, "turn aborted ({reason:?})"),
            EventMsg::TurnComplete {
                last_agent_message, ..
            } => {
                let _ = writeln!(err, "tokens used: {}", self.total_tokens);
                match last_agent_message {
                    Some(message) => writeln!(self.out, "{message}"),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        };
    }
}

/// The last few lines of a command's output, indented.
fn tail_excerpt(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let start = lines.len().saturating_sub(5);
    let mut text = String::new();
    if start > 0 {
        text.push_str(&format!("\n  … {start} more lines"));
    }
    for line in &lines[start..] {
        text.push_str("\n  ");
        text.push_str(line);
    }
    text
}

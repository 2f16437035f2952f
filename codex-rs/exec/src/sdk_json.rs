//! `zspark exec --json` (also `--experimental-json`): the event stream the Codex SDK
//! (`@openai/codex-sdk`) reads, one JSON object per line on stdout.
//!
//! A run is `thread.started`, `turn.started`, items (`item.started` / `item.updated` /
//! `item.completed`, ids `item_0`, `item_1`, … counted per process), then
//! `turn.completed` with the thread's cumulative token usage, or `error` and
//! `turn.failed`. [`SdkStream`] folds the runtime's events of the root thread into
//! these; a sub-agent's own events are left out, as Codex leaves them out.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use codex_protocol::{
    AbortReason, AgentStatus, CollabToolCallEvent, EventMsg, FileChange, PlanUpdate, StepStatus,
    TokenUsage,
};
use serde::Serialize;
use serde_json::Value;

/// One line of the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum SdkEvent {
    #[serde(rename = "thread.started")]
    ThreadStarted { thread_id: String },
    #[serde(rename = "turn.started")]
    TurnStarted,
    #[serde(rename = "item.started")]
    ItemStarted { item: SdkItem },
    #[serde(rename = "item.updated")]
    ItemUpdated { item: SdkItem },
    #[serde(rename = "item.completed")]
    ItemCompleted { item: SdkItem },
    #[serde(rename = "turn.completed")]
    TurnCompleted { usage: SdkUsage },
    #[serde(rename = "turn.failed")]
    TurnFailed { error: SdkError },
    #[serde(rename = "error")]
    Error { message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdkItem {
    pub id: String,
    #[serde(flatten)]
    pub details: SdkItemDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SdkItemDetails {
    AgentMessage {
        text: String,
    },
    Reasoning {
        text: String,
    },
    CommandExecution {
        command: String,
        aggregated_output: String,
        exit_code: Option<i32>,
        status: SdkStatus,
    },
    FileChange {
        changes: Vec<SdkFileChange>,
        status: SdkStatus,
    },
    McpToolCall {
        server: String,
        tool: String,
        arguments: Value,
        result: Option<SdkMcpResult>,
        error: Option<SdkError>,
        status: SdkStatus,
    },
    TodoList {
        items: Vec<SdkTodo>,
    },
    CollabToolCall {
        tool: String,
        sender_thread_id: String,
        receiver_thread_ids: Vec<String>,
        prompt: Option<String>,
        agents_states: HashMap<String, SdkAgentState>,
        status: SdkStatus,
    },
    /// Something the user should know that did not stop the turn.
    Error {
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SdkStatus {
    InProgress,
    Completed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdkFileChange {
    pub path: PathBuf,
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdkMcpResult {
    pub content: Vec<Value>,
    pub structured_content: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdkTodo {
    pub text: String,
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdkAgentState {
    pub status: &'static str,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdkError {
    pub message: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SdkUsage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

impl From<&TokenUsage> for SdkUsage {
    fn from(usage: &TokenUsage) -> Self {
        Self {
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            cache_write_input_tokens: 0,
            output_tokens: usage.output_tokens,
            reasoning_output_tokens: usage.reasoning_output_tokens,
        }
    }
}

/// A command that started and has not ended: its item, and its output so far.
struct RunningCommand {
    id: String,
    command: String,
    output: String,
}

/// Folds the root thread's runtime events into SDK events.
#[derive(Default)]
pub struct SdkStream {
    next_item: usize,
    commands: HashMap<String, RunningCommand>,
    patches: HashMap<String, (String, Vec<SdkFileChange>)>,
    mcp_calls: HashMap<String, (String, String, String, Value)>,
    /// The plan's item, once the agent made one; completed when the turn ends.
    todo_list: Option<SdkItem>,
    usage: SdkUsage,
}

impl SdkStream {
    fn item_id(&mut self) -> String {
        let id = format!("item_{}", self.next_item);
        self.next_item += 1;
        id
    }

    fn completed(&mut self, details: SdkItemDetails) -> SdkEvent {
        SdkEvent::ItemCompleted {
            item: SdkItem {
                id: self.item_id(),
                details,
            },
        }
    }

    /// The SDK events `msg` (from the root thread) stands for; often none.
    pub fn events(&mut self, msg: &EventMsg) -> Vec<SdkEvent> {
        match msg {
            EventMsg::SessionConfigured(configured) => vec![SdkEvent::ThreadStarted {
                thread_id: configured.session_id.clone(),
            }],
            EventMsg::TurnStarted { .. } => {
                self.todo_list = None;
                vec![SdkEvent::TurnStarted]
            }
            EventMsg::AgentMessage { message } => {
                vec![self.completed(SdkItemDetails::AgentMessage {
                    text: message.clone(),
                })]
            }
            EventMsg::AgentReasoning { text, .. } => {
                vec![self.completed(SdkItemDetails::Reasoning { text: text.clone() })]
            }
            EventMsg::ExecCommandBegin(begin) => {
                let id = self.item_id();
                let command = codex_protocol::shell_join(&begin.command);
                let item = command_item(&id, &command, String::new(), None, SdkStatus::InProgress);
                self.commands.insert(
                    begin.call_id.clone(),
                    RunningCommand {
                        id,
                        command,
                        output: String::new(),
                    },
                );
                vec![SdkEvent::ItemStarted { item }]
            }
            EventMsg::ExecCommandOutputDelta { call_id, chunk, .. } => {
                if let Some(running) = self.commands.get_mut(call_id) {
                    running.output.push_str(chunk);
                }
                Vec::new()
            }
            EventMsg::ExecCommandEnd(end) => {
                let Some(running) = self.commands.remove(&end.call_id) else {
                    return Vec::new();
                };
                let status = if end.exit_code == Some(0) {
                    SdkStatus::Completed
                } else {
                    SdkStatus::Failed
                };
                let item = command_item(
                    &running.id,
                    &running.command,
                    end.output.clone(),
                    end.exit_code,
                    status,
                );
                vec![SdkEvent::ItemCompleted { item }]
            }
            EventMsg::PatchApplyBegin {
                call_id, changes, ..
            } => {
                let id = self.item_id();
                let changes: Vec<SdkFileChange> = changes
                    .iter()
                    .map(|(path, change)| SdkFileChange {
                        path: path.clone(),
                        kind: match change {
                            FileChange::Add { .. } => "add",
                            FileChange::Delete { .. } => "delete",
                            FileChange::Update { .. } => "update",
                        },
                    })
                    .collect();
                let item = SdkItem {
                    id: id.clone(),
                    details: SdkItemDetails::FileChange {
                        changes: changes.clone(),
                        status: SdkStatus::InProgress,
                    },
                };
                self.patches.insert(call_id.clone(), (id, changes));
                vec![SdkEvent::ItemStarted { item }]
            }
            EventMsg::PatchApplyEnd {
                call_id, success, ..
            } => {
                let Some((id, changes)) = self.patches.remove(call_id) else {
                    return Vec::new();
                };
                let status = if *success {
                    SdkStatus::Completed
                } else {
                    SdkStatus::Failed
                };
                vec![SdkEvent::ItemCompleted {
                    item: SdkItem {
                        id,
                        details: SdkItemDetails::FileChange { changes, status },
                    },
                }]
            }
            EventMsg::McpToolCallBegin(begin) => {
                let id = self.item_id();
                let arguments = serde_json::from_str(&begin.arguments)
                    .unwrap_or(Value::Object(Default::default()));
                let item = SdkItem {
                    id: id.clone(),
                    details: SdkItemDetails::McpToolCall {
                        server: begin.server.clone(),
                        tool: begin.tool.clone(),
                        arguments: arguments.clone(),
                        result: None,
                        error: None,
                        status: SdkStatus::InProgress,
                    },
                };
                self.mcp_calls.insert(
                    begin.call_id.clone(),
                    (id, begin.server.clone(), begin.tool.clone(), arguments),
                );
                vec![SdkEvent::ItemStarted { item }]
            }
            EventMsg::McpToolCallEnd(end) => {
                let Some((id, server, tool, arguments)) = self.mcp_calls.remove(&end.call_id)
                else {
                    return Vec::new();
                };
                let (result, error, status) = if end.success {
                    (
                        Some(mcp_result(end.result.as_ref(), &end.output)),
                        None,
                        SdkStatus::Completed,
                    )
                } else {
                    let message = end.output.clone();
                    (None, Some(SdkError { message }), SdkStatus::Failed)
                };
                vec![SdkEvent::ItemCompleted {
                    item: SdkItem {
                        id,
                        details: SdkItemDetails::McpToolCall {
                            server,
                            tool,
                            arguments,
                            result,
                            error,
                            status,
                        },
                    },
                }]
            }
            EventMsg::PlanUpdate(update) => self.plan_changed(update),
            EventMsg::CollabToolCall(call) => self.collab_call(call),
            EventMsg::TokenCount { info } => {
                self.usage = SdkUsage::from(&info.total_token_usage);
                Vec::new()
            }
            EventMsg::Warning { message }
            | EventMsg::Error {
                message,
                will_retry: None,
            } => vec![self.completed(SdkItemDetails::Error {
                message: message.clone(),
            })],
            EventMsg::Error {
                message,
                will_retry: Some(retry),
            } => vec![self.completed(SdkItemDetails::Error {
                message: format!(
                    "Reconnecting... {}/{} ({message})",
                    retry.attempt, retry.max_attempts
                ),
            })],
            EventMsg::TurnComplete { .. } => {
                let mut events = self.close_open_items();
                events.push(SdkEvent::TurnCompleted { usage: self.usage });
                events
            }
            EventMsg::TurnFailed { message, .. } => self.failed(message.clone()),
            EventMsg::TurnAborted { reason, .. } => self.failed(
                match reason {
                    AbortReason::Interrupted => "the turn was interrupted",
                    AbortReason::Cancelled => "the turn was cancelled at an approval",
                    AbortReason::Shutdown => "the turn was stopped: the session shut down",
                }
                .to_string(),
            ),
            _ => Vec::new(),
        }
    }

    fn plan_changed(&mut self, update: &PlanUpdate) -> Vec<SdkEvent> {
        let items: Vec<SdkTodo> = update
            .plan
            .iter()
            .map(|step| SdkTodo {
                text: step.step.clone(),
                completed: step.status == StepStatus::Completed,
            })
            .collect();
        match &mut self.todo_list {
            Some(item) => {
                item.details = SdkItemDetails::TodoList { items };
                vec![SdkEvent::ItemUpdated { item: item.clone() }]
            }
            None => {
                let item = SdkItem {
                    id: self.item_id(),
                    details: SdkItemDetails::TodoList { items },
                };
                self.todo_list = Some(item.clone());
                vec![SdkEvent::ItemStarted { item }]
            }
        }
    }

    fn collab_call(&mut self, call: &CollabToolCallEvent) -> Vec<SdkEvent> {
        let agents_states: HashMap<String, SdkAgentState> = call
            .agents_states
            .iter()
            .map(|(thread, status)| (thread.clone(), agent_state(status)))
            .collect();
        let details = |status| SdkItemDetails::CollabToolCall {
            tool: call.tool.clone(),
            sender_thread_id: call.sender_thread_id.clone(),
            receiver_thread_ids: call
                .receivers
                .iter()
                .map(|agent| agent.thread_id.clone())
                .collect(),
            prompt: call.prompt.clone(),
            agents_states: agents_states.clone(),
            status,
        };
        let id = self.item_id();
        let status = if call.success {
            SdkStatus::Completed
        } else {
            SdkStatus::Failed
        };
        vec![
            SdkEvent::ItemStarted {
                item: SdkItem {
                    id: id.clone(),
                    details: details(SdkStatus::InProgress),
                },
            },
            SdkEvent::ItemCompleted {
                item: SdkItem {
                    id,
                    details: details(status),
                },
            },
        ]
    }

    /// Ends what the turn left open: the plan, and commands still running in the
    /// background (their output so far, no exit code), so no consumer waits on them.
    fn close_open_items(&mut self) -> Vec<SdkEvent> {
        let mut events = Vec::new();
        let mut running: Vec<RunningCommand> = self.commands.drain().map(|(_, c)| c).collect();
        running.sort_by(|a, b| a.id.cmp(&b.id));
        for command in running {
            let item = command_item(
                &command.id,
                &command.command,
                command.output,
                None,
                SdkStatus::Completed,
            );
            events.push(SdkEvent::ItemCompleted { item });
        }
        if let Some(item) = self.todo_list.take() {
            events.push(SdkEvent::ItemCompleted { item });
        }
        events
    }

    fn failed(&mut self, message: String) -> Vec<SdkEvent> {
        let mut events = self.close_open_items();
        events.push(SdkEvent::Error {
            message: message.clone(),
        });
        events.push(SdkEvent::TurnFailed {
            error: SdkError { message },
        });
        events
    }
}

fn command_item(
    id: &str,
    command: &str,
    aggregated_output: String,
    exit_code: Option<i32>,
    status: SdkStatus,
) -> SdkItem {
    SdkItem {
        id: id.to_string(),
        details: SdkItemDetails::CommandExecution {
            command: command.to_string(),
            aggregated_output,
            exit_code,
            status,
        },
    }
}

/// An MCP result as the SDK shows it: the server's content blocks and structured
/// content, or the text the user was shown when the result was not kept.
fn mcp_result(result: Option<&Value>, shown: &str) -> SdkMcpResult {
    match result {
        Some(result) => SdkMcpResult {
            content: result
                .get("content")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            structured_content: result
                .get("structuredContent")
                .cloned()
                .unwrap_or(Value::Null),
        },
        None => SdkMcpResult {
            content: vec![serde_json::json!({"type": "text", "text": shown})],
            structured_content: Value::Null,
        },
    }
}

fn agent_state(status: &AgentStatus) -> SdkAgentState {
    let (status, message) = match status {
        AgentStatus::PendingInit => ("pending_init", None),
        AgentStatus::Running => ("running", None),
        AgentStatus::Interrupted => ("interrupted", None),
        AgentStatus::Completed(message) => ("completed", message.clone()),
        AgentStatus::Errored(message) => ("errored", Some(message.clone())),
        AgentStatus::Shutdown => ("shutdown", None),
        AgentStatus::NotFound => ("not_found", None),
    };
    SdkAgentState { status, message }
}

/// Writes each event as one line.
pub fn write_events(out: &mut impl Write, events: &[SdkEvent]) {
    for event in events {
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_protocol::{ExecCommandBeginEvent, ExecCommandEndEvent, PlanItem, TokenUsageInfo};
    use serde_json::json;

    fn lines(stream: &mut SdkStream, msgs: &[EventMsg]) -> Vec<Value> {
        msgs.iter()
            .flat_map(|msg| stream.events(msg))
            .map(|event| serde_json::to_value(event).unwrap())
            .collect()
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn commands_are_started_then_completed_or_failed_by_their_exit_code() {
        let mut stream = SdkStream::default();
        let command = words(&["/bin/bash", "-lc", "echo it's; exit 3"]);
        let begin = |call: &str| {
            EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
                call_id: call.into(),
                command: command.clone(),
                cwd: "/w".into(),
                process_id: None,
            })
        };
        let end = |call: &str, code| {
            EventMsg::ExecCommandEnd(ExecCommandEndEvent {
                call_id: call.into(),
                command: command.clone(),
                cwd: "/w".into(),
                exit_code: Some(code),
                duration_ms: 3,
                output: "it's\n".into(),
                killed: false,
            })
        };
        let out = lines(
            &mut stream,
            &[begin("a"), end("a", 3), begin("b"), end("b", 0)],
        );
        let shown = r#"/bin/bash -lc 'echo it'\''s; exit 3'"#;
        assert_eq!(
            out[0],
            json!({"type": "item.started", "item": {"id": "item_0", "type": "command_execution",
                "command": shown, "aggregated_output": "", "exit_code": null, "status": "in_progress"}})
        );
        assert_eq!(
            out[1],
            json!({"type": "item.completed", "item": {"id": "item_0", "type": "command_execution",
                "command": shown, "aggregated_output": "it's\n", "exit_code": 3, "status": "failed"}})
        );
        assert_eq!(out[3]["item"]["id"], "item_1");
        assert_eq!(out[3]["item"]["status"], "completed");
    }

    #[test]
    fn the_plan_is_started_updated_and_completed_after_the_answer() {
        let mut stream = SdkStream::default();
        let plan = |done| {
            EventMsg::PlanUpdate(PlanUpdate {
                explanation: None,
                plan: vec![PlanItem {
                    step: "write file".into(),
                    status: if done {
                        StepStatus::Completed
                    } else {
                        StepStatus::Pending
                    },
                }],
            })
        };
        let usage = TokenUsage {
            input_tokens: 700,
            cached_input_tokens: 140,
            output_tokens: 70,
            reasoning_output_tokens: 21,
            total_tokens: 770,
        };
        let counted = EventMsg::TokenCount {
            info: TokenUsageInfo {
                total_token_usage: usage,
                last_token_usage: usage,
                model_context_window: None,
            },
        };
        let out = lines(
            &mut stream,
            &[
                EventMsg::TurnStarted {
                    turn_id: "t".into(),
                    model_context_window: None,
                },
                plan(false),
                plan(true),
                counted,
                EventMsg::AgentMessage {
                    message: "planned".into(),
                },
                EventMsg::TurnComplete {
                    turn_id: "t".into(),
                    last_agent_message: None,
                },
            ],
        );
        let kinds: Vec<&str> = out
            .iter()
            .map(|line| line["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "turn.started",
                "item.started",
                "item.updated",
                "item.completed",
                "item.completed",
                "turn.completed"
            ]
        );
        assert_eq!(out[2]["item"]["items"][0]["completed"], true);
        assert_eq!(out[3]["item"]["type"], "agent_message");
        assert_eq!(out[4]["item"]["id"], out[1]["item"]["id"]);
        assert_eq!(
            out[5]["usage"],
            json!({"input_tokens": 700, "cached_input_tokens": 140, "cache_write_input_tokens": 0,
                "output_tokens": 70, "reasoning_output_tokens": 21})
        );
    }

    #[test]
    fn a_failed_turn_is_an_error_then_turn_failed() {
        let mut stream = SdkStream::default();
        let out = lines(
            &mut stream,
            &[EventMsg::TurnFailed {
                turn_id: "t".into(),
                message: "stream disconnected".into(),
            }],
        );
        assert_eq!(
            out,
            [
                json!({"type": "error", "message": "stream disconnected"}),
                json!({"type": "turn.failed", "error": {"message": "stream disconnected"}}),
            ]
        );
    }
}

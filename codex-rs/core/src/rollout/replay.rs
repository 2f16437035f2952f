//! A rollout read back as the conversation it records: the history the model sees
//! now (compactions and rollbacks applied), where each turn's user message sits in it,
//! and the events a live session emitted, so a resumed session is shown exactly as it
//! was. One pass over the records does all three.
//!
//! zspark records the events of its tools (a command's begin and end, a patch's
//! changes and result, plans, images) as `event_msg` lines of type `zspark_event`,
//! which Codex skips, and marks such turns with `zspark_events` in their
//! `turn_context`. For other turns (written by the Codex CLI, or by zspark before it
//! recorded them), commands, patches, plans and images are rebuilt from the tool calls
//! and their outputs. Turns come from
//! `turn_context` / `task_started` lines, or, where a file has none, one per user
//! message.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use codex_apply_patch::{ChunkLine, Hunk};
use codex_protocol::items::ReasoningSummary;
use codex_protocol::{
    AbortReason, AgentMailEvent, ContentItem, EventMsg, ExecCommandBeginEvent, ExecCommandEndEvent,
    FileChange, PlanUpdate, ResponseItem, Role, TokenUsageInfo, ToolOutput,
};
use serde_json::Value;

use super::reader::is_user_turn_message;
use crate::session::user_message_parts;

/// The `event_msg` type under which zspark records a live event in full.
pub const PERSISTED_EVENT: &str = "zspark_event";

/// Where turn `turn_id`'s user message is in the history. After a compaction dropped
/// a turn's message, its index is where the kept messages begin, so cutting there
/// still removes everything from that turn on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnMark {
    pub turn_id: String,
    pub index: usize,
}

/// One turn as the records hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnSpan {
    pub turn_id: String,
    /// The record that starts it (a fork before this turn copies the records before).
    pub first_record: usize,
    /// Its first event in [`Rebuilt::events`].
    pub first_event: usize,
    /// Whether it has a user message (compaction turns have none).
    pub has_user_message: bool,
}

/// What the records amount to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rebuilt {
    pub history: Vec<ResponseItem>,
    /// The turns with a user message, in order.
    pub marks: Vec<TurnMark>,
    pub events: Vec<EventMsg>,
    pub turns: Vec<TurnSpan>,
}

/// Rebuilds the conversation from `records` (record type and payload of each line).
pub fn rebuild(records: &[(String, Value)]) -> Rebuilt {
    let mut builder = Builder::default();
    for (index, (kind, payload)) in records.iter().enumerate() {
        builder.record(index, kind, payload);
    }
    builder.rebuilt
}

#[derive(Default)]
struct Builder {
    rebuilt: Rebuilt,
    /// The turn now open (started and not ended).
    open: Option<String>,
    cwd: PathBuf,
    /// Tool calls waiting for their output.
    calls: HashMap<String, ResponseItem>,
    /// Whether the open turn's tool events are recorded as `zspark_event` lines.
    events_recorded: bool,
}

impl Builder {
    fn record(&mut self, index: usize, kind: &str, payload: &Value) {
        let text = |key: &str| payload.get(key).and_then(Value::as_str).map(str::to_string);
        match kind {
            "session_meta" | "turn_context" => {
                if let Some(cwd) = text("cwd") {
                    self.cwd = PathBuf::from(cwd);
                }
                if kind == "turn_context"
                    && let Some(turn_id) = text("turn_id")
                {
                    self.begin_turn(&turn_id, index, None);
                    self.events_recorded = payload
                        .get("zspark_events")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                }
            }
            "event_msg" => self.event_record(index, payload),
            "response_item" => {
                if let Ok(item) = serde_json::from_value::<ResponseItem>(payload.clone())
                    && item != ResponseItem::Other
                {
                    self.item(index, item);
                }
            }
            "compacted" => self.compacted(payload),
            _ => {}
        }
    }

    fn event_record(&mut self, index: usize, payload: &Value) {
        let text = |key: &str| payload.get(key).and_then(Value::as_str).map(str::to_string);
        match payload
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "task_started" => {
                let window = payload.get("model_context_window").and_then(Value::as_u64);
                let turn_id = text("turn_id").unwrap_or_else(|| format!("line-{index}"));
                self.begin_turn(&turn_id, index, window);
            }
            "task_complete" => {
                let turn_id = self.ending_turn(text("turn_id"));
                self.end_turn(EventMsg::TurnComplete {
                    turn_id,
                    last_agent_message: text("last_agent_message"),
                });
            }
            "turn_aborted" => {
                let turn_id = self.ending_turn(text("turn_id"));
                let reason = payload
                    .get("reason")
                    .cloned()
                    .and_then(|reason| serde_json::from_value(reason).ok())
                    .unwrap_or(AbortReason::Interrupted);
                self.end_turn(EventMsg::TurnAborted { turn_id, reason });
            }
            "error" if self.open.is_some() => {
                let turn_id = self.ending_turn(None);
                self.end_turn(EventMsg::TurnFailed {
                    turn_id,
                    message: text("message").unwrap_or_default(),
                });
            }
            "agent_reasoning" => {
                if let Some(text) = text("text").filter(|text| !text.is_empty()) {
                    self.rebuilt.events.push(EventMsg::AgentReasoning {
                        text,
                        duration_ms: payload.get("duration_ms").and_then(Value::as_u64),
                    });
                }
            }
            "token_count" => {
                if let Some(info) = payload
                    .get("info")
                    .cloned()
                    .and_then(|info| serde_json::from_value::<TokenUsageInfo>(info).ok())
                {
                    self.rebuilt.events.push(EventMsg::TokenCount { info });
                }
            }
            "thread_rolled_back" => {
                let turns = payload
                    .get("num_turns")
                    .and_then(Value::as_u64)
                    .and_then(|turns| usize::try_from(turns).ok())
                    .unwrap_or(0);
                self.roll_back(turns);
            }
            "item_completed" => {
                if let Some(events) = crate::mcp::replayed_call(payload) {
                    self.rebuilt.events.extend(events);
                } else if let Some(event) = crate::agents::replayed_call(payload) {
                    self.rebuilt.events.push(event);
                }
            }
            PERSISTED_EVENT => {
                if let Some(event) = payload
                    .get("event")
                    .cloned()
                    .and_then(|event| serde_json::from_value::<EventMsg>(event).ok())
                {
                    self.rebuilt.events.push(event);
                }
            }
            _ => {}
        }
    }

    /// Opens turn `turn_id` unless it is open already (its `turn_context` came first).
    fn begin_turn(&mut self, turn_id: &str, record: usize, window: Option<u64>) {
        if self.open.as_deref() == Some(turn_id) {
            if let Some(span) = self.rebuilt.turns.last()
                && let Some(EventMsg::TurnStarted {
                    model_context_window,
                    ..
                }) = self.rebuilt.events.get_mut(span.first_event)
                && window.is_some()
            {
                *model_context_window = window;
            }
            return;
        }
        self.open = Some(turn_id.to_string());
        self.events_recorded = false;
        self.rebuilt.turns.push(TurnSpan {
            turn_id: turn_id.to_string(),
            first_record: record,
            first_event: self.rebuilt.events.len(),
            has_user_message: false,
        });
        self.rebuilt.events.push(EventMsg::TurnStarted {
            turn_id: turn_id.to_string(),
            model_context_window: window,
        });
    }

    /// The id of the turn an end record closes.
    fn ending_turn(&self, recorded: Option<String>) -> String {
        recorded
            .or_else(|| self.open.clone())
            .or_else(|| self.rebuilt.turns.last().map(|span| span.turn_id.clone()))
            .unwrap_or_default()
    }

    fn end_turn(&mut self, end: EventMsg) {
        self.rebuilt.events.push(end);
        self.open = None;
    }

    fn item(&mut self, record: usize, item: ResponseItem) {
        let index = self.rebuilt.history.len();
        self.rebuilt.history.push(item.clone());
        match &item {
            ResponseItem::Message {
                role: Role::User,
                content,
                ..
            } if is_user_turn_message(&item) => {
                let needs_turn = match self.rebuilt.turns.last() {
                    Some(span) => self.open.is_none() || span.has_user_message,
                    None => true,
                };
                if needs_turn {
                    self.begin_turn(&format!("line-{record}"), record, None);
                }
                if let Some(span) = self.rebuilt.turns.last_mut() {
                    span.has_user_message = true;
                    self.rebuilt.marks.push(TurnMark {
                        turn_id: span.turn_id.clone(),
                        index,
                    });
                }
                self.rebuilt.events.push(user_message(content));
            }
            ResponseItem::Message {
                role: Role::Assistant,
                ..
            } => self.rebuilt.events.push(EventMsg::AgentMessage {
                message: item.message_text().unwrap_or_default(),
            }),
            ResponseItem::AgentMessage {
                author, recipient, ..
            } => self
                .rebuilt
                .events
                .push(EventMsg::AgentMail(AgentMailEvent::from_text(
                    author,
                    recipient,
                    &item.agent_message_text().unwrap_or_default(),
                ))),
            ResponseItem::FunctionCall { call_id, .. }
            | ResponseItem::CustomToolCall { call_id, .. } => {
                self.calls.insert(call_id.clone(), item.clone());
            }
            ResponseItem::FunctionCallOutput { call_id, output }
            | ResponseItem::CustomToolCallOutput { call_id, output } => {
                if let Some(call) = self.calls.remove(call_id)
                    && !self.events_recorded
                {
                    let events = call_events(&call, output, &self.cwd);
                    self.rebuilt.events.extend(events);
                }
            }
            _ => {}
        }
    }

    /// A `compacted` record: the history becomes its replacement; turns whose message
    /// was kept point at it, the others at where the kept messages begin.
    fn compacted(&mut self, payload: &Value) {
        let summary = payload
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let replacement: Option<Vec<ResponseItem>> = payload
            .get("replacement_history")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| serde_json::from_value(item.clone()).ok())
                    .filter(|item| *item != ResponseItem::Other)
                    .collect()
            });
        let replacement = replacement.unwrap_or_else(|| {
            // Older records carry only the summary: keep the user messages, then it.
            let mut kept: Vec<ResponseItem> = self
                .rebuilt
                .marks
                .iter()
                .filter_map(|mark| self.rebuilt.history.get(mark.index).cloned())
                .collect();
            kept.push(ResponseItem::user_text(&summary));
            kept
        });
        self.rebuilt.marks = remap_marks(&self.rebuilt.history, &self.rebuilt.marks, &replacement);
        self.rebuilt.history = replacement;
        self.rebuilt.events.push(EventMsg::ContextCompacted {
            summary,
            automatic: payload
                .get("automatic")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }

    /// Drops the last `turns` turns with a user message, and every turn after the
    /// first of them.
    fn roll_back(&mut self, turns: usize) {
        if turns == 0 || self.rebuilt.marks.is_empty() {
            return;
        }
        let keep = self.rebuilt.marks.len().saturating_sub(turns);
        let first_dropped = self.rebuilt.marks[keep].clone();
        cut_at(&mut self.rebuilt, &first_dropped);
        self.open = None;
        self.calls.clear();
    }
}

/// Cuts `rebuilt` just before turn `mark`: its history at the mark, its events and
/// turns at the turn's start.
pub fn cut_at(rebuilt: &mut Rebuilt, mark: &TurnMark) {
    rebuilt.history.truncate(mark.index);
    if let Some(position) = rebuilt
        .turns
        .iter()
        .position(|span| span.turn_id == mark.turn_id)
    {
        let first_event = rebuilt.turns[position].first_event;
        rebuilt.events.truncate(first_event);
        rebuilt.turns.truncate(position);
    }
    if let Some(position) = rebuilt
        .marks
        .iter()
        .position(|kept| kept.turn_id == mark.turn_id)
    {
        rebuilt.marks.truncate(position);
    }
}

/// The marks after `history` was replaced by `replacement`: the kept user messages
/// are the most recent ones, in order, so they are matched from the end.
pub fn remap_marks(
    history: &[ResponseItem],
    marks: &[TurnMark],
    replacement: &[ResponseItem],
) -> Vec<TurnMark> {
    let mut remapped: Vec<Option<usize>> = vec![None; marks.len()];
    let mut candidates = (0..replacement.len()).rev();
    for (position, mark) in marks.iter().enumerate().rev() {
        let Some(message) = history.get(mark.index) else {
            continue;
        };
        let found = candidates
            .clone()
            .find(|&index| replacement[index] == *message);
        if let Some(index) = found {
            remapped[position] = Some(index);
            // Earlier marks match only earlier items.
            candidates = (0..index).rev();
        } else {
            break;
        }
    }
    // Dropped turns point where the kept block begins (else at the summary, the last
    // item).
    let kept_start = remapped
        .iter()
        .flatten()
        .min()
        .copied()
        .unwrap_or(replacement.len().saturating_sub(1));
    marks
        .iter()
        .zip(remapped)
        .map(|(mark, index)| TurnMark {
            turn_id: mark.turn_id.clone(),
            index: index.unwrap_or(kept_start),
        })
        .collect()
}

/// The `UserMessage` event for a recorded user message.
pub fn user_message(content: &[ContentItem]) -> EventMsg {
    let parts = user_message_parts(content);
    EventMsg::UserMessage {
        message: parts.text,
        images: content
            .iter()
            .filter_map(|part| match part {
                ContentItem::InputImage { image_url, .. } => Some(image_url.clone()),
                _ => None,
            })
            .collect(),
        files: parts.files,
        skills: parts.skills,
    }
}

/// The events of a finished tool call, rebuilt from the call and its output: a plan,
/// an image, a command or a patch.
fn call_events(call: &ResponseItem, output: &ToolOutput, cwd: &Path) -> Vec<EventMsg> {
    let (name, input, call_id, custom) = match call {
        ResponseItem::FunctionCall {
            name,
            arguments,
            call_id,
            ..
        } => (name.as_str(), arguments.as_str(), call_id, false),
        ResponseItem::CustomToolCall {
            name,
            input,
            call_id,
            ..
        } => (name.as_str(), input.as_str(), call_id, true),
        _ => return Vec::new(),
    };
    let arguments: Value = if custom {
        Value::Null
    } else {
        serde_json::from_str(input).unwrap_or(Value::Null)
    };
    match name {
        "update_plan" if output.text() == "Plan updated" => {
            serde_json::from_value::<PlanUpdate>(arguments)
                .map(|plan| vec![EventMsg::PlanUpdate(plan)])
                .unwrap_or_default()
        }
        "view_image" if matches!(output, ToolOutput::Content(_)) => arguments
            .get("path")
            .and_then(Value::as_str)
            .map(|path| {
                vec![EventMsg::ViewImage {
                    call_id: call_id.clone(),
                    path: cwd.join(path),
                }]
            })
            .unwrap_or_default(),
        "apply_patch" => {
            let patch = if custom {
                Some(input.to_string())
            } else {
                arguments
                    .get("input")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            patch
                .map(|patch| patch_events(call_id, &patch, &output.text(), cwd))
                .unwrap_or_default()
        }
        "exec_command" | "shell" | "shell_command" => {
            command_events(call_id, name, &arguments, &output.text(), cwd)
        }
        _ => Vec::new(),
    }
}

/// A command card rebuilt from a recorded call and its output text.
fn command_events(
    call_id: &str,
    tool: &str,
    arguments: &Value,
    output: &str,
    cwd: &Path,
) -> Vec<EventMsg> {
    let words = |value: Option<&Value>| -> Option<Vec<String>> {
        value?
            .as_array()?
            .iter()
            .map(|word| word.as_str().map(str::to_string))
            .collect()
    };
    let command = match tool {
        "shell" => words(arguments.get("command")),
        _ => arguments
            .get(if tool == "exec_command" {
                "cmd"
            } else {
                "command"
            })
            .and_then(Value::as_str)
            .map(|script| vec!["bash".to_string(), "-lc".to_string(), script.to_string()]),
    };
    let Some(command) = command else {
        return Vec::new();
    };
    let cwd = arguments
        .get("workdir")
        .and_then(Value::as_str)
        .map_or_else(|| cwd.to_path_buf(), |dir| cwd.join(dir));
    let recorded = RecordedOutput::parse(output);
    vec![
        EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
            call_id: call_id.to_string(),
            command: command.clone(),
            cwd: cwd.clone(),
            process_id: None,
        }),
        EventMsg::ExecCommandEnd(ExecCommandEndEvent {
            call_id: call_id.to_string(),
            command,
            cwd,
            exit_code: recorded.exit_code,
            duration_ms: recorded.duration_ms,
            output: recorded.output,
            killed: false,
        }),
    ]
}

/// What a recorded command output says: `shell` answers in JSON (`output`,
/// `metadata.exit_code`, `metadata.duration_seconds`), `exec_command` in text with a
/// header (`Wall time`, `Process exited with code N`) before `Output:`.
struct RecordedOutput {
    output: String,
    exit_code: Option<i32>,
    duration_ms: u64,
}

impl RecordedOutput {
    fn parse(text: &str) -> Self {
        if let Ok(value) = serde_json::from_str::<Value>(text)
            && let Some(output) = value.get("output").and_then(Value::as_str)
        {
            return Self {
                output: output.to_string(),
                exit_code: value
                    .pointer("/metadata/exit_code")
                    .and_then(Value::as_i64)
                    .and_then(|code| i32::try_from(code).ok()),
                duration_ms: value
                    .pointer("/metadata/duration_seconds")
                    .and_then(Value::as_f64)
                    .map_or(0, seconds_to_ms),
            };
        }
        let header_value = |prefix: &str| {
            text.lines()
                .take(8)
                .find_map(|line| line.trim().strip_prefix(prefix).map(str::trim))
        };
        let exit_code = header_value("Exit code:")
            .or_else(|| header_value("Process exited with code"))
            .and_then(|code| code.parse().ok());
        let duration_ms = header_value("Wall time:")
            .and_then(|wall| wall.trim_end_matches("seconds").trim().parse::<f64>().ok())
            .map_or(0, seconds_to_ms);
        let output = match text.split_once("\nOutput:\n") {
            Some((header, body)) if header.lines().count() <= 6 => body.to_string(),
            _ if text.starts_with("Output:\n") => text["Output:\n".len()..].to_string(),
            _ => text.to_string(),
        };
        Self {
            output,
            exit_code,
            duration_ms,
        }
    }
}

fn seconds_to_ms(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        // Saturating: a recorded duration is far below u64::MAX milliseconds.
        (seconds * 1000.0).round() as u64
    } else {
        0
    }
}

/// A change card rebuilt from a recorded patch: one change per file when it parses.
fn patch_events(call_id: &str, patch: &str, output: &str, cwd: &Path) -> Vec<EventMsg> {
    let Ok(parsed) = codex_apply_patch::parse_patch(patch) else {
        return Vec::new();
    };
    let changes = parsed
        .hunks
        .iter()
        .map(|hunk| (cwd.join(hunk.path()), hunk_change(hunk)))
        .collect();
    let failed = [
        "apply_patch failed",
        "apply_patch verification failed",
        "Failed",
    ]
    .iter()
    .any(|sign| output.trim_start().starts_with(sign));
    vec![
        EventMsg::PatchApplyBegin {
            call_id: call_id.to_string(),
            changes,
            auto_approved: true,
        },
        EventMsg::PatchApplyEnd {
            call_id: call_id.to_string(),
            success: !failed,
            output: output.to_string(),
        },
    ]
}

/// One file of a parsed patch as a change: added content, a deletion, or the update's
/// sections as a diff.
fn hunk_change(hunk: &Hunk) -> FileChange {
    match hunk {
        Hunk::Add { contents, .. } => FileChange::Add {
            content: contents.clone(),
        },
        Hunk::Delete { .. } => FileChange::Delete {
            content: String::new(),
        },
        Hunk::Update {
            chunks, move_to, ..
        } => FileChange::Update {
            unified_diff: chunks
                .iter()
                .map(|chunk| {
                    let mut text = format!("@@ {}\n", chunk.context.as_deref().unwrap_or_default());
                    for line in &chunk.lines {
                        let (sign, line) = match line {
                            ChunkLine::Context(line) => (' ', line),
                            ChunkLine::Remove(line) => ('-', line),
                            ChunkLine::Add(line) => ('+', line),
                        };
                        text.push(sign);
                        text.push_str(line);
                        text.push('\n');
                    }
                    text
                })
                .collect(),
            move_path: move_to.clone(),
        },
    }
}

/// The text of a reasoning item, as the live session shows it: the summaries, or the
/// raw reasoning text chat providers send.
pub fn reasoning_text(item: &ResponseItem) -> String {
    let ResponseItem::Reasoning {
        summary, content, ..
    } = item
    else {
        return String::new();
    };
    let text = summary
        .iter()
        .map(|ReasoningSummary::SummaryText { text }| text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    if !text.is_empty() {
        return text;
    }
    content
        .iter()
        .flatten()
        .map(|part| match part {
            codex_protocol::items::ReasoningContent::ReasoningText { text }
            | codex_protocol::items::ReasoningContent::Text { text } => text.as_str(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(kind: &str, payload: Value) -> (String, Value) {
        (kind.to_string(), payload)
    }

    fn item(value: Value) -> (String, Value) {
        record("response_item", value)
    }

    fn user(text: &str) -> (String, Value) {
        item(
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}),
        )
    }

    /// A turn as the Codex CLI writes it: no `zspark_event` lines, so tool events
    /// are rebuilt from the calls and their outputs.
    #[test]
    fn a_codex_turn_is_rebuilt_from_its_tool_calls() {
        let records = vec![
            record("session_meta", json!({"id": "s", "cwd": "/w"})),
            record("turn_context", json!({"turn_id": "t1", "cwd": "/w"})),
            record(
                "event_msg",
                json!({"type": "task_started", "turn_id": "t1", "model_context_window": 1000}),
            ),
            item(
                json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>x</environment_context>"}]}),
            ),
            user("run the tests"),
            item(
                json!({"type": "function_call", "name": "exec_command", "arguments": "{\"cmd\":\"cargo test\",\"workdir\":\"crate\"}", "call_id": "c1"}),
            ),
            item(
                json!({"type": "function_call_output", "call_id": "c1", "output": "Wall time: 0.5000 seconds\nProcess exited with code 101\nOriginal token count: 1\nOutput:\nfailed"}),
            ),
            item(
                json!({"type": "function_call", "name": "shell", "arguments": "{\"command\":[\"ls\",\"-a\"]}", "call_id": "c2"}),
            ),
            item(
                json!({"type": "function_call_output", "call_id": "c2", "output": "{\"output\":\"a\\nb\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":0.2}}"}),
            ),
            item(
                json!({"type": "custom_tool_call", "name": "apply_patch", "call_id": "c3", "input": "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** End Patch\n"}),
            ),
            item(
                json!({"type": "custom_tool_call_output", "call_id": "c3", "output": "Success. Updated the following files:\nA new.txt"}),
            ),
            item(
                json!({"type": "function_call", "name": "update_plan", "arguments": "{\"plan\":[{\"step\":\"a\",\"status\":\"pending\"}]}", "call_id": "c4"}),
            ),
            item(
                json!({"type": "function_call_output", "call_id": "c4", "output": "Plan updated"}),
            ),
            item(
                json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "One test fails."}]}),
            ),
            record(
                "event_msg",
                json!({"type": "task_complete", "turn_id": "t1", "last_agent_message": "One test fails."}),
            ),
        ];
        let rebuilt = rebuild(&records);
        assert_eq!(
            rebuilt.marks,
            [TurnMark {
                turn_id: "t1".into(),
                index: 1
            }]
        );
        let events = &rebuilt.events;
        assert_eq!(
            events[0],
            EventMsg::TurnStarted {
                turn_id: "t1".into(),
                model_context_window: Some(1000)
            }
        );
        assert!(
            matches!(&events[1], EventMsg::UserMessage { message, .. } if message == "run the tests")
        );
        let EventMsg::ExecCommandEnd(tests) = &events[3] else {
            panic!("{:?}", events[3]);
        };
        assert_eq!(
            (
                tests.exit_code,
                tests.duration_ms,
                tests.output.as_str(),
                tests.cwd.as_path()
            ),
            (Some(101), 500, "failed", Path::new("/w/crate"))
        );
        assert_eq!(tests.command, ["bash", "-lc", "cargo test"]);
        let EventMsg::ExecCommandEnd(listing) = &events[5] else {
            panic!("{:?}", events[5]);
        };
        assert_eq!(
            (listing.exit_code, listing.output.as_str()),
            (Some(0), "a\nb")
        );
        assert_eq!(listing.command, ["ls", "-a"]);
        assert!(matches!(
            &events[6],
            EventMsg::PatchApplyBegin { changes, .. }
                if changes.get(Path::new("/w/new.txt")) == Some(&FileChange::Add { content: "hello\n".into() })
        ));
        assert!(matches!(
            &events[7],
            EventMsg::PatchApplyEnd { success: true, .. }
        ));
        assert!(matches!(&events[8], EventMsg::PlanUpdate(plan) if plan.plan.len() == 1));
        assert_eq!(
            events[9],
            EventMsg::AgentMessage {
                message: "One test fails.".into()
            }
        );
        assert!(matches!(&events[10], EventMsg::TurnComplete { turn_id, .. } if turn_id == "t1"));
        assert_eq!(events.len(), 11);
    }

    #[test]
    fn files_without_turn_records_get_one_turn_per_user_message_and_rollbacks_apply() {
        let records = vec![
            record("session_meta", json!({"id": "s", "cwd": "/w"})),
            user("first"),
            item(
                json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "one"}]}),
            ),
            user("second"),
            item(
                json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "two"}]}),
            ),
            record(
                "event_msg",
                json!({"type": "thread_rolled_back", "num_turns": 1}),
            ),
            user("second again"),
        ];
        let rebuilt = rebuild(&records);
        let turn_ids: Vec<&str> = rebuilt
            .turns
            .iter()
            .map(|span| span.turn_id.as_str())
            .collect();
        assert_eq!(turn_ids, ["line-1", "line-6"]);
        let texts: Vec<String> = rebuilt
            .history
            .iter()
            .filter_map(ResponseItem::message_text)
            .collect();
        assert_eq!(texts, ["first", "one", "second again"]);
        assert_eq!(
            rebuilt
                .marks
                .iter()
                .map(|mark| mark.index)
                .collect::<Vec<_>>(),
            [0, 2]
        );
    }

    #[test]
    fn a_compaction_keeps_the_marks_of_the_messages_it_kept() {
        let message = |text: &str| ResponseItem::user_text(text);
        let history = vec![
            message("<environment_context>x</environment_context>"),
            message("one"),
            ResponseItem::assistant_text("answer"),
            message("two"),
            message("three"),
        ];
        let marks: Vec<TurnMark> = [("a", 1), ("b", 3), ("c", 4)]
            .iter()
            .map(|(id, index)| TurnMark {
                turn_id: (*id).into(),
                index: *index,
            })
            .collect();
        // The budget kept only the last two messages.
        let replacement = vec![
            message("<environment_context>x</environment_context>"),
            message("two"),
            message("three"),
            message("summary"),
        ];
        let remapped = remap_marks(&history, &marks, &replacement);
        let indices: Vec<usize> = remapped.iter().map(|mark| mark.index).collect();
        assert_eq!(
            indices,
            [1, 1, 2],
            "a dropped turn points where the kept ones begin"
        );
        let nothing_kept = remap_marks(&history, &marks, &[message("summary")]);
        assert!(
            nothing_kept.iter().all(|mark| mark.index == 0),
            "the summary is cut too"
        );
    }
}

//! The items the protocol shows for runtime events: agent messages, commands (with
//! the words an "allow commands like this" answer would remember), file changes and
//! sub-agent calls, and the status an item ends with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_protocol::{CollabToolCallEvent, FileChange, shell_join};
use serde_json::{Value, json};

use crate::protocol::items::{FileUpdate, FileUpdateKind, ItemKind, ItemStatus, ThreadItem};

pub(super) fn agent_message_item(id: String, text: String, at_ms: i64) -> ThreadItem {
    ThreadItem {
        kind: ItemKind::AgentMessage {
            id,
            text,
            phase: None,
            memory_citation: None,
            moderation: None,
            delivery: None,
            questions: None,
        },
        started_at_ms: Some(at_ms),
        completed_at_ms: None,
    }
}

pub(super) fn command_item(
    call_id: &str,
    command: &[String],
    cwd: &Path,
    process_id: Option<String>,
    at_ms: i64,
) -> ThreadItem {
    ThreadItem {
        kind: ItemKind::CommandExecution {
            id: call_id.to_string(),
            command: shell_join(command),
            cwd: cwd.to_path_buf(),
            process_id,
            source: "agent".to_string(),
            status: ItemStatus::InProgress,
            command_actions: command_actions(command),
            aggregated_output: None,
            exit_code: None,
            duration_ms: None,
            plugin_id: None,
            script_path: None,
        },
        started_at_ms: Some(at_ms),
        completed_at_ms: None,
    }
}

/// The words of a command's script when it is one plain command (no pipes, lists,
/// redirections or substitutions), which "allow commands starting with these" can
/// remember.
pub(super) fn simple_command_words(command: &[String]) -> Option<Vec<String>> {
    let script = codex_protocol::display_command(command);
    if script.chars().any(|c| ";&|<>$`()\n".contains(c)) {
        return None;
    }
    shlex::split(&script).filter(|words| !words.is_empty())
}

/// What a command does, as Codex parses it; zspark says `unknown` with its script.
pub(super) fn command_actions(command: &[String]) -> Vec<Value> {
    vec![json!({"type": "unknown", "command": codex_protocol::display_command(command)})]
}

pub(super) fn file_change_item(
    call_id: &str,
    changes: &BTreeMap<PathBuf, FileChange>,
    at_ms: i64,
) -> ThreadItem {
    let changes = changes
        .iter()
        .map(|(path, change)| {
            let (kind, diff) = match change {
                FileChange::Add { content } => (FileUpdateKind::Add, content.clone()),
                FileChange::Delete { content } => (FileUpdateKind::Delete, content.clone()),
                FileChange::Update {
                    unified_diff,
                    move_path,
                } => (
                    FileUpdateKind::Update {
                        move_path: move_path.clone(),
                    },
                    unified_diff.clone(),
                ),
            };
            FileUpdate {
                path: path.clone(),
                kind,
                diff,
            }
        })
        .collect();
    ThreadItem {
        kind: ItemKind::FileChange {
            id: call_id.to_string(),
            changes,
            status: ItemStatus::InProgress,
        },
        started_at_ms: Some(at_ms),
        completed_at_ms: None,
    }
}

pub(super) fn collab_item(call: &CollabToolCallEvent, at_ms: i64) -> ThreadItem {
    let tool = match call.tool.as_str() {
        "spawn_agent" => "spawnAgent",
        "send_input" => "sendInput",
        "resume_agent" => "resumeAgent",
        "close_agent" => "closeAgent",
        "send_message" => "sendMessage",
        "followup_task" => "followupTask",
        "interrupt_agent" => "interruptAgent",
        "list_agents" => "listAgents",
        _ => "wait",
    };
    let states: serde_json::Map<String, Value> = call
        .agents_states
        .iter()
        .map(|(thread, status)| {
            let message = match status {
                codex_protocol::AgentStatus::Completed(message) => message.clone(),
                codex_protocol::AgentStatus::Errored(message) => Some(message.clone()),
                _ => None,
            };
            (
                thread.clone(),
                json!({"status": status.label(), "message": message}),
            )
        })
        .collect();
    ThreadItem {
        kind: ItemKind::CollabAgentToolCall {
            id: call.call_id.clone(),
            tool: tool.to_string(),
            status: if call.success {
                ItemStatus::Completed
            } else {
                ItemStatus::Failed
            },
            sender_thread_id: call.sender_thread_id.clone(),
            receiver_thread_ids: call
                .receivers
                .iter()
                .map(|agent| agent.thread_id.clone())
                .collect(),
            prompt: call.prompt.clone(),
            model: call.model.clone(),
            reasoning_effort: call.reasoning_effort.map(|effort| {
                serde_json::to_value(effort)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_string))
                    .unwrap_or_default()
            }),
            agents_states: Value::Object(states),
        },
        started_at_ms: Some(at_ms),
        completed_at_ms: None,
    }
}

pub(super) fn set_status(item: &mut ThreadItem, new: ItemStatus) {
    match &mut item.kind {
        ItemKind::CommandExecution { status, .. }
        | ItemKind::FileChange { status, .. }
        | ItemKind::McpToolCall { status, .. }
        | ItemKind::CollabAgentToolCall { status, .. } => *status = new,
        _ => {}
    }
}

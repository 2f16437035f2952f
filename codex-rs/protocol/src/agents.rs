//! Sub-agents on the wire: where an agent stands, in Codex's words (`pending_init`
//! until its first turn starts, `running`, then a final state; a finished turn carries
//! the agent's last message, `{"completed": "..."}`), and the event each finished
//! sub-agent tool call emits, from which front-ends draw agent cards and `exec --json`
//! its collaboration items, and the event for a message between agents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ReasoningEffort;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    PendingInit,
    Running,
    Interrupted,
    Completed(Option<String>),
    Errored(String),
    Shutdown,
    NotFound,
}

impl AgentStatus {
    /// Whether the agent has nothing more to do until it is given more.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::PendingInit | Self::Running)
    }

    /// The status in Codex's app-server words (`pendingInit`, `completed`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Self::PendingInit => "pendingInit",
            Self::Running => "running",
            Self::Interrupted => "interrupted",
            Self::Completed(_) => "completed",
            Self::Errored(_) => "errored",
            Self::Shutdown => "shutdown",
            Self::NotFound => "notFound",
        }
    }

    /// The agent's last message, or why it failed.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Completed(message) => message.as_deref(),
            Self::Errored(reason) => Some(reason),
            _ => None,
        }
    }
}

/// An agent a call reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollabAgentRef {
    pub thread_id: String,
    pub nickname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A sub-agent tool call (spawn, send, resume, wait, close) finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollabToolCallEvent {
    pub call_id: String,
    /// Codex's name in rollouts: `spawn_agent`, `send_input`, `resume_agent`, `wait`,
    /// `close_agent`.
    pub tool: String,
    /// False when the call was refused (the reason went to the model).
    pub success: bool,
    pub sender_thread_id: String,
    pub receivers: Vec<CollabAgentRef>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Agent thread id -> its status after the call.
    #[serde(default)]
    pub agents_states: BTreeMap<String, AgentStatus>,
}

/// A message between agents of a tree (Codex's second version) reached a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentMailEvent {
    /// The sender's and recipient's task paths.
    pub author: String,
    pub recipient: String,
    /// `NEW_TASK`, `MESSAGE` or `FINAL_ANSWER`.
    pub message_type: String,
    pub payload: String,
}

impl AgentMailEvent {
    /// The event for an `agent_message` item's text (its header, then the payload).
    pub fn from_text(author: &str, recipient: &str, text: &str) -> Self {
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name))
                .map(str::trim)
                .unwrap_or_default()
                .to_string()
        };
        let payload = text
            .split_once("Payload:\n")
            .map_or(text, |(_, payload)| payload);
        Self {
            author: author.to_string(),
            recipient: recipient.to_string(),
            message_type: field("Message Type:"),
            payload: payload.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_s_text_gives_its_type_and_payload() {
        let event = AgentMailEvent::from_text(
            "/root",
            "/root/a",
            "Message Type: NEW_TASK\nTask name: /root/a\nSender: /root\nPayload:\nline one\nline two",
        );
        assert_eq!(event.message_type, "NEW_TASK");
        assert_eq!(event.payload, "line one\nline two");
    }

    #[test]
    fn statuses_are_written_as_codex_writes_them() {
        let json = |status: AgentStatus| serde_json::to_value(status).unwrap();
        assert_eq!(json(AgentStatus::PendingInit), "pending_init");
        assert_eq!(
            json(AgentStatus::Completed(Some("done".into()))),
            serde_json::json!({"completed": "done"})
        );
        assert_eq!(
            json(AgentStatus::Errored("no provider".into())),
            serde_json::json!({"errored": "no provider"})
        );
        assert!(!AgentStatus::Running.is_final() && AgentStatus::Shutdown.is_final());
        assert_eq!(AgentStatus::Errored("x".into()).message(), Some("x"));
    }
}

//! Sub-agents on the wire: where an agent stands, in Codex's words (`pending_init`
//! until its first turn starts, `running`, then a final state; a finished turn carries
//! the agent's last message, `{"completed": "..."}`), and the event each finished
//! sub-agent tool call emits, from which front-ends draw agent cards and `exec --json`
//! its collaboration items.

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

#[cfg(test)]
mod tests {
    use super::*;

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

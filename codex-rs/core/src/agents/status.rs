//! Where a sub-agent stands, in Codex's words: `pending_init` until its first turn
//! starts, `running`, then one of the final states; a finished turn carries the agent's
//! last message (`{"completed": "..."}`), a failed one the reason.

use codex_protocol::AbortReason;
use serde::{Deserialize, Serialize};

use crate::session::TurnOutcome;

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

    /// The status a turn's end leaves the agent in.
    pub fn after(outcome: &TurnOutcome) -> Self {
        match outcome {
            TurnOutcome::Completed { last_agent_message } => {
                Self::Completed(last_agent_message.clone())
            }
            TurnOutcome::Aborted(AbortReason::Shutdown) => Self::Shutdown,
            TurnOutcome::Aborted(_) => Self::Interrupted,
            TurnOutcome::Failed(reason) => Self::Errored(reason.clone()),
        }
    }
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
    }
}

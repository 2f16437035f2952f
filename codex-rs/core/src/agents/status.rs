//! The status a sub-agent's turn leaves it in (the statuses themselves are
//! [`codex_protocol::AgentStatus`], in Codex's words).

use codex_protocol::{AbortReason, AgentStatus};

use crate::session::TurnOutcome;

/// The status a turn's end leaves the agent in.
pub fn status_after(outcome: &TurnOutcome) -> AgentStatus {
    match outcome {
        TurnOutcome::Completed { last_agent_message } => {
            AgentStatus::Completed(last_agent_message.clone())
        }
        TurnOutcome::Aborted(AbortReason::Shutdown) => AgentStatus::Shutdown,
        TurnOutcome::Aborted(_) => AgentStatus::Interrupted,
        TurnOutcome::Failed(reason) => AgentStatus::Errored(reason.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_s_end_gives_the_agent_s_status() {
        let completed = TurnOutcome::Completed {
            last_agent_message: Some("done".into()),
        };
        assert_eq!(
            status_after(&completed),
            AgentStatus::Completed(Some("done".into()))
        );
        assert_eq!(
            status_after(&TurnOutcome::Aborted(AbortReason::Interrupted)),
            AgentStatus::Interrupted
        );
        assert_eq!(
            status_after(&TurnOutcome::Failed("no provider".into())),
            AgentStatus::Errored("no provider".into())
        );
    }
}

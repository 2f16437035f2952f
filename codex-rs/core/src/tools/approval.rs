//! Asking the user, the same way for commands and patches: the request event goes
//! out on the turn's submission, the turn waits for the decision (an `ExecApproval` or
//! `PatchApproval` op), and `cancel` stops the turn. What a decision grants beyond this
//! one call (the command or files for the session, a remembered prefix) is up to the
//! tool asking.

use codex_protocol::{EventMsg, ReviewDecision};

use super::{ToolInvocation, TurnCancelled};

/// Emits `request` (an approval request event for this call) and waits for the
/// user's decision. `Cancel`, or the session going away, stops the turn.
pub async fn ask_user(
    invocation: &ToolInvocation,
    request: EventMsg,
) -> Result<ReviewDecision, TurnCancelled> {
    let decision = invocation
        .session
        .approvals()
        .ask(
            invocation.session.events(),
            &invocation.turn.submission_id,
            &invocation.call_id,
            request,
        )
        .await;
    match decision {
        ReviewDecision::Cancel => Err(TurnCancelled),
        decision => Ok(decision),
    }
}

//! `update_plan`: the agent's checklist, shown to the user.

use codex_protocol::{EventMsg, PlanUpdate, StepStatus};

use super::Invocation;

pub async fn update_plan(invocation: &Invocation<'_>, update: PlanUpdate) -> String {
    let in_progress = update
        .plan
        .iter()
        .filter(|item| item.status == StepStatus::InProgress)
        .count();
    if in_progress > 1 {
        return format!(
            "update_plan failed: {in_progress} steps are in_progress; at most one step may be in progress"
        );
    }
    invocation
        .session
        .events()
        .send(&invocation.turn.submission_id, EventMsg::PlanUpdate(update))
        .await;
    "Plan updated".to_string()
}

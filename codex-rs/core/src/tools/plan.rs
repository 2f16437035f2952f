//! `update_plan`: the agent's checklist, shown to the user.

use codex_protocol::{EventMsg, PlanUpdate, StepStatus, ToolOutput};
use serde_json::json;

use super::ToolInvocation;
use super::registry::{ToolFuture, ToolHandler};
use super::spec::{FunctionTool, ToolSpec};

/// `update_plan`.
pub struct UpdatePlan;

impl ToolHandler for UpdatePlan {
    fn spec(&self) -> ToolSpec {
        ToolSpec::Function(FunctionTool::new(
            "update_plan",
            "Keep the user informed with a short plan of steps. Send the whole plan each time; at most one step is in_progress.",
            json!({
                "explanation": {"type": "string"},
                "plan": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                        },
                        "required": ["step", "status"],
                        "additionalProperties": false
                    }
                }
            }),
            &["plan"],
        ))
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(async move {
            Ok(ToolOutput::Text(match invocation.arguments() {
                Ok(update) => update_plan(&invocation, update).await,
                Err(error) => error.to_string(),
            }))
        })
    }
}

async fn update_plan(invocation: &ToolInvocation, update: PlanUpdate) -> String {
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
        .emit_recorded(&invocation.turn.submission_id, EventMsg::PlanUpdate(update))
        .await;
    "Plan updated".to_string()
}

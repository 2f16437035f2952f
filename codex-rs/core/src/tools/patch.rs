//! `apply_patch`: parse and plan the patch, apply the approval policy to the files it
//! touches, then write all of it or nothing.

use codex_apply_patch::{DiskFs, plan_text};
use codex_protocol::{ApplyPatchApprovalRequestEvent, EventMsg, ReviewDecision, ToolOutput};
use serde::Deserialize;

use super::{Invocation, TurnCancelled};
use crate::safety::{PatchAssessment, assess_patch};

/// The function form: `{"input": "<patch text>"}`.
#[derive(Debug, Deserialize)]
pub struct PatchArgs {
    pub input: String,
}

pub async fn apply_patch(
    invocation: &Invocation<'_>,
    text: &str,
) -> Result<ToolOutput, TurnCancelled> {
    let session = invocation.session;
    let turn = invocation.turn;
    let cwd = turn.cwd.clone();
    let patch_text = text.to_string();
    let planned = tokio::task::spawn_blocking(move || plan_text(&patch_text, &cwd, &DiskFs)).await;
    let plan = match planned {
        Ok(Ok(plan)) => plan,
        Ok(Err(error)) => return Ok(ToolOutput::Text(format!("apply_patch failed: {error}"))),
        Err(error) => return Ok(ToolOutput::Text(format!("apply_patch failed: {error}"))),
    };
    let touched = plan.touched_paths();
    let approvals = session.approvals();
    let assessment = assess_patch(
        turn.approval_policy,
        &turn.sandbox_policy,
        &turn.cwd,
        &session.config().env,
        &touched,
        approvals.paths_allowed(touched.iter().copied()),
    );
    let changes = plan.file_changes();
    let auto_approved = match assessment {
        PatchAssessment::Apply => true,
        PatchAssessment::Reject(message) => return Ok(ToolOutput::Text(message)),
        PatchAssessment::Ask { reason } => {
            let request = EventMsg::ApplyPatchApprovalRequest(ApplyPatchApprovalRequestEvent {
                call_id: invocation.call_id.to_string(),
                turn_id: turn.turn_id.clone(),
                changes: changes.clone(),
                reason,
            });
            match approvals
                .ask(
                    session.events(),
                    &turn.submission_id,
                    invocation.call_id,
                    request,
                )
                .await
            {
                ReviewDecision::Accept | ReviewDecision::AcceptWithExecpolicyAmendment { .. } => {
                    false
                }
                ReviewDecision::AcceptForSession => {
                    approvals.allow_paths_for_session(touched.iter().copied());
                    false
                }
                ReviewDecision::Decline => {
                    return Ok(ToolOutput::Text(
                        "The user declined this patch; no file was changed. Ask the user how to proceed."
                            .to_string(),
                    ));
                }
                ReviewDecision::Cancel => return Err(TurnCancelled),
            }
        }
    };
    session
        .events()
        .send(
            &turn.submission_id,
            EventMsg::PatchApplyBegin {
                call_id: invocation.call_id.to_string(),
                changes,
                auto_approved,
            },
        )
        .await;
    let summary = plan.summary();
    let committed = tokio::task::spawn_blocking(move || plan.commit(&mut DiskFs)).await;
    let (success, output) = match committed {
        Ok(Ok(())) => (true, summary),
        Ok(Err(error)) => (false, format!("apply_patch failed: {error}")),
        Err(error) => (false, format!("apply_patch failed: {error}")),
    };
    session
        .events()
        .send(
            &turn.submission_id,
            EventMsg::PatchApplyEnd {
                call_id: invocation.call_id.to_string(),
                success,
                output: output.clone(),
            },
        )
        .await;
    Ok(ToolOutput::Text(output))
}

//! `apply_patch`: parse and plan the patch, apply the approval policy to the files it
//! touches (asking the user the way commands do), then write all of it or nothing.
//! Offered as a freeform tool (the patch grammar) or as a function taking `input`;
//! calls of either form are answered.

use codex_apply_patch::{DiskFs, plan_text};
use codex_protocol::{ApplyPatchApprovalRequestEvent, EventMsg, ReviewDecision, ToolOutput};
use serde::Deserialize;
use serde_json::json;

use super::approval::ask_user;
use super::registry::{ToolFuture, ToolHandler};
use super::spec::{FreeformTool, FunctionTool, ToolSpec};
use super::{ToolInvocation, ToolPayload, TurnCancelled};
use crate::safety::{PatchAssessment, assess_patch};

/// Lark grammar for the freeform `apply_patch` tool.
const APPLY_PATCH_GRAMMAR: &str = r#"start: begin hunk+ end
begin: "*** Begin Patch" LF
end: "*** End Patch" LF?
hunk: add | delete | update
add: "*** Add File: " path LF added*
delete: "*** Delete File: " path LF
update: "*** Update File: " path LF move? section*
move: "*** Move to: " path LF
section: header? line+ eof?
header: ("@@" | "@@ " /(.+)/) LF
line: (" " | "-" | "+") /(.*)/ LF
added: "+" /(.*)/ LF
eof: "*** End of File" LF
path: /(.+)/
%import common.LF
"#;

const APPLY_PATCH_DESCRIPTION: &str = "Edit files with a patch. Wrap the patch in '*** Begin Patch' and '*** End Patch'. \
Each file gets a header: '*** Add File: <path>' followed by its lines each prefixed with '+'; \
'*** Delete File: <path>'; or '*** Update File: <path>' (optionally followed by '*** Move to: <new path>') \
followed by sections. A section may start with '@@' or '@@ <a line to find first>' and lists lines prefixed \
with ' ' (unchanged context), '-' (remove) or '+' (add); give about three lines of context around each change. \
End a section with '*** End of File' when it changes the end of the file. Paths are relative to the working \
directory. The whole patch applies or nothing changes.";

/// The function form: `{"input": "<patch text>"}`.
#[derive(Debug, Deserialize)]
struct PatchArgs {
    input: String,
}

/// `apply_patch`, offered freeform or as a function.
pub struct ApplyPatch {
    pub freeform: bool,
}

impl ToolHandler for ApplyPatch {
    fn spec(&self) -> ToolSpec {
        if self.freeform {
            ToolSpec::Custom(FreeformTool::lark(
                "apply_patch",
                APPLY_PATCH_DESCRIPTION,
                APPLY_PATCH_GRAMMAR,
            ))
        } else {
            ToolSpec::Function(FunctionTool::new(
                "apply_patch",
                APPLY_PATCH_DESCRIPTION,
                json!({"input": {"type": "string", "description": "The whole patch text."}}),
                &["input"],
            ))
        }
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(async move {
            let text = match &invocation.payload {
                ToolPayload::Custom { input } => input.clone(),
                ToolPayload::Function { .. } => match invocation.arguments::<PatchArgs>() {
                    Ok(args) => args.input,
                    Err(error) => return Ok(ToolOutput::Text(error.to_string())),
                },
            };
            apply_patch(&invocation, &text).await
        })
    }
}

async fn apply_patch(invocation: &ToolInvocation, text: &str) -> Result<ToolOutput, TurnCancelled> {
    let session = &invocation.session;
    let turn = &invocation.turn;
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
                call_id: invocation.call_id.clone(),
                turn_id: turn.turn_id.clone(),
                changes: changes.clone(),
                reason,
            });
            match ask_user(invocation, request).await? {
                ReviewDecision::Accept | ReviewDecision::AcceptWithExecpolicyAmendment { .. } => {
                    false
                }
                ReviewDecision::AcceptForSession | ReviewDecision::AcceptAlways => {
                    approvals.allow_paths_for_session(touched.iter().copied());
                    false
                }
                // (`Cancel` never arrives here: `ask_user` stops the turn for it.)
                ReviewDecision::Decline | ReviewDecision::Cancel => {
                    return Ok(ToolOutput::Text(
                        "The user declined this patch; no file was changed. Ask the user how to proceed."
                            .to_string(),
                    ));
                }
            }
        }
    };
    session
        .emit_recorded(
            &turn.submission_id,
            EventMsg::PatchApplyBegin {
                call_id: invocation.call_id.clone(),
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
        .emit_recorded(
            &turn.submission_id,
            EventMsg::PatchApplyEnd {
                call_id: invocation.call_id.clone(),
                success,
                output: output.clone(),
            },
        )
        .await;
    Ok(ToolOutput::Text(output))
}

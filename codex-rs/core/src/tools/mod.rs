//! The tools offered to the model, and dispatch of the model's tool calls to them.
//!
//! Names and argument schemas follow Codex's so prompts and skills written for Codex
//! keep working: `exec_command` + `write_stdin` (or the classic `shell`), `apply_patch`
//! (freeform or function form), `update_plan`, `view_image`.

mod capture;
mod exec;
mod image;
mod patch;
mod plan;
pub mod process;
mod shell;
mod specs;
pub mod truncate;

use codex_protocol::{
    EventMsg, ExecApprovalRequestEvent, ResponseItem, ReviewDecision, ToolOutput,
};

pub use exec::ProcessRegistry;
pub use image::{MAX_IMAGE_BYTES, image_data_url, image_mime};
pub use specs::tool_specs;

use crate::safety::{CommandAssessment, assess_command};
use crate::session::{Session, TurnContext};

/// The user chose `cancel` on an approval: the turn stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnCancelled;

/// Everything a tool handler can reach.
pub struct Invocation<'a> {
    pub session: &'a Session,
    pub turn: &'a TurnContext,
    pub call_id: &'a str,
}

/// Runs the tool call `call` and returns its output item.
pub async fn dispatch(
    session: &Session,
    turn: &TurnContext,
    call: &ResponseItem,
) -> Result<ResponseItem, TurnCancelled> {
    match call {
        ResponseItem::FunctionCall {
            name,
            arguments,
            call_id,
            ..
        } => {
            let invocation = Invocation {
                session,
                turn,
                call_id,
            };
            let output = run_function(&invocation, name, arguments).await?;
            Ok(ResponseItem::FunctionCallOutput {
                call_id: call_id.clone(),
                output,
            })
        }
        ResponseItem::CustomToolCall {
            name,
            input,
            call_id,
            ..
        } => {
            let invocation = Invocation {
                session,
                turn,
                call_id,
            };
            let output = match name.as_str() {
                "apply_patch" => patch::apply_patch(&invocation, input).await?,
                other => ToolOutput::Text(format!("unsupported custom tool `{other}`")),
            };
            Ok(ResponseItem::CustomToolCallOutput {
                call_id: call_id.clone(),
                output,
            })
        }
        _ => Ok(ResponseItem::Other),
    }
}

async fn run_function(
    invocation: &Invocation<'_>,
    name: &str,
    arguments: &str,
) -> Result<ToolOutput, TurnCancelled> {
    let text = |text: String| Ok(ToolOutput::Text(text));
    match name {
        "exec_command" => match parse(arguments) {
            Ok(args) => exec::exec_command(invocation, args)
                .await
                .map(ToolOutput::Text),
            Err(error) => text(error),
        },
        "write_stdin" => match parse(arguments) {
            Ok(args) => text(exec::write_stdin(invocation, args).await),
            Err(error) => text(error),
        },
        "shell" => match parse(arguments) {
            Ok(args) => shell::shell(invocation, args).await.map(ToolOutput::Text),
            Err(error) => text(error),
        },
        "shell_command" => match parse(arguments) {
            Ok(args) => shell::shell_command(invocation, args)
                .await
                .map(ToolOutput::Text),
            Err(error) => text(error),
        },
        "apply_patch" => match parse::<patch::PatchArgs>(arguments) {
            Ok(args) => patch::apply_patch(invocation, &args.input).await,
            Err(error) => text(error),
        },
        "update_plan" => match parse(arguments) {
            Ok(args) => text(plan::update_plan(invocation, args).await),
            Err(error) => text(error),
        },
        "view_image" => match parse(arguments) {
            Ok(args) => Ok(image::view_image(invocation, args).await),
            Err(error) => text(error),
        },
        other => text(format!(
            "unsupported call: there is no tool named `{other}`. Available tools: exec_command, write_stdin, shell, apply_patch, update_plan, view_image."
        )),
    }
}

fn parse<T: serde::de::DeserializeOwned>(arguments: &str) -> Result<T, String> {
    let arguments = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    serde_json::from_str(arguments)
        .map_err(|error| format!("failed to parse function arguments: {error}"))
}

/// The user's answer to running a command.
pub enum CommandApproval {
    /// Run it; outside the sandbox only for an escalation the user approved in
    /// answer to this very request.
    Granted { outside_sandbox: bool },
    /// Not run; the text is what the model is told.
    Denied(String),
}

/// Applies the approval policy to `command`, asking the user when it says so.
pub async fn approve_command(
    invocation: &Invocation<'_>,
    command: &[String],
    escalation_requested: bool,
    justification: Option<&str>,
    prefix_rule: Option<Vec<String>>,
) -> Result<CommandApproval, TurnCancelled> {
    let approvals = invocation.session.approvals();
    let assessment = assess_command(
        invocation.turn.approval_policy,
        command,
        escalation_requested,
        justification,
        approvals.command_allowed(command),
    );
    let CommandAssessment::Ask { reason } = assessment else {
        return Ok(CommandApproval::Granted {
            outside_sandbox: false,
        });
    };
    let request = EventMsg::ExecApprovalRequest(ExecApprovalRequestEvent {
        call_id: invocation.call_id.to_string(),
        turn_id: invocation.turn.turn_id.clone(),
        command: command.to_vec(),
        cwd: invocation.turn.cwd.clone(),
        reason,
        proposed_prefix: prefix_rule,
    });
    let decision = approvals
        .ask(
            invocation.session.events(),
            &invocation.turn.submission_id,
            invocation.call_id,
            request,
        )
        .await;
    let approved = CommandApproval::Granted {
        outside_sandbox: escalation_requested,
    };
    match decision {
        ReviewDecision::Accept => Ok(approved),
        ReviewDecision::AcceptForSession => {
            approvals.allow_command_for_session(command);
            Ok(approved)
        }
        ReviewDecision::AcceptWithExecpolicyAmendment { prefix } => {
            invocation.session.remember_command_prefix(prefix).await;
            Ok(approved)
        }
        ReviewDecision::Decline => Ok(CommandApproval::Denied(
            "The user declined to run this command. Do not retry it; ask the user or try another way."
                .to_string(),
        )),
        ReviewDecision::Cancel => Err(TurnCancelled),
    }
}

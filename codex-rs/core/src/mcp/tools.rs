//! A started server's tools as tool handlers: one function per allowed tool, named as
//! Codex names it, inside the server's `mcp__<server>` namespace. A call that its
//! approval mode says must be approved asks the user first (refused at once under
//! approval policy `never`; "for the session" allows the tool until the session ends),
//! then runs `tools/call` with the raw name between `McpToolCallBegin` and `End` events,
//! and gives the model what Codex gives it: `Wall time: <s> seconds\nOutput:\n<JSON>`
//! for structured content, else the header followed by each text block (images as
//! images).

use std::sync::Arc;
use std::time::Instant;

use codex_protocol::{
    ApprovalPolicy, ContentItem, EventMsg, McpToolApprovalRequestEvent, McpToolCallBeginEvent,
    McpToolCallEndEvent, ReviewDecision, ToolOutput,
};
use rmcp::model::{CallToolResult, ContentBlock, Tool};

use super::client::McpConnection;
use super::config::{ApprovalMode, McpServer};
use super::names;
use crate::tools::approval::ask_user;
use crate::tools::spec::{FunctionTool, ToolSpec};
use crate::tools::{ToolFuture, ToolHandler, ToolInvocation};

/// One MCP tool offered to the model.
pub struct McpTool {
    connection: Arc<McpConnection>,
    raw_name: String,
    spec: FunctionTool,
    read_only: bool,
    approval: ApprovalMode,
}

/// The handlers for those of `tools` (listed by `connection`) that `server`'s filter
/// allows.
pub fn handlers(
    server: &McpServer,
    connection: &Arc<McpConnection>,
    tools: &[Tool],
) -> Vec<Arc<dyn ToolHandler>> {
    let allowed: Vec<&Tool> = tools
        .iter()
        .filter(|tool| server.tools.allows(&tool.name))
        .collect();
    let model_names =
        names::tool_names(&server.name, allowed.iter().map(|tool| tool.name.as_ref()));
    allowed
        .into_iter()
        .map(|tool| {
            let raw_name = tool.name.to_string();
            let handler: Arc<dyn ToolHandler> = Arc::new(McpTool {
                connection: connection.clone(),
                spec: FunctionTool {
                    name: model_names
                        .get(&raw_name)
                        .cloned()
                        .unwrap_or_else(|| names::sanitize(&raw_name)),
                    description: tool.description.as_deref().unwrap_or_default().to_string(),
                    strict: false,
                    parameters: serde_json::Value::Object(tool.input_schema.as_ref().clone()),
                },
                read_only: tool
                    .annotations
                    .as_ref()
                    .and_then(|annotations| annotations.read_only_hint)
                    .unwrap_or(false),
                approval: server.approval_mode(&raw_name),
                raw_name,
            });
            handler
        })
        .collect()
}

impl ToolHandler for McpTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::Function(self.spec.clone())
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        let connection = self.connection.clone();
        let raw_name = self.raw_name.clone();
        let asks = self.approval.asks(self.read_only);
        Box::pin(async move {
            let arguments = match invocation
                .arguments::<Option<serde_json::Map<String, serde_json::Value>>>()
            {
                Ok(arguments) => arguments,
                Err(error) => return Ok(ToolOutput::Text(error.to_string())),
            };
            if asks && !connection.allowed_for_session(&raw_name) {
                if invocation.turn.approval_policy == ApprovalPolicy::Never {
                    return Ok(ToolOutput::Text(
                        "MCP tool call requires approval, but approval policy is never".to_string(),
                    ));
                }
                let request = EventMsg::McpToolApprovalRequest(McpToolApprovalRequestEvent {
                    call_id: invocation.call_id.clone(),
                    turn_id: invocation.turn.turn_id.clone(),
                    server: connection.server().to_string(),
                    tool: raw_name.clone(),
                    arguments: serde_json::Value::Object(arguments.clone().unwrap_or_default())
                        .to_string(),
                });
                match ask_user(&invocation, request).await? {
                    ReviewDecision::AcceptForSession => {
                        connection.allow_for_session(&raw_name);
                    }
                    ReviewDecision::Accept
                    | ReviewDecision::AcceptWithExecpolicyAmendment { .. } => {}
                    ReviewDecision::Decline | ReviewDecision::Cancel => {
                        return Ok(ToolOutput::Text(format!(
                            "the user declined this call of the MCP tool `{raw_name}`"
                        )));
                    }
                }
            }
            let submission = invocation.turn.submission_id.clone();
            invocation
                .session
                .emit_recorded(
                    &submission,
                    EventMsg::McpToolCallBegin(McpToolCallBeginEvent {
                        call_id: invocation.call_id.clone(),
                        server: connection.server().to_string(),
                        tool: raw_name.clone(),
                        arguments: serde_json::Value::Object(arguments.clone().unwrap_or_default())
                            .to_string(),
                    }),
                )
                .await;
            let started = Instant::now();
            let outcome = connection.call_tool(&raw_name, arguments).await;
            let elapsed = started.elapsed();
            let header = format!("Wall time: {:.4} seconds\nOutput:", elapsed.as_secs_f64());
            let (output, success) = match outcome {
                Ok(result) => {
                    let success = result.is_error != Some(true);
                    (shaped(&header, result), success)
                }
                Err(error) => (
                    ToolOutput::Content(vec![
                        ContentItem::InputText { text: header },
                        ContentItem::InputText {
                            text: error.to_string(),
                        },
                    ]),
                    false,
                ),
            };
            invocation
                .session
                .emit_recorded(
                    &submission,
                    EventMsg::McpToolCallEnd(McpToolCallEndEvent {
                        call_id: invocation.call_id.clone(),
                        duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                        success,
                        output: shown_output(&output),
                    }),
                )
                .await;
            Ok(output)
        })
    }
}

/// What the user is shown of an output: its text without the `Wall time` header.
fn shown_output(output: &ToolOutput) -> String {
    let text = output.text();
    match text.split_once("\nOutput:") {
        Some((_, rest)) => rest.trim_start_matches('\n').to_string(),
        None => text,
    }
}

/// A result as the model gets it.
fn shaped(header: &str, result: CallToolResult) -> ToolOutput {
    if let Some(structured) = result.structured_content {
        return ToolOutput::Text(format!("{header}\n{structured}"));
    }
    let mut parts = vec![ContentItem::InputText {
        text: header.to_string(),
    }];
    for block in result.content {
        match block {
            ContentBlock::Text(text) => parts.push(ContentItem::InputText {
                text: text.text.clone(),
            }),
            ContentBlock::Image(image) => parts.push(ContentItem::InputImage {
                image_url: format!("data:{};base64,{}", image.mime_type, image.data),
                detail: None,
            }),
            other => parts.push(ContentItem::InputText {
                text: serde_json::to_string(&other).unwrap_or_default(),
            }),
        }
    }
    ToolOutput::Content(parts)
}

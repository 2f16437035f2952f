//! A started server's tools as tool handlers: one function per allowed tool, named as
//! Codex names it, inside the server's `mcp__<server>` namespace. A call that its
//! approval mode says must be approved asks the user first (refused at once under
//! approval policy `never`; "for the session" allows the tool until the session ends),
//! then runs `tools/call` with the raw name on the server's current connection (started
//! again if the server had stopped) between `McpToolCallBegin` and `End` events, records
//! it the Codex way (`record`), and gives the model what Codex gives it:
//! `Wall time: <s> seconds\nOutput:\n<JSON>` for structured content, else the header
//! followed by each text block (images as images); a result's text is cut to 10,000
//! estimated tokens (or the tool's `output_token_limit`), the middle left out.

use std::sync::Arc;
use std::time::Instant;

use codex_protocol::{
    ApprovalPolicy, ContentItem, EventMsg, McpToolApprovalRequestEvent, ReviewDecision, ToolOutput,
};
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use serde_json::Value;

use super::config::{ApprovalMode, McpServer};
use super::edit::{ConfigDocument, EditError};
use super::record::{self, CallRecord};
use super::{names, startup};
use crate::tools::approval::ask_user;
use crate::tools::spec::{FunctionTool, ToolSpec};
use crate::tools::truncate::{estimate_tokens, truncate_middle};
use crate::tools::{ToolFuture, ToolHandler, ToolInvocation, TurnCancelled};

/// One MCP tool offered to the model.
pub struct McpTool {
    spec: FunctionTool,
    target: Arc<CallTarget>,
}

/// What a call of one tool needs, shared with the calls in flight.
struct CallTarget {
    server: String,
    raw_name: String,
    /// The tool's `readOnlyHint`, when it gave one.
    read_only_hint: Option<bool>,
    approval: ApprovalMode,
    /// The most estimated tokens of a result the model gets.
    output_limit: usize,
    /// The plugin that declared the server, if one did.
    plugin: Option<String>,
}

/// The handlers for those of `tools` (listed by `server`) that its filter allows.
pub fn handlers(server: &McpServer, tools: &[Tool]) -> Vec<Arc<dyn ToolHandler>> {
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
            let description = tool.description.as_deref().unwrap_or_default();
            let handler: Arc<dyn ToolHandler> = Arc::new(McpTool {
                spec: FunctionTool {
                    name: model_names
                        .get(&raw_name)
                        .cloned()
                        .unwrap_or_else(|| names::sanitize(&raw_name)),
                    description: match &server.plugin {
                        Some(plugin) => format!("{description}\n\n(From the plugin {plugin}.)"),
                        None => description.to_string(),
                    },
                    strict: false,
                    parameters: serde_json::Value::Object(tool.input_schema.as_ref().clone()),
                },
                target: Arc::new(CallTarget {
                    server: server.name.clone(),
                    read_only_hint: tool
                        .annotations
                        .as_ref()
                        .and_then(|annotations| annotations.read_only_hint),
                    approval: server.approval_mode(&raw_name),
                    output_limit: server.output_token_limit(&raw_name),
                    plugin: server.plugin.clone(),
                    raw_name,
                }),
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
        let target = self.target.clone();
        Box::pin(async move {
            let arguments = match invocation
                .arguments::<Option<serde_json::Map<String, serde_json::Value>>>()
            {
                Ok(arguments) => arguments,
                Err(error) => return Ok(ToolOutput::Text(error.to_string())),
            };
            let arguments_json = arguments.clone().map_or(Value::Null, Value::Object);
            if let Some(refusal) = target.approve(&invocation, &arguments_json).await? {
                return Ok(ToolOutput::Text(refusal));
            }
            Ok(target.call(&invocation, arguments, arguments_json).await)
        })
    }
}

impl CallTarget {
    /// Asks the user when the tool's approval mode says so: `None` when the call may
    /// go ahead, else what the model is told.
    async fn approve(
        &self,
        invocation: &ToolInvocation,
        arguments: &Value,
    ) -> Result<Option<String>, TurnCancelled> {
        let servers = invocation.session.mcp_servers();
        let asks = self.approval.asks(self.read_only_hint.unwrap_or(false));
        if !asks || servers.allowed_for_session(&self.server, &self.raw_name) {
            return Ok(None);
        }
        if invocation.turn.approval_policy == ApprovalPolicy::Never {
            return Ok(Some(
                "MCP tool call requires approval, but approval policy is never".to_string(),
            ));
        }
        let request = EventMsg::McpToolApprovalRequest(McpToolApprovalRequestEvent {
            call_id: invocation.call_id.clone(),
            turn_id: invocation.turn.turn_id.clone(),
            server: self.server.clone(),
            tool: self.raw_name.clone(),
            arguments: record::arguments_text(arguments),
        });
        match ask_user(invocation, request).await? {
            ReviewDecision::AcceptForSession => {
                servers.allow_for_session(&self.server, &self.raw_name);
            }
            ReviewDecision::AcceptAlways => {
                servers.allow_for_session(&self.server, &self.raw_name);
                self.remember_approval(invocation).await;
            }
            ReviewDecision::Accept | ReviewDecision::AcceptWithExecpolicyAmendment { .. } => {}
            ReviewDecision::Decline | ReviewDecision::Cancel => {
                return Ok(Some(format!(
                    "the user declined this call of the MCP tool `{}`",
                    self.raw_name
                )));
            }
        }
        Ok(None)
    }

    /// Runs the call on the server's current connection, announces and records it, and
    /// shapes what the model gets.
    async fn call(
        &self,
        invocation: &ToolInvocation,
        arguments: Option<serde_json::Map<String, Value>>,
        arguments_json: Value,
    ) -> ToolOutput {
        let server = &self.server;
        let (connection, restarted) =
            match startup::connection_for_call(&invocation.session, server).await {
                Ok(found) => found,
                Err(message) => return ToolOutput::Text(message),
            };
        record::begin(invocation, server, &self.raw_name, &arguments_json).await;
        let started_at_ms = chrono::Utc::now().timestamp_millis();
        let started = Instant::now();
        let outcome = connection.call_tool(&self.raw_name, arguments).await;
        let elapsed = started.elapsed();
        let mut header = format!("Wall time: {:.4} seconds\nOutput:", elapsed.as_secs_f64());
        if let Some(note) = restarted {
            header = format!("{note}\n{header}");
        }
        let (output, recorded) = match outcome {
            Ok(result) => {
                let recorded = serde_json::to_value(&result).map_err(|error| error.to_string());
                (shaped(&header, result, self.output_limit), recorded)
            }
            Err(error) => {
                let mut text = error.to_string();
                if connection.is_closed() {
                    text.push_str(&format!(
                        "; the MCP server `{server}` stopped, and is started again on its next use"
                    ));
                }
                let output = ToolOutput::Content(vec![
                    ContentItem::InputText { text: header },
                    ContentItem::InputText { text: text.clone() },
                ]);
                (output, Err(text))
            }
        };
        let record = CallRecord {
            call_id: &invocation.call_id,
            server,
            tool: &self.raw_name,
            arguments: arguments_json,
            read_only: self.read_only_hint,
            started_at_ms,
            duration: elapsed,
            outcome: recorded,
        };
        record::end(invocation, record, shown_output(&output)).await;
        output
    }

    /// Writes the user's "always" for this tool to `config.toml` (under the plugin's
    /// table for a plugin's server); a warning says when it could not be kept.
    async fn remember_approval(&self, invocation: &ToolInvocation) {
        let config_path = invocation.session.config().codex_home.join("config.toml");
        let (server, plugin, raw_tool) = (
            self.server.clone(),
            self.plugin.clone(),
            self.raw_name.clone(),
        );
        let kept = tokio::task::spawn_blocking(move || {
            let mut document = ConfigDocument::open(&config_path)?;
            let kept = match &plugin {
                Some(plugin) => document.approve_plugin_tool(plugin, &server, &raw_tool)?,
                None => document.approve_tool(&server, &raw_tool)?,
            };
            if kept {
                document.save()?;
            }
            Ok::<_, EditError>(kept)
        })
        .await;
        let problem = match kept {
            Ok(Ok(true)) => return,
            Ok(Ok(false)) => "the server is not defined in the user's config.toml (a project's config defines it), so it is approved for this session only".to_string(),
            Ok(Err(error)) => format!("{error}; it is approved for this session only"),
            Err(error) => format!("{error}; it is approved for this session only"),
        };
        let message = format!("could not remember the approval of the MCP tool: {problem}");
        invocation
            .session
            .events()
            .send(
                &invocation.turn.submission_id,
                EventMsg::Warning { message },
            )
            .await;
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

/// The most text of one result the model gets, in estimated tokens; the middle of a
/// longer result is left out with a note (as for commands).
pub const MAX_RESULT_TOKENS: usize = 10_000;

/// A result as the model gets it, its text cut to `limit` estimated tokens in all.
fn shaped(header: &str, result: CallToolResult, limit: usize) -> ToolOutput {
    if let Some(structured) = result.structured_content {
        let json = truncate_middle(&structured.to_string(), limit);
        return ToolOutput::Text(format!("{header}\n{json}"));
    }
    let mut budget = limit;
    let mut text_part = |text: String| {
        let cut = truncate_middle(&text, budget);
        budget = budget.saturating_sub(estimate_tokens(&cut));
        ContentItem::InputText { text: cut }
    };
    let mut parts = vec![ContentItem::InputText {
        text: header.to_string(),
    }];
    for block in result.content {
        match block {
            ContentBlock::Text(text) => parts.push(text_part(text.text.clone())),
            ContentBlock::Image(image) => parts.push(ContentItem::InputImage {
                image_url: format!("data:{};base64,{}", image.mime_type, image.data),
                detail: None,
            }),
            other => parts.push(text_part(serde_json::to_string(&other).unwrap_or_default())),
        }
    }
    ToolOutput::Content(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_codex_shape_and_a_huge_one_is_cut_with_a_note() {
        let small = shaped(
            "H",
            CallToolResult::success(vec![ContentBlock::text("hi")]),
            MAX_RESULT_TOKENS,
        );
        assert_eq!(
            small,
            ToolOutput::Content(vec![
                ContentItem::InputText { text: "H".into() },
                ContentItem::InputText { text: "hi".into() },
            ])
        );
        let structured = shaped(
            "H",
            CallToolResult::structured(serde_json::json!({"a": 1})),
            MAX_RESULT_TOKENS,
        );
        assert_eq!(structured, ToolOutput::Text("H\n{\"a\":1}".into()));

        let huge = "line of output\n".repeat(1_000_000);
        let ToolOutput::Content(parts) = shaped(
            "H",
            CallToolResult::success(vec![
                ContentBlock::text(huge.clone()),
                ContentBlock::text(huge.clone()),
            ]),
            MAX_RESULT_TOKENS,
        ) else {
            panic!("content parts expected");
        };
        let text: usize = parts
            .iter()
            .filter_map(ContentItem::text)
            .map(estimate_tokens)
            .sum();
        assert!(text <= MAX_RESULT_TOKENS + 50, "{text} tokens");
        assert!(
            parts[1]
                .text()
                .is_some_and(|part| part.contains("tokens truncated")),
            "the cut is marked"
        );
        let ToolOutput::Content(parts) = shaped(
            "H",
            CallToolResult::success(vec![ContentBlock::text(huge)]),
            100,
        ) else {
            panic!("content parts expected");
        };
        let text = parts
            .get(1)
            .and_then(ContentItem::text)
            .map_or(0, estimate_tokens);
        assert!(
            text <= 150,
            "a tool's own output_token_limit holds: {text} tokens"
        );
    }
}

//! What the agent tools of both versions share: a parameter schema that admits
//! nothing else, the run of one call (arguments parsed, the operation done, the call
//! recorded, the model answered, a refusal with its reason), and the agents a call
//! reached as the record names them.

use codex_protocol::{CollabAgentRef, InputItem, ThreadId, ToolOutput};
use serde_json::Value;

use super::record::{CollabCall, record};
use crate::tools::spec::{FunctionTool, ToolSpec};
use crate::tools::{ToolInvocation, TurnCancelled};

/// A function tool whose parameters admit nothing else (`additionalProperties: false`).
pub(super) fn function(
    name: &str,
    description: &str,
    properties: Value,
    required: &[&str],
) -> ToolSpec {
    let mut tool = FunctionTool::new(name, description, properties, required);
    tool.parameters["additionalProperties"] = Value::Bool(false);
    ToolSpec::Function(tool)
}

/// What a call did: its output for the model and what the rollout records (`None`:
/// the call records itself, or nothing).
pub(super) type Done = Result<(Value, Option<CollabCall>), String>;

/// Parses the arguments and runs `operation`, then records the call and answers the
/// model (a refusal prefixed with `prefix`, recorded as a failed `tool` call). A
/// string output is given to the model as it is (`""`), anything else as JSON.
pub(super) async fn run<T, F, Fut>(
    invocation: ToolInvocation,
    tool: &'static str,
    prefix: &str,
    operation: F,
) -> Result<ToolOutput, TurnCancelled>
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(ToolInvocation, T) -> Fut,
    Fut: Future<Output = Done>,
{
    let done = match invocation.arguments::<T>() {
        Ok(arguments) => operation(invocation.clone(), arguments).await,
        Err(error) => Err(error.to_string()),
    };
    let (text, call) = match done {
        Ok((Value::String(text), call)) => (text, call),
        Ok((value, call)) => (value.to_string(), call),
        Err(message) => {
            let mut call = CollabCall::new(tool);
            call.failed = true;
            (format!("{prefix}{message}"), Some(call))
        }
    };
    if let Some(call) = call {
        record(&invocation, &call).await;
    }
    Ok(ToolOutput::Text(text))
}

/// The agent `id` as a receiver of a call: its id, nickname and role.
pub(super) fn receiver(invocation: &ToolInvocation, id: &ThreadId) -> CollabAgentRef {
    let spawn = invocation
        .session
        .agents()
        .view(id)
        .map(|agent| agent.spawn);
    CollabAgentRef {
        thread_id: id.0.clone(),
        nickname: spawn
            .as_ref()
            .map(|spawn| spawn.nickname.clone())
            .unwrap_or_default(),
        role: spawn.and_then(|spawn| spawn.role),
    }
}

/// The text of an input, for the record.
pub(super) fn prompt_of(items: &[InputItem]) -> Option<String> {
    let has_text = items
        .iter()
        .any(|item| matches!(item, InputItem::Text { .. }));
    has_text.then(|| InputItem::text_of(items))
}

//! A non-streaming `chat.completion` -> one Responses `response` object. The message is
//! fed through the stream translator as a single chunk, so both paths produce the same
//! items.

use serde_json::{Value, json};

use crate::stream::StreamTranslator;
use crate::tool_names::ToolNames;

/// The Responses object for a Chat completion. A completion with no choices, or an
/// error object, gives a `failed` response.
pub fn completion_to_response(
    completion: &Value,
    model: &str,
    tools: impl Into<ToolNames>,
) -> Value {
    let mut translator = StreamTranslator::new(model, tools);
    let mut events = Vec::new();
    match completion.pointer("/choices/0") {
        Some(choice) => {
            let mut message = choice.get("message").cloned().unwrap_or_else(|| json!({}));
            // Whole tool calls arrive without an index; number them as a stream would.
            if let Some(calls) = message.get_mut("tool_calls").and_then(Value::as_array_mut) {
                for (index, call) in calls.iter_mut().enumerate() {
                    call["index"] = Value::from(index);
                }
            }
            let mut chunk = json!({
                "choices": [{"index": 0, "delta": message, "finish_reason": choice.get("finish_reason").cloned().unwrap_or(Value::Null)}],
            });
            if let Some(usage) = completion.get("usage") {
                chunk["usage"] = usage.clone();
            }
            events.extend(translator.push_data(&chunk.to_string()));
            events.extend(translator.push_data("[DONE]"));
        }
        None => {
            let text = if completion.get("error").is_some() {
                json!({"error": completion["error"]}).to_string()
            } else {
                "the upstream completion has no choices".to_string()
            };
            events.extend(translator.push_data(&text));
            events.extend(translator.finish());
        }
    }
    events
        .into_iter()
        .rev()
        .find_map(|event| {
            event
                .get("response")
                .cloned()
                .filter(|_| event["type"] != "response.in_progress")
        })
        .unwrap_or(Value::Null)
}

//! Renders a scripted [`Reply`] in the Chat Completions wire format: streaming chunks
//! (`chat.completion.chunk`, tool calls keyed by `index` with id and name only in the
//! first fragment, the way OpenAI streams them) or one `chat.completion` JSON object.

use serde_json::{Value, json};

use crate::responses_wire::split_chars;
use crate::script::{Ending, OutputItem, Reply, Usage};

/// The `data:` payloads of a streamed reply, `[DONE]` included when the reply completes.
/// Cuts and stalls are applied by the server.
pub fn render_chunks(
    reply: &Reply,
    completion_id: &str,
    model: &str,
    include_usage: bool,
) -> Vec<String> {
    let chunk = |delta: Value, finish_reason: Value| {
        json!({
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        })
        .to_string()
    };
    let mut frames = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    let mut tool_index = 0usize;
    for item in &reply.items {
        match item {
            OutputItem::Message { text } => {
                for piece in split_chars(text, reply.delta_chars) {
                    frames.push(chunk(json!({"content": piece}), Value::Null));
                }
            }
            OutputItem::Reasoning { summary } => {
                for piece in split_chars(summary, reply.delta_chars) {
                    frames.push(chunk(json!({"reasoning_content": piece}), Value::Null));
                }
            }
            OutputItem::FunctionCall {
                call_id,
                namespace,
                name,
                arguments,
            } => {
                push_tool_call(
                    &mut frames,
                    &chunk,
                    tool_index,
                    call_id,
                    &flat_name(namespace.as_deref(), name),
                    arguments,
                    reply.delta_chars,
                );
                tool_index += 1;
            }
            OutputItem::CustomToolCall {
                call_id,
                name,
                input,
            } => {
                let arguments = custom_input_as_arguments(input);
                push_tool_call(
                    &mut frames,
                    &chunk,
                    tool_index,
                    call_id,
                    name,
                    &arguments,
                    reply.delta_chars,
                );
                tool_index += 1;
            }
        }
    }
    match &reply.ending {
        Ending::Failed { code, message } => {
            frames.push(json!({"error": {"code": code, "message": message}}).to_string());
            return frames;
        }
        Ending::Incomplete { reason } => {
            frames.push(chunk(
                json!({}),
                Value::from(finish_reason_for_incomplete(reason)),
            ));
        }
        Ending::Completed
        | Ending::CutAfter { .. }
        | Ending::AbortAfter { .. }
        | Ending::StallAfter { .. } => {
            let reason = if tool_index > 0 { "tool_calls" } else { "stop" };
            frames.push(chunk(json!({}), Value::from(reason)));
        }
    }
    if include_usage {
        frames.push(
            json!({
                "id": completion_id, "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": model, "choices": [], "usage": usage_json(&reply.usage),
            })
            .to_string(),
        );
    }
    frames.push("[DONE]".to_string());
    frames
}

/// The reply as one non-streaming `chat.completion` object. `Failed` endings are turned
/// into an HTTP error by the server before this is called.
pub fn render_completion(reply: &Reply, completion_id: &str, model: &str) -> Value {
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for item in &reply.items {
        match item {
            OutputItem::Message { text } => content.push_str(text),
            OutputItem::Reasoning { summary } => reasoning.push_str(summary),
            OutputItem::FunctionCall {
                call_id,
                namespace,
                name,
                arguments,
            } => {
                let name = flat_name(namespace.as_deref(), name);
                tool_calls.push(json!({"id": call_id, "type": "function",
                    "function": {"name": name, "arguments": arguments}}));
            }
            OutputItem::CustomToolCall {
                call_id,
                name,
                input,
            } => {
                tool_calls.push(json!({"id": call_id, "type": "function",
                    "function": {"name": name, "arguments": custom_input_as_arguments(input)}}));
            }
        }
    }
    let finish_reason = match &reply.ending {
        Ending::Incomplete { reason } => finish_reason_for_incomplete(reason),
        _ if !tool_calls.is_empty() => "tool_calls",
        _ => "stop",
    };
    let mut message = json!({"role": "assistant", "content": if content.is_empty() { Value::Null } else { Value::from(content) }});
    if !reasoning.is_empty() {
        message["reasoning_content"] = Value::from(reasoning);
    }
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::from(tool_calls);
    }
    json!({
        "id": completion_id,
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage_json(&reply.usage),
    })
}

/// Usage as Chat Completions reports it.
pub fn usage_json(usage: &Usage) -> Value {
    json!({
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_output_tokens},
    })
}

/// Streams one tool call the way OpenAI does: id, type and name in the first fragment,
/// then the arguments in pieces that carry only the `index`.
fn push_tool_call(
    frames: &mut Vec<String>,
    chunk: &impl Fn(Value, Value) -> String,
    index: usize,
    call_id: &str,
    name: &str,
    arguments: &str,
    delta_chars: usize,
) {
    frames.push(chunk(
        json!({"tool_calls": [{"index": index, "id": call_id, "type": "function",
            "function": {"name": name, "arguments": ""}}]}),
        Value::Null,
    ));
    for piece in split_chars(arguments, delta_chars) {
        frames.push(chunk(
            json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
            Value::Null,
        ));
    }
}

/// A custom tool's raw input travels on the Chat wire as the `input` argument of a
/// function call.
pub fn custom_input_as_arguments(input: &str) -> String {
    json!({"input": input}).to_string()
}

fn finish_reason_for_incomplete(reason: &str) -> &str {
    match reason {
        "max_output_tokens" | "length" => "length",
        other => other,
    }
}

/// A tool's name on the Chat wire, which has no namespaces: `<namespace>__<name>`.
fn flat_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{namespace}__{name}"),
        None => name.to_string(),
    }
}

//! Renders a scripted [`Reply`] as the event sequence of the OpenAI Responses streaming
//! API: `response.created`, per item `output_item.added`, deltas, `.done` events and
//! `output_item.done`, then `response.completed` / `failed` / `incomplete`, each with a
//! rising `sequence_number`.
//!
//! Written independently of `codex-protocol` on purpose: the mock must not share the
//! runtime's mistakes.

use serde_json::{Value, json};

use crate::script::{Ending, OutputItem, Reply, Usage};

/// One server-sent event: its `event:` name and its `data:` JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub data: Value,
}

impl SseEvent {
    /// The event as SSE text: `event:` and `data:` lines and a blank line.
    pub fn to_frame(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.event, self.data)
    }
}

/// All events of `reply`, in order, with the ending applied except for cuts and stalls
/// (the server applies those, since they are about the connection, not the content).
pub fn render_events(reply: &Reply, response_id: &str, model: &str) -> Vec<SseEvent> {
    let mut out = EventWriter::default();
    let response_shell = |status: &str, output: Vec<Value>| {
        json!({
            "id": response_id,
            "object": "response",
            "created_at": 1_700_000_000,
            "model": model,
            "status": status,
            "output": output,
        })
    };
    out.push(
        "response.created",
        json!({"response": response_shell("in_progress", vec![])}),
    );
    out.push(
        "response.in_progress",
        json!({"response": response_shell("in_progress", vec![])}),
    );

    let mut finished_items = Vec::new();
    for (output_index, item) in reply.items.iter().enumerate() {
        let item_id = item_id(item, output_index, response_id);
        let done_item = render_item(&mut out, item, &item_id, output_index, reply.delta_chars);
        finished_items.push(done_item);
    }

    match &reply.ending {
        Ending::Completed
        | Ending::CutAfter { .. }
        | Ending::AbortAfter { .. }
        | Ending::StallAfter { .. } => {
            let mut response = response_shell("completed", finished_items);
            response["usage"] = usage_json(&reply.usage);
            out.push("response.completed", json!({"response": response}));
        }
        Ending::Failed { code, message } => {
            let mut response = response_shell("failed", finished_items);
            response["error"] = json!({"code": code, "message": message});
            out.push("response.failed", json!({"response": response}));
        }
        Ending::Incomplete { reason } => {
            let mut response = response_shell("incomplete", finished_items);
            response["incomplete_details"] = json!({"reason": reason});
            response["usage"] = usage_json(&reply.usage);
            out.push("response.incomplete", json!({"response": response}));
        }
    }
    out.events
}

/// An item id unique to its response, as a real provider's are.
fn item_id(item: &OutputItem, output_index: usize, response_id: &str) -> String {
    let prefix = match item {
        OutputItem::Message { .. } => "msg",
        OutputItem::Reasoning { .. } => "rs",
        OutputItem::FunctionCall { .. } => "fc",
        OutputItem::CustomToolCall { .. } => "ctc",
    };
    let response = response_id.trim_start_matches("resp_");
    format!("{prefix}_{response}_{output_index}")
}

/// Writes the events of one item and returns the finished item.
fn render_item(
    out: &mut EventWriter,
    item: &OutputItem,
    item_id: &str,
    output_index: usize,
    delta_chars: usize,
) -> Value {
    match item {
        OutputItem::Message { text } => {
            let empty_part = json!({"type": "output_text", "text": "", "annotations": []});
            out.push(
                "response.output_item.added",
                json!({"output_index": output_index, "item": {
                    "type": "message", "id": item_id, "role": "assistant",
                    "status": "in_progress", "content": []
                }}),
            );
            out.push(
                "response.content_part.added",
                json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "part": empty_part}),
            );
            for piece in split_chars(text, delta_chars) {
                out.push(
                    "response.output_text.delta",
                    json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "delta": piece}),
                );
            }
            out.push(
                "response.output_text.done",
                json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "text": text}),
            );
            let part = json!({"type": "output_text", "text": text, "annotations": []});
            out.push(
                "response.content_part.done",
                json!({"item_id": item_id, "output_index": output_index, "content_index": 0, "part": part}),
            );
            let done = json!({
                "type": "message", "id": item_id, "role": "assistant",
                "status": "completed", "content": [part]
            });
            out.push(
                "response.output_item.done",
                json!({"output_index": output_index, "item": done}),
            );
            done
        }
        OutputItem::Reasoning { summary } => {
            out.push(
                "response.output_item.added",
                json!({"output_index": output_index, "item": {"type": "reasoning", "id": item_id, "summary": []}}),
            );
            out.push(
                "response.reasoning_summary_part.added",
                json!({"item_id": item_id, "output_index": output_index, "summary_index": 0,
                       "part": {"type": "summary_text", "text": ""}}),
            );
            for piece in split_chars(summary, delta_chars) {
                out.push(
                    "response.reasoning_summary_text.delta",
                    json!({"item_id": item_id, "output_index": output_index, "summary_index": 0, "delta": piece}),
                );
            }
            out.push(
                "response.reasoning_summary_text.done",
                json!({"item_id": item_id, "output_index": output_index, "summary_index": 0, "text": summary}),
            );
            let part = json!({"type": "summary_text", "text": summary});
            out.push(
                "response.reasoning_summary_part.done",
                json!({"item_id": item_id, "output_index": output_index, "summary_index": 0, "part": part}),
            );
            let done = json!({
                "type": "reasoning", "id": item_id, "summary": [part],
                "encrypted_content": format!("scripted-encrypted-{item_id}")
            });
            out.push(
                "response.output_item.done",
                json!({"output_index": output_index, "item": done}),
            );
            done
        }
        OutputItem::FunctionCall {
            call_id,
            namespace,
            name,
            arguments,
        } => {
            let mut added = json!({
                "type": "function_call", "id": item_id, "call_id": call_id, "name": name,
                "arguments": "", "status": "in_progress"
            });
            if let Some(namespace) = namespace {
                added["namespace"] = json!(namespace);
            }
            out.push(
                "response.output_item.added",
                json!({"output_index": output_index, "item": added}),
            );
            for piece in split_chars(arguments, delta_chars) {
                out.push(
                    "response.function_call_arguments.delta",
                    json!({"item_id": item_id, "output_index": output_index, "delta": piece}),
                );
            }
            out.push(
                "response.function_call_arguments.done",
                json!({"item_id": item_id, "output_index": output_index, "arguments": arguments}),
            );
            let mut done = json!({
                "type": "function_call", "id": item_id, "call_id": call_id, "name": name,
                "arguments": arguments, "status": "completed"
            });
            if let Some(namespace) = namespace {
                done["namespace"] = json!(namespace);
            }
            out.push(
                "response.output_item.done",
                json!({"output_index": output_index, "item": done}),
            );
            done
        }
        OutputItem::CustomToolCall {
            call_id,
            name,
            input,
        } => {
            out.push(
                "response.output_item.added",
                json!({"output_index": output_index, "item": {
                    "type": "custom_tool_call", "id": item_id, "call_id": call_id, "name": name,
                    "input": "", "status": "in_progress"
                }}),
            );
            for piece in split_chars(input, delta_chars) {
                out.push(
                    "response.custom_tool_call_input.delta",
                    json!({"item_id": item_id, "output_index": output_index, "delta": piece}),
                );
            }
            out.push(
                "response.custom_tool_call_input.done",
                json!({"item_id": item_id, "output_index": output_index, "input": input}),
            );
            let done = json!({
                "type": "custom_tool_call", "id": item_id, "call_id": call_id, "name": name,
                "input": input, "status": "completed"
            });
            out.push(
                "response.output_item.done",
                json!({"output_index": output_index, "item": done}),
            );
            done
        }
    }
}

/// Usage as the Responses API reports it.
pub fn usage_json(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_output_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    })
}

/// Splits `text` into pieces of at most `max_chars` characters (never inside a
/// character). Empty text gives no pieces.
pub fn split_chars(text: &str, max_chars: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(max_chars.max(1))
        .map(|chunk| chunk.iter().collect())
        .collect()
}

/// Appends events with a rising `sequence_number` and their `type` field.
#[derive(Default)]
struct EventWriter {
    events: Vec<SseEvent>,
}

impl EventWriter {
    fn push(&mut self, event: &str, mut data: Value) {
        if let Value::Object(map) = &mut data {
            map.insert("type".into(), Value::from(event));
            map.insert("sequence_number".into(), Value::from(self.events.len()));
        }
        self.events.push(SseEvent {
            event: event.to_string(),
            data,
        });
    }
}

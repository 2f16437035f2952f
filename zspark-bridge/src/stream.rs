//! Chat Completions stream -> Responses events: a state machine fed one SSE `data`
//! payload at a time, answering with the Responses events it completes (each with its
//! `type` and a rising `sequence_number`). No I/O.
//!
//! It accepts every chunk shape providers are known to send: tool-call fragments keyed
//! by `index` with the id and name only in the first one, or repeated in each, or the
//! whole call in one chunk; reasoning in `reasoning_content` or `reasoning`; chunks
//! with empty `choices` (usage-only, Azure's filter results); usage in the last chunk or
//! missing. A stream that ends without a finish reason (whether or not `[DONE]` came),
//! an error object, or a chunk that is not JSON ends in `response.failed`, never in a
//! silent completion.

use serde_json::{Value, json};

use crate::request::CUSTOM_TOOL_INPUT;
use crate::tool_names::ToolNames;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Reasoning,
    Message,
}

/// A reasoning or message item receiving text.
#[derive(Debug)]
struct OpenText {
    kind: TextKind,
    item_id: String,
    output_index: usize,
    text: String,
}

/// A tool call being assembled from fragments with the same `index`.
#[derive(Debug)]
struct ToolCall {
    chat_index: u64,
    item_id: String,
    call_id: String,
    name: String,
    arguments: String,
    /// Set once `output_item.added` has gone out (the name is known).
    output_index: Option<usize>,
}

#[derive(Debug)]
pub struct StreamTranslator {
    response_id: String,
    model: String,
    created_at: i64,
    tools: ToolNames,
    sequence: u64,
    started: bool,
    finished: bool,
    next_output_index: usize,
    /// Finished items, by output index, for the final response object.
    output: Vec<(usize, Value)>,
    text: Option<OpenText>,
    calls: Vec<ToolCall>,
    usage: Option<Value>,
    finish_reason: Option<String>,
    id_counter: u64,
}

impl StreamTranslator {
    /// A translator for a request for `model` whose tools are named on the Chat wire as
    /// `tools` says (freeform ones, those of namespaces; a set names freeform ones).
    pub fn new(model: impl Into<String>, tools: impl Into<ToolNames>) -> Self {
        Self {
            response_id: format!("resp_{}", uuid::Uuid::new_v4().simple()),
            model: model.into(),
            created_at: chrono::Utc::now().timestamp(),
            tools: tools.into(),
            sequence: 0,
            started: false,
            finished: false,
            next_output_index: 0,
            output: Vec::new(),
            text: None,
            calls: Vec::new(),
            usage: None,
            finish_reason: None,
            id_counter: 0,
        }
    }

    /// Whether a terminal event (`completed`, `incomplete` or `failed`) has gone out.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Feeds one SSE `data` payload of the upstream stream.
    pub fn push_data(&mut self, data: &str) -> Vec<Value> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        self.start(&mut events);
        let data = data.trim();
        if data == "[DONE]" {
            self.conclude(&mut events);
            return events;
        }
        let chunk: Value = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(error) => {
                self.fail(
                    &mut events,
                    "invalid_chunk",
                    &format!(
                        "the upstream sent a chunk that is not JSON ({error}): {}",
                        excerpt(data)
                    ),
                );
                return events;
            }
        };
        if let Some(error) = chunk.get("error").filter(|error| !error.is_null()) {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| error.to_string());
            let code = error
                .get("code")
                .map(code_text)
                .unwrap_or_else(|| "upstream_error".into());
            self.fail(
                &mut events,
                &code,
                &format!("the upstream reported an error in the stream: {message}"),
            );
            return events;
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            self.usage = Some(map_usage(usage));
        }
        let choice = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|choices| choices.first());
        let Some(choice) = choice else {
            return events;
        };
        // Moonshot (Kimi) reports usage inside the choice of its last chunk.
        if let Some(usage) = choice.get("usage").filter(|usage| usage.is_object()) {
            self.usage = Some(map_usage(usage));
        }
        // Non-streaming completions carry `message`; streams carry `delta`.
        let delta = choice
            .get("delta")
            .or_else(|| choice.get("message"))
            .unwrap_or(&Value::Null);
        for field in ["reasoning_content", "reasoning"] {
            if let Some(text) = delta
                .get(field)
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
            {
                self.append_text(&mut events, TextKind::Reasoning, text);
            }
        }
        if let Some(text) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
        {
            self.append_text(&mut events, TextKind::Message, text);
        }
        if let Some(fragments) = delta.get("tool_calls").and_then(Value::as_array) {
            for (position, fragment) in fragments.iter().enumerate() {
                self.tool_call_fragment(&mut events, fragment, position);
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_string());
        }
        events
    }

    /// The upstream stream ended. Completes the response if it ended properly.
    pub fn finish(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        self.start(&mut events);
        self.conclude(&mut events);
        events
    }

    /// The upstream said it is done (`[DONE]` or the end of its body): completes the
    /// response, or fails it when no finish reason ever came, since then nobody knows
    /// whether the answer is whole.
    fn conclude(&mut self, events: &mut Vec<Value>) {
        if self.finish_reason.is_none() {
            self.fail(
                events,
                "truncated_stream",
                "the upstream stream ended without a finish reason: the answer may be incomplete",
            );
        } else {
            self.finalize(events);
        }
    }

    /// The upstream connection failed mid-stream.
    pub fn fail_with(&mut self, message: &str) -> Vec<Value> {
        let mut events = Vec::new();
        if !self.finished {
            self.start(&mut events);
            self.fail(&mut events, "upstream_disconnected", message);
        }
        events
    }

    fn start(&mut self, events: &mut Vec<Value>) {
        if self.started {
            return;
        }
        self.started = true;
        let shell = self.response_shell("in_progress");
        self.emit(events, "response.created", json!({"response": shell}));
        let shell = self.response_shell("in_progress");
        self.emit(events, "response.in_progress", json!({"response": shell}));
    }

    fn emit(&mut self, events: &mut Vec<Value>, kind: &str, mut body: Value) {
        if let Value::Object(map) = &mut body {
            map.insert("type".into(), Value::from(kind));
            map.insert("sequence_number".into(), Value::from(self.sequence));
        }
        self.sequence += 1;
        events.push(body);
    }

    fn new_id(&mut self, prefix: &str) -> String {
        self.id_counter += 1;
        format!("{prefix}_{}_{}", &self.response_id[5..], self.id_counter)
    }

    fn take_output_index(&mut self) -> usize {
        let index = self.next_output_index;
        self.next_output_index += 1;
        index
    }

    fn append_text(&mut self, events: &mut Vec<Value>, kind: TextKind, text: &str) {
        if self.text.as_ref().is_some_and(|open| open.kind != kind) {
            self.close_text(events);
        }
        if self.text.is_none() {
            let output_index = self.take_output_index();
            let item_id = self.new_id(match kind {
                TextKind::Reasoning => "rs",
                TextKind::Message => "msg",
            });
            let item = match kind {
                TextKind::Reasoning => {
                    json!({"type": "reasoning", "id": item_id, "summary": [], "content": []})
                }
                TextKind::Message => {
                    json!({"type": "message", "id": item_id, "role": "assistant", "status": "in_progress", "content": []})
                }
            };
            self.emit(
                events,
                "response.output_item.added",
                json!({"output_index": output_index, "item": item}),
            );
            if kind == TextKind::Message {
                self.emit(
                    events,
                    "response.content_part.added",
                    json!({
                        "item_id": item_id, "output_index": output_index, "content_index": 0,
                        "part": {"type": "output_text", "text": "", "annotations": []},
                    }),
                );
            }
            self.text = Some(OpenText {
                kind,
                item_id,
                output_index,
                text: String::new(),
            });
        }
        let Some(open) = self.text.as_mut() else {
            return;
        };
        open.text.push_str(text);
        let (item_id, output_index) = (open.item_id.clone(), open.output_index);
        let kind_name = match kind {
            TextKind::Reasoning => "response.reasoning_text.delta",
            TextKind::Message => "response.output_text.delta",
        };
        self.emit(
            events,
            kind_name,
            json!({
                "item_id": item_id, "output_index": output_index, "content_index": 0, "delta": text,
            }),
        );
    }

    fn close_text(&mut self, events: &mut Vec<Value>) {
        let Some(open) = self.text.take() else {
            return;
        };
        let OpenText {
            kind,
            item_id,
            output_index,
            text,
        } = open;
        let item = match kind {
            TextKind::Reasoning => {
                self.emit(events, "response.reasoning_text.done", json!({
                    "item_id": item_id, "output_index": output_index, "content_index": 0, "text": text,
                }));
                json!({"type": "reasoning", "id": item_id, "summary": [],
                       "content": [{"type": "reasoning_text", "text": text}]})
            }
            TextKind::Message => {
                let part = json!({"type": "output_text", "text": text, "annotations": []});
                self.emit(events, "response.output_text.done", json!({
                    "item_id": item_id, "output_index": output_index, "content_index": 0, "text": text,
                }));
                self.emit(events, "response.content_part.done", json!({
                    "item_id": item_id, "output_index": output_index, "content_index": 0, "part": part,
                }));
                json!({"type": "message", "id": item_id, "role": "assistant", "status": "completed", "content": [part]})
            }
        };
        self.emit(
            events,
            "response.output_item.done",
            json!({"output_index": output_index, "item": item}),
        );
        self.output.push((output_index, item));
    }

    fn tool_call_fragment(&mut self, events: &mut Vec<Value>, fragment: &Value, position: usize) {
        self.close_text(events);
        let chat_index = fragment
            .get("index")
            .and_then(Value::as_u64)
            .unwrap_or(position as u64);
        let slot = match self
            .calls
            .iter()
            .position(|call| call.chat_index == chat_index)
        {
            Some(slot) => slot,
            None => {
                let item_id = self.new_id("fc");
                self.calls.push(ToolCall {
                    chat_index,
                    item_id,
                    call_id: String::new(),
                    name: String::new(),
                    arguments: String::new(),
                    output_index: None,
                });
                self.calls.len() - 1
            }
        };
        if let Some(id) = fragment
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            && self.calls[slot].call_id.is_empty()
        {
            self.calls[slot].call_id = id.to_string();
        }
        let function = fragment.get("function").unwrap_or(&Value::Null);
        if let Some(name) = function
            .get("name")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            && self.calls[slot].name.is_empty()
        {
            self.calls[slot].name = name.to_string();
        }
        let piece = function
            .get("arguments")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.calls[slot].arguments.push_str(piece);

        if self.calls[slot].output_index.is_none() && !self.calls[slot].name.is_empty() {
            if self.calls[slot].call_id.is_empty() {
                self.calls[slot].call_id = self.new_id("call");
            }
            let output_index = self.take_output_index();
            self.calls[slot].output_index = Some(output_index);
            let call = &self.calls[slot];
            let item = self.call_item(call, "in_progress", "");
            let buffered = call.arguments.clone();
            let item_id = call.item_id.clone();
            let custom = self.tools.is_custom(&call.name);
            self.emit(
                events,
                "response.output_item.added",
                json!({"output_index": output_index, "item": item}),
            );
            if !custom && !buffered.is_empty() {
                self.emit(
                    events,
                    "response.function_call_arguments.delta",
                    json!({
                        "item_id": item_id, "output_index": output_index, "delta": buffered,
                    }),
                );
            }
        } else if let Some(output_index) = self.calls[slot].output_index
            && !piece.is_empty()
            && !self.tools.is_custom(&self.calls[slot].name)
        {
            let item_id = self.calls[slot].item_id.clone();
            self.emit(
                events,
                "response.function_call_arguments.delta",
                json!({
                    "item_id": item_id, "output_index": output_index, "delta": piece,
                }),
            );
        }
    }

    /// A tool call as a Responses item: `function_call` (with its namespace and own
    /// name again for a namespace's tool), or `custom_tool_call` for a freeform tool
    /// (its text taken out of the `input` argument).
    fn call_item(&self, call: &ToolCall, status: &str, arguments: &str) -> Value {
        if self.tools.is_custom(&call.name) {
            json!({"type": "custom_tool_call", "id": call.item_id, "call_id": call.call_id,
                   "name": call.name, "input": custom_input(arguments), "status": status})
        } else if let Some((namespace, name)) = self.tools.namespaced(&call.name) {
            json!({"type": "function_call", "id": call.item_id, "call_id": call.call_id,
                   "name": name, "namespace": namespace, "arguments": arguments, "status": status})
        } else {
            json!({"type": "function_call", "id": call.item_id, "call_id": call.call_id,
                   "name": call.name, "arguments": arguments, "status": status})
        }
    }

    fn finalize(&mut self, events: &mut Vec<Value>) {
        self.close_text(events);
        let calls = std::mem::take(&mut self.calls);
        for call in &calls {
            let Some(output_index) = call.output_index else {
                self.fail(
                    events,
                    "invalid_tool_call",
                    &format!(
                        "the upstream sent a tool call (index {}) without a function name",
                        call.chat_index
                    ),
                );
                return;
            };
            let item = self.call_item(call, "completed", &call.arguments);
            if self.tools.is_custom(&call.name) {
                self.emit(events, "response.custom_tool_call_input.done", json!({
                    "item_id": call.item_id, "output_index": output_index, "input": item["input"],
                }));
            } else {
                self.emit(events, "response.function_call_arguments.done", json!({
                    "item_id": call.item_id, "output_index": output_index, "arguments": call.arguments,
                }));
            }
            self.emit(
                events,
                "response.output_item.done",
                json!({"output_index": output_index, "item": item}),
            );
            self.output.push((output_index, item));
        }
        let (kind, status, details) = match self.finish_reason.as_deref() {
            Some("length") => (
                "response.incomplete",
                "incomplete",
                Some("max_output_tokens"),
            ),
            Some("content_filter") => ("response.incomplete", "incomplete", Some("content_filter")),
            _ => ("response.completed", "completed", None),
        };
        let mut response = self.response_shell(status);
        if let Some(reason) = details {
            response["incomplete_details"] = json!({"reason": reason});
        }
        self.finished = true;
        self.emit(events, kind, json!({"response": response}));
    }

    fn fail(&mut self, events: &mut Vec<Value>, code: &str, message: &str) {
        self.close_text(events);
        let mut response = self.response_shell("failed");
        response["error"] = json!({"code": code, "message": message});
        self.finished = true;
        self.emit(events, "response.failed", json!({"response": response}));
    }

    /// The response object with the items finished so far and the usage.
    fn response_shell(&self, status: &str) -> Value {
        let mut output = self.output.clone();
        output.sort_by_key(|(index, _)| *index);
        json!({
            "id": self.response_id,
            "object": "response",
            "created_at": self.created_at,
            "model": self.model,
            "status": status,
            "output": output.into_iter().map(|(_, item)| item).collect::<Vec<_>>(),
            "usage": self.usage.clone().unwrap_or(Value::Null),
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "tools": [],
        })
    }
}

/// A freeform tool's text from the arguments the provider produced: the `input`
/// string, or the raw arguments when they are not the expected JSON object.
fn custom_input(arguments: &str) -> String {
    serde_json::from_str::<Value>(arguments)
        .ok()
        .and_then(|value| {
            value
                .get(CUSTOM_TOOL_INPUT)
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| arguments.to_string())
}

/// Chat usage in Responses form, reading the cache-hit counts providers report in
/// their own fields too.
fn map_usage(usage: &Value) -> Value {
    let number = |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64);
    let input = number("/prompt_tokens").unwrap_or(0);
    let output = number("/completion_tokens").unwrap_or(0);
    // Providers report cache hits in different fields, sometimes several at once with
    // a zero in the standard one (DeepSeek); the largest is the real count.
    let cached = [
        "/prompt_tokens_details/cached_tokens",
        "/prompt_cache_hit_tokens",
        "/cached_tokens",
    ]
    .iter()
    .filter_map(|pointer| number(pointer))
    .max()
    .unwrap_or(0);
    let reasoning = number("/completion_tokens_details/reasoning_tokens").unwrap_or(0);
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": number("/total_tokens").unwrap_or(input + output),
    })
}

fn code_text(code: &Value) -> String {
    match code {
        Value::String(text) => text.clone(),
        Value::Null => "upstream_error".to_string(),
        other => other.to_string(),
    }
}

/// The first 200 characters of `text`.
pub fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    let mut cut: String = trimmed.chars().take(200).collect();
    if cut.len() < trimmed.len() {
        cut.push('…');
    }
    cut
}

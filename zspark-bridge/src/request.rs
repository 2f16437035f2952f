//! Responses request -> Chat Completions request.
//!
//! Instructions and developer/system messages become system messages; consecutive
//! assistant output (text, reasoning, tool calls) becomes one assistant message, so
//! parallel calls stay together; tool outputs become `tool` messages right after it.
//! Freeform tools become functions with one string parameter, `input`.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::error::BridgeError;
use crate::profile::Profile;
use crate::tool_names::{ToolNames, flat_name};

/// The parameter a freeform (custom) tool's text travels in on the Chat wire.
pub const CUSTOM_TOOL_INPUT: &str = "input";

/// What the translation learnt that the response side needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The tools whose Chat shape differs: freeform ones and those of namespaces.
    pub tools: ToolNames,
    pub model: String,
    pub stream: bool,
}

/// Translates a Responses request body into a Chat Completions body.
pub fn to_chat_request(
    body: &Value,
    profile: &Profile,
) -> Result<(Value, RequestFacts), BridgeError> {
    let object = body
        .as_object()
        .ok_or_else(|| BridgeError::invalid("the request body must be a JSON object"))?;
    let model = object
        .get("model")
        .and_then(Value::as_str)
        .filter(|model| !model.is_empty())
        .ok_or_else(|| BridgeError::invalid("`model` is required"))?
        .to_string();
    let stream = object
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let (tools, tool_names) = translate_tools(object.get("tools"))?;
    let mut messages = Vec::new();
    if let Some(instructions) = object.get("instructions").and_then(Value::as_str)
        && !instructions.is_empty()
    {
        messages.push(json!({"role": "system", "content": instructions}));
    }
    match object.get("input") {
        Some(Value::String(text)) => messages.push(json!({"role": "user", "content": text})),
        Some(Value::Array(items)) => messages.extend(translate_items(items, &tool_names, profile)?),
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(BridgeError::invalid(
                "`input` must be a string or an array of items",
            ));
        }
    }
    if messages.is_empty() {
        return Err(BridgeError::invalid("the request has no input"));
    }

    let mut chat = Map::new();
    chat.insert("model".into(), Value::from(model.clone()));
    chat.insert("messages".into(), Value::from(messages));
    chat.insert("stream".into(), Value::from(stream));
    if stream && profile.stream_usage {
        chat.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if !tools.is_empty() {
        chat.insert("tools".into(), Value::from(tools));
        if let Some(parallel) = object.get("parallel_tool_calls").and_then(Value::as_bool) {
            chat.insert("parallel_tool_calls".into(), Value::from(parallel));
        }
        if let Some(choice) = object.get("tool_choice") {
            chat.insert("tool_choice".into(), translate_tool_choice(choice)?);
        }
    }
    if let Some(max) = object
        .get("max_output_tokens")
        .filter(|value| value.is_u64())
    {
        chat.insert(profile.max_tokens_field.into(), max.clone());
    }
    if profile.reasoning_effort
        && let Some(effort) = body
            .pointer("/reasoning/effort")
            .filter(|value| value.is_string())
    {
        chat.insert("reasoning_effort".into(), effort.clone());
    }
    for key in ["temperature", "top_p", "user", "seed", "stop"] {
        if let Some(value) = object.get(key).filter(|value| !value.is_null()) {
            chat.insert(key.into(), value.clone());
        }
    }
    if let Some(format) = body.pointer("/text/format") {
        chat.insert("response_format".into(), translate_format(format)?);
    }
    let facts = RequestFacts {
        tools: tool_names,
        model,
        stream,
    };
    Ok((Value::Object(chat), facts))
}

fn translate_tools(tools: Option<&Value>) -> Result<(Vec<Value>, ToolNames), BridgeError> {
    let mut chat_tools = Vec::new();
    let mut names = ToolNames::default();
    let Some(tools) = tools else {
        return Ok((chat_tools, names));
    };
    let tools = tools
        .as_array()
        .ok_or_else(|| BridgeError::invalid("`tools` must be an array"))?;
    for tool in tools {
        let kind = tool.get("type").and_then(Value::as_str).unwrap_or_default();
        let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "function" => {
                if name.is_empty() {
                    return Err(BridgeError::invalid("a function tool has no name"));
                }
                chat_tools.push(chat_function(tool, name));
            }
            "namespace" => {
                if name.is_empty() {
                    return Err(BridgeError::invalid("a namespace tool has no name"));
                }
                let members = tool.get("tools").and_then(Value::as_array);
                for member in members.into_iter().flatten() {
                    let member_name = member
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if member.get("type").and_then(Value::as_str) != Some("function")
                        || member_name.is_empty()
                    {
                        return Err(BridgeError::invalid(format!(
                            "namespace `{name}` may hold only named function tools"
                        )));
                    }
                    let chat_name = flat_name(name, member_name);
                    chat_tools.push(chat_function(member, &chat_name));
                    names
                        .namespaced
                        .insert(chat_name, (name.to_string(), member_name.to_string()));
                }
            }
            "custom" => {
                if name.is_empty() {
                    return Err(BridgeError::invalid("a custom tool has no name"));
                }
                names.custom.insert(name.to_string());
                let description = tool
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                chat_tools.push(json!({"type": "function", "function": {
                    "name": name,
                    "description": description,
                    "parameters": {
                        "type": "object",
                        "properties": {CUSTOM_TOOL_INPUT: {"type": "string", "description": "The raw text input for this tool, exactly as its description asks."}},
                        "required": [CUSTOM_TOOL_INPUT],
                        "additionalProperties": false,
                    },
                }}));
            }
            other => {
                tracing::warn!(
                    tool_type = other,
                    "dropped a hosted tool that Chat Completions providers cannot run"
                );
            }
        }
    }
    Ok((chat_tools, names))
}

/// A Responses function tool as a Chat function named `chat_name`.
fn chat_function(tool: &Value, chat_name: &str) -> Value {
    let mut parameters = tool.get("parameters").cloned().unwrap_or_else(|| json!({}));
    if let Value::Object(map) = &mut parameters {
        map.insert("type".into(), Value::from("object"));
        map.entry("properties").or_insert_with(|| json!({}));
    }
    let mut function = json!({"name": chat_name, "parameters": parameters});
    if let Some(description) = tool.get("description").filter(|d| d.is_string()) {
        function["description"] = description.clone();
    }
    if let Some(strict) = tool.get("strict").filter(|s| s.is_boolean()) {
        function["strict"] = strict.clone();
    }
    json!({"type": "function", "function": function})
}

fn translate_tool_choice(choice: &Value) -> Result<Value, BridgeError> {
    match choice {
        Value::String(mode) if matches!(mode.as_str(), "auto" | "none" | "required") => {
            Ok(choice.clone())
        }
        Value::Object(map) => {
            let name = map
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| BridgeError::invalid("`tool_choice` names no tool"))?;
            Ok(json!({"type": "function", "function": {"name": name}}))
        }
        _ => Err(BridgeError::invalid(
            "`tool_choice` must be auto, none, required or a tool",
        )),
    }
}

fn translate_format(format: &Value) -> Result<Value, BridgeError> {
    match format.get("type").and_then(Value::as_str) {
        Some("text") | None => Ok(json!({"type": "text"})),
        Some("json_object") => Ok(json!({"type": "json_object"})),
        Some("json_schema") => {
            let mut schema = json!({
                "name": format.get("name").cloned().unwrap_or_else(|| Value::from("output")),
                "schema": format.get("schema").cloned().unwrap_or_else(|| json!({})),
            });
            if let Some(strict) = format.get("strict") {
                schema["strict"] = strict.clone();
            }
            Ok(json!({"type": "json_schema", "json_schema": schema}))
        }
        Some(other) => Err(BridgeError::invalid(format!(
            "unsupported text.format type `{other}`"
        ))),
    }
}

/// The assistant message being assembled from consecutive assistant items.
#[derive(Default)]
struct PendingAssistant {
    content: String,
    reasoning: String,
    tool_calls: Vec<Value>,
}

impl PendingAssistant {
    fn is_empty(&self) -> bool {
        self.content.is_empty() && self.reasoning.is_empty() && self.tool_calls.is_empty()
    }

    fn into_message(self, profile: &Profile) -> Value {
        let mut message = json!({"role": "assistant", "content": if self.content.is_empty() { Value::Null } else { Value::from(self.content) }});
        if !self.tool_calls.is_empty() {
            message["tool_calls"] = Value::from(self.tool_calls);
        }
        if let Some(field) = profile.reasoning_replay_field
            && !self.reasoning.is_empty()
        {
            message[field] = Value::from(self.reasoning);
        }
        message
    }
}

fn translate_items(
    items: &[Value],
    tool_names: &ToolNames,
    profile: &Profile,
) -> Result<Vec<Value>, BridgeError> {
    let answered: HashSet<&str> = items
        .iter()
        .filter(|item| is_tool_output(item))
        .filter_map(|item| item.get("call_id").and_then(Value::as_str))
        .collect();
    let mut called: HashSet<String> = HashSet::new();
    let mut messages = Vec::new();
    let mut pending = PendingAssistant::default();
    // Images from tool outputs, sent in a user message after the tool messages.
    let mut tool_images: Vec<Value> = Vec::new();
    let flush = |pending: &mut PendingAssistant, messages: &mut Vec<Value>| {
        if !pending.is_empty() {
            messages.push(std::mem::take(pending).into_message(profile));
        }
    };
    let flush_images = |images: &mut Vec<Value>, messages: &mut Vec<Value>| {
        if !images.is_empty() {
            let mut content =
                vec![json!({"type": "text", "text": "Images returned by the tool calls above:"})];
            content.append(images);
            messages.push(json!({"role": "user", "content": content}));
        }
    };
    for (index, item) in items.iter().enumerate() {
        let kind = item
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("message");
        match kind {
            "message" => {
                let role = item.get("role").and_then(Value::as_str).unwrap_or("user");
                let (text, images) = message_content(item.get("content"), index)?;
                if role == "assistant" {
                    flush_images(&mut tool_images, &mut messages);
                    pending.content.push_str(&text);
                    continue;
                }
                flush(&mut pending, &mut messages);
                flush_images(&mut tool_images, &mut messages);
                let chat_role = match role {
                    "developer" | "system" => "system",
                    _ => "user",
                };
                if images.is_empty() {
                    messages.push(json!({"role": chat_role, "content": text}));
                } else {
                    let mut parts = Vec::new();
                    if !text.is_empty() {
                        parts.push(json!({"type": "text", "text": text}));
                    }
                    parts.extend(images);
                    messages.push(json!({"role": chat_role, "content": parts}));
                }
            }
            "reasoning" => {
                flush_images(&mut tool_images, &mut messages);
                pending.reasoning.push_str(&reasoning_text(item));
            }
            // A message between agents (Codex's second multi-agent version): its header
            // and payload, as the user's words.
            "agent_message" => {
                flush(&mut pending, &mut messages);
                flush_images(&mut tool_images, &mut messages);
                messages.push(json!({"role": "user", "content": agent_message_text(item)}));
            }
            "function_call" | "custom_tool_call" => {
                flush_images(&mut tool_images, &mut messages);
                let call_id = required_call_id(item, index)?;
                if !answered.contains(call_id.as_str()) {
                    return Err(BridgeError::invalid(format!(
                        "tool call `{call_id}` (item {index}) has no output in the request"
                    )));
                }
                let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
                let arguments = if kind == "custom_tool_call" || tool_names.is_custom(name) {
                    let input = item
                        .get("input")
                        .or_else(|| item.get("arguments"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    json!({CUSTOM_TOOL_INPUT: input}).to_string()
                } else {
                    item.get("arguments")
                        .and_then(Value::as_str)
                        .unwrap_or("{}")
                        .to_string()
                };
                called.insert(call_id.clone());
                let chat_name = match item.get("namespace").and_then(Value::as_str) {
                    Some(namespace) if !namespace.is_empty() => flat_name(namespace, name),
                    _ => name.to_string(),
                };
                pending.tool_calls.push(json!({
                    "id": call_id, "type": "function",
                    "function": {"name": chat_name, "arguments": arguments},
                }));
            }
            "function_call_output" | "custom_tool_call_output" => {
                flush(&mut pending, &mut messages);
                let call_id = required_call_id(item, index)?;
                if !called.contains(&call_id) {
                    return Err(BridgeError::invalid(format!(
                        "tool output for `{call_id}` (item {index}) answers no earlier tool call"
                    )));
                }
                let (text, images) = tool_output_content(item.get("output"), index)?;
                tool_images.extend(images);
                messages.push(json!({"role": "tool", "tool_call_id": call_id, "content": text}));
            }
            other => {
                tracing::debug!(
                    item_type = other,
                    "dropped an input item Chat Completions has no form for"
                );
            }
        }
    }
    flush(&mut pending, &mut messages);
    flush_images(&mut tool_images, &mut messages);
    Ok(messages)
}

/// The text of an `agent_message` item: its parts, plain or marked encrypted (Codex
/// writes them unencrypted for providers that are not OpenAI's), joined.
fn agent_message_text(item: &Value) -> String {
    item.get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|part| {
            part.get("text")
                .or_else(|| part.get("encrypted_content"))
                .and_then(Value::as_str)
        })
        .collect()
}

fn is_tool_output(item: &Value) -> bool {
    matches!(
        item.get("type").and_then(Value::as_str),
        Some("function_call_output" | "custom_tool_call_output")
    )
}

fn required_call_id(item: &Value, index: usize) -> Result<String, BridgeError> {
    item.get("call_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            BridgeError::invalid(format!(
                "item {index} is a tool call or output without a call_id"
            ))
        })
}

/// Text parts joined, and image parts in Chat form.
fn message_content(
    content: Option<&Value>,
    index: usize,
) -> Result<(String, Vec<Value>), BridgeError> {
    match content {
        None | Some(Value::Null) => Ok((String::new(), Vec::new())),
        Some(Value::String(text)) => Ok((text.clone(), Vec::new())),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            let mut images = Vec::new();
            for part in parts {
                match part.get("type").and_then(Value::as_str) {
                    Some("input_text" | "output_text" | "text" | "summary_text") => {
                        text.push_str(part.get("text").and_then(Value::as_str).unwrap_or_default());
                    }
                    Some("input_image") => {
                        let url = part
                            .get("image_url")
                            .and_then(Value::as_str)
                            .ok_or_else(|| BridgeError::invalid(format!("item {index}: an input_image without image_url (file ids are not supported)")))?;
                        let mut image = json!({"url": url});
                        if let Some(detail) = part.get("detail").filter(|d| d.is_string()) {
                            image["detail"] = detail.clone();
                        }
                        images.push(json!({"type": "image_url", "image_url": image}));
                    }
                    Some("input_file") => {
                        let file_data = part.get("file_data").and_then(Value::as_str).ok_or_else(|| {
                            BridgeError::invalid(format!("item {index}: input_file needs file_data; file ids and URLs cannot be passed to a Chat Completions provider"))
                        })?;
                        let filename = part
                            .get("filename")
                            .and_then(Value::as_str)
                            .unwrap_or("file");
                        images.push(json!({"type": "file", "file": {"filename": filename, "file_data": file_data}}));
                    }
                    Some("refusal") => {}
                    other => {
                        return Err(BridgeError::invalid(format!(
                            "item {index}: content part type {} is not supported",
                            other.unwrap_or("(none)")
                        )));
                    }
                }
            }
            Ok((text, images))
        }
        Some(_) => Err(BridgeError::invalid(format!(
            "item {index}: content must be a string or an array"
        ))),
    }
}

/// A tool output as text, with any images it carries.
fn tool_output_content(
    output: Option<&Value>,
    index: usize,
) -> Result<(String, Vec<Value>), BridgeError> {
    match output {
        Some(Value::Object(map)) if map.contains_key("content") => {
            let content = map.get("content");
            match content {
                Some(Value::String(text)) => Ok((text.clone(), Vec::new())),
                other => message_content(other, index),
            }
        }
        other => message_content(other, index),
    }
}

/// The reasoning text of a reasoning item: its raw content if present, else its summary.
fn reasoning_text(item: &Value) -> String {
    let collect = |key: &str| -> String {
        item.get(key)
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|part| part.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let content = collect("content");
    if content.is_empty() {
        collect("summary")
    } else {
        content
    }
}

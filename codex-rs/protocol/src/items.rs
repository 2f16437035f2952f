//! Responses API items: what the runtime sends to a model as `input`, receives as
//! `output`, and stores in rollout files as `response_item` records.
//!
//! Reading is tolerant (unknown item types become [`ResponseItem::Other`], tool outputs
//! in any of the shapes Codex has written over time are accepted); writing produces the
//! current shape.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One item of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseItem {
    Message {
        /// Server-assigned id; never sent back (requests use `store: false`).
        #[serde(default, skip_serializing)]
        id: Option<String>,
        role: Role,
        content: Vec<ContentItem>,
    },
    Reasoning {
        #[serde(default)]
        id: String,
        #[serde(default)]
        summary: Vec<ReasoningSummary>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<Vec<ReasoningContent>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    FunctionCall {
        #[serde(default, skip_serializing)]
        id: Option<String>,
        name: String,
        /// The namespace of a tool offered inside one (an MCP server's `mcp__<server>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// The JSON text of the arguments, exactly as the model produced it.
        arguments: String,
        call_id: String,
    },
    FunctionCallOutput {
        call_id: String,
        output: ToolOutput,
    },
    CustomToolCall {
        #[serde(default, skip_serializing)]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        call_id: String,
        name: String,
        input: String,
    },
    CustomToolCallOutput {
        call_id: String,
        output: ToolOutput,
    },
    /// A message from one agent of a session tree to another (Codex's second
    /// multi-agent version): a header part naming its type, task and sender, then the
    /// payload. Models are sent it as a user message holding the same text.
    AgentMessage {
        #[serde(default)]
        id: String,
        /// The sender's task path (`/root`, `/root/worker_a`).
        author: String,
        recipient: String,
        content: Vec<AgentMessagePart>,
    },
    /// An item type this runtime does not know (web search calls, newer record kinds).
    /// Kept when reading so nothing fails; never sent to a model.
    #[serde(other)]
    Other,
}

impl ResponseItem {
    /// A user message holding one text part.
    pub fn user_text(text: impl Into<String>) -> Self {
        Self::Message {
            id: None,
            role: Role::User,
            content: vec![ContentItem::InputText { text: text.into() }],
        }
    }

    /// A developer message holding one text part.
    pub fn developer_text(text: impl Into<String>) -> Self {
        Self::Message {
            id: None,
            role: Role::Developer,
            content: vec![ContentItem::InputText { text: text.into() }],
        }
    }

    /// An assistant message holding one text part.
    pub fn assistant_text(text: impl Into<String>) -> Self {
        Self::Message {
            id: None,
            role: Role::Assistant,
            content: vec![ContentItem::OutputText { text: text.into() }],
        }
    }

    /// The `call_id` of a tool call item.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            Self::FunctionCall { call_id, .. } | Self::CustomToolCall { call_id, .. } => {
                Some(call_id)
            }
            _ => None,
        }
    }

    /// The `call_id` a tool output item answers.
    pub fn output_call_id(&self) -> Option<&str> {
        match self {
            Self::FunctionCallOutput { call_id, .. }
            | Self::CustomToolCallOutput { call_id, .. } => Some(call_id),
            _ => None,
        }
    }

    /// All text of an agent message, parts joined; `None` for other items.
    pub fn agent_message_text(&self) -> Option<String> {
        match self {
            Self::AgentMessage { content, .. } => {
                Some(content.iter().map(AgentMessagePart::text).collect())
            }
            _ => None,
        }
    }

    /// All text of a message item, parts joined; `None` for other items.
    pub fn message_text(&self) -> Option<String> {
        match self {
            Self::Message { content, .. } => Some(
                content
                    .iter()
                    .filter_map(ContentItem::text)
                    .collect::<Vec<_>>()
                    .join(""),
            ),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    Developer,
    System,
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentItem {
    InputText {
        text: String,
    },
    /// An image as a URL, usually a `data:` URL holding the bytes.
    InputImage {
        image_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    OutputText {
        text: String,
    },
}

impl ContentItem {
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::InputText { text } | Self::OutputText { text } => Some(text),
            Self::InputImage { .. } => None,
        }
    }
}

/// One part of an [`ResponseItem::AgentMessage`]. Codex marks the payload
/// `encrypted_content`; against providers that do not encrypt it is plain text, and so
/// zspark writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentMessagePart {
    InputText { text: String },
    EncryptedContent { encrypted_content: String },
}

impl AgentMessagePart {
    pub fn text(&self) -> &str {
        match self {
            Self::InputText { text } => text,
            Self::EncryptedContent { encrypted_content } => encrypted_content,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningSummary {
    SummaryText { text: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningContent {
    ReasoningText { text: String },
    Text { text: String },
}

/// The output of a tool call: plain text, or content parts when it carries images.
///
/// Written as a JSON string or an array of parts, as the Responses API takes it. Older
/// Codex rollouts wrote `{"content": "...", "success": bool}`; that is read as text.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolOutput {
    Text(String),
    Content(Vec<ContentItem>),
}

impl ToolOutput {
    /// The text of the output (text parts joined for content outputs).
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Content(parts) => parts
                .iter()
                .filter_map(ContentItem::text)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

impl From<String> for ToolOutput {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for ToolOutput {
    fn from(text: &str) -> Self {
        Self::Text(text.to_string())
    }
}

impl Serialize for ToolOutput {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(text) => serializer.serialize_str(text),
            Self::Content(parts) => parts.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ToolOutput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum AnyShape {
            Text(String),
            Content(Vec<ContentItem>),
            Legacy {
                content: String,
                #[serde(default, rename = "success")]
                _success: Option<bool>,
            },
        }
        Ok(match AnyShape::deserialize(deserializer)? {
            AnyShape::Text(text) | AnyShape::Legacy { content: text, .. } => Self::Text(text),
            AnyShape::Content(parts) => Self::Content(parts),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_codex_shapes_and_writes_current_ones() {
        let call: ResponseItem = serde_json::from_value(json!({
            "type": "function_call", "id": "fc_1", "name": "shell",
            "arguments": "{\"command\":[\"ls\"]}", "call_id": "call_1"
        }))
        .unwrap();
        assert_eq!(call.call_id(), Some("call_1"));
        assert_eq!(
            serde_json::to_value(&call).unwrap(),
            json!({"type": "function_call", "name": "shell",
                   "arguments": "{\"command\":[\"ls\"]}", "call_id": "call_1"})
        );

        let legacy: ResponseItem = serde_json::from_value(json!({
            "type": "function_call_output", "call_id": "call_1",
            "output": {"content": "ok", "success": true}
        }))
        .unwrap();
        assert_eq!(
            legacy,
            ResponseItem::FunctionCallOutput {
                call_id: "call_1".into(),
                output: ToolOutput::Text("ok".into())
            }
        );
        assert_eq!(
            serde_json::to_value(&legacy).unwrap()["output"],
            json!("ok")
        );

        let with_image: ResponseItem = serde_json::from_value(json!({
            "type": "function_call_output", "call_id": "c",
            "output": [{"type": "input_image", "image_url": "data:image/png;base64,AA=="}]
        }))
        .unwrap();
        assert!(matches!(
            with_image,
            ResponseItem::FunctionCallOutput {
                output: ToolOutput::Content(_),
                ..
            }
        ));
    }

    #[test]
    fn agent_messages_read_and_write_as_codex_records_them() {
        let record = json!({
            "type": "agent_message", "id": "amsg_1", "author": "/root", "recipient": "/root/worker_a",
            "content": [
                {"type": "input_text", "text": "Message Type: NEW_TASK\nTask name: /root/worker_a\nSender: /root\nPayload:\n"},
                {"type": "encrypted_content", "encrypted_content": "count the files"}
            ]
        });
        let item: ResponseItem = serde_json::from_value(record.clone()).unwrap();
        assert!(
            item.agent_message_text()
                .unwrap()
                .ends_with("Payload:\ncount the files")
        );
        assert_eq!(serde_json::to_value(&item).unwrap(), record);
    }

    #[test]
    fn unknown_item_types_are_kept_as_other() {
        let item: ResponseItem = serde_json::from_value(json!({
            "type": "web_search_call", "id": "ws_1", "status": "completed"
        }))
        .unwrap();
        assert_eq!(item, ResponseItem::Other);
    }
}

//! The script a test hands to the scripted model server: one [`Turn`] per model request,
//! answered in order, each either a reply (streamed or as JSON), an HTTP error, or raw
//! bytes for fixtures that must be sent verbatim.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the server does with one incoming model request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Turn {
    /// Answer with model output, rendered in the wire format of the endpoint that was
    /// called (Responses SSE, Chat SSE or Chat JSON).
    Reply(Reply),
    /// Answer with an HTTP error status, like a provider that rejects or is overloaded.
    HttpError {
        status: u16,
        body: String,
        /// Value of the `retry-after` header, when the test wants one.
        #[serde(default)]
        retry_after: Option<String>,
    },
    /// Answer 200 with `text/event-stream` and send these frames exactly as given (each
    /// one is written as-is, so include the `data: ` prefix and blank line yourself).
    /// Used for hand-recorded provider fixtures and for garbage streams.
    RawSse { frames: Vec<String> },
    /// Answer with this status, content type and body verbatim (HTML error pages,
    /// JSON bodies of a particular provider).
    RawBody {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Accept the request and never answer, not even with headers, until the client
    /// goes away (a provider that hangs before its first byte).
    Silent,
}

impl Turn {
    /// A reply holding one assistant message.
    pub fn text(text: impl Into<String>) -> Self {
        Reply::new().message(text).into()
    }

    /// An HTTP error with a JSON error body shaped like OpenAI's.
    pub fn http_error(status: u16, message: impl Into<String>) -> Self {
        let body = serde_json::json!({
            "error": {"message": message.into(), "type": "server_error", "code": status.to_string()}
        });
        Turn::HttpError {
            status,
            body: body.to_string(),
            retry_after: None,
        }
    }

    /// A 429 with a `retry-after` header in seconds.
    pub fn rate_limited(retry_after_seconds: u32) -> Self {
        let body = serde_json::json!({
            "error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": "rate_limit_exceeded"}
        });
        Turn::HttpError {
            status: 429,
            body: body.to_string(),
            retry_after: Some(retry_after_seconds.to_string()),
        }
    }
}

impl From<Reply> for Turn {
    fn from(reply: Reply) -> Self {
        Turn::Reply(reply)
    }
}

/// Model output for one request, and how the response ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reply {
    pub items: Vec<OutputItem>,
    pub usage: Usage,
    pub ending: Ending,
    /// Pause before each streamed event (lets tests interrupt mid-stream).
    #[serde(with = "millis")]
    pub event_delay: Duration,
    /// Text deltas are cut into pieces of at most this many characters.
    pub delta_chars: usize,
}

impl Default for Reply {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            usage: Usage::default(),
            ending: Ending::Completed,
            event_delay: Duration::ZERO,
            delta_chars: 8,
        }
    }
}

impl Reply {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn message(mut self, text: impl Into<String>) -> Self {
        self.items.push(OutputItem::Message { text: text.into() });
        self
    }

    pub fn reasoning(mut self, summary: impl Into<String>) -> Self {
        self.items.push(OutputItem::Reasoning {
            summary: summary.into(),
        });
        self
    }

    /// A function tool call; `arguments` is the JSON text the model produced.
    pub fn function_call(
        mut self,
        call_id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        self.items.push(OutputItem::FunctionCall {
            call_id: call_id.into(),
            namespace: None,
            name: name.into(),
            arguments: arguments.into(),
        });
        self
    }

    /// A call of a tool inside a namespace (an MCP server's `mcp__<server>`), as the
    /// Responses API sends it: `name` plus `namespace`.
    pub fn namespaced_function_call(
        mut self,
        call_id: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        self.items.push(OutputItem::FunctionCall {
            call_id: call_id.into(),
            namespace: Some(namespace.into()),
            name: name.into(),
            arguments: arguments.into(),
        });
        self
    }

    /// A freeform (custom) tool call such as `apply_patch`; `input` is raw text.
    pub fn custom_tool_call(
        mut self,
        call_id: impl Into<String>,
        name: impl Into<String>,
        input: impl Into<String>,
    ) -> Self {
        self.items.push(OutputItem::CustomToolCall {
            call_id: call_id.into(),
            name: name.into(),
            input: input.into(),
        });
        self
    }

    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage.input_tokens = input_tokens;
        self.usage.output_tokens = output_tokens;
        self
    }

    pub fn ending(mut self, ending: Ending) -> Self {
        self.ending = ending;
        self
    }

    pub fn event_delay(mut self, delay: Duration) -> Self {
        self.event_delay = delay;
        self
    }

    pub fn delta_chars(mut self, chars: usize) -> Self {
        self.delta_chars = chars.max(1);
        self
    }
}

/// One output item of a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Message {
        text: String,
    },
    /// Reasoning, sent as a reasoning summary on the Responses wire and as
    /// `reasoning_content` on the Chat wire.
    Reasoning {
        summary: String,
    },
    /// On the Chat wire, which has no namespaces, a namespaced call is sent with the
    /// flat name `<namespace>__<name>`.
    FunctionCall {
        call_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        name: String,
        arguments: String,
    },
    /// On the Chat wire a custom tool call is a function call whose arguments are
    /// `{"input": "<text>"}`, the convention `zspark-bridge` maps back to a custom call.
    CustomToolCall {
        call_id: String,
        name: String,
        input: String,
    },
}

/// Token usage reported at the end of a reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

/// How a reply ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ending {
    /// `response.completed` (Responses) or a finish reason plus `[DONE]` (Chat).
    #[default]
    Completed,
    /// `response.failed` with this error (Responses) or an error object in the stream
    /// (Chat).
    Failed { code: String, message: String },
    /// `response.incomplete` (Responses) or `finish_reason: "length"` (Chat).
    Incomplete { reason: String },
    /// End the body cleanly after this many events, with no completion event.
    CutAfter { events: usize },
    /// Break the connection (a transport error for the client) after this many events.
    AbortAfter { events: usize },
    /// Send this many events, then keep the connection open and silent until the client
    /// goes away (for idle-timeout and interrupt tests).
    StallAfter { events: usize },
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(deserializer)?))
    }
}

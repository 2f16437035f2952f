//! MCP calls in rollouts, the Codex way: one `event_msg` line of type `item_completed`
//! holding an `McpToolCall` item (server, tool, arguments, status, result or error,
//! duration) after the call, between the model's `function_call` and its output. Codex
//! shows such calls when it resumes a zspark session, and zspark turns Codex's lines
//! back into call events ([`replayed`]) so its cards come back too.

use std::time::Duration;

use codex_protocol::{EventMsg, McpToolCallBeginEvent, McpToolCallEndEvent};
use serde_json::{Value, json};

use crate::tools::ToolInvocation;

/// A result bigger than this (as JSON) is recorded as the text the user was shown,
/// which is cut to the model's limit, so one huge result cannot bloat the rollout.
const MAX_RECORDED_RESULT_BYTES: usize = 256 * 1024;

/// A call's arguments as the events show them: JSON text, `{}` when there were none.
pub fn arguments_text(arguments: &Value) -> String {
    match arguments {
        Value::Null => "{}".to_string(),
        other => other.to_string(),
    }
}

/// Says that a call started (Codex records no line for this).
pub async fn begin(invocation: &ToolInvocation, server: &str, tool: &str, arguments: &Value) {
    let event = EventMsg::McpToolCallBegin(McpToolCallBeginEvent {
        call_id: invocation.call_id.clone(),
        server: server.to_string(),
        tool: tool.to_string(),
        arguments: arguments_text(arguments),
    });
    invocation
        .session
        .events()
        .send(&invocation.turn.submission_id, event)
        .await;
}

/// Says that a call ended, `shown` being what the user sees of its result, and
/// records it the Codex way.
pub async fn end(invocation: &ToolInvocation, mut record: CallRecord<'_>, shown: String) {
    if let Ok(result) = &record.outcome
        && result.to_string().len() > MAX_RECORDED_RESULT_BYTES
    {
        let is_error = result.get("isError").cloned().unwrap_or(Value::Null);
        record.outcome =
            Ok(json!({"content": [{"type": "text", "text": shown}], "isError": is_error}));
    }
    let payload = record.item_completed(invocation.session.id(), &invocation.turn.turn_id);
    invocation.session.record_event_msg(payload).await;
    let event = EventMsg::McpToolCallEnd(McpToolCallEndEvent {
        call_id: invocation.call_id.clone(),
        duration_ms: u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX),
        success: !record.failed(),
        output: shown,
        result: record.outcome.ok(),
    });
    invocation
        .session
        .events()
        .send(&invocation.turn.submission_id, event)
        .await;
}

/// One finished call, as recorded.
pub struct CallRecord<'a> {
    pub call_id: &'a str,
    pub server: &'a str,
    pub tool: &'a str,
    /// The arguments as JSON (an object, or null when there were none).
    pub arguments: Value,
    /// The tool's `readOnlyHint`, when it has one.
    pub read_only: Option<bool>,
    pub started_at_ms: i64,
    pub duration: Duration,
    /// The server's result as MCP sends it (`content`, `structuredContent`, `isError`),
    /// or why there is none.
    pub outcome: Result<Value, String>,
}

impl CallRecord<'_> {
    /// Whether the call failed: no result, or the server's `isError`.
    fn failed(&self) -> bool {
        match &self.outcome {
            Ok(result) => result.get("isError").and_then(Value::as_bool) == Some(true),
            Err(_) => true,
        }
    }

    /// The `event_msg` payload of this call in thread `thread_id`, turn `turn_id`.
    pub fn item_completed(&self, thread_id: &str, turn_id: &str) -> Value {
        let failed = self.failed();
        let mut item = json!({
            "type": "McpToolCall",
            "id": self.call_id,
            "server": self.server,
            "tool": self.tool,
            "arguments": self.arguments,
            "status": if failed { "failed" } else { "completed" },
            "duration": {"secs": self.duration.as_secs(), "nanos": self.duration.subsec_nanos()},
        });
        if let Some(read_only) = self.read_only {
            item["readOnlyHint"] = json!(read_only);
        }
        match &self.outcome {
            Ok(result) => item["result"] = result.clone(),
            Err(message) => item["error"] = json!({"message": message}),
        }
        let duration_ms = i64::try_from(self.duration.as_millis()).unwrap_or(i64::MAX);
        json!({
            "type": "item_completed",
            "thread_id": thread_id,
            "turn_id": turn_id,
            "item": item,
            "started_at_ms": self.started_at_ms,
            "completed_at_ms": self.started_at_ms.saturating_add(duration_ms),
        })
    }
}

/// The call events of an `item_completed` payload holding an `McpToolCall`; `None`
/// for any other item.
pub fn replayed(payload: &Value) -> Option<[EventMsg; 2]> {
    let item = payload.get("item")?;
    if item.get("type").and_then(Value::as_str) != Some("McpToolCall") {
        return None;
    }
    let text = |key: &str| item.get(key).and_then(Value::as_str).unwrap_or_default();
    let call_id = text("id").to_string();
    let arguments = match item.get("arguments") {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(raw)) => raw.clone(),
        Some(other) => other.to_string(),
    };
    let duration = item.get("duration").map_or(Duration::ZERO, |duration| {
        let secs = duration.get("secs").and_then(Value::as_u64).unwrap_or(0);
        let nanos = duration.get("nanos").and_then(Value::as_u64).unwrap_or(0);
        Duration::from_secs(secs) + Duration::from_nanos(nanos)
    });
    let output = match (item.get("result"), item.get("error")) {
        (_, Some(error)) if !error.is_null() => error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        (Some(result), _) => shown_result(result),
        _ => String::new(),
    };
    Some([
        EventMsg::McpToolCallBegin(McpToolCallBeginEvent {
            call_id: call_id.clone(),
            server: text("server").to_string(),
            tool: text("tool").to_string(),
            arguments,
        }),
        EventMsg::McpToolCallEnd(McpToolCallEndEvent {
            call_id,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            success: text("status") == "completed",
            output,
            result: item
                .get("result")
                .filter(|result| !result.is_null())
                .cloned(),
        }),
    ])
}

/// What the user is shown of a recorded result: its structured content as JSON, else
/// its text blocks.
fn shown_result(result: &Value) -> String {
    if let Some(structured) = result
        .get("structuredContent")
        .filter(|value| !value.is_null())
    {
        return structured.to_string();
    }
    result
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|block| block.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as Codex 0.169 writes it (from a real rollout).
    const CODEX_LINE: &str = r#"{"type":"item_completed","thread_id":"t","turn_id":"u","item":{"type":"McpToolCall","id":"call_2","server":"mock","tool":"echo","arguments":{"text":"hi"},"readOnlyHint":true,"status":"completed","result":{"content":[{"type":"text","text":"hi"}],"structuredContent":null},"duration":{"secs":1,"nanos":940021}},"started_at_ms":1000,"completed_at_ms":2000}"#;

    #[test]
    fn a_codex_line_becomes_the_call_events() {
        let payload: Value = serde_json::from_str(CODEX_LINE).unwrap();
        let [
            EventMsg::McpToolCallBegin(begin),
            EventMsg::McpToolCallEnd(end),
        ] = replayed(&payload).unwrap()
        else {
            panic!("begin and end expected");
        };
        assert_eq!(
            (
                begin.call_id.as_str(),
                begin.server.as_str(),
                begin.tool.as_str()
            ),
            ("call_2", "mock", "echo")
        );
        assert_eq!(begin.arguments, r#"{"text":"hi"}"#);
        assert_eq!(
            (end.duration_ms, end.success, end.output.as_str()),
            (1000, true, "hi")
        );
        let other = json!({"type": "item_completed", "item": {"type": "CommandExecution"}});
        assert!(replayed(&other).is_none());
    }

    #[test]
    fn a_recorded_call_reads_back_the_same() {
        let record = CallRecord {
            call_id: "c1",
            server: "files",
            tool: "read",
            arguments: json!({"path": "a"}),
            read_only: Some(true),
            started_at_ms: 5,
            duration: Duration::from_millis(1500),
            outcome: Ok(json!({"content": [], "structuredContent": {"size": 3}})),
        };
        let payload = record.item_completed("thread", "turn");
        assert_eq!(payload["item"]["status"], "completed");
        assert_eq!(payload["completed_at_ms"], 1505);
        let [_, EventMsg::McpToolCallEnd(end)] = replayed(&payload).unwrap() else {
            panic!("end expected");
        };
        assert_eq!(end.output, r#"{"size":3}"#);

        let failed = CallRecord {
            outcome: Err("timed out after 1 s".into()),
            ..record
        }
        .item_completed("thread", "turn");
        assert_eq!(failed["item"]["status"], "failed");
        assert_eq!(failed["item"]["error"]["message"], "timed out after 1 s");
        let [_, EventMsg::McpToolCallEnd(end)] = replayed(&failed).unwrap() else {
            panic!("end expected");
        };
        assert!(!end.success);
        assert_eq!(end.output, "timed out after 1 s");
    }
}

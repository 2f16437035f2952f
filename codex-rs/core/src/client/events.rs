//! The Responses streaming events the runtime consumes, parsed from SSE data. Unknown
//! event types are ignored; a malformed known event is an error.

use codex_protocol::{ResponseItem, TokenUsage};
use serde_json::Value;

use super::error::{ModelError, parse_retry_after};

/// One step of a model's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseEvent {
    Created,
    OutputTextDelta(String),
    ReasoningSummaryDelta(String),
    ReasoningContentDelta(String),
    /// A new reasoning summary paragraph begins.
    ReasoningSummaryPartAdded,
    /// An output item is finished.
    OutputItemDone(ResponseItem),
    Completed {
        response_id: String,
        usage: Option<TokenUsage>,
    },
}

/// Parses one SSE event's data. `Ok(None)` for events the runtime does not use.
pub fn parse_event(data: &str) -> Result<Option<ResponseEvent>, ModelError> {
    let event: Value = serde_json::from_str(data).map_err(|error| ModelError::Stream {
        message: format!(
            "the provider sent an event that is not JSON ({error}): {}",
            excerpt(data)
        ),
    })?;
    parse_event_value(&event)
}

/// As [`parse_event`], for an event already parsed (the in-process bridge's output).
pub fn parse_event_value(event: &Value) -> Result<Option<ResponseEvent>, ModelError> {
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let text_of = |field: &str| -> Result<String, ModelError> {
        event
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| malformed(kind, field))
    };
    Ok(Some(match kind {
        "response.created" => ResponseEvent::Created,
        "response.output_text.delta" => ResponseEvent::OutputTextDelta(text_of("delta")?),
        "response.reasoning_summary_text.delta" => {
            ResponseEvent::ReasoningSummaryDelta(text_of("delta")?)
        }
        "response.reasoning_text.delta" => ResponseEvent::ReasoningContentDelta(text_of("delta")?),
        "response.reasoning_summary_part.added" => ResponseEvent::ReasoningSummaryPartAdded,
        "response.output_item.done" => {
            let item = event
                .get("item")
                .cloned()
                .ok_or_else(|| malformed(kind, "item"))?;
            let item: ResponseItem =
                serde_json::from_value(item).map_err(|error| ModelError::Stream {
                    message: format!(
                        "the provider sent an output item the runtime cannot read: {error}"
                    ),
                })?;
            ResponseEvent::OutputItemDone(item)
        }
        "response.completed" => {
            let response = event
                .get("response")
                .ok_or_else(|| malformed(kind, "response"))?;
            ResponseEvent::Completed {
                response_id: response
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                usage: response.get("usage").and_then(parse_usage),
            }
        }
        "response.failed" => {
            let error = event
                .pointer("/response/error")
                .cloned()
                .unwrap_or(Value::Null);
            let code = error
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_string);
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message given")
                .to_string();
            let retry_after = parse_retry_after(None, &message);
            return Err(ModelError::from_provider_code(
                code.clone(),
                message.clone(),
                ModelError::Failed {
                    code,
                    message,
                    retry_after,
                },
            ));
        }
        "response.incomplete" => {
            let reason = event
                .pointer("/response/incomplete_details/reason")
                .and_then(Value::as_str)
                .unwrap_or("unknown reason")
                .to_string();
            return Err(ModelError::Incomplete { reason });
        }
        "error" => {
            let message = event
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the provider reported an error")
                .to_string();
            let code = event
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_string);
            return Err(ModelError::from_provider_code(
                code.clone(),
                message.clone(),
                ModelError::Failed {
                    code,
                    message,
                    retry_after: None,
                },
            ));
        }
        _ => return Ok(None),
    }))
}

/// Responses `usage` as token counts.
pub fn parse_usage(usage: &Value) -> Option<TokenUsage> {
    let number = |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    if !usage.is_object() {
        return None;
    }
    let input_tokens = number("/input_tokens");
    let output_tokens = number("/output_tokens");
    Some(TokenUsage {
        input_tokens,
        cached_input_tokens: number("/input_tokens_details/cached_tokens"),
        output_tokens,
        reasoning_output_tokens: number("/output_tokens_details/reasoning_tokens"),
        total_tokens: usage
            .get("total_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(input_tokens + output_tokens),
    })
}

fn malformed(kind: &str, field: &str) -> ModelError {
    ModelError::Stream {
        message: format!("the provider sent a `{kind}` event without `{field}`"),
    }
}

/// The first 200 characters of `text`, for error messages.
pub fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    let mut cut: String = trimmed.chars().take(200).collect();
    if cut.len() < trimmed.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn known_events_unknown_events_and_errors() {
        let parse = |value: Value| parse_event(&value.to_string());
        assert_eq!(
            parse(json!({"type": "response.output_text.delta", "delta": "hi"})).unwrap(),
            Some(ResponseEvent::OutputTextDelta("hi".into()))
        );
        assert_eq!(
            parse(json!({"type": "response.in_progress"})).unwrap(),
            None
        );
        assert_eq!(
            parse(json!({"type": "response.completed", "response": {"id": "r1",
                "usage": {"input_tokens": 10, "output_tokens": 3, "input_tokens_details": {"cached_tokens": 4}}}}))
            .unwrap(),
            Some(ResponseEvent::Completed {
                response_id: "r1".into(),
                usage: Some(TokenUsage {
                    input_tokens: 10,
                    cached_input_tokens: 4,
                    output_tokens: 3,
                    reasoning_output_tokens: 0,
                    total_tokens: 13
                })
            })
        );
        let failed = parse(json!({"type": "response.failed", "response": {"error":
            {"code": "rate_limit_exceeded", "message": "Please try again in 2s"}}}))
        .unwrap_err();
        assert_eq!(
            failed.retry_after(),
            Some(std::time::Duration::from_secs(2))
        );
        let too_long = parse(json!({"type": "response.failed", "response": {"error":
            {"code": "context_length_exceeded", "message": "too long"}}}))
        .unwrap_err();
        assert!(matches!(too_long, ModelError::ContextWindowExceeded { .. }));
        assert!(matches!(
            parse_event("{not json").unwrap_err(),
            ModelError::Stream { .. }
        ));
        assert!(matches!(
            parse(json!({"type": "response.output_text.delta"})).unwrap_err(),
            ModelError::Stream { .. }
        ));
    }
}

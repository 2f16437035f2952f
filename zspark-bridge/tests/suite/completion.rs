//! Non-streaming completions become one Responses object with the same items.

use std::collections::HashSet;

use serde_json::json;
use zspark_bridge::completion_to_response;

#[test]
fn a_completion_with_reasoning_text_and_calls() {
    let completion = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "m",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Let me check.", "reasoning_content": "hmm",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}},
                {"id": "c2", "type": "function", "function": {"name": "apply_patch", "arguments": "{\"input\":\"*** Begin Patch\"}"}}
            ]}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}
    });
    let response =
        completion_to_response(&completion, "m", HashSet::from(["apply_patch".to_string()]));
    assert_eq!(response["object"], "response");
    assert_eq!(response["status"], "completed");
    let kinds: Vec<&str> = response["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["reasoning", "message", "function_call", "custom_tool_call"]
    );
    assert_eq!(response["output"][3]["input"], "*** Begin Patch");
    assert_eq!(response["usage"]["total_tokens"], 11);
}

#[test]
fn an_error_body_or_no_choices_is_a_failed_response() {
    let failed = completion_to_response(
        &json!({"error": {"message": "overloaded"}}),
        "m",
        HashSet::new(),
    );
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("overloaded")
    );
    let empty = completion_to_response(&json!({"choices": []}), "m", HashSet::new());
    assert_eq!(empty["status"], "failed");
}

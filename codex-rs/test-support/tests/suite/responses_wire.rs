//! Responses SSE framing: event order, sequence numbers, deltas and finished items.

use codex_test_support::{Ending, Reply, ScriptedModelServer};
use serde_json::{Value, json};

use super::{data_json, post_sse};

fn responses_body() -> Value {
    json!({"model": "gpt-test", "stream": true, "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ]})
}

#[tokio::test]
async fn streams_every_item_kind_with_rising_sequence_numbers() {
    let reply = Reply::new()
        .reasoning("Thinking about it")
        .message("Hello, wörld!")
        .function_call("call_a", "exec_command", r#"{"cmd":"ls -la"}"#)
        .custom_tool_call("call_b", "apply_patch", "*** Begin Patch\n*** End Patch")
        .usage(120, 30)
        .delta_chars(4);
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let frames = post_sse(
        &format!("{}/responses", server.base_url()),
        &responses_body(),
    )
    .await;

    let events: Vec<Value> = frames.iter().map(data_json).collect();
    for (index, (frame, event)) in frames.iter().zip(&events).enumerate() {
        assert_eq!(
            frame.event.as_deref(),
            event["type"].as_str(),
            "event name matches type"
        );
        assert_eq!(event["sequence_number"], json!(index));
    }
    assert_eq!(events.first().unwrap()["type"], "response.created");
    let completed = events.last().unwrap();
    assert_eq!(completed["type"], "response.completed");
    assert_eq!(completed["response"]["model"], "gpt-test");
    assert_eq!(completed["response"]["usage"]["input_tokens"], 120);
    assert_eq!(completed["response"]["usage"]["total_tokens"], 150);

    let deltas = |kind: &str| -> String {
        events
            .iter()
            .filter(|event| event["type"] == kind)
            .map(|event| event["delta"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(deltas("response.output_text.delta"), "Hello, wörld!");
    assert_eq!(
        deltas("response.reasoning_summary_text.delta"),
        "Thinking about it"
    );
    assert_eq!(
        deltas("response.function_call_arguments.delta"),
        r#"{"cmd":"ls -la"}"#
    );
    assert_eq!(
        deltas("response.custom_tool_call_input.delta"),
        "*** Begin Patch\n*** End Patch"
    );

    let done_items: Vec<&Value> = events
        .iter()
        .filter(|event| event["type"] == "response.output_item.done")
        .map(|event| &event["item"])
        .collect();
    let kinds: Vec<&str> = done_items
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["reasoning", "message", "function_call", "custom_tool_call"]
    );
    assert_eq!(done_items[1]["content"][0]["text"], "Hello, wörld!");
    assert_eq!(done_items[2]["call_id"], "call_a");
    assert_eq!(done_items[3]["input"], "*** Begin Patch\n*** End Patch");
    let completed_output: Vec<&Value> = completed["response"]["output"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        completed_output, done_items,
        "completed response repeats the finished items"
    );
}

#[tokio::test]
async fn failed_and_incomplete_endings_replace_completed() {
    let server = ScriptedModelServer::start([
        Reply::new()
            .message("partial")
            .ending(Ending::Failed {
                code: "server_error".into(),
                message: "boom".into(),
            })
            .into(),
        Reply::new()
            .message("long")
            .ending(Ending::Incomplete {
                reason: "max_output_tokens".into(),
            })
            .into(),
    ])
    .unwrap();
    let url = format!("{}/responses", server.base_url());

    let failed = post_sse(&url, &responses_body()).await;
    let last = data_json(failed.last().unwrap());
    assert_eq!(last["type"], "response.failed");
    assert_eq!(
        last["response"]["error"],
        json!({"code": "server_error", "message": "boom"})
    );
    assert!(
        failed
            .iter()
            .all(|frame| frame.event.as_deref() != Some("response.completed"))
    );

    let incomplete = post_sse(&url, &responses_body()).await;
    let last = data_json(incomplete.last().unwrap());
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
}

#[tokio::test]
async fn non_streaming_request_gets_the_final_response_object() {
    let server = ScriptedModelServer::start([Reply::new().message("plain").into()]).unwrap();
    let body = json!({"model": "m", "input": "hi"});
    let (status, text) = super::post(&format!("{}/responses", server.base_url()), &body).await;
    assert_eq!(status, 200);
    let response: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(response["object"], "response");
    assert_eq!(response["status"], "completed");
    assert_eq!(response["output"][0]["content"][0]["text"], "plain");
}

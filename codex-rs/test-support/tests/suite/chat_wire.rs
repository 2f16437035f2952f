//! Chat Completions framing: streamed chunks (tool calls keyed by index, usage chunk,
//! `[DONE]`) and the non-streaming JSON object.

use codex_test_support::{Ending, Reply, ScriptedModelServer};
use serde_json::{Value, json};

use super::{post, post_sse};

fn chat_body(stream: bool) -> Value {
    json!({"model": "deepseek-chat", "stream": stream,
           "stream_options": {"include_usage": true},
           "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn streams_reasoning_text_and_parallel_tool_calls_by_index() {
    let reply = Reply::new()
        .reasoning("plan")
        .message("ok")
        .function_call("call_1", "exec_command", r#"{"cmd":"pwd"}"#)
        .custom_tool_call("call_2", "apply_patch", "*** Begin Patch")
        .usage(50, 7)
        .delta_chars(3);
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let frames = post_sse(
        &format!("{}/chat/completions", server.base_url()),
        &chat_body(true),
    )
    .await;

    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|frame| serde_json::from_str(&frame.data).unwrap())
        .collect();
    assert!(
        chunks
            .iter()
            .all(|chunk| chunk["object"] == "chat.completion.chunk")
    );

    let delta_text = |field: &str| -> String {
        chunks
            .iter()
            .filter_map(|chunk| chunk["choices"][0]["delta"][field].as_str())
            .collect()
    };
    assert_eq!(delta_text("reasoning_content"), "plan");
    assert_eq!(delta_text("content"), "ok");

    let tool_fragments: Vec<&Value> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    let first_of = |index: u64| tool_fragments.iter().find(|f| f["index"] == index).unwrap();
    assert_eq!(first_of(0)["id"], "call_1");
    assert_eq!(first_of(0)["function"]["name"], "exec_command");
    assert_eq!(first_of(1)["id"], "call_2");
    let arguments_of = |index: u64| -> String {
        tool_fragments
            .iter()
            .filter(|f| f["index"] == index)
            .filter_map(|f| f["function"]["arguments"].as_str())
            .collect()
    };
    assert_eq!(arguments_of(0), r#"{"cmd":"pwd"}"#);
    let custom_args: Value = serde_json::from_str(&arguments_of(1)).unwrap();
    assert_eq!(custom_args, json!({"input": "*** Begin Patch"}));
    let later_fragments_have_ids = tool_fragments
        .iter()
        .filter(|f| f["function"]["name"].is_null())
        .any(|f| f.get("id").is_some());
    assert!(
        !later_fragments_have_ids,
        "only the first fragment carries the id"
    );

    let finish: Vec<&str> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["tool_calls"]);
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["prompt_tokens"], 50);
    assert_eq!(usage_chunk["usage"]["completion_tokens"], 7);
}

#[tokio::test]
async fn usage_chunk_only_when_asked_and_length_finish_for_incomplete() {
    let reply = Reply::new()
        .message("cut short")
        .ending(Ending::Incomplete {
            reason: "max_output_tokens".into(),
        });
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let mut body = chat_body(true);
    body.as_object_mut().unwrap().remove("stream_options");
    let frames = post_sse(&format!("{}/chat/completions", server.base_url()), &body).await;
    let chunks: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|frame| serde_json::from_str(&frame.data).unwrap())
        .collect();
    assert!(chunks.iter().all(|chunk| chunk.get("usage").is_none()));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "length"
    );
}

#[tokio::test]
async fn non_streaming_completion_carries_message_reasoning_and_calls() {
    let reply = Reply::new()
        .reasoning("why")
        .message("answer")
        .function_call("call_9", "update_plan", "{}")
        .usage(10, 2);
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let (status, text) = post(
        &format!("{}/chat/completions", server.base_url()),
        &chat_body(false),
    )
    .await;
    assert_eq!(status, 200);
    let completion: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(completion["object"], "chat.completion");
    let choice = &completion["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], "answer");
    assert_eq!(choice["message"]["reasoning_content"], "why");
    assert_eq!(choice["message"]["tool_calls"][0]["id"], "call_9");
    assert_eq!(completion["usage"]["total_tokens"], 12);
}

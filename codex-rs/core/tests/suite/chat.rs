//! A provider with `wire_api = "chat"`: the runtime reaches it through the bridge
//! in-process and runs the same tools as over the Responses API.

use codex_protocol::EventMsg;
use codex_test_support::{Reply, Turn};
use serde_json::{Value, json};

use super::Harness;

async fn chat_harness(turns: Vec<Turn>, provider_extra: &str) -> Harness {
    Harness::with_provider(turns, "", &format!("wire_api = \"chat\"\n{provider_extra}")).await
}

#[tokio::test]
async fn a_tool_using_turn_over_chat_completions() {
    let patch = "*** Begin Patch\n*** Add File: made.txt\n+by chat\n*** End Patch";
    let mut harness = chat_harness(
        vec![
            Reply::new()
                .reasoning("I will list and patch.")
                .function_call(
                    "c1",
                    "exec_command",
                    json!({"cmd": "echo listed"}).to_string(),
                )
                .custom_tool_call("c2", "apply_patch", patch)
                .usage(70, 20)
                .into(),
            Turn::text("Both done."),
        ],
        "",
    )
    .await;
    let events = harness.turn("do two things").await;
    assert!(
        matches!(events.last(), Some(EventMsg::TurnComplete { last_agent_message: Some(text), .. }) if text == "Both done."),
        "{events:?}"
    );
    assert!(events.iter().any(
        |event| matches!(event, EventMsg::AgentReasoning { text, duration_ms: Some(_) } if text == "I will list and patch.")
    ));
    assert_eq!(
        std::fs::read_to_string(harness.work_path().join("made.txt")).unwrap(),
        "by chat\n"
    );
    let info = super::last_event(&events, |event| match event {
        EventMsg::TokenCount { info } => Some(*info),
        _ => None,
    });
    assert_eq!(
        info.total_token_usage.input_tokens, 70,
        "usage comes through the bridge"
    );

    let requests = harness.server.model_requests();
    assert!(
        requests
            .iter()
            .all(|request| request.path == "/v1/chat/completions")
    );
    assert!(requests[1].tool_pair_problems().is_empty());
    let messages = requests[1].body["messages"].as_array().unwrap().clone();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "user", "assistant", "tool", "tool"],
        "{messages:#?}"
    );
    let assistant: &Value = &messages[3];
    assert_eq!(
        assistant["reasoning_content"], "I will list and patch.",
        "reasoning is replayed"
    );
    assert_eq!(
        assistant["tool_calls"].as_array().unwrap().len(),
        2,
        "parallel calls in one message"
    );
    assert!(messages[4]["content"].as_str().unwrap().contains("listed"));
    assert_eq!(messages[5]["tool_call_id"], "c2");
    assert!(
        messages[5]["content"]
            .as_str()
            .unwrap()
            .starts_with("Success. Updated the following files:"),
        "the custom call's output went back as a tool message"
    );
    assert_eq!(
        requests[0].body["stream_options"],
        json!({"include_usage": true})
    );
}

#[tokio::test]
async fn a_named_profile_changes_the_request_and_a_truncated_chat_stream_is_retried() {
    let cut = Reply::new()
        .message("half")
        .ending(codex_test_support::Ending::CutAfter { events: 2 });
    let mut harness = chat_harness(
        vec![cut.into(), Turn::text("whole")],
        "bridge_profile = \"ollama\"",
    )
    .await;
    let events = harness.turn("hi").await;
    assert!(events.iter().any(|e| matches!(e, EventMsg::Error { message, will_retry: Some(_) } if message.contains("truncated"))), "{events:?}");
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "whole".into()
    }));
    assert_eq!(harness.server.model_requests().len(), 2);
}

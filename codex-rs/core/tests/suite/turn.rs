//! A plain turn: the request the runtime sends and the events it emits.

use codex_protocol::EventMsg;
use codex_test_support::{Reply, Turn};

use super::Harness;

#[tokio::test]
async fn text_turn_sends_a_codex_shaped_request_and_streams_events() {
    let reply = Reply::new()
        .reasoning("thinking")
        .message("Hello there!")
        .usage(120, 30);
    let mut harness = Harness::start(vec![reply.into()]).await;
    let events = harness.turn("say hi").await;

    let requests = harness.server.model_requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/v1/responses");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    assert_eq!(
        request.header("session_id"),
        Some(harness.configured.session_id.as_str())
    );
    let body = &request.body;
    assert_eq!(body["model"], "gpt-5.1-codex");
    assert_eq!(body["stream"], true);
    assert_eq!(body["store"], false);
    assert_eq!(body["tool_choice"], "auto");
    assert_eq!(
        body["prompt_cache_key"],
        harness.configured.session_id.as_str()
    );
    assert_eq!(
        body["include"],
        serde_json::json!(["reasoning.encrypted_content"])
    );
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "exec_command",
            "write_stdin",
            "apply_patch",
            "update_plan",
            "view_image",
            "multi_agent_v1"
        ]
    );

    let input = request.input_items();
    assert_eq!(
        input[0]["role"], "developer",
        "base instructions come first"
    );
    assert!(
        input[0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("You are zspark")
    );
    let context = input[1]["content"][0]["text"].as_str().unwrap();
    assert!(context.starts_with("<environment_context>"), "{context}");
    assert!(context.contains(&format!("<cwd>{}</cwd>", harness.work_path().display())));
    assert_eq!(input[2]["content"][0]["text"], "say hi");
    assert_eq!(input.len(), 3);

    let kinds: Vec<String> = events.iter().map(kind).collect();
    assert_eq!(kinds.first().map(String::as_str), Some("turn_started"));
    assert_eq!(kinds.last().map(String::as_str), Some("turn_complete"));
    let deltas: String = events
        .iter()
        .filter_map(|event| match event {
            EventMsg::AgentMessageDelta { delta } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Hello there!");
    assert!(events.iter().any(
        |event| matches!(event, EventMsg::AgentReasoning { text, duration_ms: Some(_) } if text == "thinking")
    ));
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "Hello there!".into()
    }));
    let EventMsg::TokenCount { info } = events
        .iter()
        .find(|e| matches!(e, EventMsg::TokenCount { .. }))
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(info.last_token_usage.input_tokens, 120);
    assert_eq!(info.total_token_usage.total_tokens, 150);
    assert_eq!(info.model_context_window, Some(272_000));
    assert_eq!(
        events.last(),
        Some(&EventMsg::TurnComplete {
            turn_id: match &events[0] {
                EventMsg::TurnStarted { turn_id, .. } => turn_id.clone(),
                _ => unreachable!(),
            },
            last_agent_message: Some("Hello there!".into())
        })
    );
}

#[tokio::test]
async fn second_turn_sends_the_full_history_with_token_totals_growing() {
    let mut harness = Harness::start(vec![
        Reply::new().message("one").usage(10, 1).into(),
        Reply::new().message("two").usage(20, 2).into(),
    ])
    .await;
    harness.turn("first").await;
    let events = harness.turn("second").await;
    let requests = harness.server.model_requests();
    let texts: Vec<String> = requests[1]
        .input_items()
        .iter()
        .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        &texts[2..],
        ["first", "one", "second"],
        "context items come once, then the conversation"
    );
    let info = super::last_event(&events, |event| match event {
        EventMsg::TokenCount { info } => Some(*info),
        _ => None,
    });
    assert_eq!(info.total_token_usage.total_tokens, 33);
    assert_eq!(info.last_token_usage.total_tokens, 22);
}

#[tokio::test]
async fn a_turn_submitted_while_another_runs_waits_for_it() {
    let slow = Reply::new()
        .message("first answer")
        .event_delay(std::time::Duration::from_millis(20));
    let mut harness = Harness::start(vec![slow.into(), Turn::text("second answer")]).await;
    harness.submit_turn("one").await;
    harness.submit_turn("two").await;
    let first = harness.until_turn_end().await;
    let second = harness.until_turn_end().await;
    assert!(first.contains(&EventMsg::AgentMessage {
        message: "first answer".into()
    }));
    assert!(second.contains(&EventMsg::AgentMessage {
        message: "second answer".into()
    }));
}

/// The event's `type` as it is serialised (`turn_started`, ...).
pub fn kind(event: &EventMsg) -> String {
    serde_json::to_value(event).unwrap()["type"]
        .as_str()
        .unwrap()
        .to_string()
}

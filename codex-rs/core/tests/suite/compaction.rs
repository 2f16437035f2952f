//! Compaction, manual and automatic, and the conversation after it.

use codex_core::rollout::load_rollout;
use codex_protocol::{EventMsg, Op, ResponseItem};
use codex_test_support::{Reply, Turn};

use super::Harness;

fn texts(request: &codex_test_support::RecordedRequest) -> Vec<String> {
    request
        .input_items()
        .iter()
        .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn manual_compaction_replaces_the_history_with_context_user_messages_and_summary() {
    let mut harness = Harness::start(vec![
        Turn::text("answer one"),
        Reply::new()
            .function_call(
                "c1",
                "update_plan",
                r#"{"plan":[{"step":"x","status":"pending"}]}"#,
            )
            .into(),
        Turn::text("answer two"),
        Turn::text("SUMMARY: did one and two"),
        Turn::text("after compaction"),
    ])
    .await;
    harness.turn("question one").await;
    harness.turn("question two").await;
    harness.submit(Op::Compact).await;
    let events = harness.until_turn_end().await;
    assert!(
        events.contains(&EventMsg::ContextCompacted {
            summary: "SUMMARY: did one and two".into(),
            automatic: false
        }),
        "{events:?}"
    );

    let requests = harness.server.model_requests();
    let compact_request = &requests[3];
    assert_eq!(
        compact_request.body["tools"],
        serde_json::json!([]),
        "no tools while summarising"
    );
    assert!(
        texts(compact_request)
            .last()
            .unwrap()
            .starts_with("Stop working on the task for a moment.")
    );

    harness.turn("question three").await;
    let after = texts(&harness.server.model_requests()[4]);
    assert!(after[1].starts_with("<environment_context>"), "{after:?}");
    assert_eq!(after[2], "question one");
    assert_eq!(after[3], "question two");
    assert!(after[4].ends_with("SUMMARY: did one and two"), "{after:?}");
    assert_eq!(after[5], "question three");
    assert_eq!(
        after.len(),
        6,
        "the answers and tool calls are gone: {after:?}"
    );
    assert!(
        harness.server.model_requests()[4]
            .tool_pair_problems()
            .is_empty()
    );

    harness.submit(Op::Shutdown).await;
    harness.until(|e| *e == EventMsg::ShutdownComplete).await;
    let rollout = std::fs::read_to_string(&harness.configured.rollout_path).unwrap();
    assert!(rollout.lines().any(
        |line| line.contains("\"type\":\"compacted\"") && line.contains("replacement_history")
    ));
    let resumed: Vec<String> = load_rollout(&harness.configured.rollout_path)
        .unwrap()
        .history
        .iter()
        .filter_map(ResponseItem::message_text)
        .collect();
    assert!(
        resumed
            .iter()
            .any(|t| t.ends_with("SUMMARY: did one and two"))
    );
    assert!(
        !resumed.contains(&"answer one".to_string()),
        "a resumed session starts from the compaction"
    );
}

#[tokio::test]
async fn the_limit_triggers_compaction_before_the_next_request() {
    let mut harness = Harness::with(
        vec![
            Reply::new()
                .function_call(
                    "c1",
                    "update_plan",
                    r#"{"plan":[{"step":"x","status":"pending"}]}"#,
                )
                .usage(5000, 100)
                .into(),
            Turn::text("auto summary"),
            Reply::new().message("finished").usage(300, 10).into(),
        ],
        "model_auto_compact_token_limit = 4000",
    )
    .await;
    let events = harness.turn("big task").await;
    assert!(
        events.contains(&EventMsg::ContextCompacted {
            summary: "auto summary".into(),
            automatic: true
        }),
        "{events:?}"
    );
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "finished".into()
    }));
    let requests = harness.server.model_requests();
    assert_eq!(requests.len(), 3);
    let continued = texts(&requests[2]);
    assert!(continued.contains(&"big task".to_string()));
    assert!(
        continued.last().unwrap().ends_with("auto summary"),
        "{continued:?}"
    );
}

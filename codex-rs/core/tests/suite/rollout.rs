//! Rollout files: written as the session goes, in Codex's layout, and read back to
//! resume and fork.

use std::path::PathBuf;

use codex_core::ThreadStart;
use codex_core::rollout::{list_sessions, load_rollout};
use codex_protocol::{EventMsg, Op, ResponseItem};
use codex_test_support::Turn;
use serde_json::Value;

use super::{Harness, load, test_env};

/// The id of the turn whose events these are.
fn turn_id(events: &[EventMsg]) -> String {
    events
        .iter()
        .find_map(|event| match event {
            EventMsg::TurnStarted { turn_id, .. } => Some(turn_id.clone()),
            _ => None,
        })
        .unwrap()
}

/// The user and agent messages among `events`.
fn message_texts(events: &[EventMsg]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            EventMsg::UserMessage { message, .. } | EventMsg::AgentMessage { message } => {
                Some(message.clone())
            }
            _ => None,
        })
        .collect()
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn the_file_appears_with_the_first_turn_in_codex_layout() {
    let mut harness = Harness::start(vec![Turn::text("answer")]).await;
    let path = harness.configured.rollout_path.clone();
    assert!(!path.exists(), "no file before the first turn");
    let sessions = harness.home.path().join("sessions");
    assert!(path.starts_with(&sessions));
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("rollout-")
            && name.ends_with(&format!("-{}.jsonl", harness.configured.session_id)),
        "{name}"
    );
    assert_eq!(
        path.components().count(),
        sessions.components().count() + 4,
        "sessions/YYYY/MM/DD/file"
    );

    harness.turn("question").await;
    harness.submit(Op::Shutdown).await;
    harness
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;

    let records = lines(&path);
    for (index, record) in records.iter().enumerate() {
        assert_eq!(record["ordinal"], index, "ordinals count lines");
        assert!(record["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let meta = &records[0];
    assert_eq!(meta["type"], "session_meta");
    assert_eq!(
        meta["payload"]["id"],
        harness.configured.session_id.as_str()
    );
    assert_eq!(
        meta["payload"]["cwd"],
        harness.work_path().display().to_string()
    );
    assert_eq!(meta["payload"]["originator"], "zspark");
    assert_eq!(meta["payload"]["source"], "exec");
    assert_eq!(meta["payload"]["model_provider"], "mock");
    let kinds: Vec<String> = records
        .iter()
        .map(|r| match r["type"].as_str().unwrap() {
            "event_msg" | "response_item" => format!(
                "{}:{}",
                r["type"].as_str().unwrap(),
                r["payload"]["type"].as_str().unwrap()
            ),
            other => other.to_string(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "session_meta",
            "turn_context",
            "event_msg:task_started",
            "response_item:message",
            "event_msg:user_message",
            "response_item:message",
            "response_item:message",
            "event_msg:agent_message",
            "event_msg:token_count",
            "event_msg:task_complete",
        ]
    );
    let summaries = list_sessions(harness.home.path());
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].title, "question");
    assert_eq!(summaries[0].session_id, harness.configured.session_id);
}

#[tokio::test]
async fn resume_continues_the_same_file_with_the_history_sent_again() {
    let mut first = Harness::start(vec![
        Turn::text("first answer"),
        Turn::text("second answer"),
    ])
    .await;
    first.turn("remember 42").await;
    first.submit(Op::Shutdown).await;
    first
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;
    let path = first.configured.rollout_path.clone();
    let lines_before = lines(&path).len();

    let Harness {
        server, home, work, ..
    } = first;
    let loaded = load(home.path(), work.path(), test_env(home.path()));
    let mut resumed = Harness::begin(
        server,
        home,
        work,
        loaded,
        ThreadStart::resume(path.clone()),
    )
    .await;
    assert_eq!(resumed.configured.rollout_path, path);
    assert_eq!(
        message_texts(&resumed.configured.initial_messages),
        ["remember 42", "first answer"],
        "the conversation so far comes back as events"
    );
    resumed.turn("what number?").await;
    resumed.submit(Op::Shutdown).await;
    resumed
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;

    let request = &resumed.server.model_requests()[1];
    let sent: Vec<String> = request
        .input_items()
        .iter()
        .filter_map(|i| i["content"][0]["text"].as_str().map(str::to_string))
        .collect();
    let position = |text: &str| {
        sent.iter()
            .position(|t| t == text)
            .unwrap_or_else(|| panic!("{text} not in {sent:?}"))
    };
    assert!(
        position("remember 42") < position("first answer")
            && position("first answer") < position("what number?")
    );
    assert_eq!(
        sent.iter()
            .filter(|t| t.starts_with("<environment_context>"))
            .count(),
        1,
        "context not repeated"
    );
    let after = lines(&path);
    assert!(after.len() > lines_before);
    assert_eq!(
        after.last().unwrap()["ordinal"],
        after.len() - 1,
        "ordinals continue"
    );
}

#[tokio::test]
async fn fork_copies_history_up_to_a_user_message_into_a_new_file() {
    let mut original = Harness::start(vec![
        Turn::text("a1"),
        Turn::text("a2"),
        Turn::text("forked answer"),
    ])
    .await;
    original.turn("q1").await;
    let second = turn_id(&original.turn("q2").await);
    original.submit(Op::Shutdown).await;
    original
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;
    let source = original.configured.rollout_path.clone();
    let source_id = original.configured.session_id.clone();

    let Harness {
        server, home, work, ..
    } = original;
    let loaded = load(home.path(), work.path(), test_env(home.path()));
    let start = ThreadStart::fork(source.clone(), Some(second));
    let mut fork = Harness::begin(server, home, work, loaded, start).await;
    assert_ne!(fork.configured.session_id, source_id);
    assert_eq!(
        fork.configured.forked_from_id.as_deref(),
        Some(source_id.as_str())
    );
    assert_eq!(
        message_texts(&fork.configured.initial_messages),
        ["q1", "a1"],
        "the fork holds what came before the second turn"
    );
    let fork_path: PathBuf = fork.configured.rollout_path.clone();
    assert!(fork_path.exists(), "a fork is written at once");
    assert_eq!(
        lines(&fork_path)[0]["payload"]["forked_from_id"],
        source_id.as_str()
    );
    fork.turn("q2 again").await;
    let source_texts: Vec<String> = load_rollout(&source)
        .unwrap()
        .history
        .iter()
        .filter_map(ResponseItem::message_text)
        .collect();
    assert!(
        source_texts.contains(&"q2".to_string()),
        "the source session is untouched"
    );
    let loaded = load_rollout(&fork_path).unwrap();
    let fork_texts: Vec<String> = loaded
        .history
        .iter()
        .filter_map(ResponseItem::message_text)
        .collect();
    assert!(
        fork_texts.ends_with(&["q2 again".to_string(), "forked answer".to_string()]),
        "{fork_texts:?}"
    );
}

#[tokio::test]
async fn rollback_drops_the_last_turns_and_survives_resume() {
    let mut harness = Harness::start(vec![Turn::text("a1"), Turn::text("a2")]).await;
    harness.turn("q1").await;
    let second = turn_id(&harness.turn("q2").await);
    harness
        .submit(Op::Rollback {
            from_turn: second.clone(),
        })
        .await;
    let events = harness
        .until(|event| matches!(event, EventMsg::ThreadRolledBack { .. }))
        .await;
    assert_eq!(
        events.last(),
        Some(&EventMsg::ThreadRolledBack {
            from_turn: second.clone(),
            num_turns: 1
        })
    );
    harness.submit(Op::Rollback { from_turn: second }).await;
    let refused = harness
        .until(|event| matches!(event, EventMsg::Error { .. }))
        .await;
    assert!(
        matches!(refused.last(), Some(EventMsg::Error { message, .. }) if message.contains("no turn")),
        "a turn that is gone cannot be rolled back again: {refused:?}"
    );
    harness.submit(Op::Shutdown).await;
    harness
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;
    let reloaded = load_rollout(&harness.configured.rollout_path).unwrap();
    let reloaded_texts: Vec<String> = reloaded
        .history
        .iter()
        .filter_map(ResponseItem::message_text)
        .collect();
    assert!(
        reloaded_texts.ends_with(&["q1".to_string(), "a1".to_string()]),
        "{reloaded_texts:?}"
    );
    assert_eq!(message_texts(&reloaded.events), ["q1", "a1"]);
}

#[test]
fn reading_tolerates_unknown_records_damaged_lines_and_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("rollout-2025-01-01T00-00-00-0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000.jsonl");
    let text = [
        r#"{"timestamp":"2025-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000","cwd":"/w","originator":"codex_cli_rs","cli_version":"0.40.0"}}"#,
        r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"world_state","payload":{"anything":true}}"#,
        r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}"#,
        "{garbage in the middle",
        r#"{"timestamp":"2025-01-01T00:00:02.000Z","type":"response_item","payload":{"type":"web_search_call","id":"ws"}}"#,
        r#"{"timestamp":"2025-01-01T00:00:02.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hello"}]}}"#,
        r#"{"timestamp":"2025-01-01T00:00:03.000Z","type":"response_item","payload":{"type":"mess"#,
    ]
    .join("\n");
    std::fs::write(&path, text).unwrap();
    let loaded = load_rollout(&path).unwrap();
    assert_eq!(loaded.session_id, "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000");
    assert_eq!(
        loaded.history,
        vec![
            ResponseItem::user_text("hi"),
            ResponseItem::assistant_text("hello")
        ]
    );
    assert_eq!(loaded.damaged_lines, 1, "the torn last line is not counted");
    assert_eq!(loaded.line_count, 7);

    std::fs::write(
        dir.path().join("rollout-x.jsonl"),
        "{\"type\":\"response_item\"}\n",
    )
    .unwrap();
    let error = load_rollout(&dir.path().join("rollout-x.jsonl")).unwrap_err();
    assert!(
        error.to_string().contains("has no session_meta line"),
        "{error}"
    );
}

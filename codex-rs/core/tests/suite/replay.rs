//! One conversation model: a resumed session is handed over as the events its live
//! run emitted, so a front-end folding them shows the same conversation. The session
//! holds every kind of item (attachments, skills and images in a message; reasoning;
//! commands with output and exit codes; a patch; a plan; an image the agent viewed;
//! a compaction; a failed and an interrupted turn); its live events, less the ones
//! only a live view needs (deltas, approvals, warnings, retries), equal the replay.
//! Also: edit-and-resend and fork before a compaction cut at the message asked for.

use codex_core::ThreadStart;
use codex_core::rollout::load_rollout;
use codex_protocol::{EventMsg, InputItem, Op, TurnOverrides};
use codex_test_support::{Ending, Reply, Turn};
use serde_json::json;

use super::{Harness, load, test_env};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// The events a replay holds: everything but deltas, approvals, warnings, retries and
/// the session's own start, with an answer left half streamed by the end of its turn
/// as the message the user saw.
fn replayable(events: &[EventMsg]) -> Vec<EventMsg> {
    let mut kept = Vec::new();
    let mut partial = String::new();
    for event in events {
        match event {
            EventMsg::AgentMessageDelta { delta } => partial.push_str(delta),
            EventMsg::AgentMessage { .. } | EventMsg::Error { .. } => partial.clear(),
            EventMsg::TurnAborted { .. } | EventMsg::TurnFailed { .. } if !partial.is_empty() => {
                kept.push(EventMsg::AgentMessage {
                    message: std::mem::take(&mut partial),
                });
            }
            _ => {}
        }
        if !matches!(
            event,
            EventMsg::SessionConfigured(_)
                | EventMsg::AgentMessageDelta { .. }
                | EventMsg::AgentReasoningDelta { .. }
                | EventMsg::ExecCommandOutputDelta { .. }
                | EventMsg::ExecApprovalRequest(_)
                | EventMsg::ApplyPatchApprovalRequest(_)
                | EventMsg::Warning { .. }
                | EventMsg::Error { .. }
                | EventMsg::ShutdownComplete
        ) {
            kept.push(event.clone());
        }
    }
    kept
}

fn turn_ids(events: &[EventMsg]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            EventMsg::TurnStarted { turn_id, .. } => Some(turn_id.clone()),
            _ => None,
        })
        .collect()
}

fn user_texts(events: &[EventMsg]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            EventMsg::UserMessage { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn sent_texts(request: &codex_test_support::RecordedRequest) -> Vec<String> {
    request
        .input_items()
        .iter()
        .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_resumed_session_replays_the_events_its_live_run_emitted() {
    let patch = "*** Begin Patch\n*** Add File: made.txt\n+made by the agent\n*** End Patch\n";
    let mut harness = Harness::start(vec![
        Reply::new()
            .reasoning("Let me look around first.")
            .function_call(
                "cmd",
                "exec_command",
                json!({"cmd": "echo listing; exit 3"}).to_string(),
            )
            .function_call("patch", "apply_patch", json!({"input": patch}).to_string())
            .function_call(
                "plan",
                "update_plan",
                json!({"plan": [{"step": "look", "status": "completed"}, {"step": "fix", "status": "in_progress"}]}).to_string(),
            )
            .function_call("look", "view_image", json!({"path": "pic.png"}).to_string())
            .into(),
        Turn::text("Done with the first part."),
        Turn::text("SUMMARY: looked, patched, planned"),
        Turn::http_error(400, "the request was refused"),
        Reply::new()
            .message("half an answer")
            .delta_chars(3)
            .ending(Ending::StallAfter { events: 5 })
            .into(),
        Turn::text("The last answer."),
    ])
    .await;
    let work = harness.work_path().to_path_buf();
    std::fs::write(work.join("pic.png"), PNG).unwrap();
    std::fs::write(work.join("notes.txt"), "notes").unwrap();
    let skill = work.join("skills/tidy/SKILL.md");
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    std::fs::write(
        &skill,
        "---\nname: tidy\ndescription: Tidy up.\n---\n\nTidy everything.\n",
    )
    .unwrap();

    let mut live = Vec::new();
    harness
        .submit(Op::UserTurn {
            items: vec![
                InputItem::Text {
                    text: "look at this".into(),
                },
                InputItem::FileReference {
                    path: "notes.txt".into(),
                },
                InputItem::LocalImage {
                    path: "pic.png".into(),
                },
                InputItem::Skill {
                    name: "tidy".into(),
                    path: skill.clone(),
                },
            ],
            overrides: TurnOverrides::default(),
        })
        .await;
    live.extend(harness.until_turn_end().await);
    harness.submit(Op::Compact).await;
    live.extend(harness.until_turn_end().await);
    live.extend(harness.turn("this one fails").await);
    harness.submit_turn("this one is stopped").await;
    live.extend(
        harness
            .until(|event| matches!(event, EventMsg::AgentMessageDelta { .. }))
            .await,
    );
    harness.submit(Op::Interrupt).await;
    live.extend(harness.until_turn_end().await);
    live.extend(harness.turn("one more").await);
    harness.submit(Op::Shutdown).await;
    harness
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;

    let expected = replayable(&live);
    // Every kind the scenario is about is there.
    for kind in [
        "user_message",
        "agent_reasoning",
        "exec_command_begin",
        "exec_command_end",
        "patch_apply_begin",
        "patch_apply_end",
        "plan_update",
        "view_image",
        "context_compacted",
        "turn_failed",
        "turn_aborted",
        "turn_complete",
    ] {
        assert!(
            expected
                .iter()
                .any(|event| serde_json::to_value(event).unwrap()["type"] == kind),
            "the live run has no {kind}"
        );
    }
    assert!(expected.iter().any(|event| matches!(
        event,
        EventMsg::ExecCommandEnd(end) if end.exit_code == Some(3) && end.output.contains("listing")
    )));
    assert!(expected.iter().any(|event| matches!(
        event,
        EventMsg::UserMessage { images, files, skills, .. }
            if images.len() == 1 && files.len() == 1 && skills == &["tidy".to_string()]
    )));

    let path = harness.configured.rollout_path.clone();
    let Harness {
        server, home, work, ..
    } = harness;
    let loaded = load(home.path(), work.path(), test_env(home.path()));
    let resumed = Harness::begin(server, home, work, loaded, ThreadStart::resume(path)).await;
    assert_eq!(resumed.configured.initial_messages, expected);
}

#[tokio::test]
async fn edit_and_resend_and_fork_before_a_compaction_cut_at_that_message() {
    let mut harness = Harness::start(vec![
        Turn::text("answer one"),
        Turn::text("answer two"),
        Turn::text("SUMMARY: one and two"),
        Turn::text("answer three"),
        Turn::text("answer to the edit"),
    ])
    .await;
    let mut live = harness.turn("question one").await;
    live.extend(harness.turn("question two").await);
    harness.submit(Op::Compact).await;
    live.extend(harness.until_turn_end().await);
    live.extend(harness.turn("question three").await);
    let turns = turn_ids(&live);
    // question one, question two, the compaction, question three.
    assert_eq!(turns.len(), 4);
    let second = turns[1].clone();

    // Fork before the second message: the conversation up to the first one.
    let path = harness.configured.rollout_path.clone();
    let loaded = load(
        harness.home.path(),
        harness.work_path(),
        test_env(harness.home.path()),
    );
    let fork_thread = harness
        .codex
        .start_thread(
            loaded,
            ThreadStart::fork(path.clone(), Some(second.clone())),
        )
        .await
        .unwrap();
    let fork = loop {
        let event = super::next(&mut harness.codex).await;
        if let EventMsg::SessionConfigured(configured) = event {
            break configured;
        }
    };
    assert_eq!(fork.session_id, fork_thread.as_str());
    assert_eq!(user_texts(&fork.initial_messages), ["question one"]);
    let fork_file = load_rollout(&fork.rollout_path).unwrap();
    assert_eq!(
        fork_file
            .history
            .iter()
            .filter_map(codex_protocol::ResponseItem::message_text)
            .filter(|text| text.starts_with("question"))
            .collect::<Vec<_>>(),
        ["question one"],
        "the fork's history stops before the second message"
    );

    // Edit and resend the second message: roll back to it, then send the new text.
    harness
        .submit(Op::Rollback {
            from_turn: second.clone(),
        })
        .await;
    let rolled = harness
        .until(|event| matches!(event, EventMsg::ThreadRolledBack { .. }))
        .await;
    assert_eq!(
        rolled.last(),
        Some(&EventMsg::ThreadRolledBack {
            from_turn: second,
            num_turns: 2
        }),
        "the second and third messages go; the compaction between them is not a message"
    );
    harness.turn("question two, edited").await;
    let requests = harness.server.model_requests();
    let sent = sent_texts(requests.last().unwrap());
    assert!(sent.contains(&"question one".to_string()), "{sent:?}");
    assert!(sent.contains(&"question two, edited".to_string()));
    for gone in ["question two", "question three", "answer three"] {
        assert!(
            !sent.contains(&gone.to_string()),
            "{gone} was cut: {sent:?}"
        );
    }
    assert!(
        !sent.iter().any(|text| text.contains("SUMMARY")),
        "the summary covered the second message, so it goes too: {sent:?}"
    );

    // The replay after the edit shows the same cut.
    harness.submit(Op::Shutdown).await;
    harness
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;
    let reloaded = load_rollout(&path).unwrap();
    assert_eq!(
        user_texts(&reloaded.events),
        ["question one", "question two, edited"]
    );
}

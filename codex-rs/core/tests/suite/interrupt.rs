//! Interrupting a turn mid-stream and mid-command leaves a valid history.

use std::time::Duration;

use codex_protocol::{AbortReason, EventMsg, Op};
use codex_test_support::{Ending, Reply, Turn};
use serde_json::json;

use super::{Harness, output_for};

#[tokio::test]
async fn interrupt_mid_stream_aborts_and_the_next_turn_works() {
    let stalled = Reply::new()
        .message("partial answer")
        .delta_chars(2)
        .ending(Ending::StallAfter { events: 6 });
    let mut harness = Harness::start(vec![stalled.into(), Turn::text("fresh")]).await;
    harness.submit_turn("first").await;
    harness
        .until(|event| matches!(event, EventMsg::AgentMessageDelta { .. }))
        .await;
    harness.submit(Op::Interrupt).await;
    let events = harness.until_turn_end().await;
    assert!(matches!(
        events.last(),
        Some(EventMsg::TurnAborted {
            reason: AbortReason::Interrupted,
            ..
        })
    ));
    let next = harness.turn("second").await;
    assert!(next.contains(&EventMsg::AgentMessage {
        message: "fresh".into()
    }));
}

#[tokio::test]
async fn interrupt_mid_command_kills_it_and_answers_the_call() {
    let mut harness = Harness::start(vec![
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "sleep 30", "yield_time_ms": 30000}).to_string(),
            )
            .into(),
        Turn::text("after"),
    ])
    .await;
    harness.submit_turn("long").await;
    harness
        .until(|event| matches!(event, EventMsg::ExecCommandBegin(_)))
        .await;
    let started = std::time::Instant::now();
    harness.submit(Op::Interrupt).await;
    let events = harness
        .until(|event| matches!(event, EventMsg::TurnAborted { .. }))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the sleep was killed, not waited for"
    );
    let mut all = events;
    if !all.iter().any(|e| matches!(e, EventMsg::ExecCommandEnd(_))) {
        all.extend(
            harness
                .until(|event| matches!(event, EventMsg::ExecCommandEnd(_)))
                .await,
        );
    }
    let end = all.iter().find_map(|e| match e {
        EventMsg::ExecCommandEnd(end) => Some(end.clone()),
        _ => None,
    });
    assert!(end.unwrap().killed);

    // The server refuses requests with an unanswered call; this one must pass.
    let next = harness.turn("continue").await;
    assert!(next.contains(&EventMsg::AgentMessage {
        message: "after".into()
    }));
    let output = output_for(&harness.server.model_requests()[1], "c1");
    assert!(output.starts_with("aborted"), "{output}");
}

#[tokio::test]
async fn shutdown_ends_a_running_turn_and_the_session() {
    let stalled = Reply::new()
        .message("x")
        .ending(Ending::StallAfter { events: 3 });
    let mut harness = Harness::start(vec![stalled.into()]).await;
    harness.submit_turn("hang").await;
    harness
        .until(|event| matches!(event, EventMsg::TurnStarted { .. }))
        .await;
    harness.submit(Op::Shutdown).await;
    let events = harness
        .until(|event| *event == EventMsg::ShutdownComplete)
        .await;
    assert!(events.iter().any(|e| matches!(
        e,
        EventMsg::TurnAborted {
            reason: AbortReason::Shutdown,
            ..
        }
    )));
    assert!(
        harness.codex.submitter().threads().is_empty(),
        "the thread has ended"
    );
    assert_eq!(
        harness.codex.submit(&harness.thread, Op::Interrupt).await,
        Err(codex_core::SubmitError::NoSuchThread(
            harness.thread.clone()
        ))
    );
}

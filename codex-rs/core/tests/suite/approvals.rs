//! Approval requests and decisions.

use codex_protocol::{AbortReason, EventMsg, Op, ReviewDecision};
use codex_test_support::{Reply, Turn};
use serde_json::json;

use super::{Harness, output_for};

async fn answer_next_request(harness: &mut Harness, decision: ReviewDecision) {
    let events = harness
        .until(|event| {
            matches!(
                event,
                EventMsg::ExecApprovalRequest(_) | EventMsg::ApplyPatchApprovalRequest(_)
            )
        })
        .await;
    let op = match events.last() {
        Some(EventMsg::ExecApprovalRequest(request)) => Op::ExecApproval {
            call_id: request.call_id.clone(),
            decision,
        },
        Some(EventMsg::ApplyPatchApprovalRequest(request)) => Op::PatchApproval {
            call_id: request.call_id.clone(),
            decision,
        },
        _ => unreachable!(),
    };
    harness.submit(op).await;
}

#[tokio::test]
async fn untrusted_asks_for_unsafe_commands_and_honours_each_answer() {
    let rm = |id: &str| {
        Reply::new()
            .function_call(
                id,
                "exec_command",
                json!({"cmd": "rm victim.txt"}).to_string(),
            )
            .into()
    };
    let ls: Turn = Reply::new()
        .function_call("safe", "exec_command", json!({"cmd": "ls"}).to_string())
        .into();
    let mut harness = Harness::with(
        vec![ls, rm("declined"), rm("accepted"), Turn::text("done")],
        "approval_policy = \"untrusted\"",
    )
    .await;
    std::fs::write(harness.work_path().join("victim.txt"), "x").unwrap();
    harness.submit_turn("clean up").await;
    answer_next_request(&mut harness, ReviewDecision::Decline).await;
    assert!(
        harness.work_path().join("victim.txt").exists(),
        "declined: not run"
    );
    answer_next_request(&mut harness, ReviewDecision::Accept).await;
    let events = harness.until_turn_end().await;
    assert!(matches!(events.last(), Some(EventMsg::TurnComplete { .. })));
    assert!(
        !harness.work_path().join("victim.txt").exists(),
        "accepted: run"
    );
    let requests = harness.server.model_requests();
    assert!(
        output_for(&requests[1], "safe").contains("Process exited with code 0"),
        "ls ran without asking"
    );
    assert!(output_for(&requests[2], "declined").contains("The user declined"));
}

#[tokio::test]
async fn cancel_stops_the_turn_and_a_stale_answer_is_a_warning() {
    let mut harness = Harness::with(
        vec![
            Reply::new()
                .function_call(
                    "c1",
                    "exec_command",
                    json!({"cmd": "touch made"}).to_string(),
                )
                .into(),
        ],
        "approval_policy = \"untrusted\"",
    )
    .await;
    harness.submit_turn("make").await;
    answer_next_request(&mut harness, ReviewDecision::Cancel).await;
    let events = harness.until_turn_end().await;
    assert!(matches!(
        events.last(),
        Some(EventMsg::TurnAborted {
            reason: AbortReason::Cancelled,
            ..
        })
    ));
    assert!(!harness.work_path().join("made").exists());
    harness
        .submit(Op::ExecApproval {
            call_id: "c1".into(),
            decision: ReviewDecision::Accept,
        })
        .await;
    let warning = harness
        .until(|event| matches!(event, EventMsg::Warning { .. }))
        .await;
    assert!(
        matches!(warning.last(), Some(EventMsg::Warning { message }) if message.contains("no approval request `c1` is waiting"))
    );
}

#[tokio::test]
async fn on_request_asks_only_when_the_model_requests_escalation() {
    let escalate = json!({"cmd": "echo net", "sandbox_permissions": "require_escalated", "justification": "needs the network"});
    let mut harness = Harness::with(
        vec![
            Reply::new()
                .function_call(
                    "plain",
                    "exec_command",
                    json!({"cmd": "echo hi"}).to_string(),
                )
                .into(),
            Reply::new()
                .function_call("esc", "exec_command", escalate.to_string())
                .into(),
            Turn::text("ok"),
        ],
        "approval_policy = \"on-request\"",
    )
    .await;
    harness.submit_turn("go").await;
    let events = harness
        .until(|event| matches!(event, EventMsg::ExecApprovalRequest(_)))
        .await;
    let Some(EventMsg::ExecApprovalRequest(request)) = events.last() else {
        unreachable!()
    };
    assert_eq!(request.call_id, "esc", "the plain command did not ask");
    assert_eq!(request.reason.as_deref(), Some("needs the network"));
    harness
        .submit(Op::ExecApproval {
            call_id: "esc".into(),
            decision: ReviewDecision::AcceptForSession,
        })
        .await;
    harness.until_turn_end().await;
    assert!(output_for(&harness.server.model_requests()[2], "esc").contains("net"));
}

#[tokio::test]
async fn patches_outside_the_workspace_ask_first() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("escaped.txt");
    let patch = format!(
        "*** Begin Patch\n*** Add File: {}\n+x\n*** End Patch",
        target.display()
    );
    let mut harness = Harness::with(
        vec![Reply::new().custom_tool_call("p1", "apply_patch", patch).into(), Turn::text("ok")],
        "approval_policy = \"on-request\"\nsandbox_mode = \"workspace-write\"\n[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true",
    )
    .await;
    harness.submit_turn("write").await;
    answer_next_request(&mut harness, ReviewDecision::Decline).await;
    harness.until_turn_end().await;
    assert!(!target.exists());
    assert!(output_for(&harness.server.model_requests()[1], "p1").contains("declined this patch"));
}

#[tokio::test]
async fn never_runs_everything_without_asking() {
    let mut harness = Harness::with(
        vec![
            Reply::new()
                .function_call(
                    "c1",
                    "exec_command",
                    json!({"cmd": "rm victim.txt"}).to_string(),
                )
                .into(),
            Turn::text("done"),
        ],
        "approval_policy = \"never\"",
    )
    .await;
    std::fs::write(harness.work_path().join("victim.txt"), "x").unwrap();
    let events = harness.turn("remove it").await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EventMsg::ExecApprovalRequest(_)))
    );
    assert!(!harness.work_path().join("victim.txt").exists());
}

#[tokio::test]
async fn a_remembered_prefix_is_saved_and_allows_later_commands_in_new_sessions() {
    let touch = |id: &str, file: &str| -> Turn {
        Reply::new()
            .function_call(
                id,
                "exec_command",
                json!({"cmd": format!("touch {file}")}).to_string(),
            )
            .into()
    };
    let mut harness = Harness::with(
        vec![touch("c1", "one"), touch("c2", "two"), Turn::text("ok")],
        "approval_policy = \"untrusted\"",
    )
    .await;
    harness.submit_turn("make files").await;
    let asked = harness
        .until(|e| matches!(e, EventMsg::ExecApprovalRequest(_)))
        .await;
    let Some(EventMsg::ExecApprovalRequest(request)) = asked.last() else {
        unreachable!()
    };
    let prefix = vec!["/bin/bash".to_string(), "-lc".to_string()];
    assert_eq!(request.command[..2], prefix[..]);
    harness
        .submit(Op::ExecApproval {
            call_id: request.call_id.clone(),
            decision: ReviewDecision::AcceptWithExecpolicyAmendment {
                prefix: prefix.clone(),
            },
        })
        .await;
    let rest = harness.until_turn_end().await;
    assert!(
        !rest
            .iter()
            .any(|e| matches!(e, EventMsg::ExecApprovalRequest(_))),
        "the second command matched the prefix"
    );
    assert!(harness.work_path().join("one").exists() && harness.work_path().join("two").exists());
    let rules = std::fs::read_to_string(harness.home.path().join("rules/default.rules")).unwrap();
    assert_eq!(
        rules,
        "prefix_rule(pattern=[\"/bin/bash\", \"-lc\"], decision=\"allow\")\n"
    );

    let super::Harness {
        server, home, work, ..
    } = harness;
    server.push_turns([touch("c3", "three"), Turn::text("ok")]);
    let loaded = super::load(home.path(), work.path(), super::test_env(home.path()));
    let mut next = Harness::begin(server, home, work, loaded, codex_core::ThreadStart::new()).await;
    let events = next.turn("again").await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EventMsg::ExecApprovalRequest(_))),
        "the saved rule applies in a new session"
    );
    assert!(next.work_path().join("three").exists());
}

#[tokio::test]
async fn an_accepted_patch_under_a_read_only_sandbox_is_applied() {
    let patch = "*** Begin Patch\n*** Add File: approved.txt\n+yes\n*** End Patch";
    let mut harness = Harness::with(
        vec![
            Reply::new()
                .custom_tool_call("p1", "apply_patch", patch)
                .into(),
            Turn::text("ok"),
        ],
        "approval_policy = \"on-request\"\nsandbox_mode = \"read-only\"",
    )
    .await;
    harness.submit_turn("write").await;
    let asked = harness
        .until(|e| matches!(e, EventMsg::ApplyPatchApprovalRequest(_)))
        .await;
    let Some(EventMsg::ApplyPatchApprovalRequest(request)) = asked.last() else {
        unreachable!()
    };
    assert!(
        request
            .reason
            .as_deref()
            .unwrap()
            .contains("outside the writable roots")
    );
    harness
        .submit(Op::PatchApproval {
            call_id: request.call_id.clone(),
            decision: ReviewDecision::Accept,
        })
        .await;
    let events = harness.until_turn_end().await;
    assert!(events.iter().any(|e| matches!(
        e,
        EventMsg::PatchApplyBegin {
            auto_approved: false,
            ..
        }
    )));
    assert_eq!(
        std::fs::read_to_string(harness.work_path().join("approved.txt")).unwrap(),
        "yes\n"
    );
}

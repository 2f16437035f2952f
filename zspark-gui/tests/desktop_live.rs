//! Working live in a shared session, with two real desktops against a real
//! `zspark serve --dev` and a scripted model server. Bob continues Alice's session and
//! starts a message; Alice sees the draft in her composer and sends it. Her turn runs a
//! command that waits on a pipe the test holds, so it is still running while Bob
//! watches it stream into his window, sees that Alice drives, queues his own message
//! and asks to take over (Alice is told). When the test lets the command finish, Alice's
//! turn ends, the lease is free, and Bob's queued message goes in his copy read again
//! from the server: his model request holds Alice's turn, and the server keeps one
//! session, not a fork.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod support;

use std::path::Path;
use std::time::Duration;

use codex_test_support::{Reply, ScriptedModelServer, Turn};
use egui_kittest::kittest::Queryable;
use serde_json::json;
use support::{
    Desk, ServeProcess, alice_with_a_shared_turn, as_user, blocking_http, config_for, signed_in,
    workspace_with,
};

/// A named pipe at `path`: reading it blocks until the test writes.
fn make_pipe(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// The draft of the session `desk` shows.
fn draft_of(desk: &Desk) -> String {
    desk.app()
        .shown_draft()
        .map(|draft| draft.text.clone())
        .unwrap_or_default()
}

#[test]
fn a_teammates_turn_streams_live_their_lease_queues_a_message_that_then_goes_with_their_turn() {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    let workspace = workspace_with(&serve, "alice", "Shop", &[("principal:bob", "editor")]);
    let gate = tempfile::tempdir().unwrap();
    let pipe = gate.path().join("counted");
    make_pipe(&pipe);
    let command = format!("printf 'counting stock\\n'; cat {}", pipe.display());
    let model = ScriptedModelServer::start([
        Turn::text("Plan ready"),
        Reply::new()
            .function_call(
                "call-count",
                "exec_command",
                json!({ "cmd": command }).to_string(),
            )
            .into(),
        Turn::text("Stock counted: 12 boxes"),
        Turn::text("Bob here: reorder placed"),
    ])
    .unwrap();

    let mut alice = alice_with_a_shared_turn(&serve, &model, "Plan the week", "Plan ready");
    let mut bob = Desk::open(Some(config_for(&model)), signed_in(&serve.base, "bob"));
    bob.wait_for("Signed in as bob");
    bob.click("Shop");
    bob.wait_for("by alice");
    bob.harness
        .get_by_label("Read the shared session Plan the week")
        .click();
    bob.wait_for("Plan ready");
    bob.dialogs
        .folders
        .lock()
        .unwrap()
        .push_back(bob.workspace.clone());
    bob.click("Continue here…");
    bob.wait_until("Bob's copy is open and linked", |desk| {
        desk.app().shown_session().is_some_and(|session| {
            session.configured.is_some() && desk.app().model.shared.sync_of_open(session).is_some()
        })
    });
    bob.wait_for_beside(&mut alice, "alice: viewing");

    // The draft is shared: Bob starts it, Alice sees it and sends it herself.
    bob.type_into("Message", "Count the stock");
    alice.wait_until_beside(&mut bob, "Bob's draft reaches Alice's composer", |desk| {
        draft_of(desk) == "Count the stock"
    });
    alice.click("Send");
    bob.wait_until_beside(
        &mut alice,
        "the sent draft leaves Bob's composer too",
        |desk| draft_of(desk).is_empty(),
    );

    // Alice's turn is running (its command waits on the pipe): Bob watches it live.
    bob.wait_for_beside(&mut alice, "alice is running a turn");
    bob.wait_for_beside(&mut alice, "alice's turn, live");
    bob.wait_for_beside(&mut alice, "counting stock");
    let live_items: Vec<String> = bob
        .app()
        .model
        .shared
        .rooms
        .values()
        .flat_map(|room| room.live.items.iter().map(|item| format!("{item:?}")))
        .collect();
    assert!(
        live_items
            .iter()
            .any(|item| item.starts_with("User") && item.contains("Count the stock")),
        "the message that started the turn is in the live turn: {live_items:?}"
    );

    // Bob's message waits for Alice's turn, and he asks to take over.
    bob.type_into("Message", "Reorder what is low");
    bob.click("Queue");
    bob.wait_for_beside(&mut alice, "your message is queued");
    bob.click("Ask to take over");
    alice.wait_for_beside(&mut bob, "bob asks to take over");
    assert_eq!(
        model.model_requests().len(),
        2,
        "nothing of Bob's went while Alice drove"
    );

    // The command finishes; Alice's turn ends and Bob's message goes after it.
    let writer = std::thread::spawn(move || std::fs::write(&pipe, "done\n").unwrap());
    alice.wait_for_beside(&mut bob, "Stock counted: 12 boxes");
    writer.join().unwrap();
    bob.wait_for_beside(&mut alice, "Bob here: reorder placed");
    bob.wait_until_beside(&mut alice, "the live turn is gone", |desk| {
        desk.harness
            .query_all_by_label_contains("turn, live")
            .next()
            .is_none()
    });

    let requests = model.model_requests();
    assert_eq!(requests.len(), 4);
    let bobs = serde_json::to_string(&requests[3].input_items()).unwrap();
    for part in [
        "Plan the week",
        "Count the stock",
        "call-count",
        "Stock counted: 12 boxes",
        "Reorder what is low",
    ] {
        assert!(
            bobs.contains(part),
            "Bob's model sees {part:?} (Alice's turn came first): {bobs}"
        );
    }
    let http = blocking_http(Duration::from_secs(10));
    let sessions = as_user(
        http.get(format!("{}/v1/workspaces/{workspace}/sessions", serve.base)),
        "bob",
    );
    assert_eq!(
        sessions["items"].as_array().unwrap().len(),
        1,
        "one session, no parallel-turn fork: {sessions}"
    );
}

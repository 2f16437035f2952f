//! Keeping a shared session in step with the server, against `zspark serve` in this
//! process: an append whose answer was lost (the server took it, the link did not
//! learn so) is not sent again nor taken for a teammate's turn; a teammate's turn in
//! between is, and the local lines go to a fork.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::start_server;
use zspark_core::SecretBackend;
use zspark_core::shared::SharedClient;
use zspark_core::sharing::{SharedLink, Uploaded, share, upload};
use zspark_core::{SharedIdentity, SharedServer};

/// A client of the server at `base` as development user `user`.
async fn connect_as(base: &str, tokens: &Path, user: &str) -> SharedClient {
    let server = SharedServer {
        url: base.to_string(),
        identity: SharedIdentity::Development { user: user.into() },
    };
    SharedClient::connect(server, tokens, SecretBackend::FileOnly)
        .await
        .unwrap()
}

fn record(kind: &str, payload: Value) -> Value {
    json!({"timestamp": "2026-12-02T10:00:00.000Z", "type": kind, "payload": payload})
}

fn append_lines(path: &Path, records: &[Value]) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    for record in records {
        writeln!(file, "{record}").unwrap();
    }
}

#[test]
fn an_append_whose_answer_was_lost_is_not_sent_twice_but_a_teammates_turn_makes_a_fork() {
    let server = start_server(&[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let home = tempfile::tempdir().unwrap();
    let tokens = tempfile::tempdir().unwrap();
    let rollout = home.path().join("rollout-2026-12-02T10-00-00-local.jsonl");
    std::fs::write(&rollout, "").unwrap();
    append_lines(
        &rollout,
        &[
            record("session_meta", json!({"id": "local-1", "cwd": home.path()})),
            record(
                "event_msg",
                json!({"type": "user_message", "message": "hello"}),
            ),
        ],
    );
    runtime.block_on(async {
        let alice = connect_as(&server.base, tokens.path(), "alice").await;
        alice.create_workspace("W").await.unwrap();
        let workspace = alice.status().await.workspaces[0].id.clone();
        let (link, _) = share(&alice, home.path(), &rollout, &workspace)
            .await
            .unwrap();
        assert_eq!(link.server_seq, 2);

        // Two new lines whose append reached the server, though the link never heard.
        let new = [
            record(
                "event_msg",
                json!({"type": "agent_message", "message": "hi"}),
            ),
            record("event_msg", json!({"type": "task_complete"})),
        ];
        append_lines(&rollout, &new);
        alice
            .append(&workspace, &link.session_id, 2, new.to_vec())
            .await
            .unwrap();
        let mut stale = SharedLink::load(home.path(), "local-1").unwrap().unwrap();
        assert_eq!(
            upload(&alice, home.path(), &mut stale).await.unwrap(),
            Uploaded::UpToDate { sent: 0 }
        );
        let (items, count) = alice.items(&workspace, &link.session_id).await.unwrap();
        assert_eq!((items.len(), count), (4, 4), "each line once");
        assert_eq!(stale.server_seq, 4);

        // Now a teammate's turn lands first: the next local line goes to a fork.
        alice
            .append(
                &workspace,
                &link.session_id,
                4,
                vec![record(
                    "event_msg",
                    json!({"type": "user_message", "message": "bob's"}),
                )],
            )
            .await
            .unwrap();
        append_lines(
            &rollout,
            &[record(
                "event_msg",
                json!({"type": "user_message", "message": "mine"}),
            )],
        );
        let Uploaded::Forked { fork, sent } =
            upload(&alice, home.path(), &mut stale).await.unwrap()
        else {
            panic!("a fork was expected");
        };
        assert_eq!(sent, 1);
        let (forked, _) = alice.items(&workspace, &fork.session_id).await.unwrap();
        assert_eq!(forked.len(), 5, "the common four, then mine");
        assert_eq!(forked[4].payload["payload"]["message"], "mine");
        let (original, _) = alice.items(&workspace, &link.session_id).await.unwrap();
        assert_eq!(original[4].payload["payload"]["message"], "bob's");
        assert_eq!(alice.sessions(&workspace).await.unwrap().len(), 2);
    });
}

/// Waits (at most 20 s) for an event of `events` that `wanted` accepts.
async fn wait_for(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<zspark_core::sharing::DocumentEvent>,
    what: &str,
    mut wanted: impl FnMut(&zspark_core::sharing::DocumentEvent) -> bool,
) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("never came: {what}"))
            .expect("the document is open");
        if wanted(&event) {
            return;
        }
    }
}

#[test]
fn two_desktops_share_presence_and_a_draft_through_the_session_document() {
    use std::sync::Arc;
    use zspark_core::sharing::{DocumentEvent, Part};

    let server = start_server(&[]);
    let tokens = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let alice = Arc::new(connect_as(&server.base, tokens.path(), "alice").await);
        let bob = Arc::new(connect_as(&server.base, tokens.path(), "bob").await);
        alice.create_workspace("Together").await.unwrap();
        let workspace = alice.status().await.workspaces[0].id.clone();
        let http = reqwest::Client::new();
        let post = |path: String, body: Value| {
            http.post(format!("{}{path}", server.base))
                .header("x-domain-user", "alice")
                .json(&body)
                .send()
        };
        let session: Value = post(format!("/v1/workspaces/{workspace}/sessions"), json!({"title": "Plan"}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = session["id"].as_str().unwrap().to_string();
        let invited = post(
            format!("/v1/workspaces/{workspace}/members"),
            json!({"principal": "principal:bob", "role": "editor"}),
        )
        .await
        .unwrap();
        assert_eq!(invited.status(), 201);

        let open = |client: &Arc<SharedClient>| {
            let (sender, events) = tokio::sync::mpsc::unbounded_channel();
            let handle = client.open_document(&workspace, &session, vec![Part::Text("draft".into()), Part::Map("lease".into())], move |event| {
                let _ = sender.send(event);
            });
            (handle, events)
        };
        let (alice_doc, mut alice_events) = open(&alice);
        let (bob_doc, mut bob_events) = open(&bob);
        wait_for(&mut alice_events, "alice connected", |event| *event == DocumentEvent::Connected).await;
        wait_for(&mut bob_events, "bob connected", |event| *event == DocumentEvent::Connected).await;

        alice_doc.set_presence(json!({"user": "alice", "doing": "typing"}));
        alice_doc.set_text("draft", "Ship on Friday");
        wait_for(&mut alice_events, "alice's own edit answered", |event| {
            *event == DocumentEvent::Echo { name: "draft".into(), value: "Ship on Friday".into() }
        })
        .await;
        wait_for(&mut bob_events, "alice's presence", |event| {
            matches!(event, DocumentEvent::Peers(peers) if peers.iter().any(|peer| peer.state == json!({"user": "alice", "doing": "typing"})))
        })
        .await;
        wait_for(&mut bob_events, "alice's draft", |event| {
            *event == DocumentEvent::Text { name: "draft".into(), value: "Ship on Friday".into() }
        })
        .await;

        bob_doc.set_text("draft", "Ship on Friday, after the review");
        wait_for(&mut alice_events, "bob's edit", |event| {
            matches!(event, DocumentEvent::Text { value, .. } if value == "Ship on Friday, after the review")
        })
        .await;
        bob_doc.set_entry("lease", "driver", Some("bob"));
        wait_for(&mut alice_events, "bob's lease", |event| {
            matches!(event, DocumentEvent::Map { name, entries } if name == "lease" && entries.get("driver").map(String::as_str) == Some("bob"))
        })
        .await;

        // Bob closes the session: alice sees him go once his presence is dropped.
        bob_doc.set_presence(json!({"user": "bob"}));
        wait_for(&mut alice_events, "bob's presence", |event| {
            matches!(event, DocumentEvent::Peers(peers) if peers.iter().any(|peer| peer.state["user"] == "bob"))
        })
        .await;
        drop(bob_doc);
        wait_for(&mut alice_events, "bob gone", |event| {
            matches!(event, DocumentEvent::Peers(peers) if peers.iter().all(|peer| peer.state["user"] != "bob"))
        })
        .await;
    });
}

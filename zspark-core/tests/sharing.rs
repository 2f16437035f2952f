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
        let connect = |user: &str| {
            SharedClient::connect(
                SharedServer {
                    url: server.base.clone(),
                    identity: SharedIdentity::Development { user: user.into() },
                },
                tokens.path(),
                SecretBackend::FileOnly,
            )
        };
        let alice = connect("alice").await.unwrap();
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

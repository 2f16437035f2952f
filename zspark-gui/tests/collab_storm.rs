//! A reconnect storm: two thousand of the desktop's own document clients (zspark-core's,
//! with their backoff and jitter) in one shared session's room of a `zspark serve`
//! process. They all join at once and catch up with an edit made before; the server is
//! restarted under them (it stores the document and tells them to reconnect); every
//! one reconnects by itself, and an edit made after the restart reaches them all. The
//! server answers its health check throughout. The server runs as a process of its own
//! (with the limits of one behind a proxy: no per-address cap), so each side holds its
//! own sockets.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::{ServeProcess, as_user, blocking_http, free_port, workspace_with};
use tokio::sync::mpsc;
use zspark_core::shared::SharedClient;
use zspark_core::sharing::{DocumentEvent, Part};
use zspark_core::{SecretBackend, SharedIdentity, SharedServer};

/// Clients in the storm. Each join costs the server a few database reads, which a debug
/// build of the server (as tests run it) does at a fraction of a release build's
/// speed; the ten-thousand-client storm is measured on a release build by
/// `zspark-server/benches/collab_fanout.py --scenario storm`.
const CLIENTS: usize = 2_000;
/// How long the whole room may take to catch up, each time.
const CATCH_UP: Duration = Duration::from_secs(180);
const OPTIONS: [&str; 5] = [
    "--dev",
    "--max-connections",
    "12000",
    "--max-connections-per-address",
    "0",
];

async fn connect_as(base: &str, tokens: &std::path::Path, user: &str) -> Arc<SharedClient> {
    let server = SharedServer {
        url: base.to_string(),
        identity: SharedIdentity::Development { user: user.into() },
    };
    Arc::new(
        SharedClient::connect(server, tokens, SecretBackend::FileOnly)
            .await
            .unwrap(),
    )
}

/// Each client's draft as last reported, and how many times it connected.
struct Room {
    drafts: Vec<String>,
    connections: Vec<u32>,
}

impl Room {
    /// Folds in events until every client's draft reads `text` (and, with
    /// `connections`, each connected that many times), or fails after [`CATCH_UP`].
    async fn wait_for(
        &mut self,
        events: &mut mpsc::UnboundedReceiver<(usize, DocumentEvent)>,
        text: &str,
        connections: u32,
    ) {
        let deadline = tokio::time::Instant::now() + CATCH_UP;
        let mut behind = self.behind(text, connections);
        while behind > 0 {
            let Ok(Some((client, event))) = tokio::time::timeout_at(deadline, events.recv()).await
            else {
                panic!("{behind} of {CLIENTS} clients did not catch up with {text:?}");
            };
            let was = self.caught_up(client, text, connections);
            match event {
                DocumentEvent::Connected => self.connections[client] += 1,
                DocumentEvent::Text { value, .. } => self.drafts[client] = value,
                DocumentEvent::Ended(reason) => panic!("client {client} was turned away: {reason}"),
                _ => {}
            }
            if !was && self.caught_up(client, text, connections) {
                behind -= 1;
            }
        }
    }

    fn caught_up(&self, client: usize, text: &str, connections: u32) -> bool {
        self.drafts[client] == text && self.connections[client] >= connections
    }

    fn behind(&self, text: &str, connections: u32) -> usize {
        (0..CLIENTS)
            .filter(|client| !self.caught_up(*client, text, connections))
            .count()
    }
}

async fn healthy(base: &str) {
    let answer = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(answer.status(), 200);
}

#[test]
fn two_thousand_clients_join_at_once_and_come_back_by_themselves_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let tokens = tempfile::tempdir().unwrap();
    let port = free_port();
    let serve = ServeProcess::start_with(data.path(), None, port, &OPTIONS);
    let base = serve.base.clone();
    let workspace = workspace_with(&serve, "alice", "Storm", &[("principal:bob", "editor")]);
    let http = blocking_http(Duration::from_secs(10));
    let session = as_user(
        http.post(format!("{base}/v1/workspaces/{workspace}/sessions"))
            .json(&json!({"title": "Storm"})),
        "alice",
    )["id"]
        .as_str()
        .unwrap()
        .to_string();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let serve = runtime.block_on(async {
        let alice = connect_as(&base, tokens.path(), "alice").await;
        let bob = connect_as(&base, tokens.path(), "bob").await;
        let (sender, mut events) = mpsc::unbounded_channel();
        let parts = || vec![Part::Text("draft".to_string())];
        let writer = alice.open_document(&workspace, &session, parts(), |_| {});
        writer.set_text("draft", "before the storm");

        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let sender = sender.clone();
                bob.open_document(&workspace, &session, parts(), move |event| {
                    let _ = sender.send((client, event));
                })
            })
            .collect();
        let mut room = Room {
            drafts: vec![String::new(); CLIENTS],
            connections: vec![0; CLIENTS],
        };
        room.wait_for(&mut events, "before the storm", 1).await;
        healthy(&base).await;

        // A restart: the server stores the document and closes every socket with
        // "reconnect"; the same address serves again a moment later.
        let data_dir = data.path().to_path_buf();
        let serve = tokio::task::spawn_blocking(move || {
            serve.terminate();
            ServeProcess::start_with(&data_dir, None, port, &OPTIONS)
        })
        .await
        .unwrap();
        room.wait_for(&mut events, "before the storm", 2).await;
        healthy(&base).await;

        writer.set_text("draft", "after the restart");
        room.wait_for(&mut events, "after the restart", 2).await;
        healthy(&base).await;
        drop(clients);
        serve
    });
    drop(serve);
}

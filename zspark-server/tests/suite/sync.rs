//! Shared sessions' documents with the stock JavaScript clients (`yjs` 13.6 and
//! `y-websocket` 3.1 over `ws`, installed by `.ci/run`; `ZSPARK_TEST_YJS_NODE_MODULES`
//! points at them): they converge through two instances sharing Redis and see each
//! other's presence; a viewer's edit reaches nobody; what was written survives a
//! restart (flushed at shutdown). Bad input from a raw WebSocket client gets the close
//! code that says why, and the server keeps serving the others.

use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use yrs::sync::{Message as SyncFrame, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Text, Transact};

use super::hub::{RedisProcess, two_instances};
use super::live::{Socket, new_ticket};
use super::{TestServer, on_both_backends};

/// The installed `yjs`/`y-websocket`/`ws` packages, or `None` (with the reason printed).
fn yjs_node_modules() -> Option<String> {
    let found = std::env::var("ZSPARK_TEST_YJS_NODE_MODULES")
        .ok()
        .filter(|dir| std::path::Path::new(dir).join("y-websocket").is_dir());
    if found.is_none() {
        assert!(
            std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_CLIENTS=1 but ZSPARK_TEST_YJS_NODE_MODULES does not hold y-websocket"
        );
        eprintln!(
            "skipping: set ZSPARK_TEST_YJS_NODE_MODULES to a node_modules with yjs@13.6.33 y-websocket@3.1.0 ws@8.23.0 (.ci/run installs them)"
        );
    }
    found
}

/// One stock client in a Node process, driven line by line.
struct YjsClient {
    /// The document's address and the user, to say why a connection fails.
    url: String,
    user: String,
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    answers: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl YjsClient {
    /// A client of the session's document on `server`, as `user` (with a ticket when
    /// given, otherwise the development header).
    async fn open(
        node_modules: &str,
        server: &TestServer,
        workspace: &str,
        session: &str,
        user: &str,
        ticket: Option<&str>,
    ) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/yjs/client.cjs");
        let url = format!("{}/v1/workspaces/{workspace}/sessions", server.ws_base());
        let mut command = tokio::process::Command::new("node");
        command
            .arg(script)
            .args([url.as_str(), &format!("{session}/sync"), user])
            .args(ticket)
            .env("NODE_PATH", node_modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let answers = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut client = Self {
            url: format!("{url}/{session}/sync"),
            user: user.to_string(),
            child,
            stdin,
            answers,
        };
        client.run(json!({"cmd": "wait_synced"})).await;
        client
    }

    /// Runs one command; its answer is the client's state afterwards.
    async fn run(&mut self, command: Value) -> Value {
        let line = format!("{command}\n");
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        let Ok(answer) =
            tokio::time::timeout(Duration::from_secs(20), self.answers.next_line()).await
        else {
            // Commands run concurrently in the client: its state says what it waits for.
            self.stdin
                .write_all(b"{\"cmd\":\"state\"}\n")
                .await
                .unwrap();
            let state = self.answers.next_line().await;
            let mut probe = self.url.as_str().into_client_request().unwrap();
            probe
                .headers_mut()
                .insert("x-domain-user", self.user.parse().unwrap());
            let probed = match tokio_tungstenite::connect_async(probe).await {
                Ok(_) => "a connection now opens".to_string(),
                Err(tungstenite::Error::Http(response)) => format!(
                    "{} {:?}",
                    response.status(),
                    response.body().as_deref().map(String::from_utf8_lossy)
                ),
                Err(error) => error.to_string(),
            };
            panic!(
                "no answer to {command} within 20 s; the client's state: {state:?}; connecting: {probed}"
            );
        };
        let answer = answer.unwrap().expect("the client is running");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert!(answer.get("error").is_none(), "{command}: {answer}");
        answer
    }

    async fn insert(&mut self, text: &str) {
        self.run(json!({"cmd": "insert", "text": text})).await;
    }

    async fn wait_text(&mut self, contains: &str) -> String {
        let state = self
            .run(json!({"cmd": "wait_text", "contains": contains}))
            .await;
        state["text"].as_str().unwrap().to_string()
    }

    async fn present_as(&mut self, user: &str) {
        self.run(json!({"cmd": "presence", "state": {"user": user}}))
            .await;
    }

    async fn wait_users(&mut self, users: &[&str]) -> Value {
        self.run(json!({"cmd": "wait_users", "users": users})).await["users"].clone()
    }
}

impl Drop for YjsClient {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A workspace owned by alice with bob as editor and carol as viewer, and a session.
async fn shared_session(server: &TestServer) -> (String, String) {
    let alice = server.as_user("alice");
    let workspace = alice.workspace("Together").await;
    alice.invite(&workspace, "principal:bob", "editor").await;
    alice.invite(&workspace, "principal:carol", "viewer").await;
    let session = alice.session(&workspace, "Launch plan").await;
    (workspace, session)
}

#[tokio::test]
async fn stock_clients_converge_through_two_instances_and_a_viewer_edits_nothing() {
    let Some(modules) = yjs_node_modules() else {
        return;
    };
    let Some(redis) = RedisProcess::start().await else {
        return;
    };
    let (first, second) = two_instances(&redis, &[]).await;
    let (workspace, session) = shared_session(&first).await;

    let mut alice = YjsClient::open(&modules, &first, &workspace, &session, "alice", None).await;
    let mut bob = YjsClient::open(&modules, &second, &workspace, &session, "bob", None).await;
    let ticket = new_ticket(&first, "carol").await;
    let mut carol = YjsClient::open(
        &modules,
        &second,
        &workspace,
        &session,
        "carol",
        Some(&ticket),
    )
    .await;
    for (client, name) in [
        (&mut alice, "alice"),
        (&mut bob, "bob"),
        (&mut carol, "carol"),
    ] {
        client.present_as(name).await;
    }

    alice.insert("Alice drafts. ").await;
    bob.insert("Bob adds. ").await;
    for client in [&mut alice, &mut bob, &mut carol] {
        let text = client.wait_text("Alice drafts.").await;
        let text = if text.contains("Bob adds.") {
            text
        } else {
            client.wait_text("Bob adds.").await
        };
        assert_eq!(text.len(), "Alice drafts. Bob adds. ".len(), "{text}");
    }
    assert_eq!(
        alice.wait_users(&["alice", "bob", "carol"]).await,
        json!(["alice", "bob", "carol"])
    );
    assert_eq!(
        bob.wait_users(&["alice", "bob", "carol"]).await,
        json!(["alice", "bob", "carol"])
    );

    // The viewer's edit is refused with a reason; once refused, an edit by alice made
    // afterwards reaches bob (on the viewer's instance) without it.
    carol.insert("VIEWER EDIT ").await;
    let denied = carol.run(json!({"cmd": "wait_denied"})).await;
    assert_eq!(
        denied["denials"],
        json!(["viewers cannot edit this session"])
    );
    alice.insert("After. ").await;
    let text = bob.wait_text("After.").await;
    assert!(!text.contains("VIEWER EDIT"), "{text}");
    assert!(!alice.wait_text("After.").await.contains("VIEWER EDIT"));
}

#[tokio::test]
async fn what_was_written_survives_a_restart_and_presence_leaves_with_its_client() {
    let Some(modules) = yjs_node_modules() else {
        return;
    };
    let mut server = TestServer::start(zspark_server::Backend::Sqlite, &[])
        .await
        .unwrap();
    let (workspace, session) = shared_session(&server).await;
    let mut alice = YjsClient::open(&modules, &server, &workspace, &session, "alice", None).await;
    let mut bob = YjsClient::open(&modules, &server, &workspace, &session, "bob", None).await;
    alice.present_as("alice").await;
    bob.present_as("bob").await;
    bob.wait_users(&["alice", "bob"]).await;
    drop(alice);
    // The server drops alice's presence when her connection ends.
    assert_eq!(
        wait_for_users(&mut bob, json!(["bob"])).await,
        json!(["bob"])
    );

    bob.insert("Written just before the restart.").await;
    let mut carol = YjsClient::open(&modules, &server, &workspace, &session, "carol", None).await;
    carol.wait_text("just before the restart").await;
    // Stopped at once: nothing waited for the two-second flush.
    let restarted = server.another_instance().await;
    server.stop().await;
    let mut later =
        YjsClient::open(&modules, &restarted, &workspace, &session, "carol", None).await;
    assert_eq!(
        later.wait_text("Written just").await,
        "Written just before the restart."
    );
}

/// Asks for the client's state until its users are `expected` (presence removal has
/// no event of its own on the client).
async fn wait_for_users(client: &mut YjsClient, expected: Value) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let state = client.run(json!({"cmd": "state"})).await;
        if state["users"] == expected {
            return state["users"].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "users stayed {}",
            state["users"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The upgrade request for the session's document, as development user `user`.
fn sync_request(
    server: &TestServer,
    workspace: &str,
    session: &str,
    user: &str,
) -> tungstenite::handshake::client::Request {
    let url = format!(
        "{}/v1/workspaces/{workspace}/sessions/{session}/sync",
        server.ws_base()
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-domain-user", user.parse().unwrap());
    request
}

async fn raw_socket(server: &TestServer, workspace: &str, session: &str, user: &str) -> Socket {
    let request = sync_request(server, workspace, session, user);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(
        request,
        Some(
            tungstenite::protocol::WebSocketConfig::default()
                .max_message_size(None)
                .max_frame_size(None),
        ),
        false,
    )
    .await
    .unwrap();
    socket
}

/// Reads until the server closes; the close code.
async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("closed within 20 s");
        match next {
            Some(Ok(Message::Close(frame))) => return frame.map(|frame| u16::from(frame.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return None,
        }
    }
}

#[tokio::test]
async fn bad_input_gets_a_close_code_that_says_why_and_others_carry_on() {
    let server = TestServer::start(zspark_server::Backend::Sqlite, &[])
        .await
        .unwrap();
    let (workspace, session) = shared_session(&server).await;

    let mut garbage = raw_socket(&server, &workspace, &session, "bob").await;
    garbage
        .send(Message::Binary(vec![0xff, 0xff, 0xff].into()))
        .await
        .unwrap();
    assert_eq!(close_code(&mut garbage).await, Some(4400));

    let mut text = raw_socket(&server, &workspace, &session, "bob").await;
    text.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(close_code(&mut text).await, Some(4400));

    // Hocuspocus-style framing names a document in the message: not this protocol.
    let mut forged = raw_socket(&server, &workspace, &session, "bob").await;
    let mut named = vec![10];
    named.extend_from_slice(b"other-doc");
    named.extend_from_slice(&[0, 0]);
    forged.send(Message::Binary(named.into())).await.unwrap();
    assert_eq!(close_code(&mut forged).await, Some(4400));

    let mut huge = raw_socket(&server, &workspace, &session, "bob").await;
    let _ = huge
        .send(Message::Binary(vec![0; 9 * 1024 * 1024].into()))
        .await;
    assert_eq!(close_code(&mut huge).await, Some(1009));

    // The server still serves: a member syncs, a non-member and a foreign session are
    // refused before the upgrade.
    let mut fine = raw_socket(&server, &workspace, &session, "alice").await;
    let first = tokio::time::timeout(Duration::from_secs(10), fine.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.into_data()[..2], [0, 0], "the server's sync step 1");
    assert_eq!(
        upgrade_refusal(&server, &workspace, &session, "mallory").await,
        404
    );
    let other = server.as_user("alice").workspace("Elsewhere").await;
    assert_eq!(
        upgrade_refusal(&server, &other, &session, "alice").await,
        404,
        "a session of another workspace"
    );
}

/// The status the upgrade is refused with.
async fn upgrade_refusal(server: &TestServer, workspace: &str, session: &str, user: &str) -> u16 {
    match tokio_tungstenite::connect_async(sync_request(server, workspace, session, user)).await {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        other => panic!("{user} was not refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_removed_member_and_a_deleted_session_end_their_connections() {
    let server = TestServer::start(zspark_server::Backend::Sqlite, &[])
        .await
        .unwrap();
    let (workspace, session) = shared_session(&server).await;
    let mut bob = raw_socket(&server, &workspace, &session, "bob").await;
    let (status, _) = server
        .as_user("alice")
        .delete(&format!("/v1/workspaces/{workspace}/members/principal:bob"))
        .await;
    assert_eq!(status, 204);
    assert_eq!(close_code(&mut bob).await, Some(4403));

    let mut carol = raw_socket(&server, &workspace, &session, "carol").await;
    let (status, _) = server
        .as_user("alice")
        .delete(&format!("/v1/workspaces/{workspace}/sessions/{session}"))
        .await;
    assert_eq!(status, 204);
    assert_eq!(close_code(&mut carol).await, Some(4404));
}

#[tokio::test]
async fn a_client_that_never_reads_is_cut_off_and_the_writer_is_not() {
    let server = TestServer::start(zspark_server::Backend::Sqlite, &[])
        .await
        .unwrap();
    let (workspace, session) = shared_session(&server).await;
    let mut stalled = raw_socket(&server, &workspace, &session, "carol").await;
    let mut writer = raw_socket(&server, &workspace, &session, "alice").await;
    // Updates of 64 KiB each from one yrs client, far more than a socket buffers.
    let doc = yrs::Doc::new();
    let text = doc.get_or_insert_text("draft");
    let chunk = "x".repeat(64 * 1024);
    for _ in 0..600 {
        let before = doc.transact().state_vector();
        {
            let mut txn = doc.transact_mut();
            let end = text.len(&txn);
            text.insert(&mut txn, end, &chunk);
        }
        let update = doc.transact().encode_diff_v1(&before);
        let frame = SyncFrame::Sync(SyncMessage::Update(update)).encode_v1();
        writer.send(Message::Binary(frame.into())).await.unwrap();
    }
    assert_eq!(server.anonymous().get("/healthz").await.0, 200);
    // The close frame (4508) waits behind everything the client never read; the server
    // gives it one more send time-out, so a client that stays away long enough (as on a
    // loaded machine) sees the connection end without it.
    let ended = close_code(&mut stalled).await;
    assert!(
        matches!(ended, Some(4508) | None),
        "the stalled client is cut off: {ended:?}"
    );
    // The writer is still connected: a sync step 1 of its own is answered.
    let step1 = SyncFrame::Sync(SyncMessage::SyncStep1(Default::default()));
    writer
        .send(Message::Binary(step1.encode_v1().into()))
        .await
        .unwrap();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(20), writer.next())
            .await
            .unwrap();
        match next {
            Some(Ok(Message::Binary(frame))) if frame[..2] == [0, 1] => break,
            Some(Ok(Message::Close(frame))) => panic!("the writer was closed: {frame:?}"),
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
}

/// The frames of `socket` until a sync step 2 arrives; its update.
async fn next_step2(socket: &mut Socket) -> Vec<u8> {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .unwrap();
        let Some(Ok(Message::Binary(frame))) = next else {
            panic!("{next:?}")
        };
        let mut decoder =
            yrs::updates::decoder::DecoderV1::new(yrs::encoding::read::Cursor::new(&frame));
        for message in yrs::sync::MessageReader::new(&mut decoder) {
            if let Ok(SyncFrame::Sync(SyncMessage::SyncStep2(update))) = message {
                return update;
            }
        }
    }
}

fn step1_frame(doc: &yrs::Doc) -> Message {
    let step1 = SyncFrame::Sync(SyncMessage::SyncStep1(doc.transact().state_vector()));
    Message::Binary(step1.encode_v1().into())
}

on_both_backends! {
    async fn a_document_is_stored_at_shutdown_and_loaded_by_the_next_instance(server) {
        let (workspace, session) = shared_session(&server).await;
        let mut writer = raw_socket(&server, &workspace, &session, "alice").await;
        let doc = yrs::Doc::new();
        let text = doc.get_or_insert_text("draft");
        let before = doc.transact().state_vector();
        text.insert(&mut doc.transact_mut(), 0, "stored in the database");
        let update = doc.transact().encode_diff_v1(&before);
        let frame = SyncFrame::Sync(SyncMessage::Update(update)).encode_v1();
        writer.send(Message::Binary(frame.into())).await.unwrap();
        // Answered after the update was applied: the server has it.
        writer.send(step1_frame(&yrs::Doc::new())).await.unwrap();
        next_step2(&mut writer).await;
        server.stop().await;
        assert_eq!(close_code(&mut writer).await, Some(1012), "told to reconnect elsewhere");

        let restarted = server.another_instance().await;
        let mut reader = raw_socket(&restarted, &workspace, &session, "bob").await;
        let fresh = yrs::Doc::new();
        reader.send(step1_frame(&fresh)).await.unwrap();
        let update = next_step2(&mut reader).await;
        fresh
            .transact_mut()
            .apply_update(yrs::Update::decode_v1(&update).unwrap())
            .unwrap();
        let read = fresh.get_or_insert_text("draft");
        assert_eq!(yrs::GetString::get_string(&read, &fresh.transact()), "stored in the database");
    }
}

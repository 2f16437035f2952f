//! `zspark app-server` driven in-process, one connection per test, against the
//! scripted model server: bad input, steering, several threads, approvals declined,
//! a client that goes away mid-turn, forks, opted-out notifications, a failing turn,
//! the WebSocket's capability token and the generated schema.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::path::Path;
use std::time::Duration;

use codex_app_server::{ServerContext, serve};
use codex_core::Env;
use codex_test_support::{Ending, Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// How long one awaited message may take.
const WAIT: Duration = Duration::from_secs(20);

struct Setup {
    server: ScriptedModelServer,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

fn setup(turns: Vec<Turn>) -> Setup {
    let server = ScriptedModelServer::start(turns).unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
            server.base_url()
        ),
    )
    .unwrap();
    Setup { server, home, work }
}

fn context(setup: &Setup) -> ServerContext {
    ServerContext {
        codex_home: setup.home.path().to_path_buf(),
        env: Env::from([
            (
                "CODEX_HOME".to_string(),
                setup.home.path().display().to_string(),
            ),
            ("MOCK_KEY".to_string(), "sk-test".to_string()),
            ("SHELL".to_string(), "/bin/bash".to_string()),
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_default(),
            ),
        ]),
        cwd: setup.work.path().to_path_buf(),
    }
}

/// A client on an in-process connection.
struct Client {
    lines: Option<mpsc::Sender<String>>,
    out: mpsc::Receiver<String>,
    served: tokio::task::JoinHandle<()>,
    next_id: i64,
    /// What it answers approval requests with.
    decision: &'static str,
    /// Everything the server sent so far.
    seen: Vec<Value>,
}

impl Client {
    fn connect(setup: &Setup) -> Self {
        let (lines, incoming) = mpsc::channel(64);
        let (out_tx, out) = mpsc::channel(1024);
        let served = tokio::spawn(serve(context(setup), incoming, out_tx));
        Self {
            lines: Some(lines),
            out,
            served,
            next_id: 1,
            decision: "accept",
            seen: Vec::new(),
        }
    }

    async fn initialized(setup: &Setup) -> Self {
        let mut client = Self::connect(setup);
        let answer = client
            .request(
                "initialize",
                json!({"clientInfo": {"name": "tests", "version": "1"}}),
            )
            .await;
        assert_eq!(answer["result"]["platformFamily"], std::env::consts::FAMILY);
        client
    }

    async fn send_line(&mut self, line: &str) {
        self.lines
            .as_ref()
            .unwrap()
            .send(line.to_string())
            .await
            .unwrap();
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.out.recv())
            .await
            .expect("the server says something in time")
            .expect("the connection is open");
        let message: Value = serde_json::from_str(&line).unwrap();
        assert!(message.get("jsonrpc").is_none(), "{line}");
        if message.get("method").is_some() && message.get("id").is_some() {
            let answer = if message["method"] == "mcpServer/elicitation/request" {
                json!({"action": self.decision})
            } else {
                json!({"decision": self.decision})
            };
            let reply = json!({"id": message["id"], "result": answer});
            self.send_line(&reply.to_string()).await;
        }
        self.seen.push(message.clone());
        message
    }

    async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.next().await;
            if done(&message) {
                return message;
            }
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_line(&line.to_string()).await;
        self.until(|message| message["id"] == id && message.get("method").is_none())
            .await
    }

    async fn start_thread(&mut self, params: Value) -> String {
        let answer = self.request("thread/start", params).await;
        answer["result"]["thread"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn start_turn(&mut self, thread: &str, text: &str) -> Value {
        self.request(
            "turn/start",
            json!({"threadId": thread, "input": [{"type": "text", "text": text}]}),
        )
        .await
    }

    async fn turn_completed(&mut self, thread: &str) -> Value {
        self.until(|message| {
            message["method"] == "turn/completed" && message["params"]["threadId"] == thread
        })
        .await
    }

    /// Closes the connection and waits until the server has finished with it.
    async fn hang_up(mut self) {
        self.lines = None;
        tokio::time::timeout(WAIT, self.served)
            .await
            .expect("the connection closes in time")
            .unwrap();
    }
}

fn error_of(answer: &Value) -> (i64, String) {
    (
        answer["error"]["code"].as_i64().unwrap(),
        answer["error"]["message"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn bad_input_gets_the_protocol_s_errors_and_the_connection_goes_on() {
    let setup = setup(vec![]);
    let mut client = Client::connect(&setup);
    client.send_line("{this is not json").await;
    let parse = client.next().await;
    assert_eq!(parse["error"]["code"], -32700);
    assert_eq!(parse["id"], Value::Null);

    let early = client.request("thread/list", json!({})).await;
    assert_eq!(error_of(&early), (-32600, "Not initialized".to_string()));
    client
        .request(
            "initialize",
            json!({"clientInfo": {"name": "tests", "version": "1"}}),
        )
        .await;
    let again = client
        .request(
            "initialize",
            json!({"clientInfo": {"name": "tests", "version": "1"}}),
        )
        .await;
    assert_eq!(
        error_of(&again),
        (-32600, "Already initialized".to_string())
    );

    let unknown = client.request("bogus/method", json!({})).await;
    let (code, message) = error_of(&unknown);
    assert_eq!(code, -32600);
    assert!(
        message.starts_with(
            "Invalid request: unknown variant `bogus/method`, expected one of `initialize`"
        ),
        "{message}"
    );

    client
        .send_line(r#"{"id":"s-1","method":"thread/list"}"#)
        .await;
    let missing = client.until(|message| message["id"] == "s-1").await;
    assert_eq!(
        error_of(&missing),
        (
            -32600,
            "Invalid request: missing field `params`".to_string()
        )
    );
    let no_thread = client.request("turn/start", json!({"input": []})).await;
    assert!(
        error_of(&no_thread).1.contains("missing field `threadId`"),
        "{no_thread}"
    );
    let unloaded = client
        .request(
            "turn/start",
            json!({"threadId": "nope", "input": [{"type": "text", "text": "hi"}]}),
        )
        .await;
    assert!(error_of(&unloaded).1.contains("not loaded"), "{unloaded}");
    let unknown_thread = client
        .request(
            "thread/resume",
            json!({"threadId": "0199aaaa-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(
        error_of(&unknown_thread).1,
        "no rollout found for thread id 0199aaaa-0000-7000-8000-000000000000"
    );

    // An answer to a request the server never made (or already had answered) is
    // dropped, and the connection still serves.
    client
        .send_line(r#"{"id":99,"result":{"decision":"accept"}}"#)
        .await;
    let listed = client.request("thread/list", json!({})).await;
    assert_eq!(listed["result"]["data"], json!([]));
    assert!(setup.server.model_requests().is_empty());
    client.hang_up().await;
}

#[tokio::test]
async fn a_running_turn_refuses_turn_start_and_takes_a_steer() {
    let setup = setup(vec![
        Reply::new()
            .function_call("c1", "exec_command", r#"{"cmd":"sleep 1; echo slept"}"#)
            .into(),
        Turn::text("I saw both."),
    ]);
    let mut client = Client::initialized(&setup).await;
    let thread = client.start_thread(json!({})).await;
    let started = client.start_turn(&thread, "take a nap").await;
    let turn = started["result"]["turn"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(started["result"]["turn"]["startedAt"], Value::Null);
    client
        .until(|message| {
            message["method"] == "item/started"
                && message["params"]["item"]["type"] == "commandExecution"
        })
        .await;

    let refused = client.start_turn(&thread, "another").await;
    let (code, message) = error_of(&refused);
    assert_eq!(code, -32600);
    assert!(
        message.contains("still running") && message.contains("turn/steer"),
        "{message}"
    );
    let wrong = client
        .request(
            "turn/steer",
            json!({"threadId": thread, "expectedTurnId": "other", "input": [{"type": "text", "text": "x"}]}),
        )
        .await;
    assert_eq!(
        error_of(&wrong).1,
        format!("expected active turn id `other` but found `{turn}`")
    );
    let steered = client
        .request(
            "turn/steer",
            json!({"threadId": thread, "expectedTurnId": turn, "input": [{"type": "text", "text": "also say hello"}]}),
        )
        .await;
    assert_eq!(steered["result"]["turnId"], turn.as_str());
    let completed = client.turn_completed(&thread).await;
    assert_eq!(completed["params"]["turn"]["id"], turn.as_str());
    assert_eq!(completed["params"]["turn"]["status"], "completed");

    let user_messages: Vec<&Value> = client
        .seen
        .iter()
        .filter(|message| {
            message["method"] == "item/completed"
                && message["params"]["item"]["type"] == "userMessage"
        })
        .collect();
    assert_eq!(
        user_messages.len(),
        2,
        "the steer is a message of the same turn"
    );
    assert_eq!(user_messages[1]["params"]["turnId"], turn.as_str());
    assert_eq!(
        user_messages[1]["params"]["item"]["content"][0]["text"],
        "also say hello"
    );
    let requests = setup.server.model_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].body_text.contains("also say hello"));
    assert!(!requests[0].body_text.contains("also say hello"));

    let idle = client
        .request(
            "turn/steer",
            json!({"threadId": thread, "expectedTurnId": turn, "input": [{"type": "text", "text": "late"}]}),
        )
        .await;
    assert_eq!(error_of(&idle).1, "no active turn to steer");
    client.hang_up().await;
}

#[tokio::test]
async fn two_threads_run_on_one_connection_and_each_event_names_its_thread() {
    let setup = setup(vec![Turn::text("one"), Turn::text("two")]);
    let mut client = Client::initialized(&setup).await;
    let first = client.start_thread(json!({})).await;
    let second = client.start_thread(json!({})).await;
    assert_ne!(first, second);
    client.start_turn(&first, "first").await;
    client.turn_completed(&first).await;
    client.start_turn(&second, "second").await;
    client.turn_completed(&second).await;
    for message in &client.seen {
        if let Some(method) = message["method"].as_str()
            && (method.starts_with("item/") || method.starts_with("turn/"))
        {
            let thread = &message["params"]["threadId"];
            assert!(*thread == first || *thread == second, "{message}");
        }
    }
    let loaded = client.request("thread/loaded/list", json!({})).await;
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(loaded["result"]["data"], json!(expected));
    let listed = client
        .request(
            "thread/list",
            json!({"sortKey": "created_at", "sortDirection": "asc", "limit": 1}),
        )
        .await;
    assert_eq!(listed["result"]["data"][0]["id"], first.as_str());
    assert_eq!(listed["result"]["data"][0]["status"]["type"], "idle");
    let next = client
        .request(
            "thread/list",
            json!({"cursor": listed["result"]["nextCursor"], "sortDirection": "asc"}),
        )
        .await;
    assert_eq!(next["result"]["data"][0]["id"], second.as_str());
    assert_eq!(next["result"]["nextCursor"], Value::Null);
    client.hang_up().await;
}

#[tokio::test]
async fn a_declined_command_ends_declined_and_the_turn_goes_on() {
    let setup = setup(vec![
        Reply::new()
            .function_call("c1", "exec_command", r#"{"cmd":"touch refused.txt"}"#)
            .into(),
        Turn::text("Understood, I did not touch it."),
    ]);
    let mut client = Client::initialized(&setup).await;
    client.decision = "decline";
    let thread = client
        .start_thread(json!({"approvalPolicy": "untrusted"}))
        .await;
    client.start_turn(&thread, "touch a file").await;
    let completed = client.turn_completed(&thread).await;
    assert_eq!(completed["params"]["turn"]["status"], "completed");
    let command = client
        .seen
        .iter()
        .find(|message| {
            message["method"] == "item/completed"
                && message["params"]["item"]["type"] == "commandExecution"
        })
        .unwrap();
    assert_eq!(command["params"]["item"]["status"], "declined");
    assert!(
        client
            .seen
            .iter()
            .any(|message| message["method"] == "serverRequest/resolved")
    );
    assert!(!setup.work.path().join("refused.txt").exists());
    client.hang_up().await;
}

#[tokio::test]
async fn a_client_that_goes_away_mid_turn_leaves_the_turn_interrupted_and_stored() {
    let setup = setup(vec![
        Reply::new()
            .message("a long answer that never ends")
            .ending(Ending::StallAfter { events: 4 })
            .into(),
    ]);
    let mut client = Client::initialized(&setup).await;
    let thread = client.start_thread(json!({})).await;
    client.start_turn(&thread, "talk forever").await;
    client
        .until(|message| message["method"] == "turn/started")
        .await;
    client.hang_up().await;

    let mut reader = Client::initialized(&setup).await;
    let read = reader
        .request(
            "thread/read",
            json!({"threadId": thread, "includeTurns": true}),
        )
        .await;
    let turns = read["result"]["thread"]["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0]["status"], "interrupted");
    assert_eq!(turns[0]["items"][0]["content"][0]["text"], "talk forever");
    reader.hang_up().await;
}

#[tokio::test]
async fn a_fork_copies_the_history_and_names_its_source() {
    let setup = setup(vec![
        Turn::text("first answer"),
        Turn::text("second answer"),
    ]);
    let mut client = Client::initialized(&setup).await;
    let thread = client.start_thread(json!({})).await;
    let first = client.start_turn(&thread, "first question").await;
    let first_turn = first["result"]["turn"]["id"].as_str().unwrap().to_string();
    client.turn_completed(&thread).await;
    client.start_turn(&thread, "second question").await;
    client.turn_completed(&thread).await;

    let forked = client
        .request(
            "thread/fork",
            json!({"threadId": thread, "lastTurnId": first_turn}),
        )
        .await;
    let fork = &forked["result"]["thread"];
    assert_ne!(fork["id"], thread.as_str());
    assert_eq!(fork["forkedFromId"], thread.as_str());
    let turns = fork["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1, "up to and with the named turn: {fork}");
    assert_eq!(turns[0]["items"][0]["content"][0]["text"], "first question");
    let announced = client
        .until(|message| message["method"] == "thread/started")
        .await;
    assert_eq!(announced["params"]["thread"]["id"], fork["id"]);
    client.hang_up().await;
}

#[tokio::test]
async fn opted_out_notifications_are_not_sent() {
    let setup = setup(vec![Turn::text("a few words, streamed in pieces")]);
    let mut client = Client::connect(&setup);
    client
        .request(
            "initialize",
            json!({"clientInfo": {"name": "tests", "version": "1"},
                   "capabilities": {"optOutNotificationMethods": ["item/agentMessage/delta"]}}),
        )
        .await;
    let thread = client.start_thread(json!({})).await;
    client.start_turn(&thread, "talk").await;
    client.turn_completed(&thread).await;
    assert!(
        client
            .seen
            .iter()
            .all(|message| message["method"] != "item/agentMessage/delta")
    );
    assert!(client.seen.iter().any(|message| {
        message["method"] == "item/completed"
            && message["params"]["item"]["text"] == "a few words, streamed in pieces"
    }));
    assert!(
        client
            .seen
            .iter()
            .filter(|message| message.get("method").is_some())
            .all(|message| message["emittedAtMs"].is_i64())
    );
    client.hang_up().await;
}

#[tokio::test]
async fn a_failed_turn_is_an_error_a_failed_turn_and_a_system_error_status() {
    let setup = setup(vec![Turn::http_error(400, "bad request from mock")]);
    let mut client = Client::initialized(&setup).await;
    let thread = client.start_thread(json!({})).await;
    client.start_turn(&thread, "fail").await;
    let completed = client.turn_completed(&thread).await;
    let turn = &completed["params"]["turn"];
    assert_eq!(turn["status"], "failed");
    assert!(
        turn["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bad request from mock")
    );
    let error = client
        .seen
        .iter()
        .find(|message| message["method"] == "error")
        .unwrap();
    assert_eq!(error["params"]["willRetry"], false);
    assert_eq!(error["params"]["error"]["codexErrorInfo"], "other");
    let status = client
        .seen
        .iter()
        .rev()
        .find(|message| message["method"] == "thread/status/changed")
        .unwrap();
    assert_eq!(status["params"]["status"]["type"], "systemError");
    client.hang_up().await;
}

#[tokio::test]
async fn the_websocket_listener_wants_its_token() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let setup = setup(vec![]);
    let listener = codex_app_server::transport::WebSocketListener::bind(
        "127.0.0.1:0".parse().unwrap(),
        "secret-token".to_string(),
    )
    .await
    .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(listener.run(context(&setup)));
    let url = format!("ws://{addr}");
    let refused = tokio_tungstenite::connect_async(url.as_str()).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("a connection without the token is refused");
    };
    assert_eq!(response.status(), 401);

    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", "Bearer secret-token".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = json!({"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "ws", "version": "1"}}});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .unwrap();
    let Some(Ok(Message::Text(answer))) = socket.next().await else {
        panic!("an answer");
    };
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["id"], 1);
    assert_eq!(answer["result"]["codexHome"], json!(setup.home.path()));

    let outside = codex_app_server::transport::WebSocketListener::bind(
        "0.0.0.0:0".parse().unwrap(),
        "t".to_string(),
    )
    .await;
    assert!(outside.is_err(), "only loopback addresses are served");
}

#[test]
fn the_schema_names_every_method_served() {
    let dir = tempfile::tempdir().unwrap();
    let written = codex_app_server::schema::write_schemas(dir.path()).unwrap();
    assert!(written.iter().all(|path| path.is_file()));
    let read = |name: &str| -> String { std::fs::read_to_string(dir.path().join(name)).unwrap() };
    let requests = read("ClientRequest.json");
    for method in [
        "initialize",
        "thread/start",
        "thread/resume",
        "thread/fork",
        "thread/list",
        "thread/read",
        "turn/start",
        "turn/steer",
        "turn/interrupt",
        "model/list",
        "skills/list",
    ] {
        assert!(
            requests.contains(&format!("\"{method}\"")),
            "{method} missing"
        );
    }
    let notifications = read("ServerNotification.json");
    for method in [
        "turn/completed",
        "item/agentMessage/delta",
        "thread/tokenUsage/updated",
        "serverRequest/resolved",
    ] {
        assert!(
            notifications.contains(&format!("\"{method}\"")),
            "{method} missing"
        );
    }
    let parsed: Value = serde_json::from_str(&read("ThreadStartResponse.json")).unwrap();
    assert!(parsed.to_string().contains("approvalPolicy"));
    assert!(Path::new(&written[0]).starts_with(dir.path()));
}

#[tokio::test]
async fn a_sub_agent_s_events_come_on_the_same_connection_under_its_own_thread() {
    let spawn = Reply::new().namespaced_function_call(
        "s1",
        "multi_agent_v1",
        "spawn_agent",
        r#"{"message":"list the files","model":"child-model"}"#,
    );
    let wait = Reply::new().namespaced_function_call(
        "w1",
        "multi_agent_v1",
        "wait_agent",
        r#"{"targets":["Noether"]}"#,
    );
    let server = ScriptedModelServer::options()
        .turns([
            spawn.into(),
            wait.into(),
            Turn::text("The helper found two files."),
        ])
        .model_turns("child-model", [Turn::text("a.txt and b.txt")])
        .start()
        .unwrap();
    let mut setup = setup(vec![]);
    std::fs::write(
        setup.home.path().join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
            server.base_url()
        ),
    )
    .unwrap();
    setup.server = server;
    let mut client = Client::initialized(&setup).await;
    let root = client.start_thread(json!({})).await;
    client.start_turn(&root, "use a helper").await;
    let done = client.turn_completed(&root).await;
    assert_eq!(
        done["params"]["turn"]["items"][0]["text"],
        "The helper found two files."
    );

    let spawned = client
        .seen
        .iter()
        .find(|message| {
            message["method"] == "item/completed"
                && message["params"]["item"]["type"] == "collabAgentToolCall"
                && message["params"]["item"]["tool"] == "spawnAgent"
        })
        .expect("the spawn is an item of the root's turn");
    assert_eq!(spawned["params"]["threadId"], root.as_str());
    let child = spawned["params"]["item"]["receiverThreadIds"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(child, root);
    let child_answer = client.seen.iter().find(|message| {
        message["method"] == "item/completed"
            && message["params"]["threadId"] == child.as_str()
            && message["params"]["item"]["text"] == "a.txt and b.txt"
    });
    assert!(
        child_answer.is_some(),
        "the child's answer comes under its own thread"
    );
    let announced: Vec<&Value> = client
        .seen
        .iter()
        .filter(|message| message["method"] == "thread/started")
        .collect();
    assert_eq!(announced.len(), 1, "no thread/started for the child");
    client.hang_up().await;
}

#[tokio::test]
async fn mcp_server_status_shows_each_configured_server_as_it_stands() {
    let setup = setup(vec![]);
    let config = std::fs::read_to_string(setup.home.path().join("config.toml")).unwrap();
    std::fs::write(
        setup.home.path().join("config.toml"),
        format!(
            "{config}[mcp_servers.broken]\ncommand = \"/nonexistent/mcp-server\"\n[mcp_servers.resting]\ncommand = \"true\"\nenabled = false\n[mcp_servers.remote]\nurl = \"http://127.0.0.1:9/mcp\"\nbearer_token_env_var = \"REMOTE_TOKEN\"\n"
        ),
    )
    .unwrap();
    let mut client = Client::initialized(&setup).await;
    let before = client.request("mcpServerStatus/list", json!({})).await;
    let names: Vec<&str> = before["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|server| server["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["broken", "remote", "resting"]);
    assert_eq!(before["result"]["data"][0]["runtimeStatus"], "notStarted");
    assert_eq!(before["result"]["data"][1]["authStatus"], "bearerToken");
    assert_eq!(
        before["result"]["data"][1]["httpOrigin"],
        "http://127.0.0.1:9"
    );
    assert_eq!(before["result"]["data"][2]["runtimeStatus"], "disabled");

    let thread = client.start_thread(json!({})).await;
    let failed = client
        .until(|message| {
            message["method"] == "mcpServer/startupStatus/updated"
                && message["params"]["status"] == "failed"
        })
        .await;
    assert_eq!(failed["params"]["name"], "broken");
    let after = client
        .request(
            "mcpServerStatus/list",
            json!({"threadId": thread, "serverName": "broken"}),
        )
        .await;
    let broken = &after["result"]["data"][0];
    assert_eq!(broken["runtimeStatus"], "failed");
    assert!(
        broken["toolsError"]
            .as_str()
            .is_some_and(|error| !error.is_empty()),
        "{broken}"
    );
    assert_eq!(after["result"]["data"].as_array().unwrap().len(), 1);
    let paged = client
        .request("mcpServerStatus/list", json!({"limit": 2}))
        .await;
    assert_eq!(paged["result"]["nextCursor"], "2");
    client.hang_up().await;
}

#[tokio::test]
async fn config_read_shows_the_effective_settings_and_where_each_comes_from() {
    let setup = setup(vec![]);
    let mut client = Client::initialized(&setup).await;
    let read = client.request("config/read", json!({})).await;
    let config = &read["result"]["config"];
    assert_eq!(config["model"], "gpt-5.5");
    assert_eq!(config["model_providers"]["mock"]["name"], "Mock");
    assert_eq!(
        config["instructions"],
        Value::Null,
        "unset keys are there, null"
    );
    let origin = &read["result"]["origins"]["model_providers.mock.base_url"];
    assert_eq!(origin["name"]["type"], "user");
    assert_eq!(
        origin["name"]["file"],
        json!(setup.home.path().join("config.toml"))
    );
    assert!(origin["version"].as_str().unwrap().starts_with("sha256:"));
    assert!(read["result"].get("layers").is_none());
    let with_layers = client
        .request("config/read", json!({"includeLayers": true}))
        .await;
    let layers = with_layers["result"]["layers"].as_array().unwrap();
    assert_eq!(layers[0]["name"]["type"], "user");
    assert_eq!(layers[0]["config"]["model"], "gpt-5.5");

    std::fs::write(setup.home.path().join("config.toml"), "model = [unclosed").unwrap();
    let broken = client.request("config/read", json!({})).await;
    assert_eq!(broken["error"]["code"], -32600);
    assert_eq!(broken["error"]["data"]["reason"], "configLoad");
    assert!(
        broken["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("failed to load configuration:")
    );
    client.hang_up().await;
}

#[tokio::test]
async fn model_list_puts_the_configured_model_first_then_the_provider_s() {
    let setup = setup(vec![]);
    let mut client = Client::initialized(&setup).await;
    let listed = client.request("model/list", json!({})).await;
    let ids: Vec<&str> = listed["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|model| model["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gpt-5.5", "scripted-model"]);
    assert_eq!(listed["result"]["data"][0]["isDefault"], true);
    assert_eq!(listed["result"]["data"][1]["isDefault"], false);
    let asked = setup.server.requests();
    assert!(
        asked
            .iter()
            .any(|request| request.method == "GET" && request.path == "/v1/models")
    );
    assert_eq!(asked[0].header("authorization"), Some("Bearer sk-test"));
    let page = client.request("model/list", json!({"limit": 1})).await;
    assert_eq!(page["result"]["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["result"]["nextCursor"], "1");
    client.hang_up().await;
}

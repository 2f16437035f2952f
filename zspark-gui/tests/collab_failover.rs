//! Failover of shared-session documents: two `zspark serve` processes on one database
//! and one Redis, the stock `yjs`/`y-websocket` clients in front of them. One instance
//! is killed (SIGKILL) right after an edit; its client reconnects through a load
//! balancer to the other instance, and nothing is lost: the other clients see the edit,
//! and after the survivor is stopped too a fresh instance serves all of it from the
//! database. Needs Redis (`ZSPARK_TEST_REDIS_URL`) and the Yjs clients
//! (`ZSPARK_TEST_YJS_NODE_MODULES`), which `.ci/run` provides.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; skipped tests say why on stderr"
)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use support::{ServeProcess, blocking_http, free_port};

fn required(variable: &str, what: &str) -> Option<String> {
    let value = std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty());
    if value.is_none() {
        for gate in ["ZSPARK_REQUIRE_CLIENTS", "ZSPARK_REQUIRE_SERVICES"] {
            assert!(
                std::env::var(gate).as_deref() != Ok("1"),
                "{gate}=1 but {variable} ({what}) is not set"
            );
        }
        eprintln!("skipping: set {variable} ({what})");
    }
    value
}

/// A TCP load balancer: each connection goes to the first backend that accepts it.
fn balancer(backends: Vec<u16>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Some(upstream) = backends
                .iter()
                .find_map(|port| TcpStream::connect(("127.0.0.1", *port)).ok())
            else {
                continue;
            };
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                (upstream, client),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    port
}

/// One stock client in a Node process (the server crate's test client), driven line by
/// line.
struct YjsClient {
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::Receiver<String>,
}

impl YjsClient {
    fn open(modules: &str, server: &str, workspace: &str, session: &str, user: &str) -> Self {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../zspark-server/tests/yjs/client.cjs"
        );
        let mut child = Command::new("node")
            .arg(script)
            .arg(format!("{server}/v1/workspaces/{workspace}/sessions"))
            .arg(format!("{session}/sync"))
            .arg(user)
            .env("NODE_PATH", modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let mut client = Self {
            child,
            stdin,
            answers,
        };
        client.run(json!({"cmd": "wait_synced"}));
        client
    }

    fn run(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").unwrap();
        let Ok(answer) = self.answers.recv_timeout(Duration::from_secs(30)) else {
            // Commands run concurrently in the client: its state says what it waits for.
            writeln!(self.stdin, "{}", json!({"cmd": "state"})).unwrap();
            let state = self.answers.recv_timeout(Duration::from_secs(5));
            panic!("no answer to {command} within 30 s; the client's state: {state:?}");
        };
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert!(answer.get("error").is_none(), "{command}: {answer}");
        answer
    }

    fn insert(&mut self, text: &str) {
        self.run(json!({"cmd": "insert", "text": text}));
    }

    fn wait_text(&mut self, contains: &str) -> String {
        let state = self.run(json!({"cmd": "wait_text", "contains": contains}));
        state["text"].as_str().unwrap().to_string()
    }
}

impl Drop for YjsClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &std::path::Path, port: u16, redis: &str) -> ServeProcess {
    ServeProcess::start_with(data, None, port, &["--dev", "--redis-url", redis])
}

#[test]
fn a_killed_instance_loses_nothing_its_clients_wrote() {
    let Some(redis) = required(
        "ZSPARK_TEST_REDIS_URL",
        "a Redis server, e.g. redis://127.0.0.1:6379",
    ) else {
        return;
    };
    let Some(modules) = required(
        "ZSPARK_TEST_YJS_NODE_MODULES",
        "node_modules with yjs and y-websocket",
    ) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let (first_port, second_port) = (free_port(), free_port());
    let first = serve(data.path(), first_port, &redis);
    let second = serve(data.path(), second_port, &redis);
    let http = blocking_http(Duration::from_secs(10));
    let created: Value = http
        .post(format!("{}/v1/workspaces", first.base))
        .header("x-domain-user", "alice")
        .json(&json!({"name": "Failover"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let workspace = created["id"].as_str().unwrap().to_string();
    let session: Value = http
        .post(format!("{}/v1/workspaces/{workspace}/sessions", first.base))
        .header("x-domain-user", "alice")
        .json(&json!({"title": "Plan"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let session = session["id"].as_str().unwrap().to_string();
    let invited = http
        .post(format!("{}/v1/workspaces/{workspace}/members", first.base))
        .header("x-domain-user", "alice")
        .json(&json!({"principal": "principal:bob", "role": "editor"}))
        .send()
        .unwrap();
    assert_eq!(invited.status(), 201);

    // Alice reaches the first instance through the balancer; bob is on the second.
    let balanced = format!("ws://127.0.0.1:{}", balancer(vec![first_port, second_port]));
    let mut alice = YjsClient::open(&modules, &balanced, &workspace, &session, "alice");
    let mut bob = YjsClient::open(
        &modules,
        &format!("ws://127.0.0.1:{second_port}"),
        &workspace,
        &session,
        "bob",
    );
    alice.insert("Before the crash. ");
    bob.wait_text("Before the crash.");

    alice.insert("Written as it died. ");
    first.kill();
    // Alice's client reconnects (to the second instance now) by itself.
    assert!(
        alice
            .wait_text("Written as it died.")
            .contains("Before the crash.")
    );
    bob.wait_text("Written as it died.");
    bob.insert("After. ");
    assert_eq!(
        alice.wait_text("After."),
        "Before the crash. Written as it died. After. "
    );
    let state = alice.run(json!({"cmd": "state"}));
    assert!(
        !state["closes"].as_array().unwrap().is_empty(),
        "alice's client did reconnect: {state}"
    );

    // Everything reached the database: a fresh instance serves it after the survivor
    // stopped.
    drop((alice, bob));
    second.terminate();
    let third = serve(data.path(), free_port(), &redis);
    let url = third.base.replacen("http://", "ws://", 1);
    let mut carol = YjsClient::open(&modules, &url, &workspace, &session, "alice");
    assert_eq!(
        carol.wait_text("After."),
        "Before the crash. Written as it died. After. "
    );
}

//! Shared sessions from the command line, end to end: people with their own
//! `CODEX_HOME`s and identities, a real `zspark serve` (SQLite, and PostgreSQL when
//! `ZSPARK_TEST_POSTGRES_URL` is set) and the scripted model server. alice shares,
//! bob continues with the whole conversation in front of his model, alice sees his
//! turn, a viewer cannot continue, two turns at once leave the session and a fork,
//! and a turn that ends while the server is down is sent, once and in order, when it
//! is back.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; skipped tests say why on stderr"
)]

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use codex_test_support::{RecordedRequest, Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{ServeProcess, blocking_http};

/// One person's machine: their `CODEX_HOME`, their checkout, who they are to the server
/// (the environment that says it).
struct Person {
    name: &'static str,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
    identity: Vec<(String, String)>,
}

impl Person {
    fn new(name: &'static str, model: &ScriptedModelServer) -> Self {
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            format!(
                "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
                model.base_url()
            ),
        )
        .unwrap();
        let identity = vec![("ZSPARK_DEV_USER".to_string(), name.to_string())];
        Self {
            name,
            home,
            work,
            identity,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zspark"));
        command
            .args(args)
            .current_dir(self.work.path())
            .env("CODEX_HOME", self.home.path())
            .env("HOME", self.home.path())
            .envs(self.identity.iter().cloned())
            .env("MOCK_KEY", "sk-test")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs `args`, which must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{} {args:?} failed:\n{}",
            self.name,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// The server's API as one person, for what the command line does not do.
struct Api {
    base: String,
    user: &'static str,
    http: reqwest::blocking::Client,
}

impl Api {
    fn new(server: &ServeProcess, user: &'static str) -> Self {
        Self {
            base: server.base.clone(),
            user,
            http: blocking_http(Duration::from_secs(10)),
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-domain-user", self.user)
            .json(&body)
            .send()
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().unwrap()
    }

    fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .header("x-domain-user", self.user)
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// A workspace alice owns, with bob as an editor and carol as a viewer.
    fn team(&self) -> String {
        let id = self.post("/v1/workspaces", json!({"name": "Team"}))["id"]
            .as_str()
            .unwrap()
            .to_string();
        for (who, role) in [("bob", "editor"), ("carol", "viewer")] {
            self.post(
                &format!("/v1/workspaces/{id}/members"),
                json!({"principal": format!("principal:{who}"), "role": role}),
            );
        }
        id
    }

    fn download(&self, workspace: &str, artifact: &str) -> Vec<u8> {
        self.http
            .get(format!(
                "{}/v1/workspaces/{workspace}/artifacts/{artifact}",
                self.base
            ))
            .header("x-domain-user", self.user)
            .send()
            .unwrap()
            .bytes()
            .unwrap()
            .to_vec()
    }

    /// The items of the session at `url`, in order.
    fn items(&self, url: &str) -> Vec<Value> {
        let path = url.strip_prefix(&self.base).unwrap();
        self.get(&format!("{path}/items?limit=1000"))["items"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The user messages among `items` (each a rollout record), with their authors.
fn user_turns(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .filter(|item| item["payload"]["payload"]["type"] == "user_message")
        .map(|item| {
            (
                item["author"].as_str().unwrap().to_string(),
                item["payload"]["payload"]["message"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn input_has(request: &RecordedRequest, kind: &str, call_id: &str) -> bool {
    request
        .input_items()
        .iter()
        .any(|item| item["type"] == kind && item["call_id"] == call_id)
}

fn command_call(id: &str, command: &str) -> Turn {
    Reply::new()
        .function_call(id, "exec_command", json!({"cmd": command}).to_string())
        .into()
}

/// A command that returns once `gate` exists.
fn wait_for(gate: &Path) -> String {
    format!(
        "while [ ! -f '{}' ]; do sleep 0.05; done; echo through",
        gate.display()
    )
}

fn shared_url(stdout: &str, server: &ServeProcess, workspace: &str) -> String {
    let url = stdout.trim().to_string();
    assert!(
        url.starts_with(&format!(
            "{}/v1/workspaces/{workspace}/sessions/",
            server.base
        )),
        "{url}"
    );
    url
}

fn share_and_continue(database_url: Option<&str>) {
    let model = ScriptedModelServer::options()
        .turns([
            command_call("c1", "echo alice-was-here > found.txt && cat found.txt"),
            Turn::text("alice found one file"),
            command_call("c2", "echo from-bob > bob.txt"),
            Turn::text("bob carried on"),
        ])
        .start()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), database_url);
    let alice_api = Api::new(&server, "alice");
    let workspace = alice_api.team();
    let (alice, bob, carol) = (
        Person::new("alice", &model),
        Person::new("bob", &model),
        Person::new("carol", &model),
    );

    assert_eq!(alice.ok(&["exec", "look around"]), "alice found one file\n");
    let url = shared_url(
        &alice.ok(&[
            "share",
            "--last",
            "--server",
            &server.base,
            "--workspace",
            &workspace,
        ]),
        &server,
        &workspace,
    );

    // The file alice's turn wrote went with the session.
    let artifacts = alice_api.get(&format!("/v1/workspaces/{workspace}/artifacts"));
    let session_id = url.rsplit('/').next().unwrap();
    let found = &artifacts["items"][0];
    assert_eq!(found["name"], "found.txt");
    assert_eq!(found["session_id"], session_id);
    assert_eq!(found["sha256"], sha256_hex(b"alice-was-here\n"));
    assert_eq!(
        alice_api.download(&workspace, found["id"].as_str().unwrap()),
        b"alice-was-here\n"
    );

    let continued = bob.ok(&["exec", "resume", &url, "what did alice find?"]);
    assert_eq!(continued, "bob carried on\n");
    let request = model.model_requests().last().unwrap().clone();
    let sent = request.body["input"].to_string();
    assert!(sent.contains("look around") && sent.contains("alice found one file"));
    assert!(
        input_has(&request, "function_call", "c1")
            && input_has(&request, "function_call_output", "c1"),
        "bob's model sees alice's call and its output"
    );
    assert!(
        bob.work.path().join("bob.txt").is_file(),
        "bob's turn ran in his folder"
    );
    let artifacts = alice_api.get(&format!("/v1/workspaces/{workspace}/artifacts"));
    let names: Vec<(&str, &str)> = artifacts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|artifact| {
            (
                artifact["name"].as_str().unwrap(),
                artifact["created_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        names.contains(&("bob.txt", "principal:bob")) && names.len() == 2,
        "the file bob's turn wrote went too, once: {names:?}"
    );
    assert!(sent.contains("alice-was-here"));
    assert!(
        request.tool_pair_problems().is_empty(),
        "{:?}",
        request.tool_pair_problems()
    );

    // alice sees bob's turn, after hers, in order.
    let items = alice_api.items(&url);
    assert_eq!(
        user_turns(&items),
        [
            ("principal:alice".to_string(), "look around".to_string()),
            (
                "principal:bob".to_string(),
                "what did alice find?".to_string()
            ),
        ]
    );
    let seqs: Vec<i64> = items
        .iter()
        .map(|item| item["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (0..items.len() as i64).collect::<Vec<_>>(),
        "each item once, in order"
    );

    let listed: Value = serde_json::from_str(&alice.ok(&[
        "shared",
        "list",
        "--server",
        &server.base,
        "--workspace",
        &workspace,
        "--json",
    ]))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["title"], "look around");
    assert_eq!(listed[0]["item_count"], items.len());

    // A viewer reads but cannot continue; nothing is asked of the model.
    let before = model.model_requests().len();
    let refused = carol.run(&["exec", "resume", &url, "may I?"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("viewer"), "{said}");
    assert_eq!(model.model_requests().len(), before);
}

#[test]
fn alice_shares_and_bob_continues_with_her_whole_conversation_on_sqlite() {
    share_and_continue(None);
}

#[test]
fn alice_shares_and_bob_continues_with_her_whole_conversation_on_postgres() {
    let Some(database) = support::postgres_database("zspark_sharing") else {
        return;
    };
    share_and_continue(Some(database.url()));
}

#[test]
fn two_turns_at_once_leave_the_session_and_a_fork_and_a_turn_made_offline_is_sent_later() {
    let gate = tempfile::tempdir().unwrap();
    let (bob_gate, restart_gate) = (gate.path().join("bob"), gate.path().join("restart"));
    let model = ScriptedModelServer::options()
        .turns([Turn::text("alice started")])
        .start()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), None);
    let alice_api = Api::new(&server, "alice");
    let workspace = alice_api.team();
    let (alice, bob) = (Person::new("alice", &model), Person::new("bob", &model));
    alice.ok(&["exec", "start the shop"]);
    let url = shared_url(
        &alice.ok(&[
            "share",
            "--last",
            "--server",
            &server.base,
            "--workspace",
            &workspace,
        ]),
        &server,
        &workspace,
    );

    // bob's turn waits at a gate while alice's turn lands first.
    model.push_turns([command_call("b1", &wait_for(&bob_gate))]);
    let bob_run = bob
        .command(&["exec", "resume", &url, "bob's idea"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(futures_wait(&model, 2));
    model.push_turns([Turn::text("alice's answer")]);
    alice.ok(&["exec", "resume", &url, "alice's idea"]);
    model.push_turns([Turn::text("bob's answer")]);
    std::fs::write(&bob_gate, "").unwrap();
    let bob_done = bob_run.wait_with_output().unwrap();
    assert!(bob_done.status.success());
    let said = String::from_utf8_lossy(&bob_done.stderr);
    let fork_url = said
        .split_whitespace()
        .find(|word| word.contains("/sessions/") && !word.contains(&url))
        .unwrap_or_else(|| panic!("bob is told where his turn went: {said}"))
        .to_string();
    let original = user_turns(&alice_api.items(&url));
    assert_eq!(
        original,
        [
            ("principal:alice".to_string(), "start the shop".to_string()),
            ("principal:alice".to_string(), "alice's idea".to_string()),
        ]
    );
    let fork = user_turns(&alice_api.items(&fork_url));
    assert_eq!(
        fork,
        [
            ("principal:alice".to_string(), "start the shop".to_string()),
            ("principal:bob".to_string(), "bob's idea".to_string()),
        ],
        "bob's turn is kept, from the common point"
    );
    let sessions = alice_api.get(&format!("/v1/workspaces/{workspace}/sessions"));
    let titles: Vec<&str> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|session| session["title"].as_str())
        .collect();
    assert!(
        titles.contains(&"start the shop (parallel turn by bob)"),
        "{titles:?}"
    );

    // The server goes away while bob's next turn runs; the turn is kept and sent later.
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    model.push_turns([command_call("b2", &wait_for(&restart_gate))]);
    let bob_run = bob
        .command(&["exec", "resume", &fork_url, "bob goes on"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(futures_wait(&model, 5));
    server.kill();
    model.push_turns([Turn::text("bob went on")]);
    std::fs::write(&restart_gate, "").unwrap();
    let bob_done = bob_run.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&bob_done.stderr);
    assert!(said.contains("not yet on the server"), "{said}");
    let server = ServeProcess::start_on(data.path(), None, port);
    let alice_api = Api::new(&server, "alice");
    assert_eq!(
        user_turns(&alice_api.items(&fork_url)).len(),
        2,
        "not there yet"
    );
    model.push_turns([Turn::text("bob is back")]);
    bob.ok(&["exec", "resume", &fork_url, "and now"]);
    let items = alice_api.items(&fork_url);
    let turns: Vec<String> = user_turns(&items)
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    assert_eq!(
        turns,
        ["start the shop", "bob's idea", "bob goes on", "and now"]
    );
    let seqs: Vec<i64> = items
        .iter()
        .map(|item| item["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (0..items.len() as i64).collect::<Vec<_>>());
    let offline_turn = items
        .iter()
        .filter(|item| item.to_string().contains("bob went on"))
        .count();
    assert!(offline_turn >= 1, "the offline turn's answer arrived");
}

/// Waits until `model` has had `count` requests.
fn futures_wait(model: &ScriptedModelServer, count: usize) -> bool {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(model.wait_for_requests(count, Duration::from_secs(60)))
}

/// Signs `account` in through the stand-in browser.
async fn sign_in(account: &zspark_auth::signin::Account) {
    struct Browser(codex_test_support::oidc::TestBrowser);
    impl zspark_auth::signin::OpenBrowser for Browser {
        fn open(&self, url: &str) -> Result<(), zspark_auth::signin::BrowserError> {
            self.0.open(url).map_err(zspark_auth::signin::BrowserError)
        }
    }
    let (browser, mut requests) =
        codex_test_support::oidc::TestBrowser::new(zspark_auth::http_client().unwrap());
    let browser = Browser(browser);
    let (signed_in, ()) = tokio::join!(
        account.sign_in_with_browser(&browser),
        browser.0.sign_in_when_asked(&mut requests)
    );
    signed_in.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn with_an_entra_shaped_sign_in_the_command_line_shares_and_continues() {
    use codex_test_support::oidc::{API, DESKTOP, TENANT, api_scope, provider_dir, start_provider};
    use zspark_auth::signin::{Account, OidcClient, SignInSettings, TokenStore};

    let Some(dir) = provider_dir() else {
        return;
    };
    let provider = start_provider(&dir, "alice-oid").await;
    // `zspark auth login` keeps its tokens here; the stand-in browser signs alice in.
    let tokens = tempfile::tempdir().unwrap();
    let settings = SignInSettings {
        authority: provider.issuer.clone(),
        client_id: DESKTOP.to_string(),
        api_scope: api_scope(),
    };
    let client = OidcClient::discover(settings).await.unwrap();
    let account = Account::restore(
        client,
        TokenStore::new(&provider.issuer, DESKTOP, tokens.path()).file_only(),
    )
    .unwrap();
    sign_in(&account).await;
    let token = account.access_token().await.unwrap();

    let tokens_dir = tokens.path().to_path_buf();
    // The laptop's turn writes a report, and meanwhile the server stops taking the
    // access token kept for alice (as when it expires mid-turn): what the turn added
    // is uploaded all the same, after a refresh.
    let token_goes_bad = format!(
        "printf 'all well\\n' > report.txt && sed -i 's/\"access_token\":\"[^\"]*\"/\"access_token\":\"revoked\"/' {}/secret-*.json",
        tokens_dir.display()
    );
    let model = ScriptedModelServer::options()
        .turns([
            Turn::text("first answer"),
            Reply::new()
                .function_call(
                    "call-report",
                    "exec_command",
                    json!({ "cmd": token_goes_bad }).to_string(),
                )
                .into(),
            Turn::text("second answer"),
        ])
        .start()
        .unwrap();
    let issuer = provider.issuer.clone();
    tokio::task::spawn_blocking(move || {
        let data = tempfile::tempdir().unwrap();
        let port = support::free_port();
        let server = ServeProcess::start_with(
            data.path(),
            None,
            port,
            &[
                "--tenant-id",
                TENANT,
                "--client-id",
                API,
                "--authority",
                &issuer,
            ],
        );
        let http = blocking_http(Duration::from_secs(10));
        let workspace: Value = http
            .post(format!("{}/v1/workspaces", server.base))
            .bearer_auth(&token)
            .json(&json!({"name": "Signed in"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let workspace = workspace["id"].as_str().unwrap().to_string();
        let signed_in = |person: &mut Person| {
            person.identity = vec![
                ("ZSPARK_SIGNIN_AUTHORITY".to_string(), issuer.clone()),
                ("ZSPARK_SIGNIN_CLIENT_ID".to_string(), DESKTOP.to_string()),
                ("ZSPARK_SIGNIN_SCOPE".to_string(), api_scope()),
                (
                    "ZSPARK_SIGNIN_DIR".to_string(),
                    tokens_dir.display().to_string(),
                ),
            ];
        };
        // alice on her desktop machine, then on another one.
        let (mut desk, mut laptop) = (Person::new("alice", &model), Person::new("alice", &model));
        signed_in(&mut desk);
        signed_in(&mut laptop);
        desk.ok(&["exec", "first question"]);
        let url = desk.ok(&[
            "share",
            "--last",
            "--server",
            &server.base,
            "--workspace",
            &workspace,
        ]);
        let url = shared_url(&url, &server, &workspace);
        assert_eq!(
            laptop.ok(&["exec", "resume", &url, "second question"]),
            "second answer\n"
        );
        let request = model.model_requests().last().unwrap().clone();
        assert!(request.body["input"].to_string().contains("first answer"));
        let items: Value = http
            .get(format!("{url}/items"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let authors: Vec<&str> = items["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|item| item["author"].as_str())
            .collect();
        assert!(
            authors
                .iter()
                .all(|author| *author == format!("tenant:{TENANT}:oid:alice-oid")),
            "every item is alice's, by her Entra principal: {authors:?}"
        );
        assert_eq!(user_turns(items["items"].as_array().unwrap()).len(), 2);
        let kept = std::fs::read_dir(&tokens_dir)
            .unwrap()
            .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
            .collect::<String>();
        assert!(
            kept.contains("\"access_token\":\"ey")
                && !kept.contains("revoked")
                && !kept.contains(&token),
            "the refused token was replaced by a refreshed one"
        );
        let files: Value = http
            .get(format!(
                "{}/v1/workspaces/{workspace}/artifacts",
                server.base
            ))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let report_sha256: String = Sha256::digest(b"all well\n")
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert!(
            files["items"].as_array().unwrap().iter().any(|file| {
                file["name"] == "report.txt" && file["sha256"] == report_sha256.as_str()
            }),
            "the turn's file was uploaded with the refreshed token: {files}"
        );
    })
    .await
    .unwrap();
}

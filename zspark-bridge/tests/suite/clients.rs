//! Real Responses clients through the proxy: the official `openai` Python SDK and the
//! Codex CLI. Each skips with a printed reason when its client is not installed, unless
//! `ZSPARK_REQUIRE_CLIENTS=1` (set by CI, which installs them), where it fails instead.

use std::process::{Command, Stdio};

use codex_test_support::{Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};

use super::proxy::Proxy;

/// Whether a missing client is a failure rather than a skip.
fn clients_required() -> bool {
    std::env::var("ZSPARK_REQUIRE_CLIENTS").is_ok_and(|value| value == "1")
}

fn skip(reason: &str) {
    assert!(!clients_required(), "ZSPARK_REQUIRE_CLIENTS=1 but {reason}");
    eprintln!("skipping: {reason}");
}

/// The same three-request task for every client: reasoning and two parallel commands,
/// then a freeform apply_patch, then the answer.
fn task_upstream(final_text: &str) -> ScriptedModelServer {
    let patch =
        "*** Begin Patch\n*** Add File: note.txt\n+written through the bridge\n*** End Patch";
    ScriptedModelServer::start([
        Reply::new()
            .reasoning("First look around.")
            .function_call("call_ls", "exec_command", json!({"cmd": "ls"}).to_string())
            .function_call(
                "call_pwd",
                "exec_command",
                json!({"cmd": "pwd"}).to_string(),
            )
            .usage(200, 30)
            .into(),
        Reply::new()
            .custom_tool_call("call_patch", "apply_patch", patch)
            .usage(300, 40)
            .into(),
        Turn::text(final_text),
    ])
    .unwrap()
}

/// The chat requests the upstream saw: the second carries both calls in one assistant
/// message with the reasoning, then both tool messages.
fn assert_upstream_conversation(upstream: &ScriptedModelServer) {
    let requests = upstream.model_requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    for request in &requests {
        assert_eq!(request.path, "/v1/chat/completions");
        assert!(
            request.tool_pair_problems().is_empty(),
            "{:?}",
            request.tool_pair_problems()
        );
    }
    let messages = requests[1].body["messages"].as_array().unwrap();
    let assistant = messages.iter().find(|m| m["role"] == "assistant").unwrap();
    assert_eq!(
        assistant["tool_calls"].as_array().unwrap().len(),
        2,
        "{assistant}"
    );
    assert_eq!(assistant["reasoning_content"], "First look around.");
    let tool_ids: Vec<&str> = messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(tool_ids, ["call_ls", "call_pwd"]);
    let third = requests[2].body["messages"].as_array().unwrap();
    let patch_call = third
        .iter()
        .filter_map(|m| m["tool_calls"].as_array())
        .flatten()
        .find(|c| c["id"] == "call_patch")
        .unwrap();
    let arguments: Value =
        serde_json::from_str(patch_call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert!(
        arguments["input"]
            .as_str()
            .unwrap()
            .starts_with("*** Begin Patch")
    );
}

#[tokio::test]
async fn the_openai_python_sdk_completes_a_tool_conversation() {
    let has_sdk = Command::new("python3")
        .args(["-c", "import openai"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_sdk {
        return skip("the `openai` Python package is not installed (pip install openai)");
    }
    let upstream = task_upstream("Listed and noted.");
    let proxy = Proxy::for_upstream(&upstream, &[], &[]).await;
    let script = format!(
        "{}/tests/clients/openai_sdk_conversation.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let base = proxy.url("/v1");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([&script, &base])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["final_text"], "Listed and noted.");
    assert_eq!(
        summary["calls_per_request"],
        json!([
            ["function_call:exec_command", "function_call:exec_command"],
            ["custom_tool_call:apply_patch"],
            []
        ])
    );
    let classes: Vec<&str> = summary["event_classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for typed in [
        "ResponseCreatedEvent",
        "ResponseCompletedEvent",
        "ResponseFunctionCallArgumentsDeltaEvent",
        "ResponseOutputItemDoneEvent",
        "ResponseTextDeltaEvent",
    ] {
        assert!(
            classes.contains(&typed),
            "the SDK parsed {typed}: {classes:?}"
        );
    }
    assert_upstream_conversation(&upstream);
    assert_eq!(
        upstream.requests()[0].header("authorization"),
        Some("Bearer sk-client-key")
    );
}

#[tokio::test]
async fn the_codex_cli_completes_a_tool_conversation_and_resumes_it() {
    let Some(codex) = std::env::var("ZSPARK_TEST_CODEX_BIN")
        .ok()
        .filter(|path| std::path::Path::new(path).is_file())
    else {
        return skip(
            "ZSPARK_TEST_CODEX_BIN does not name the Codex CLI binary (npm install @openai/codex)",
        );
    };
    let upstream = task_upstream("All done via the bridge.");
    upstream.push_turns([Turn::text("Resumed through the bridge.")]);
    let proxy = Proxy::for_upstream(&upstream, &[], &[]).await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"bridge\"\napproval_policy = \"never\"\n[model_providers.bridge]\nname = \"zspark bridge\"\nbase_url = \"{}\"\nenv_key = \"BRIDGE_CLIENT_KEY\"\nwire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
            proxy.url("/v1")
        ),
    )
    .unwrap();
    let run = |args: Vec<String>| {
        let codex = codex.clone();
        let home = home.path().to_path_buf();
        let work = work.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            Command::new(codex)
                .args([
                    "exec",
                    "--skip-git-repo-check",
                    "--sandbox",
                    "danger-full-access",
                ])
                .args(args)
                .current_dir(work)
                .env("CODEX_HOME", home)
                .env("BRIDGE_CLIENT_KEY", "sk-codex")
                .stdin(Stdio::null())
                .output()
                .unwrap()
        })
    };
    let first = run(vec!["list the files and add a note".into()])
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("All done via the bridge."),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("note.txt")).unwrap(),
        "written through the bridge\n",
        "Codex applied the freeform patch that came through the bridge"
    );
    assert_upstream_conversation(&upstream);

    let second = run(vec!["resume".into(), "--last".into(), "and now?".into()])
        .await
        .unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("Resumed through the bridge."));
    let fourth = &upstream.model_requests()[3];
    let texts: Vec<String> = fourth.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("list the files and add a note")),
        "the history came back: {texts:?}"
    );
    assert!(texts.iter().any(|t| t == "and now?"));
}

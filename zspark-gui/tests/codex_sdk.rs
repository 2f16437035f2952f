//! The official Codex TypeScript SDK (`@openai/codex-sdk` from npm) driving `zspark`
//! through `codexPathOverride`: streamed runs, a resumed thread with an output schema
//! and an image, a failing turn, and a Chat-Completions provider through the bridge.
//! Runs when `ZSPARK_TEST_CODEX_SDK` names the SDK's package folder (CI installs it);
//! skips with a reason otherwise, unless `ZSPARK_REQUIRE_CLIENTS=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; skipped tests say why on stderr"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use codex_test_support::{Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};

/// The SDK's entry module, or `None` (with the reason printed).
fn sdk_entry() -> Option<PathBuf> {
    let entry = std::env::var_os("ZSPARK_TEST_CODEX_SDK")
        .map(|dir| PathBuf::from(dir).join("dist/index.js"))
        .filter(|entry| entry.is_file());
    if entry.is_none() {
        assert!(
            std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_CLIENTS=1 but ZSPARK_TEST_CODEX_SDK does not name the @openai/codex-sdk package"
        );
        eprintln!(
            "skipping: set ZSPARK_TEST_CODEX_SDK to node_modules/@openai/codex-sdk after `npm install @openai/codex-sdk`"
        );
    }
    entry
}

/// Drives the SDK: one thread, a streamed run, a second run (a resume, with an output
/// schema and an image), a run that fails, then the thread resumed by id from a new
/// `Codex` object. Prints what it saw as one JSON object.
const DRIVER: &str = r#"
import { pathToFileURL } from "node:url";
const { Codex } = await import(pathToFileURL(process.env.SDK_ENTRY).href);
const [work, image, steps] = [process.env.WORK, process.env.IMAGE, process.env.STEPS.split(",")];
const env = { CODEX_HOME: process.env.CODEX_HOME, MOCK_KEY: "sk-test", PATH: process.env.PATH, HOME: work };
const options = { workingDirectory: work, skipGitRepoCheck: true, sandboxMode: "danger-full-access", approvalPolicy: "never" };
const account = process.env.BASE_URL ? { baseUrl: process.env.BASE_URL, apiKey: "sk-from-sdk" } : {};
const codex = new Codex({ codexPathOverride: process.env.ZSPARK, env, ...account });
const thread = codex.startThread(options);
const seen = {};
const { events } = await thread.runStreamed("make hello.txt");
seen.streamed = [];
for await (const event of events) seen.streamed.push(event);
seen.threadId = thread.id;
if (steps.includes("schema")) {
  const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
  seen.structured = await thread.run(
    [{ type: "text", text: "answer as JSON" }, { type: "local_image", path: image }],
    { outputSchema: schema },
  );
}
if (steps.includes("failure")) {
  try {
    await thread.run("fail now");
    seen.failure = null;
  } catch (error) {
    seen.failure = String(error.message);
  }
}
if (steps.includes("resume")) {
  seen.resumed = await new Codex({ codexPathOverride: process.env.ZSPARK, env, ...account })
    .resumeThread(seen.threadId, options)
    .run("still there?");
}
console.log(JSON.stringify(seen));
"#;

struct Setup {
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

fn setup(server: &ScriptedModelServer, wire_api: &str) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\n\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\nwire_api = \"{wire_api}\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
            server.base_url()
        ),
    )
    .unwrap();
    Setup { home, work }
}

fn drive(entry: &Path, setup: &Setup, steps: &str) -> Value {
    drive_with(entry, setup, steps, &[])
}

/// As [`drive`], with more variables for the driver (`BASE_URL`).
fn drive_with(entry: &Path, setup: &Setup, steps: &str, vars: &[(&str, &str)]) -> Value {
    let image = setup.work.path().join("dot.png");
    std::fs::write(&image, b"\x89PNG\r\n\x1a\n").unwrap();
    let script = setup.home.path().join("driver.mjs");
    std::fs::write(&script, DRIVER).unwrap();
    let output = Command::new("node")
        .arg(&script)
        .env("SDK_ENTRY", entry)
        .env("ZSPARK", env!("CARGO_BIN_EXE_zspark"))
        .env("CODEX_HOME", setup.home.path())
        .env("WORK", setup.work.path())
        .env("IMAGE", &image)
        .env("STEPS", steps)
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the SDK run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn a_command_a_file_and_an_answer() -> Vec<Turn> {
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n";
    vec![
        Reply::new()
            .function_call("c1", "exec_command", r#"{"cmd":"echo hello-from-cmd"}"#)
            .usage(100, 10)
            .into(),
        Reply::new()
            .custom_tool_call("p1", "apply_patch", patch)
            .usage(100, 10)
            .into(),
        Reply::new()
            .message("Made hello.txt.")
            .usage(100, 10)
            .into(),
    ]
}

fn types_of(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            let kind = event["type"].as_str().unwrap();
            match event["item"]["type"].as_str() {
                Some(item) => format!("{kind}:{item}"),
                None => kind.to_string(),
            }
        })
        .collect()
}

#[test]
fn the_codex_sdk_runs_streams_resumes_and_reports_failures_on_zspark() {
    let Some(entry) = sdk_entry() else {
        return;
    };
    let mut turns = a_command_a_file_and_an_answer();
    turns.push(Reply::new().message(r#"{"ok":true}"#).usage(100, 10).into());
    turns.push(Turn::http_error(400, "bad request from mock"));
    turns.push(Reply::new().message("Still here.").usage(100, 10).into());
    let server = ScriptedModelServer::start(turns).unwrap();
    let setup = setup(&server, "responses");
    let seen = drive(&entry, &setup, "schema,failure,resume");

    assert_eq!(
        types_of(&seen["streamed"]),
        [
            "thread.started",
            "turn.started",
            "item.started:command_execution",
            "item.completed:command_execution",
            "item.started:file_change",
            "item.completed:file_change",
            "item.completed:agent_message",
            "turn.completed",
        ]
    );
    let streamed = seen["streamed"].as_array().unwrap();
    assert_eq!(streamed[0]["thread_id"], seen["threadId"]);
    assert_eq!(streamed[3]["item"]["exit_code"], 0);
    assert_eq!(
        streamed[5]["item"]["changes"],
        json!([{"path": setup.work.path().join("hello.txt"), "kind": "add"}])
    );
    assert_eq!(
        std::fs::read_to_string(setup.work.path().join("hello.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(streamed[7]["usage"]["input_tokens"], 300);

    // The second run resumed the thread with the schema and the image.
    assert_eq!(seen["structured"]["finalResponse"], r#"{"ok":true}"#);
    assert_eq!(seen["structured"]["usage"]["input_tokens"], 400);
    let requests = server.model_requests();
    let structured = &requests[3];
    assert_eq!(
        structured.body["text"]["format"]["name"],
        "codex_output_schema"
    );
    assert_eq!(
        structured.body["text"]["format"]["schema"]["required"],
        json!(["ok"])
    );
    let message = structured.input_items().pop().unwrap();
    let parts: Vec<&str> = message["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part["type"].as_str().unwrap())
        .collect();
    assert!(parts.contains(&"input_image"), "{message}");
    assert!(
        structured.body_text.contains("answer as JSON"),
        "the words went too"
    );
    assert_eq!(
        structured.header("originator"),
        Some("codex_sdk_ts"),
        "the SDK names itself"
    );

    let failure = seen["failure"].as_str().unwrap();
    assert!(failure.contains("bad request from mock"), "{failure}");

    // A new SDK object resumes the thread by id, with the whole conversation.
    assert_eq!(seen["resumed"]["finalResponse"], "Still here.");
    let last = requests.len() - 1;
    assert_eq!(last, 5);
    let resumed = &server.model_requests()[5];
    for earlier in ["make hello.txt", "answer as JSON", "Made hello.txt."] {
        assert!(
            resumed.body_text.contains(earlier),
            "{earlier} missing from the resumed request"
        );
    }
    assert_eq!(
        rollouts(&setup.home.path().join("sessions")),
        1,
        "one thread, one rollout"
    );
}

/// How many rollout files are under `dir`.
fn rollouts(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            if path.is_dir() {
                rollouts(&path)
            } else {
                usize::from(path.extension().is_some_and(|ext| ext == "jsonl"))
            }
        })
        .sum()
}

#[test]
fn the_codex_sdk_runs_on_a_chat_completions_provider_through_the_bridge() {
    let Some(entry) = sdk_entry() else {
        return;
    };
    let server = ScriptedModelServer::start(a_command_a_file_and_an_answer()).unwrap();
    let setup = setup(&server, "chat");
    let seen = drive(&entry, &setup, "");
    let streamed = seen["streamed"].as_array().unwrap();
    assert_eq!(
        streamed.last().unwrap()["type"],
        "turn.completed",
        "{streamed:?}"
    );
    let answer = streamed
        .iter()
        .find(|event| event["item"]["type"] == "agent_message")
        .unwrap();
    assert_eq!(answer["item"]["text"], "Made hello.txt.");
    let paths: Vec<String> = server
        .model_requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert_eq!(paths, ["/v1/chat/completions"; 3]);
    assert!(setup.work.path().join("hello.txt").is_file());
}

#[test]
fn the_sdk_s_base_url_and_api_key_reach_the_built_in_openai_provider() {
    let Some(entry) = sdk_entry() else {
        return;
    };
    let server = ScriptedModelServer::start([Turn::text("Hello from OpenAI.")]).unwrap();
    let setup = setup(&server, "responses");
    std::fs::write(
        setup.home.path().join("config.toml"),
        "model = \"gpt-5.5\"\n",
    )
    .unwrap();
    let base_url = server.base_url();
    let seen = drive_with(&entry, &setup, "", &[("BASE_URL", &base_url)]);
    let answer = seen["streamed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["item"]["type"] == "agent_message")
        .unwrap();
    assert_eq!(answer["item"]["text"], "Hello from OpenAI.");
    let requests = server.model_requests();
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk-from-sdk")
    );
}

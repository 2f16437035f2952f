//! `zspark exec` run in-process against the scripted model server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use codex_core::config::Env;
use codex_exec::{ExecArgs, Process, run};
use codex_test_support::{Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};

/// `zspark exec` arguments as a user types them.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    exec: ExecArgs,
}

struct Setup {
    server: ScriptedModelServer,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

fn setup(turns: Vec<Turn>) -> Setup {
    let server = ScriptedModelServer::start(turns).unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\nrequest_max_retries = 0\n",
        server.base_url()
    );
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    Setup { server, home, work }
}

fn env(home: &Path) -> Env {
    Env::from([
        ("CODEX_HOME".to_string(), home.display().to_string()),
        ("MOCK_KEY".to_string(), "sk-test".to_string()),
        ("SHELL".to_string(), "/bin/bash".to_string()),
        (
            "PATH".to_string(),
            std::env::var("PATH").unwrap_or_default(),
        ),
    ])
}

struct Outcome {
    code: ExitCode,
    stdout: String,
    stderr: String,
}

async fn exec(setup: &Setup, args: &[&str]) -> Outcome {
    exec_with_stdin(setup, args, "").await
}

/// Runs `zspark exec` with `stdin` as what it reads when no prompt is given.
async fn exec_with_stdin(setup: &Setup, args: &[&str], stdin: &str) -> Outcome {
    let mut argv = vec!["exec"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let process = Process {
        env: env(setup.home.path()),
        cwd: setup.work.path().to_path_buf(),
        stdout: &mut stdout,
        stderr: &mut stderr,
        interactive: false,
        stdin_prompt: Some(stdin.to_string()),
    };
    let code = run(cli.exec, process).await;
    Outcome {
        code,
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

#[tokio::test]
async fn answer_on_stdout_progress_on_stderr() {
    let setup = setup(vec![
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "echo from-tool"}).to_string(),
            )
            .into(),
        Turn::text("The answer is 4."),
    ]);
    let outcome = exec(&setup, &["what is 2+2?"]).await;
    assert_eq!(outcome.code, ExitCode::SUCCESS, "{}", outcome.stderr);
    assert_eq!(outcome.stdout, "The answer is 4.\n");
    assert!(
        outcome.stderr.contains("model: gpt-5.1-codex"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("$ echo from-tool"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("exit 0"), "{}", outcome.stderr);
    assert_eq!(setup.server.model_requests().len(), 2);
}

#[tokio::test]
async fn runtime_events_mode_prints_one_event_per_line() {
    let setup = setup(vec![Turn::text("json answer")]);
    let outcome = exec(&setup, &["--runtime-events", "hi"]).await;
    assert_eq!(outcome.code, ExitCode::SUCCESS);
    let events: Vec<Value> = outcome
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|event| event["msg"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"session_configured"));
    assert!(kinds.contains(&"agent_message"));
    assert!(kinds.contains(&"turn_complete"));
    assert_eq!(kinds.last(), Some(&"shutdown_complete"));
}

#[tokio::test]
async fn a_failed_turn_exits_non_zero_with_the_reason() {
    let setup = setup(vec![Turn::http_error(401, "Incorrect API key provided")]);
    let outcome = exec(&setup, &["hi"]).await;
    assert_eq!(outcome.code, ExitCode::FAILURE);
    assert!(
        outcome.stderr.contains("401: Incorrect API key provided"),
        "{}",
        outcome.stderr
    );
    assert_eq!(outcome.stdout, "");
}

#[tokio::test]
async fn approvals_are_declined_without_a_terminal() {
    let setup = setup(vec![
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "touch made"}).to_string(),
            )
            .into(),
        Turn::text("ok"),
    ]);
    let outcome = exec(&setup, &["--approval", "untrusted", "make a file"]).await;
    assert_eq!(outcome.code, ExitCode::SUCCESS);
    assert!(
        outcome
            .stderr
            .contains("Declined: approval is needed but there is no terminal"),
        "{}",
        outcome.stderr
    );
    assert!(!setup.work.path().join("made").exists());
}

#[tokio::test]
async fn resume_by_id_and_by_last_carries_the_history() {
    let setup = setup(vec![
        Turn::text("first"),
        Turn::text("second"),
        Turn::text("third"),
    ]);
    assert_eq!(exec(&setup, &["remember 7"]).await.code, ExitCode::SUCCESS);
    let sessions = codex_core::rollout::list_sessions(setup.home.path());
    let id = sessions[0].session_id.clone();
    let by_id = exec(&setup, &["resume", &id[..13], "what number?"]).await;
    assert_eq!(by_id.code, ExitCode::SUCCESS, "{}", by_id.stderr);
    assert_eq!(by_id.stdout, "second\n");
    let by_last = exec(&setup, &["resume", "--last", "and again?"]).await;
    assert_eq!(by_last.code, ExitCode::SUCCESS, "{}", by_last.stderr);
    let texts = |index: usize| -> Vec<String> {
        setup.server.model_requests()[index]
            .input_items()
            .iter()
            .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_string))
            .collect()
    };
    let third = texts(2);
    for expected in [
        "remember 7",
        "first",
        "what number?",
        "second",
        "and again?",
    ] {
        assert!(
            third.contains(&expected.to_string()),
            "{expected} missing from {third:?}"
        );
    }
    assert_eq!(
        codex_core::rollout::list_sessions(setup.home.path()).len(),
        1,
        "resume appends to the same file"
    );
}

#[tokio::test]
async fn user_mistakes_get_clear_messages() {
    let setup = setup(vec![]);
    let no_prompt = exec(&setup, &[]).await;
    assert_eq!(no_prompt.code, ExitCode::FAILURE);
    assert!(
        no_prompt.stderr.contains("no prompt given"),
        "{}",
        no_prompt.stderr
    );
    let unknown = exec(&setup, &["resume", "does-not-exist", "hi"]).await;
    assert!(
        unknown
            .stderr
            .contains("no session with id `does-not-exist`"),
        "{}",
        unknown.stderr
    );
    let provider = exec(&setup, &["--provider", "nowhere", "hi"]).await;
    assert!(
        provider.stderr.contains("unknown model provider `nowhere`"),
        "{}",
        provider.stderr
    );
    let missing_image = exec(&setup, &["-i", "missing.png", "describe it"]).await;
    assert_eq!(missing_image.code, ExitCode::FAILURE);
    assert!(
        missing_image.stderr.contains("cannot attach")
            && missing_image.stderr.contains("missing.png: no such file"),
        "{}",
        missing_image.stderr
    );
    assert!(setup.server.model_requests().is_empty(), "nothing was sent");
    let bad_dir = exec(&setup, &["-C", "missing-dir", "hi"]).await;
    assert!(
        bad_dir.stderr.contains("is not a directory"),
        "{}",
        bad_dir.stderr
    );
}

fn sdk_lines(outcome: &Outcome) -> Vec<Value> {
    outcome
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

#[tokio::test]
async fn sdk_json_shows_a_turn_as_codex_items_with_cumulative_usage_on_resume() {
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n";
    let setup = setup(vec![
        Reply::new()
            .reasoning("**Planning** run a command first")
            .function_call("c1", "exec_command", r#"{"cmd":"echo hello-from-cmd"}"#)
            .usage(100, 10)
            .into(),
        Reply::new()
            .custom_tool_call("p1", "apply_patch", patch)
            .usage(200, 20)
            .into(),
        Reply::new().message("All done.").usage(300, 30).into(),
        Reply::new().message("Still here.").usage(400, 40).into(),
    ]);
    let first = exec(&setup, &["--experimental-json", "do it"]).await;
    assert_eq!(first.code, ExitCode::SUCCESS, "{}", first.stderr);
    let lines = sdk_lines(&first);
    let thread_id = lines[0]["thread_id"].as_str().unwrap().to_string();
    assert_eq!(lines[0]["type"], "thread.started");
    assert_eq!(lines[1], json!({"type": "turn.started"}));
    assert_eq!(
        lines[2],
        json!({"type": "item.completed", "item": {"id": "item_0", "type": "reasoning",
            "text": "**Planning** run a command first"}})
    );
    assert_eq!(lines[3]["type"], "item.started");
    assert_eq!(lines[3]["item"]["type"], "command_execution");
    assert_eq!(lines[3]["item"]["status"], "in_progress");
    let command = lines[4]["item"].clone();
    assert_eq!(command["id"], "item_1");
    assert_eq!(command["status"], "completed");
    assert_eq!(command["exit_code"], 0);
    let output = command["aggregated_output"].as_str().unwrap();
    assert!(output.ends_with("hello-from-cmd\n"), "{output}");
    assert!(
        command["command"]
            .as_str()
            .unwrap()
            .ends_with("'echo hello-from-cmd'"),
        "{command}"
    );
    let file_change = json!({"path": setup.work.path().join("hello.txt"), "kind": "add"});
    assert_eq!(
        lines[6],
        json!({"type": "item.completed", "item": {"id": "item_2", "type": "file_change",
            "changes": [file_change], "status": "completed"}})
    );
    assert_eq!(
        lines[7],
        json!({"type": "item.completed", "item": {"id": "item_3", "type": "agent_message", "text": "All done."}})
    );
    assert_eq!(
        lines[8],
        json!({"type": "turn.completed", "usage": {"input_tokens": 600, "cached_input_tokens": 0,
            "cache_write_input_tokens": 0, "output_tokens": 60, "reasoning_output_tokens": 0}})
    );
    assert_eq!(lines.len(), 9, "{}", first.stdout);

    // The SDK's resume: options before `resume`, the image after it, the prompt on
    // stdin; the same thread, ids counted afresh, usage of the whole thread.
    std::fs::write(setup.work.path().join("dot.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    let schema = setup.work.path().join("schema.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","properties":{"ok":{"type":"boolean"}}}"#,
    )
    .unwrap();
    let schema = schema.display().to_string();
    let work = setup.work.path().display().to_string();
    let resumed = exec_with_stdin(
        &setup,
        &[
            "--experimental-json",
            "--config",
            "show_raw_agent_reasoning=false",
            "--model",
            "gpt-5.1-codex",
            "--sandbox",
            "danger-full-access",
            "--cd",
            &work,
            "--add-dir",
            &work,
            "--skip-git-repo-check",
            "--output-schema",
            &schema,
            "--config",
            "approval_policy=\"never\"",
            "resume",
            &thread_id,
            "--image",
            "dot.png",
        ],
        "what now?",
    )
    .await;
    assert_eq!(resumed.code, ExitCode::SUCCESS, "{}", resumed.stderr);
    let lines = sdk_lines(&resumed);
    assert_eq!(
        lines[0],
        json!({"type": "thread.started", "thread_id": thread_id})
    );
    assert_eq!(lines[2]["item"]["id"], "item_0");
    assert_eq!(lines.last().unwrap()["usage"]["input_tokens"], 1000);
    let request = setup.server.model_requests().pop().unwrap();
    assert_eq!(
        request.body["text"]["format"],
        json!({"type": "json_schema", "strict": true, "name": "codex_output_schema",
            "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}})
    );
    let last_message = request.input_items().pop().unwrap();
    let kinds: Vec<&str> = last_message["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.iter().position(|kind| *kind == "input_image")
            < kinds.iter().position(|kind| *kind == "input_text"),
        "the image comes before the words: {last_message}"
    );
}

#[tokio::test]
async fn sdk_json_ends_a_failed_turn_with_error_and_turn_failed() {
    let setup = setup(vec![Turn::http_error(400, "bad request from mock")]);
    let outcome = exec(&setup, &["--json", "hi"]).await;
    assert_eq!(outcome.code, ExitCode::FAILURE);
    let lines = sdk_lines(&outcome);
    let n = lines.len();
    assert_eq!(lines[n - 2]["type"], "error");
    assert_eq!(lines[n - 1]["type"], "turn.failed");
    let message = lines[n - 1]["error"]["message"].as_str().unwrap();
    assert!(message.contains("bad request from mock"), "{message}");
    assert_eq!(lines[n - 2]["message"], message);
}

#[tokio::test]
async fn an_unusable_output_schema_is_refused_before_anything_is_sent() {
    let setup = setup(vec![]);
    std::fs::write(setup.work.path().join("list.json"), "[1, 2]").unwrap();
    for (file, said) in [
        ("missing.json", "could not read the output schema"),
        ("list.json", "is not a JSON object"),
    ] {
        let outcome = exec(&setup, &["--json", "--output-schema", file, "hi"]).await;
        assert_eq!(outcome.code, ExitCode::FAILURE);
        assert!(outcome.stderr.contains(said), "{}", outcome.stderr);
        assert!(
            outcome.stdout.is_empty(),
            "no stray line for the SDK to choke on"
        );
    }
    assert!(setup.server.model_requests().is_empty());
}

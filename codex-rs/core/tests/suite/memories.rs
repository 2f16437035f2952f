//! Memories against the scripted model server: the summary a session is given (only
//! a valid one, only with memories on and `use_memories`), the dedicated memory tools
//! the model calls, and the background pass that condenses idle sessions and
//! consolidates them.

use std::path::Path;

use codex_core::ThreadStart;
use codex_protocol::EventMsg;
use codex_test_support::{RecordedRequest, Reply, ScriptedModelServer, Turn};

use super::{Harness, config_toml, load, output_for, test_env};

const SUMMARY: &str = "v1\n## User Profile\n- Writes Rust.\n## User preferences\n- Prefers tabs in Python. [ad-hoc note]\n## General Tips\n- none\n## What's in Memory\n### zspark\n";

/// A CODEX_HOME whose config.toml points at `server` with `config` lines, and a
/// working directory.
fn home_for(server: &ScriptedModelServer, config: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        config_toml(&server.base_url(), config),
    )
    .unwrap();
    (home, work)
}

/// A session whose CODEX_HOME has `config` lines and, when given, `summary`.
async fn session(turns: Vec<Turn>, config: &str, summary: Option<&str>) -> Harness {
    let server = ScriptedModelServer::start(turns).unwrap();
    let (home, work) = home_for(&server, config);
    if let Some(summary) = summary {
        let folder = home.path().join("memories_v2");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("memory_summary.md"), summary).unwrap();
    }
    let loaded = load(home.path(), work.path(), test_env(home.path()));
    Harness::begin(server, home, work, loaded, ThreadStart::new()).await
}

/// The developer texts of `request`.
fn developer_texts(request: &RecordedRequest) -> Vec<String> {
    request
        .input_items()
        .iter()
        .filter(|item| item["type"] == "message" && item["role"] == "developer")
        .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_string))
        .collect()
}

fn memory_blocks(request: &RecordedRequest) -> Vec<String> {
    developer_texts(request)
        .into_iter()
        .filter(|text| text.starts_with("## Memory"))
        .collect()
}

fn offered_namespaces(request: &RecordedRequest) -> Vec<String> {
    request.body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|tool| tool["type"] == "namespace")
        .filter_map(|tool| tool["name"].as_str().map(str::to_string))
        .collect()
}

/// Memories on, without the background pass (its own tests run it directly).
const ON: &str = "[features]\nmemories = true\n\n[memories]\ngenerate_memories = false";

#[tokio::test]
async fn a_valid_summary_is_given_between_the_markers_with_the_tools() {
    let mut harness = session(vec![Turn::text("hi")], ON, Some(SUMMARY)).await;
    harness.turn("hello").await;
    let request = &harness.server.model_requests()[0];
    let blocks = memory_blocks(request);
    assert_eq!(blocks.len(), 1, "{:?}", developer_texts(request));
    let block = &blocks[0];
    let inside = block
        .split_once("========= MEMORY_SUMMARY BEGINS =========\n")
        .and_then(|(_, rest)| rest.split_once("\n========= MEMORY_SUMMARY ENDS ========="))
        .map(|(summary, _)| summary)
        .unwrap();
    assert_eq!(inside, SUMMARY.trim_end(), "the summary verbatim");
    assert!(
        block.contains(
            &harness
                .home
                .path()
                .join("memories_v2")
                .display()
                .to_string()
        )
    );
    assert!(offered_namespaces(request).contains(&"memories".to_string()));
    assert!(
        harness.home.path().join("memories_v2/.git").is_dir(),
        "the folder is a git repository"
    );
}

#[tokio::test]
async fn no_block_when_off_or_unused_or_missing_and_an_invalid_summary_is_named() {
    for (config, summary) in [
        ("", Some(SUMMARY)),
        (
            "[features]\nmemories = true\n\n[memories]\nuse_memories = false\ngenerate_memories = false",
            Some(SUMMARY),
        ),
        (ON, None),
    ] {
        let mut harness = session(vec![Turn::text("hi")], config, summary).await;
        harness.turn("hello").await;
        let request = &harness.server.model_requests()[0];
        assert!(memory_blocks(request).is_empty(), "{config}");
        if config.is_empty() {
            assert!(!offered_namespaces(request).contains(&"memories".to_string()));
        }
    }

    let broken = "v1\n## User Profile\n- hand edited\n";
    let mut harness = session(vec![Turn::text("hi")], ON, Some(broken)).await;
    let events = harness.turn("hello").await;
    assert!(memory_blocks(&harness.server.model_requests()[0]).is_empty());
    let warned = events.iter().any(|event| {
        matches!(event, EventMsg::Warning { message } if message.contains("is not a valid summary") && message.contains("## User preferences"))
    });
    assert!(warned, "{events:?}");
    assert_eq!(
        std::fs::read_to_string(harness.home.path().join("memories_v2/memory_summary.md")).unwrap(),
        broken,
        "nothing in the folder is lost"
    );
}

#[tokio::test]
async fn the_model_writes_a_note_and_searches_its_memory() {
    let note_call = Reply::new().namespaced_function_call(
        "n1",
        "memories",
        "add_ad_hoc_note",
        r#"{"filename":"2026-12-02T10-00-00-tabs.md","note":"The user prefers tabs."}"#,
    );
    let bad_call = Reply::new().namespaced_function_call(
        "n2",
        "memories",
        "add_ad_hoc_note",
        r#"{"filename":"tabs.md","note":"again"}"#,
    );
    let search_call = Reply::new().namespaced_function_call(
        "s1",
        "memories",
        "search",
        r#"{"queries":["tabs"]}"#,
    );
    let mut harness = session(
        vec![
            note_call.into(),
            bad_call.into(),
            search_call.into(),
            Turn::text("noted"),
        ],
        ON,
        Some(SUMMARY),
    )
    .await;
    harness.turn("remember that I prefer tabs").await;
    let requests = harness.server.model_requests();
    assert_eq!(output_for(&requests[1], "n1"), "{}");
    assert_eq!(
        output_for(&requests[2], "n2"),
        "filename 'tabs.md' must use YYYY-MM-DDTHH-MM-SS-<slug>.md"
    );
    let note = harness
        .home
        .path()
        .join("memories_v2/extensions/ad_hoc/notes/2026-12-02T10-00-00-tabs.md");
    assert_eq!(
        std::fs::read_to_string(&note).unwrap(),
        "The user prefers tabs."
    );
    let found: serde_json::Value = serde_json::from_str(&output_for(&requests[3], "s1")).unwrap();
    let paths: Vec<&str> = found["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|found| found["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "extensions/ad_hoc/notes/2026-12-02T10-00-00-tabs.md",
            "memory_summary.md"
        ]
    );
    assert!(history_has(
        harness.home.path(),
        "Add note 2026-12-02T10-00-00-tabs.md"
    ));
}

/// Whether the memory folder's history ref holds a snapshot called `message`.
fn history_has(home: &Path, message: &str) -> bool {
    let output = std::process::Command::new("git")
        .args(["log", "--format=%s", "refs/zspark/memory-history"])
        .current_dir(home.join("memories_v2"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .any(|line| line == message)
}

const OLD_SESSION: &str = "01a23856-c023-7250-8dd1-64b56cc4de00";

/// A session of the user's that went idle two hours ago, in `home`.
fn idle_session(home: &Path) {
    let day = home.join("sessions/2026/12/01");
    std::fs::create_dir_all(&day).unwrap();
    let path = day.join(format!("rollout-2026-12-01T10-00-00-{OLD_SESSION}.jsonl"));
    let lines = [
        serde_json::json!({"timestamp": "2026-12-01T10:00:00.000Z", "type": "session_meta", "payload": {"id": OLD_SESSION, "session_id": OLD_SESSION, "timestamp": "2026-12-01T10:00:00.000Z", "cwd": "/work/shop", "originator": "codex_exec", "cli_version": "0.169.0", "source": "exec", "model_provider": "mock"}}),
        serde_json::json!({"timestamp": "2026-12-01T10:00:01.000Z", "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "add a CSV export; my key is sk-abcdefghijklmnopqrstuvwx"}]}}),
        serde_json::json!({"timestamp": "2026-12-01T10:00:02.000Z", "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Added src/export.rs; the tests pass."}]}}),
    ];
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7_200);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
}

const PIPELINE: &str = "[features]\nmemories = true\n\n[memories]\nextract_model = \"memory-extract\"\nconsolidation_model = \"memory-consolidate\"\nmin_rollout_idle_hours = 1";

fn recap_answer() -> Turn {
    Turn::text(
        serde_json::json!({"rollout_summary": "Added a CSV export in src/export.rs; tests pass.", "rollout_slug": "csv-export"})
            .to_string(),
    )
}

fn consolidation_answer(summary: &str) -> Turn {
    Turn::text(format!(
        "Here you are:\n{}",
        serde_json::json!({"memory_summary": summary, "memory_md": "# Memory\n## shop\n- CSV export in src/export.rs\n"})
    ))
}

/// A CODEX_HOME for a pass with `config`, the idle session and a note, and the
/// loaded configuration of a session starting in it.
fn pass_home(
    server: &ScriptedModelServer,
    config: &str,
) -> (tempfile::TempDir, tempfile::TempDir, codex_core::Config) {
    let (home, work) = home_for(server, config);
    idle_session(home.path());
    let notes = home.path().join("memories_v2/extensions/ad_hoc/notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(
        notes.join("2026-12-01T09-00-00-tabs.md"),
        "I prefer tabs in Python.",
    )
    .unwrap();
    let loaded = load(home.path(), work.path(), test_env(home.path()));
    (home, work, loaded.config)
}

fn texts_of(request: &RecordedRequest) -> String {
    request.body["input"].to_string()
}

#[tokio::test]
async fn a_pass_condenses_an_idle_session_and_consolidates_it_with_the_notes() {
    let server = ScriptedModelServer::options()
        .model_turns("memory-extract", [recap_answer()])
        .model_turns("memory-consolidate", [consolidation_answer(SUMMARY)])
        .start()
        .unwrap();
    let (home, _work, config) = pass_home(&server, PIPELINE);
    let report = codex_core::memories::pipeline::run_pass(&config, "the-new-session")
        .await
        .unwrap();
    assert_eq!(report.failures, Vec::<String>::new());
    assert_eq!(
        report.condensed,
        [format!(
            "rollout_summaries/{}-csv-export.md",
            recap_stamp(home.path())
        )]
    );
    let folder = home.path().join("memories_v2");
    let recap = std::fs::read_to_string(folder.join(&report.condensed[0])).unwrap();
    assert!(
        recap.starts_with(&format!("thread_id: {OLD_SESSION}\n")),
        "{recap}"
    );
    assert!(recap.contains("Added a CSV export"));

    let requests = server.model_requests();
    let condense = requests
        .iter()
        .find(|request| request.body["model"] == "memory-extract")
        .unwrap();
    let sent = texts_of(condense);
    assert!(sent.contains("add a CSV export") && sent.contains("[REDACTED_SECRET]"));
    assert!(
        !sent.contains("sk-abcdefghijklmnopqrstuvwx"),
        "secrets never leave"
    );
    let consolidate = requests
        .iter()
        .find(|request| request.body["model"] == "memory-consolidate")
        .unwrap();
    let sent = texts_of(consolidate);
    assert!(sent.contains("I prefer tabs in Python.") && sent.contains("csv-export.md"));
    assert!(sent.contains("## Status") && sent.contains("## Diff"));

    let record = report.consolidation.unwrap();
    assert_eq!(record.status, "succeeded");
    assert_eq!(
        std::fs::read_to_string(folder.join("memory_summary.md")).unwrap(),
        SUMMARY
    );
    assert!(folder.join("MEMORY.md").is_file());
    let workspace = std::fs::read_to_string(folder.join("phase2_workspace_diff.md")).unwrap();
    assert!(
        workspace.contains(&format!("- A {}", report.condensed[0])),
        "{workspace}"
    );
    assert!(git(&folder, &["log", "-1", "--format=%s"]).starts_with("Consolidate memory"));
    assert!(
        git(&folder, &["status", "--porcelain"]).trim().is_empty(),
        "all committed"
    );

    // Nothing new: the next pass asks the model nothing.
    let before = server.model_requests().len();
    let again = codex_core::memories::pipeline::run_pass(&config, "another")
        .await
        .unwrap();
    assert!(again.condensed.is_empty() && again.consolidation.is_none());
    assert_eq!(server.model_requests().len(), before);
}

#[tokio::test]
async fn a_pass_runs_on_a_chat_completions_provider_too() {
    let server = ScriptedModelServer::options()
        .model_turns("memory-extract", [recap_answer()])
        .model_turns("memory-consolidate", [consolidation_answer(SUMMARY)])
        .start()
        .unwrap();
    let (home, work, _) = pass_home(&server, PIPELINE);
    let path = home.path().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap().replace(
        "[model_providers.mock]\n",
        "[model_providers.mock]\nwire_api = \"chat\"\n",
    );
    std::fs::write(&path, config).unwrap();
    let loaded = load(home.path(), work.path(), test_env(home.path()));
    let report = codex_core::memories::pipeline::run_pass(&loaded.config, "the-new-session")
        .await
        .unwrap();
    assert_eq!(report.failures, Vec::<String>::new());
    assert_eq!(report.condensed.len(), 1);
    assert_eq!(report.consolidation.unwrap().status, "succeeded");
    let paths: Vec<String> = server
        .model_requests()
        .into_iter()
        .map(|request| request.path)
        .collect();
    assert_eq!(paths, ["/v1/chat/completions", "/v1/chat/completions"]);
    assert_eq!(
        std::fs::read_to_string(home.path().join("memories_v2/memory_summary.md")).unwrap(),
        SUMMARY
    );
}

#[tokio::test]
async fn an_invalid_consolidation_keeps_the_previous_summary_and_says_why() {
    let server = ScriptedModelServer::options()
        .model_turns("memory-extract", [recap_answer()])
        .model_turns(
            "memory-consolidate",
            [consolidation_answer("v1\n## User Profile\n- only this\n")],
        )
        .start()
        .unwrap();
    let (home, _work, config) = pass_home(&server, PIPELINE);
    let folder = home.path().join("memories_v2");
    std::fs::write(folder.join("memory_summary.md"), SUMMARY).unwrap();
    let report = codex_core::memories::pipeline::run_pass(&config, "now")
        .await
        .unwrap();
    let record = report.consolidation.unwrap();
    assert_eq!(record.status, "failed_invalid_artifacts");
    assert!(
        record
            .error
            .as_deref()
            .unwrap()
            .contains("## User preferences"),
        "{record:?}"
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("memory_summary.md")).unwrap(),
        SUMMARY,
        "the previous summary stays"
    );
    let state = codex_core::memories::pipeline::PipelineState::load(home.path());
    assert_eq!(state.last_consolidation, Some(record));
    assert!(state.sessions.contains_key(OLD_SESSION));
}

#[tokio::test]
async fn a_session_kept_out_of_memory_is_never_condensed() {
    let server = ScriptedModelServer::options()
        .model_turns("memory-consolidate", [consolidation_answer(SUMMARY)])
        .start()
        .unwrap();
    let (home, _work, config) = pass_home(&server, PIPELINE);
    codex_core::memories::pipeline::PipelineState::set_excluded(home.path(), OLD_SESSION, true)
        .unwrap();
    let report = codex_core::memories::pipeline::run_pass(&config, "now")
        .await
        .unwrap();
    assert!(report.condensed.is_empty());
    assert!(
        server
            .model_requests()
            .iter()
            .all(|request| request.body["model"] != "memory-extract")
    );
}

/// The time stamp a recap of the idle session is named with (its last change, UTC).
fn recap_stamp(home: &Path) -> String {
    let path = codex_core::rollout::find_session_file(home, OLD_SESSION).unwrap();
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    chrono::DateTime::<chrono::Utc>::from(modified)
        .format("%Y-%m-%dT%H-%M-%S")
        .to_string()
}

fn git(folder: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(folder)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

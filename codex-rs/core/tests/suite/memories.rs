//! Memories against the scripted model server: the summary a session is given (only
//! a valid one, only with memories on and `use_memories`), and the dedicated memory
//! tools the model calls.

use std::path::Path;

use codex_core::ThreadStart;
use codex_protocol::EventMsg;
use codex_test_support::{RecordedRequest, Reply, ScriptedModelServer, Turn};

use super::{Harness, config_toml, load, output_for, test_env};

const SUMMARY: &str = "v1\n## User Profile\n- Writes Rust.\n## User preferences\n- Prefers tabs in Python. [ad-hoc note]\n## General Tips\n- none\n## What's in Memory\n### zspark\n";

/// A session whose CODEX_HOME has `config` lines and, when given, `summary`.
async fn session(turns: Vec<Turn>, config: &str, summary: Option<&str>) -> Harness {
    let server = ScriptedModelServer::start(turns).unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        config_toml(&server.base_url(), config),
    )
    .unwrap();
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

const ON: &str = "[features]\nmemories = true";

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
            "[features]\nmemories = true\n\n[memories]\nuse_memories = false",
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

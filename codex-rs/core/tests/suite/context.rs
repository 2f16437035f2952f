//! AGENTS.md discovery and the context a session starts with.

use std::path::Path;

use codex_core::context::{DocsSettings, load_project_docs};
use codex_protocol::EventMsg;
use codex_test_support::Turn;

use super::Harness;

fn write(path: &Path, text: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

struct Tree {
    home: tempfile::TempDir,
    root: tempfile::TempDir,
}

/// A repository with a nested package, and a CODEX_HOME with a global file:
/// repo/AGENTS.md, repo/pkg/AGENTS.override.md (+ AGENTS.md, ignored), repo/pkg/deep
/// (nothing), repo/pkg/deep/leaf/NOTES.md (fallback name).
fn tree() -> Tree {
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    write(&repo.join(".git/HEAD"), b"ref: refs/heads/main");
    write(&home.path().join("AGENTS.md"), b"global rules");
    write(&repo.join("AGENTS.md"), b"repo rules");
    write(&repo.join("pkg/AGENTS.override.md"), b"override rules");
    write(&repo.join("pkg/AGENTS.md"), b"ignored: the override wins");
    write(&repo.join("pkg/deep/AGENTS.md"), b"   \n");
    write(&repo.join("pkg/deep/leaf/NOTES.md"), b"fallback rules");
    Tree { home, root }
}

fn settings<'a>(
    tree: &'a Tree,
    cwd: &'a Path,
    max_bytes: usize,
    fallback: &'a [String],
) -> DocsSettings<'a> {
    DocsSettings {
        codex_home: tree.home.path(),
        cwd,
        max_bytes,
        fallback_names: fallback,
        user_instructions: None,
    }
}

#[test]
fn files_are_taken_from_the_root_down_with_overrides_and_fallbacks() {
    let tree = tree();
    let leaf = tree.root.path().join("repo/pkg/deep/leaf");
    let fallback = vec!["NOTES.md".to_string()];
    let docs = load_project_docs(&settings(&tree, &leaf, 32 * 1024, &fallback));
    assert_eq!(
        docs.text.as_deref(),
        Some("global rules\n\nrepo rules\n\noverride rules\n\nfallback rules"),
        "global first, then root to cwd; empty files skipped"
    );
    assert_eq!(docs.sources.len(), 4);
    assert!(docs.warnings.is_empty(), "{:?}", docs.warnings);

    let without_fallback = load_project_docs(&settings(&tree, &leaf, 32 * 1024, &[]));
    assert!(!without_fallback.text.unwrap().contains("fallback rules"));
}

#[test]
fn outside_a_repository_only_the_cwd_counts() {
    let tree = tree();
    let plain = tree.root.path().join("plain/sub");
    write(
        &tree.root.path().join("plain/AGENTS.md"),
        b"parent, not searched",
    );
    write(&plain.join("AGENTS.md"), b"cwd rules");
    let docs = load_project_docs(&settings(&tree, &plain, 32 * 1024, &[]));
    assert_eq!(docs.text.as_deref(), Some("global rules\n\ncwd rules"));
}

#[test]
fn the_size_cap_cuts_the_last_file_and_drops_later_ones() {
    let tree = tree();
    let repo = tree.root.path().join("repo");
    write(&repo.join("AGENTS.md"), "r".repeat(30).as_bytes());
    let cwd = repo.join("pkg");
    let docs = load_project_docs(&settings(&tree, &cwd, 40, &[]));
    let text = docs.text.unwrap();
    assert_eq!(
        text,
        format!("global rules\n\n{}\n\n{}", "r".repeat(30), "override r"),
        "30 + 10 bytes"
    );
    assert!(
        docs.warnings
            .iter()
            .any(|w| w.contains("project_doc_max_bytes")),
        "{:?}",
        docs.warnings
    );
    let off = load_project_docs(&settings(&tree, &cwd, 0, &[]));
    assert_eq!(
        off.text.as_deref(),
        Some("global rules"),
        "0 turns project files off, not the global one"
    );
}

#[test]
fn huge_and_non_utf8_files_are_read_safely_with_warnings() {
    let tree = tree();
    let repo = tree.root.path().join("repo");
    let mut huge = vec![b'h'; 5 * 1024 * 1024];
    huge.extend_from_slice(b"END");
    write(&repo.join("AGENTS.md"), &huge);
    write(&repo.join("pkg/AGENTS.override.md"), b"caf\xe9 rules");
    let docs = load_project_docs(&settings(&tree, &repo.join("pkg"), 32 * 1024, &[]));
    let text = docs.text.unwrap();
    assert!(
        text.len() < 33 * 1024,
        "the huge file was not read whole: {} bytes",
        text.len()
    );
    assert!(
        !text.contains("END") && !text.contains("caf"),
        "the cap was used up by the huge file"
    );
    let docs = load_project_docs(&settings(&tree, &repo.join("pkg"), 10 * 1024 * 1024, &[]));
    assert!(docs.text.unwrap().contains("caf\u{fffd} rules"));
    assert!(
        docs.warnings.iter().any(|w| w.contains("not valid UTF-8")),
        "{:?}",
        docs.warnings
    );
}

#[tokio::test]
async fn the_first_request_carries_instructions_then_the_environment() {
    let mut harness = Harness::with(
        vec![Turn::text("ok")],
        "instructions = \"from config\"\ndeveloper_instructions = \"dev note\"",
    )
    .await;
    std::fs::write(harness.work_path().join("AGENTS.md"), "project rules").unwrap();
    std::fs::write(harness.home.path().join("AGENTS.md"), "home rules").unwrap();
    let events = harness.turn("hi").await;
    assert!(
        !events.iter().any(|e| matches!(e, EventMsg::Warning { .. })),
        "{events:?}"
    );
    let input = harness.server.model_requests()[0].input_items();
    let texts: Vec<String> = input
        .iter()
        .map(|item| {
            item["content"][0]["text"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(input[1]["role"], "developer");
    assert_eq!(texts[1], "dev note");
    let agents = &texts[2];
    assert!(
        agents.starts_with(&format!(
            "# AGENTS.md instructions for {}",
            harness.work_path().display()
        )),
        "{agents}"
    );
    assert!(
        agents.contains(
            "<INSTRUCTIONS>\nfrom config\n\nhome rules\n\nproject rules\n</INSTRUCTIONS>"
        ),
        "{agents}"
    );
    assert!(texts[3].starts_with("<environment_context>"));
    assert_eq!(texts[4], "hi");
}

//! Phase 2: consolidation. When the folder changed since the last consolidation (new
//! recaps, notes added, edited or deleted), the changes are written to
//! `phase2_workspace_diff.md` as Codex does (`## Status`, `## Diff`), and the model is
//! given them with the current summary and handbook, every source's instructions, the
//! notes and the recaps. Its summary is checked as Codex checks it: an invalid one is
//! refused and the previous files stay (the failure is recorded for the Memory panel).
//! A valid result is written and committed, so the next changes count from there and
//! every consolidation can be undone.

use codex_protocol::ReasoningEffort;
use serde::Deserialize;

use super::model::{ask, json_object};
use super::prompts::CONSOLIDATE;
use super::state::ConsolidationRecord;
use crate::client::ModelClient;
use crate::memories::folder::WORKSPACE_DIFF;
use crate::memories::{MemoryError, MemoryFolder, validate};

/// The largest `MEMORY.md` accepted (the handbook must not grow into a ledger).
pub const MAX_HANDBOOK_BYTES: usize = 40_000;
/// Characters of the recaps and notes given to the model at most.
const INPUT_TEXT: usize = 120_000;

#[derive(Debug, Deserialize)]
struct ConsolidateAnswer {
    memory_summary: String,
    #[serde(default)]
    memory_md: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn record(status: &str, error: Option<String>) -> ConsolidationRecord {
    ConsolidationRecord {
        at: now(),
        status: status.to_string(),
        error,
    }
}

/// Consolidates when there is something new; `None` when nothing changed.
pub async fn consolidate(
    folder: &MemoryFolder,
    client: &ModelClient,
    model: &str,
) -> Result<Option<ConsolidationRecord>, MemoryError> {
    let changes = folder.changes()?;
    if changes.is_empty() {
        return Ok(None);
    }
    let diff = folder.diff_since_commit()?;
    let workspace = workspace_diff(&changes, &diff);
    let workspace_path = folder.root().join(WORKSPACE_DIFF);
    std::fs::write(&workspace_path, &workspace)
        .map_err(|error| MemoryError::io("write", &workspace_path, error))?;
    let input = format!("{workspace}\n\n{}", inputs(folder));
    let answer = match ask(client, model, ReasoningEffort::Medium, CONSOLIDATE, input).await {
        Ok(answer) => answer,
        Err(error) => return Ok(Some(record("failed_agent", Some(error.to_string())))),
    };
    let answer: ConsolidateAnswer = match json_object(&answer) {
        Ok(answer) => answer,
        Err(error) => return Ok(Some(record("failed_agent", Some(error.to_string())))),
    };
    let summary = format!("{}\n", answer.memory_summary.trim_end());
    if let Err(problem) = validate(&summary) {
        let error = format!("invalid memory summary: {problem}; the previous files were kept");
        return Ok(Some(record("failed_invalid_artifacts", Some(error))));
    }
    if answer.memory_md.len() > MAX_HANDBOOK_BYTES {
        let error = format!(
            "MEMORY.md would be {} bytes, over the {MAX_HANDBOOK_BYTES} allowed; the previous files were kept",
            answer.memory_md.len()
        );
        return Ok(Some(record("failed_invalid_artifacts", Some(error))));
    }
    let summary_path = folder.summary_path();
    std::fs::write(&summary_path, summary)
        .map_err(|error| MemoryError::io("write", &summary_path, error))?;
    if !answer.memory_md.trim().is_empty() {
        let handbook = folder.handbook_path();
        std::fs::write(&handbook, format!("{}\n", answer.memory_md.trim_end()))
            .map_err(|error| MemoryError::io("write", &handbook, error))?;
    }
    folder.commit_all("Consolidate memory")?;
    Ok(Some(record("succeeded", None)))
}

/// `phase2_workspace_diff.md`: what changed since the last consolidation.
fn workspace_diff(changes: &[String], diff: &str) -> String {
    let status: Vec<String> = changes
        .iter()
        .map(|line| {
            let (code, path) = line.split_at(line.len().min(3));
            let code = match code.trim() {
                "??" => "A",
                other => other,
            };
            format!("- {code} {path}")
        })
        .collect();
    format!(
        "# Memory workspace changes\n\nWritten before each consolidation from the folder's git history; do not edit.\n\n## Status\n{}\n\n## Diff\n```diff\n{}\n```\n",
        status.join("\n"),
        diff.trim_end()
    )
}

/// The current files, every source's instructions, the notes and the recaps.
fn inputs(folder: &MemoryFolder) -> String {
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    let mut text = String::new();
    let mut section = |title: &str, body: &str| {
        if text.chars().count() < INPUT_TEXT {
            text.push_str(&format!("## {title}\n{body}\n\n"));
        }
    };
    let summary = read(&folder.summary_path());
    section(
        "Current memory_summary.md",
        if summary.is_empty() {
            "(none yet)"
        } else {
            &summary
        },
    );
    let handbook = read(&folder.handbook_path());
    section(
        "Current MEMORY.md",
        if handbook.is_empty() {
            "(none yet)"
        } else {
            &handbook
        },
    );
    let extensions = folder.root().join("extensions");
    for entry in sorted_dir(&extensions) {
        let instructions = entry.join("instructions.md");
        if instructions.is_file() {
            let name = entry
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            section(
                &format!("Instructions of the `{name}` source"),
                &read(&instructions),
            );
        }
    }
    for note in sorted_dir(&folder.notes_dir()) {
        let name = note
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        section(
            &format!("Note extensions/ad_hoc/notes/{name}"),
            &read(&note),
        );
    }
    for recap in sorted_dir(&folder.rollout_summaries()).into_iter().rev() {
        let name = recap
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        section(&format!("Recap rollout_summaries/{name}"), &read(&recap));
    }
    text
}

fn sorted_dir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_diff_has_codex_s_sections() {
        let text = workspace_diff(
            &["?? rollout_summaries/a.md".into(), " M MEMORY.md".into()],
            "+new line\n",
        );
        assert!(text.contains("## Status\n- A rollout_summaries/a.md\n- M MEMORY.md\n"));
        assert!(text.contains("## Diff\n```diff\n+new line\n```"));
    }
}

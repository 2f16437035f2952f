//! AGENTS.md discovery: the user's global file, then one file per directory from the
//! project root down to the working directory, joined and capped.
//!
//! In each directory the first existing, non-empty file of `AGENTS.override.md`,
//! `AGENTS.md` and the configured fallback names is taken. The project files together
//! are capped at `project_doc_max_bytes` (the last file is cut, later ones dropped;
//! 0 turns project files off). Files are never read past the cap, and text that is not
//! UTF-8 is repaired with a warning rather than refused.

use std::io::Read;
use std::path::{Path, PathBuf};

use codex_protocol::ResponseItem;

use crate::git;

const OVERRIDE_NAME: &str = "AGENTS.override.md";
const DEFAULT_NAME: &str = "AGENTS.md";

/// The instructions found, and what the user should know about them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectDocs {
    /// Global and project text joined, or `None` when there is nothing.
    pub text: Option<String>,
    /// The files used, in order.
    pub sources: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

/// Settings for the search.
#[derive(Debug, Clone)]
pub struct DocsSettings<'a> {
    pub codex_home: &'a Path,
    pub cwd: &'a Path,
    pub max_bytes: usize,
    pub fallback_names: &'a [String],
    /// `instructions` from config.toml, placed first.
    pub user_instructions: Option<&'a str>,
}

pub fn load_project_docs(settings: &DocsSettings<'_>) -> ProjectDocs {
    let mut docs = ProjectDocs::default();
    let mut parts: Vec<String> = Vec::new();
    if let Some(instructions) = settings
        .user_instructions
        .filter(|text| !text.trim().is_empty())
    {
        parts.push(instructions.trim().to_string());
    }
    // The global file is the user's own; `project_doc_max_bytes = 0` does not turn it off.
    let global_cap = if settings.max_bytes == 0 {
        crate::config::DEFAULT_PROJECT_DOC_MAX_BYTES
    } else {
        settings.max_bytes
    };
    let global_names = [OVERRIDE_NAME.to_string(), DEFAULT_NAME.to_string()];
    if let Some((path, mut text)) = first_doc_in(
        settings.codex_home,
        &global_names,
        global_cap,
        &mut docs.warnings,
    ) {
        if text.len() > global_cap {
            truncate_at_char(&mut text, global_cap);
            docs.warnings
                .push(format!("{} was cut to {global_cap} bytes", path.display()));
        }
        parts.push(text);
        docs.sources.push(path);
    }
    if settings.max_bytes > 0 {
        let names: Vec<String> = [OVERRIDE_NAME, DEFAULT_NAME]
            .iter()
            .map(|name| name.to_string())
            .chain(settings.fallback_names.iter().cloned())
            .collect();
        let mut budget = settings.max_bytes;
        for dir in git::dirs_from_root_to(settings.cwd) {
            if budget == 0 {
                break;
            }
            let Some((path, mut text)) = first_doc_in(&dir, &names, budget, &mut docs.warnings)
            else {
                continue;
            };
            if text.len() > budget {
                truncate_at_char(&mut text, budget);
                docs.warnings.push(format!(
                    "{} was cut to fit project_doc_max_bytes ({} bytes); raise it in config.toml to send more",
                    path.display(),
                    settings.max_bytes
                ));
            }
            budget = budget.saturating_sub(text.len());
            parts.push(text);
            docs.sources.push(path);
        }
    }
    if !parts.is_empty() {
        docs.text = Some(parts.join("\n\n"));
    }
    docs
}

/// The message carrying the instructions to the model.
pub fn instructions_message(cwd: &Path, text: &str) -> ResponseItem {
    ResponseItem::user_text(format!(
        "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\n{text}\n</INSTRUCTIONS>",
        cwd.display()
    ))
}

/// The first file of `names` in `dir` that exists and has text, read up to `cap`
/// bytes (one more is read to tell whether it was cut).
fn first_doc_in(
    dir: &Path,
    names: &[String],
    cap: usize,
    warnings: &mut Vec<String>,
) -> Option<(PathBuf, String)> {
    for name in names {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        let mut bytes = Vec::new();
        let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
        let read =
            std::fs::File::open(&path).and_then(|file| file.take(limit).read_to_end(&mut bytes));
        if let Err(error) = read {
            warnings.push(format!(
                "could not read {}: {error}; it was skipped",
                path.display()
            ));
            continue;
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                warnings.push(format!(
                    "{} is not valid UTF-8 text; the invalid bytes were replaced",
                    path.display()
                ));
                String::from_utf8_lossy(error.as_bytes()).into_owned()
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        return Some((path, text.trim_end().to_string()));
    }
    None
}

fn truncate_at_char(text: &mut String, max: usize) {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}

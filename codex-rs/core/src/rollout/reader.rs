//! Reading rollout files written by zspark or by the Codex CLI: the conversation for
//! resume and fork, and short summaries for session lists. Unknown record types are
//! skipped, a torn last line is ignored, and a broken line in the middle is counted
//! rather than fatal.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use codex_protocol::{ResponseItem, Role};
use serde_json::Value;

/// A rollout read back.
#[derive(Debug, Clone)]
pub struct LoadedRollout {
    pub path: PathBuf,
    pub session_id: String,
    pub cwd: Option<PathBuf>,
    pub model_provider: Option<String>,
    pub forked_from_id: Option<String>,
    /// The conversation as the model should see it now (compactions and rollbacks
    /// applied).
    pub history: Vec<ResponseItem>,
    /// Lines in the file (to continue the ordinals when appending).
    pub line_count: u64,
    /// Lines that were not valid JSON (a torn last line is not counted).
    pub damaged_lines: usize,
}

#[derive(Debug)]
pub enum RolloutError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    NoSessionMeta {
        path: PathBuf,
    },
}

impl fmt::Display for RolloutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, error } => {
                write!(f, "could not read session file {}: {error}", path.display())
            }
            Self::NoSessionMeta { path } => write!(
                f,
                "{} is not a session file: it has no session_meta line. Pick another session.",
                path.display()
            ),
        }
    }
}

impl std::error::Error for RolloutError {}

/// A rollout's parsed lines.
struct Records {
    /// (record type, payload) of each readable line.
    records: Vec<(String, Value)>,
    line_count: u64,
    damaged: usize,
}

/// Reads the lines of a rollout, skipping damaged ones.
fn read_records(path: &Path) -> Result<Records, RolloutError> {
    let file = std::fs::File::open(path).map_err(|error| RolloutError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let mut records = Vec::new();
    let mut line_count = 0;
    let mut damaged = 0;
    let mut last_damaged = false;
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(|error| RolloutError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        line_count += 1;
        match serde_json::from_slice::<Value>(&line) {
            Ok(value) => {
                last_damaged = false;
                let kind = value
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let payload = value.get("payload").cloned().unwrap_or(Value::Null);
                records.push((kind, payload));
            }
            Err(_) => {
                damaged += 1;
                last_damaged = true;
            }
        }
    }
    // A damaged final line is a write cut short by a crash: expected, not reported.
    if last_damaged {
        damaged -= 1;
    }
    Ok(Records {
        records,
        line_count,
        damaged,
    })
}

pub fn load_rollout(path: &Path) -> Result<LoadedRollout, RolloutError> {
    let Records {
        records,
        line_count,
        damaged: damaged_lines,
    } = read_records(path)?;
    let meta = records
        .iter()
        .find(|(kind, _)| kind == "session_meta")
        .map(|(_, payload)| payload.clone())
        .ok_or_else(|| RolloutError::NoSessionMeta {
            path: path.to_path_buf(),
        })?;
    let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_string);
    let mut history: Vec<ResponseItem> = Vec::new();
    for (kind, payload) in records {
        match kind.as_str() {
            "response_item" => {
                if let Ok(item) = serde_json::from_value::<ResponseItem>(payload)
                    && item != ResponseItem::Other
                {
                    history.push(item);
                }
            }
            "compacted" => {
                if let Some(replacement) =
                    payload.get("replacement_history").and_then(Value::as_array)
                {
                    history = replacement
                        .iter()
                        .filter_map(|item| serde_json::from_value(item.clone()).ok())
                        .filter(|item| *item != ResponseItem::Other)
                        .collect();
                } else if let Some(summary) = payload.get("message").and_then(Value::as_str) {
                    history = compacted_without_replacement(&history, summary);
                }
            }
            "event_msg"
                if payload.get("type").and_then(Value::as_str) == Some("thread_rolled_back") =>
            {
                let turns = payload
                    .get("num_turns")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                drop_last_user_turns(&mut history, usize::try_from(turns).unwrap_or(usize::MAX));
            }
            _ => {}
        }
    }
    Ok(LoadedRollout {
        path: path.to_path_buf(),
        session_id: text("id")
            .or_else(|| text("session_id"))
            .unwrap_or_default(),
        cwd: text("cwd").map(PathBuf::from),
        model_provider: text("model_provider"),
        forked_from_id: text("forked_from_id"),
        history,
        line_count,
        damaged_lines,
    })
}

/// Older compaction records carry only the summary: keep the user messages and add
/// the summary after them.
fn compacted_without_replacement(history: &[ResponseItem], summary: &str) -> Vec<ResponseItem> {
    let mut kept: Vec<ResponseItem> = history
        .iter()
        .filter(|item| is_user_turn_message(item))
        .cloned()
        .collect();
    kept.push(ResponseItem::user_text(summary));
    kept
}

/// Removes the last `turns` user turns (each user message and everything after it).
pub fn drop_last_user_turns(history: &mut Vec<ResponseItem>, turns: usize) {
    if turns == 0 {
        return;
    }
    let starts: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, item)| is_user_turn_message(item))
        .map(|(index, _)| index)
        .collect();
    let cut = if turns >= starts.len() {
        starts.first().copied()
    } else {
        starts.get(starts.len() - turns).copied()
    };
    if let Some(cut) = cut {
        history.truncate(cut);
    }
}

/// A user message the user typed, as opposed to context the runtime injected
/// (AGENTS.md, environment context, skill text, compaction summaries).
pub fn is_user_turn_message(item: &ResponseItem) -> bool {
    let ResponseItem::Message {
        role: Role::User, ..
    } = item
    else {
        return false;
    };
    let text = item.message_text().unwrap_or_default();
    let trimmed = text.trim_start();
    ![
        "# AGENTS.md instructions",
        "<environment_context>",
        "<user_instructions>",
        "<skill>",
        "<INSTRUCTIONS>",
    ]
    .iter()
    .any(|marker| trimmed.starts_with(marker))
}

/// A session for lists: enough to show and sort it without reading it all.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub path: PathBuf,
    pub session_id: String,
    pub cwd: Option<PathBuf>,
    /// The first thing the user asked, as a title.
    pub title: String,
    pub started_at: Option<String>,
    pub updated_at: SystemTime,
    pub source: Option<String>,
    pub model_provider: Option<String>,
}

/// Lines read from the top of a file to find its title.
const SUMMARY_LINE_LIMIT: usize = 400;

/// Every session under `$CODEX_HOME/sessions`, newest first. Unreadable files are
/// skipped.
pub fn list_sessions(codex_home: &Path) -> Vec<SessionSummary> {
    let mut files = Vec::new();
    collect_rollout_files(&codex_home.join("sessions"), &mut files, 0);
    let mut sessions: Vec<SessionSummary> =
        files.iter().filter_map(|path| summarise(path)).collect();
    sessions.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| b.path.cmp(&a.path))
    });
    sessions
}

/// The rollout file of session `id` (a full id, or a unique prefix of one).
pub fn find_session_file(codex_home: &Path, id: &str) -> Option<PathBuf> {
    let mut files = Vec::new();
    collect_rollout_files(&codex_home.join("sessions"), &mut files, 0);
    let matches: Vec<PathBuf> = files
        .into_iter()
        .filter(|path| {
            path.file_stem()
                .and_then(|stem| stem.to_str())
                .is_some_and(|stem| stem.len() > 36 && stem[stem.len() - 36..].starts_with(id))
        })
        .collect();
    match matches.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

fn collect_rollout_files(dir: &Path, files: &mut Vec<PathBuf>, depth: usize) {
    if depth > 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_rollout_files(&path, files, depth + 1);
        } else if kind.is_file()
            && path.extension().is_some_and(|ext| ext == "jsonl")
            && path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("rollout-"))
        {
            files.push(path);
        }
    }
}

fn summarise(path: &Path) -> Option<SessionSummary> {
    let file = std::fs::File::open(path).ok()?;
    let updated_at = file
        .metadata()
        .and_then(|meta| meta.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut meta: Option<Value> = None;
    let mut title: Option<String> = None;
    for line in BufReader::new(file).lines().take(SUMMARY_LINE_LIMIT) {
        let Ok(line) = line else { break };
        let Ok(value) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let payload = value.get("payload").cloned().unwrap_or(Value::Null);
        match value.get("type").and_then(Value::as_str) {
            Some("session_meta") if meta.is_none() => meta = Some(payload),
            Some("event_msg")
                if payload.get("type").and_then(Value::as_str) == Some("user_message") =>
            {
                title = payload
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            Some("response_item") if title.is_none() => {
                if let Ok(item) = serde_json::from_value::<ResponseItem>(payload)
                    && is_user_turn_message(&item)
                {
                    title = item.message_text();
                }
            }
            _ => {}
        }
        if meta.is_some() && title.is_some() {
            break;
        }
    }
    let meta = meta?;
    let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_string);
    Some(SessionSummary {
        path: path.to_path_buf(),
        session_id: text("id")
            .or_else(|| text("session_id"))
            .unwrap_or_default(),
        cwd: text("cwd").map(PathBuf::from),
        title: title
            .map(|title| one_line(&title))
            .unwrap_or_else(|| "(no messages)".to_string()),
        started_at: text("timestamp"),
        updated_at,
        source: text("source"),
        model_provider: text("model_provider"),
    })
}

/// The first line of `text`, at most 120 characters.
fn one_line(text: &str) -> String {
    let first = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut short: String = first.chars().take(120).collect();
    if short.len() < first.len() {
        short.push('…');
    }
    short
}

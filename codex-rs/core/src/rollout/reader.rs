//! Reading rollout files written by zspark or by the Codex CLI: the conversation for
//! resume and fork (rebuilt by [`super::replay`]), and short summaries for session
//! lists. Unknown record types are skipped, a torn last line is ignored, and a broken
//! line in the middle is counted rather than fatal.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use codex_protocol::{EventMsg, ResponseItem, Role};
use serde_json::Value;

use super::replay::{self, Rebuilt, TurnMark, TurnSpan};

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
    /// Where each turn's user message is in `history`.
    pub marks: Vec<TurnMark>,
    /// The events a live session emitted, for front-ends to show.
    pub events: Vec<EventMsg>,
    /// The turns, with the records that start them.
    pub turns: Vec<TurnSpan>,
    /// Every readable record (type, payload), for a fork to copy.
    pub records: Vec<(String, Value)>,
    /// Lines in the file (to continue the ordinals when appending).
    pub line_count: u64,
    /// Lines that were not valid JSON (a torn last line is not counted).
    pub damaged_lines: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("could not read session file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a session file: it has no session_meta line. Pick another session.", path.display())]
    NoSessionMeta { path: PathBuf },
    #[error("session {session_id} has no turn {turn_id} to fork before")]
    NoSuchTurn { session_id: String, turn_id: String },
}

/// A rollout's parsed lines.
struct Records {
    /// (record type, payload) of each readable line.
    records: Vec<(String, Value)>,
    line_count: u64,
    damaged: usize,
}

/// Reads the lines of a rollout, skipping damaged ones.
fn read_records(path: &Path) -> Result<Records, RolloutError> {
    let file = std::fs::File::open(path).map_err(|source| RolloutError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut records = Vec::new();
    let mut line_count = 0;
    let mut damaged = 0;
    let mut last_damaged = false;
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(|source| RolloutError::Read {
            path: path.to_path_buf(),
            source,
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
    let Rebuilt {
        history,
        marks,
        events,
        turns,
    } = replay::rebuild(&records);
    Ok(LoadedRollout {
        path: path.to_path_buf(),
        session_id: text("id")
            .or_else(|| text("session_id"))
            .unwrap_or_default(),
        cwd: text("cwd").map(PathBuf::from),
        model_provider: text("model_provider"),
        forked_from_id: text("forked_from_id"),
        history,
        marks,
        events,
        turns,
        records,
        line_count,
        damaged_lines,
    })
}

impl LoadedRollout {
    /// The conversation as it was just before turn `turn_id` began, and the records
    /// that hold it (everything before the turn's first record, the `session_meta`
    /// line excluded), for a fork.
    pub fn before_turn(
        &self,
        turn_id: &str,
    ) -> Result<(Rebuilt, Vec<(String, Value)>), RolloutError> {
        let span = self
            .turns
            .iter()
            .find(|span| span.turn_id == turn_id)
            .ok_or_else(|| RolloutError::NoSuchTurn {
                session_id: self.session_id.clone(),
                turn_id: turn_id.to_string(),
            })?;
        let records: Vec<(String, Value)> = self.records[..span.first_record]
            .iter()
            .filter(|(kind, _)| kind != "session_meta")
            .cloned()
            .collect();
        Ok((replay::rebuild(&records), records))
    }

    /// The whole conversation and its records (the `session_meta` line excluded).
    pub fn whole(&self) -> (Rebuilt, Vec<(String, Value)>) {
        let records: Vec<(String, Value)> = self
            .records
            .iter()
            .filter(|(kind, _)| kind != "session_meta")
            .cloned()
            .collect();
        (
            Rebuilt {
                history: self.history.clone(),
                marks: self.marks.clone(),
                events: self.events.clone(),
                turns: self.turns.clone(),
            },
            records,
        )
    }
}

/// A user message the user typed, as opposed to context the runtime injected
/// (AGENTS.md, environment context, skill text, compaction summaries, sub-agent
/// notices).
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
        crate::context::compact::SUMMARY_PREFIX,
        crate::agents::NOTIFICATION_TAG,
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
    /// For a sub-agent's session: its parent's session id and its nickname.
    pub parent_thread_id: Option<String>,
    pub agent_nickname: Option<String>,
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

pub(super) fn collect_rollout_files(dir: &Path, files: &mut Vec<PathBuf>, depth: usize) {
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
        parent_thread_id: super::parent_of(&meta).map(str::to_string),
        agent_nickname: text("agent_nickname").or_else(|| {
            let spawn = super::thread_spawn(&meta)?;
            spawn.get("agent_nickname")?.as_str().map(str::to_string)
        }),
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

//! Threads as stored: `Thread` objects from rollout files (their `session_meta` line
//! and, for `thread/read`, their replayed turns), and `thread/list`'s filtering,
//! sorting and paging over `$CODEX_HOME/sessions`. Rollouts written by Codex and by
//! zspark read the same.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use codex_core::rollout::{SessionSummary, list_sessions, load_rollout};
use serde_json::Value;

use crate::events::ThreadView;
use crate::protocol::requests::{
    OneOrMany, SortDirection, ThreadListParams, ThreadListResult, ThreadSortKey,
};
use crate::protocol::thread::{Environment, Thread, ThreadStatus};

/// Lines of a rollout read for its model when listing threads.
const MODEL_SCAN_LINES: usize = 200;
/// Threads per `thread/list` page when the client gives no `limit`.
const DEFAULT_PAGE: usize = 50;
/// The sources `thread/list` shows when the client names none (Codex's interactive ones).
const INTERACTIVE_SOURCES: [&str; 2] = ["cli", "vscode"];

/// The facts of a rollout's `session_meta` line that a `Thread` shows.
#[derive(Debug, Clone, Default)]
pub struct SessionFacts {
    pub id: String,
    pub session_id: Option<String>,
    pub cwd: PathBuf,
    pub created_at: i64,
    pub originator: String,
    pub cli_version: String,
    pub source: Value,
    pub thread_source: Option<String>,
    pub model_provider: Option<String>,
    pub forked_from_id: Option<String>,
    pub parent_thread_id: Option<String>,
    pub agent_nickname: Option<String>,
    pub agent_role: Option<String>,
    pub git_info: Option<Value>,
    /// The model of the last turn seen (`turn_context` lines).
    pub model: Option<String>,
}

impl SessionFacts {
    /// The facts in `meta` (a `session_meta` payload).
    pub fn from_meta(meta: &Value) -> Self {
        let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_string);
        Self {
            id: text("id").unwrap_or_default(),
            session_id: text("session_id"),
            cwd: text("cwd").map(PathBuf::from).unwrap_or_default(),
            created_at: text("timestamp").as_deref().map_or(0, unix_seconds),
            originator: text("originator").unwrap_or_default(),
            cli_version: text("cli_version").unwrap_or_default(),
            source: meta.get("source").cloned().unwrap_or(Value::Null),
            thread_source: text("thread_source"),
            model_provider: text("model_provider"),
            forked_from_id: text("forked_from_id"),
            parent_thread_id: text("parent_thread_id"),
            agent_nickname: text("agent_nickname"),
            agent_role: text("agent_role"),
            git_info: meta.get("git").filter(|git| !git.is_null()).map(git_info),
            model: None,
        }
    }

    /// The facts of the rollout at `path`, from its first line and the model of the
    /// turns among its first lines.
    pub fn read(path: &Path) -> Option<Self> {
        let file = std::fs::File::open(path).ok()?;
        let mut lines = std::io::BufReader::new(file).lines();
        let first: Value = serde_json::from_str(&lines.next()?.ok()?).ok()?;
        if first.get("type").and_then(Value::as_str) != Some("session_meta") {
            return None;
        }
        let mut facts = Self::from_meta(first.get("payload").unwrap_or(&Value::Null));
        for line in lines.take(MODEL_SCAN_LINES).map_while(Result::ok) {
            if !line.contains("\"turn_context\"") {
                continue;
            }
            if let Ok(record) = serde_json::from_str::<Value>(&line)
                && let Some(model) = record.pointer("/payload/model").and_then(Value::as_str)
            {
                facts.model = Some(model.to_string());
            }
        }
        Some(facts)
    }

    /// The thread these facts describe, with no turns.
    pub fn thread(&self, path: &Path, preview: String, updated_at: i64) -> Thread {
        Thread {
            id: self.id.clone(),
            session_id: self.session_id.clone().unwrap_or_else(|| self.id.clone()),
            forked_from_id: self.forked_from_id.clone(),
            parent_thread_id: self.parent_thread_id.clone(),
            preview,
            ephemeral: false,
            history_mode: "legacy".to_string(),
            model_provider: self.model_provider.clone().unwrap_or_default(),
            model: self.model.clone(),
            reasoning_effort: None,
            created_at: self.created_at,
            updated_at,
            recency_at: updated_at,
            status: ThreadStatus::NotLoaded,
            path: Some(path.to_path_buf()),
            cwd: self.cwd.clone(),
            cli_version: self.cli_version.clone(),
            originator: self.originator.clone(),
            source: source_view(&self.source),
            thread_source: self.thread_source.clone(),
            agent_nickname: self.agent_nickname.clone(),
            agent_role: self.agent_role.clone(),
            git_info: self.git_info.clone(),
            name: None,
            turns: Vec::new(),
            environments: vec![Environment::local(self.cwd.clone())],
            extra: None,
            attached_to_thread_id: None,
            section: None,
            section_entered_at: None,
            project_id: None,
            can_accept_direct_input: None,
            daybreak_enabled: None,
        }
    }
}

/// A stored thread, read whole: the thread with its turns (when asked for).
pub fn read_thread(path: &Path, include_turns: bool) -> Result<Thread, String> {
    let loaded = load_rollout(path).map_err(|error| error.to_string())?;
    let facts = loaded
        .records
        .first()
        .filter(|(kind, _)| kind == "session_meta")
        .map(|(_, meta)| SessionFacts {
            model: loaded
                .records
                .iter()
                .rev()
                .find(|(kind, _)| kind == "turn_context")
                .and_then(|(_, context)| context.get("model").and_then(Value::as_str))
                .map(str::to_string),
            ..SessionFacts::from_meta(meta)
        })
        .unwrap_or_else(|| SessionFacts {
            id: loaded.session_id.clone(),
            cwd: loaded.cwd.clone().unwrap_or_default(),
            ..SessionFacts::default()
        });
    let preview = first_user_text(&loaded.events);
    let mut thread = facts.thread(path, preview, modified_seconds(path));
    if include_turns {
        thread.turns = ThreadView::turns_of(&thread.id, &loaded.events);
    }
    Ok(thread)
}

fn first_user_text(events: &[codex_protocol::EventMsg]) -> String {
    events
        .iter()
        .find_map(|event| match event {
            codex_protocol::EventMsg::UserMessage { message, .. } => Some(message.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// One page of `thread/list`.
pub fn list_threads(codex_home: &Path, params: &ThreadListParams) -> ThreadListResult {
    if params.archived == Some(true) {
        // zspark does not archive threads.
        return ThreadListResult {
            data: Vec::new(),
            next_cursor: None,
            backwards_cursor: None,
        };
    }
    let sources: Vec<String> = params.source_kinds.clone().unwrap_or_else(|| {
        INTERACTIVE_SOURCES
            .iter()
            .map(|source| source.to_string())
            .collect()
    });
    let folders: Option<Vec<PathBuf>> = params.cwd.clone().map(|cwd| match cwd {
        OneOrMany::One(folder) => vec![folder],
        OneOrMany::Many(folders) => folders,
    });
    let search = params.search_term.as_ref().map(|term| term.to_lowercase());
    let mut threads: Vec<Thread> = list_sessions(codex_home)
        .into_iter()
        .filter_map(|summary| {
            let facts = SessionFacts::read(&summary.path)?;
            Some(thread_of(&summary, &facts))
        })
        .filter(|thread| {
            sources
                .iter()
                .any(|kind| source_kind(&thread.source) == *kind)
        })
        .filter(|thread| {
            folders
                .as_ref()
                .is_none_or(|folders| folders.contains(&thread.cwd))
        })
        .filter(|thread| {
            params
                .model_providers
                .as_ref()
                .is_none_or(|providers| providers.contains(&thread.model_provider))
        })
        .filter(|thread| {
            search
                .as_ref()
                .is_none_or(|term| thread.preview.to_lowercase().contains(term))
        })
        .collect();
    threads.sort_by_key(|thread| match params.sort_key {
        ThreadSortKey::CreatedAt => (thread.created_at, thread.id.clone()),
        ThreadSortKey::UpdatedAt | ThreadSortKey::RecencyAt => {
            (thread.updated_at, thread.id.clone())
        }
    });
    if params.sort_direction == SortDirection::Desc {
        threads.reverse();
    }
    let page = crate::paging::page(
        threads,
        params.cursor.as_deref(),
        params.limit.unwrap_or(DEFAULT_PAGE),
    );
    ThreadListResult {
        data: page.data,
        next_cursor: page.next_cursor,
        backwards_cursor: page.backwards_cursor,
    }
}

fn thread_of(summary: &SessionSummary, facts: &SessionFacts) -> Thread {
    let updated = summary
        .updated_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
    let mut thread = facts.thread(&summary.path, summary.title.clone(), updated);
    if thread.model_provider.is_empty() {
        thread.model_provider = summary.model_provider.clone().unwrap_or_default();
    }
    thread
}

/// A rollout's `source` as the protocol names it: `cli`, `vscode`, `exec`, or
/// `{"subAgent": …}` for a sub-agent's.
fn source_view(source: &Value) -> Value {
    match source {
        Value::Object(object) if object.contains_key("subagent") => {
            serde_json::json!({"subAgent": object.get("subagent").cloned().unwrap_or(Value::Null)})
        }
        Value::Null => Value::from("unknown"),
        other => other.clone(),
    }
}

/// The kind `sourceKinds` filters on.
fn source_kind(source: &Value) -> String {
    match source {
        Value::String(kind) => kind.clone(),
        Value::Object(object) if object.contains_key("subAgent") => "subAgent".to_string(),
        _ => "unknown".to_string(),
    }
}

fn git_info(git: &Value) -> Value {
    let text = |key: &str| git.get(key).cloned().unwrap_or(Value::Null);
    serde_json::json!({
        "sha": text("commit_hash"),
        "branch": text("branch"),
        "originUrl": text("repository_url"),
    })
}

/// Unix seconds of an RFC 3339 time stamp (0 when it is not one).
fn unix_seconds(stamp: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(stamp).map_or(0, |time| time.timestamp())
}

/// When `path` last changed, in Unix seconds.
pub fn modified_seconds(path: &Path) -> i64 {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .unwrap_or_else(|_| SystemTime::now())
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

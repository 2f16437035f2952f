//! Rollout files: the session record Codex keeps at
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl`, one JSON
//! object per line (`timestamp`, `ordinal`, `type`, `payload`).
//!
//! Writing goes through a task that appends and flushes one whole line at a time, so a
//! crash loses at most the line being written. A new session's file appears with its
//! first turn. A session's sub-agents are found by the parent their files name.

mod children;
mod reader;
mod recorder;
mod replay;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use serde_json::Value;

pub use children::{ChildSession, child_sessions, parent_of, thread_spawn};
pub use reader::{
    LoadedRollout, RolloutError, SessionSummary, find_session_file, is_user_turn_message,
    list_sessions, load_rollout,
};
pub use recorder::{RolloutRecorder, RolloutWriteError};
pub use replay::{
    PERSISTED_EVENT, Rebuilt, TurnMark, TurnSpan, cut_at, reasoning_text, rebuild, remap_marks,
    user_message,
};

/// The `timestamp` format of rollout lines: RFC 3339, UTC, milliseconds.
pub fn timestamp_now() -> String {
    format_timestamp(Utc::now())
}

pub fn format_timestamp(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Where a session started at `started` (local time) with `session_id` is stored.
pub fn rollout_path(codex_home: &Path, started: DateTime<Local>, session_id: &str) -> PathBuf {
    codex_home
        .join("sessions")
        .join(started.format("%Y").to_string())
        .join(started.format("%m").to_string())
        .join(started.format("%d").to_string())
        .join(format!(
            "rollout-{}-{session_id}.jsonl",
            started.format("%Y-%m-%dT%H-%M-%S")
        ))
}

/// The `type`s of the records zspark reads; a record of another type comes from a newer
/// version, and is kept but not understood.
pub const KNOWN_RECORD_KINDS: [&str; 6] = [
    "session_meta",
    "turn_context",
    "response_item",
    "event_msg",
    "compacted",
    "inter_agent_communication_metadata",
];

/// The record kinds zspark writes, in Codex's shapes.
#[derive(Debug, Clone)]
pub enum RolloutRecord {
    SessionMeta(Box<SessionMeta>),
    TurnContext(Value),
    ResponseItem(Value),
    EventMsg(Value),
    Compacted(Value),
    /// `{"trigger_turn": bool}` before each message between agents (second version).
    InterAgentMetadata(Value),
    /// A record copied from another rollout (a fork), kept as it was.
    Copied {
        kind: String,
        payload: Value,
    },
}

impl RolloutRecord {
    fn kind(&self) -> &str {
        match self {
            Self::SessionMeta(_) => "session_meta",
            Self::TurnContext(_) => "turn_context",
            Self::ResponseItem(_) => "response_item",
            Self::EventMsg(_) => "event_msg",
            Self::Compacted(_) => "compacted",
            Self::InterAgentMetadata(_) => "inter_agent_communication_metadata",
            Self::Copied { kind, .. } => kind,
        }
    }

    fn payload(&self) -> Value {
        match self {
            Self::SessionMeta(meta) => serde_json::to_value(meta).unwrap_or(Value::Null),
            Self::TurnContext(value)
            | Self::ResponseItem(value)
            | Self::EventMsg(value)
            | Self::Compacted(value)
            | Self::InterAgentMetadata(value)
            | Self::Copied { payload: value, .. } => value.clone(),
        }
    }
}

/// The first line of every rollout.
#[derive(Debug, Clone, Serialize)]
pub struct SessionMeta {
    pub id: String,
    /// Current Codex writes the id under both names.
    pub session_id: String,
    pub timestamp: String,
    pub cwd: PathBuf,
    pub originator: String,
    pub cli_version: String,
    /// A string (`"exec"`, `"vscode"`) for a root session; for a sub-agent
    /// `{"subagent": {"thread_spawn": {...}}}`.
    pub source: Value,
    /// A sub-agent's parent thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_thread_id: Option<String>,
    /// `"subagent"` for a sub-agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_role: Option<String>,
    /// A sub-agent's task path (second version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_path: Option<String>,
    pub model_provider: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forked_from_id: Option<String>,
    pub base_instructions: BaseInstructions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
    /// `"v2"` in every session of a tree under the second multi-agent version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_agent_version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BaseInstructions {
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct GitInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
}

/// Git facts for `session_meta`, from the `git` command (absent outside a repository
/// or when git is not installed).
pub async fn git_info(cwd: &Path) -> Option<GitInfo> {
    crate::git::git_root(cwd)?;
    let run = |args: &'static [&'static str]| async move {
        let output = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            tokio::process::Command::new("git")
                .args(args)
                .current_dir(cwd)
                .kill_on_drop(true)
                .output(),
        )
        .await
        .ok()?
        .ok()?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        (output.status.success() && !text.is_empty()).then_some(text)
    };
    Some(GitInfo {
        commit_hash: run(&["rev-parse", "HEAD"]).await,
        branch: run(&["rev-parse", "--abbrev-ref", "HEAD"]).await,
        repository_url: run(&["remote", "get-url", "origin"]).await,
    })
}

//! Threads and turns as the app-server protocol shows them (`Thread`, `ThreadStatus`,
//! `Turn`, `TurnError`), with Codex's field names. Fields zspark has no value for are
//! sent as `null` so clients reading Codex's shapes find every key.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::items::ThreadItem;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: String,
    /// The root thread's id (the thread's own for a root).
    pub session_id: String,
    pub forked_from_id: Option<String>,
    pub parent_thread_id: Option<String>,
    /// The first thing the user asked.
    pub preview: String,
    pub ephemeral: bool,
    /// Always `legacy`: turns come whole with `thread/read` and `thread/resume`.
    pub history_mode: String,
    pub model_provider: String,
    pub model: Option<String>,
    pub reasoning_effort: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub recency_at: i64,
    pub status: ThreadStatus,
    /// The rollout file (it exists from `thread/start` on).
    pub path: Option<PathBuf>,
    pub cwd: PathBuf,
    pub cli_version: String,
    pub originator: String,
    /// `cli`, `vscode`, `exec`, … or `{"subAgent": …}`.
    pub source: Value,
    pub thread_source: Option<String>,
    pub agent_nickname: Option<String>,
    pub agent_role: Option<String>,
    pub git_info: Option<Value>,
    pub name: Option<String>,
    pub turns: Vec<Turn>,
    pub environments: Vec<Environment>,
    pub extra: Option<Value>,
    pub attached_to_thread_id: Option<String>,
    pub section: Option<Value>,
    pub section_entered_at: Option<i64>,
    pub project_id: Option<String>,
    pub can_accept_direct_input: Option<bool>,
    pub daybreak_enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub environment_id: String,
    pub cwd: PathBuf,
    pub runtime_workspace_roots: Vec<PathBuf>,
}

impl Environment {
    /// The one environment zspark runs threads in: this machine.
    pub fn local(cwd: PathBuf) -> Self {
        Self {
            environment_id: "local".to_string(),
            runtime_workspace_roots: vec![cwd.clone()],
            cwd,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ThreadStatus {
    NotLoaded,
    Idle,
    /// The last turn failed; cleared when a new turn starts.
    SystemError,
    #[serde(rename_all = "camelCase")]
    Active {
        active_flags: Vec<ActiveFlag>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ActiveFlag {
    WaitingOnApproval,
    WaitingOnUserInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Turn {
    pub id: String,
    pub root_turn_id: String,
    pub items: Vec<ThreadItem>,
    pub items_view: ItemsView,
    pub status: TurnStatus,
    pub error: Option<TurnError>,
    /// Unix seconds; `null` in `turn/start`'s answer, set from `turn/started` on.
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub duration_ms: Option<i64>,
}

impl Turn {
    /// A turn that has just been asked for.
    pub fn requested(id: &str) -> Self {
        Self {
            id: id.to_string(),
            root_turn_id: id.to_string(),
            items: Vec::new(),
            items_view: ItemsView::NotLoaded,
            status: TurnStatus::InProgress,
            error: None,
            started_at: None,
            completed_at: None,
            duration_ms: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ItemsView {
    NotLoaded,
    Summary,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TurnStatus {
    InProgress,
    Completed,
    Interrupted,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnError {
    pub message: String,
    /// `"other"`, or an object such as `{"responseStreamDisconnected":
    /// {"httpStatusCode": null}}`.
    pub codex_error_info: Option<Value>,
    pub additional_details: Option<String>,
    pub misalignment: Option<Value>,
}

impl TurnError {
    pub fn other(message: String) -> Self {
        Self {
            message,
            codex_error_info: Some(Value::from("other")),
            additional_details: None,
            misalignment: None,
        }
    }
}

/// Token counts, as `thread/tokenUsage/updated` carries them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenCounts {
    pub total_tokens: u64,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

impl From<&codex_protocol::TokenUsage> for TokenCounts {
    fn from(usage: &codex_protocol::TokenUsage) -> Self {
        Self {
            total_tokens: usage.total_tokens,
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            cache_write_input_tokens: 0,
            output_tokens: usage.output_tokens,
            reasoning_output_tokens: usage.reasoning_output_tokens,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// The whole thread's.
    pub total: TokenCounts,
    /// The last model request's.
    pub last: TokenCounts,
    pub model_context_window: Option<u64>,
}

//! The items of a turn (`ThreadItem`: user and agent messages, reasoning, commands,
//! file changes, MCP and sub-agent calls, images viewed, compactions) and the user's
//! input (`UserInput`), with Codex's names.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadItem {
    #[serde(flatten)]
    pub kind: ItemKind,
    /// Unix milliseconds.
    pub started_at_ms: Option<i64>,
    pub completed_at_ms: Option<i64>,
}

impl ThreadItem {
    pub fn id(&self) -> &str {
        match &self.kind {
            ItemKind::UserMessage { id, .. }
            | ItemKind::AgentMessage { id, .. }
            | ItemKind::Reasoning { id, .. }
            | ItemKind::CommandExecution { id, .. }
            | ItemKind::FileChange { id, .. }
            | ItemKind::McpToolCall { id, .. }
            | ItemKind::CollabAgentToolCall { id, .. }
            | ItemKind::Plan { id, .. }
            | ItemKind::ImageView { id, .. }
            | ItemKind::ContextCompaction { id } => id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ItemKind {
    #[serde(rename_all = "camelCase")]
    UserMessage {
        id: String,
        client_id: Option<String>,
        content: Vec<UserInput>,
    },
    #[serde(rename_all = "camelCase")]
    AgentMessage {
        id: String,
        text: String,
        phase: Option<String>,
        memory_citation: Option<Value>,
        moderation: Option<Value>,
        delivery: Option<Value>,
        questions: Option<Value>,
    },
    Reasoning {
        id: String,
        summary: Vec<String>,
        content: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    CommandExecution {
        /// The model's call id.
        id: String,
        /// The command line as a shell reads it (`/bin/bash -lc '…'`).
        command: String,
        cwd: PathBuf,
        process_id: Option<String>,
        source: String,
        status: ItemStatus,
        command_actions: Vec<Value>,
        aggregated_output: Option<String>,
        exit_code: Option<i32>,
        duration_ms: Option<u64>,
        plugin_id: Option<String>,
        script_path: Option<PathBuf>,
    },
    FileChange {
        /// The model's call id.
        id: String,
        changes: Vec<FileUpdate>,
        status: ItemStatus,
    },
    #[serde(rename_all = "camelCase")]
    McpToolCall {
        id: String,
        server: String,
        tool: String,
        status: ItemStatus,
        arguments: Value,
        result: Option<Value>,
        error: Option<Value>,
        duration_ms: Option<u64>,
        app_context: Option<Value>,
        mcp_app_ui: Option<Value>,
        plugin_id: Option<String>,
        read_only_hint: Option<bool>,
    },
    #[serde(rename_all = "camelCase")]
    CollabAgentToolCall {
        id: String,
        /// `spawnAgent`, `sendInput`, `resumeAgent`, `wait`, `closeAgent`, …
        tool: String,
        status: ItemStatus,
        sender_thread_id: String,
        receiver_thread_ids: Vec<String>,
        prompt: Option<String>,
        model: Option<String>,
        reasoning_effort: Option<String>,
        agents_states: Value,
    },
    Plan {
        id: String,
        text: String,
    },
    ImageView {
        id: String,
        path: PathBuf,
    },
    ContextCompaction {
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ItemStatus {
    InProgress,
    Completed,
    Failed,
    Declined,
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileUpdate {
    pub path: PathBuf,
    pub kind: FileUpdateKind,
    /// The unified diff; for a new file, its content.
    pub diff: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FileUpdateKind {
    Add,
    Delete,
    Update { move_path: Option<PathBuf> },
}

/// One element of a turn's input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UserInput {
    Text {
        text: String,
        /// Placeholders inside `text` (kept as given).
        #[serde(default)]
        text_elements: Vec<Value>,
    },
    /// An image by URL (`data:` URLs too).
    Image {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    LocalImage {
        path: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A skill to use, by its SKILL.md.
    Skill { name: String, path: PathBuf },
    /// A file named in the message.
    Mention { name: String, path: PathBuf },
}

impl UserInput {
    /// The runtime's input item for this element.
    pub fn to_runtime(&self) -> codex_protocol::InputItem {
        use codex_protocol::InputItem;
        match self {
            Self::Text { text, .. } => InputItem::Text { text: text.clone() },
            Self::Image { url, .. } => InputItem::Image {
                image_url: url.clone(),
            },
            Self::LocalImage { path, .. } => InputItem::LocalImage { path: path.clone() },
            Self::Skill { name, path } => InputItem::Skill {
                name: name.clone(),
                path: path.clone(),
            },
            Self::Mention { path, .. } => InputItem::FileReference { path: path.clone() },
        }
    }
}

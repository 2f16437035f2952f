//! What the server sends on its own: notifications (`ServerNotification`), and the
//! requests it makes of the client (`ServerRequest`: approvals) with their answers.
//! Every thread-level notification names its thread.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::items::ThreadItem;
use super::thread::{Thread, ThreadStatus, TokenUsage, Turn, TurnError};

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "method", content = "params")]
pub enum ServerNotification {
    #[serde(rename = "thread/started")]
    ThreadStarted { thread: Box<Thread> },
    #[serde(rename = "thread/status/changed")]
    #[serde(rename_all = "camelCase")]
    ThreadStatusChanged {
        thread_id: String,
        status: ThreadStatus,
    },
    #[serde(rename = "turn/started")]
    #[serde(rename_all = "camelCase")]
    TurnStarted { thread_id: String, turn: Turn },
    #[serde(rename = "turn/completed")]
    #[serde(rename_all = "camelCase")]
    TurnCompleted { thread_id: String, turn: Turn },
    #[serde(rename = "item/started")]
    #[serde(rename_all = "camelCase")]
    ItemStarted {
        item: ThreadItem,
        thread_id: String,
        turn_id: String,
        started_at_ms: i64,
    },
    #[serde(rename = "item/completed")]
    #[serde(rename_all = "camelCase")]
    ItemCompleted {
        item: ThreadItem,
        thread_id: String,
        turn_id: String,
        content_token_count: Option<u64>,
        completed_at_ms: i64,
    },
    #[serde(rename = "item/agentMessage/delta")]
    #[serde(rename_all = "camelCase")]
    AgentMessageDelta {
        thread_id: String,
        turn_id: String,
        item_id: String,
        delta: String,
    },
    #[serde(rename = "item/reasoning/summaryPartAdded")]
    #[serde(rename_all = "camelCase")]
    ReasoningSummaryPartAdded {
        thread_id: String,
        turn_id: String,
        item_id: String,
        summary_index: u32,
    },
    #[serde(rename = "item/reasoning/summaryTextDelta")]
    #[serde(rename_all = "camelCase")]
    ReasoningSummaryTextDelta {
        thread_id: String,
        turn_id: String,
        item_id: String,
        delta: String,
        summary_index: u32,
    },
    #[serde(rename = "item/commandExecution/outputDelta")]
    #[serde(rename_all = "camelCase")]
    CommandOutputDelta {
        thread_id: String,
        turn_id: String,
        item_id: String,
        delta: String,
    },
    #[serde(rename = "turn/plan/updated")]
    #[serde(rename_all = "camelCase")]
    PlanUpdated {
        thread_id: String,
        turn_id: String,
        explanation: Option<String>,
        plan: Vec<PlanStep>,
    },
    #[serde(rename = "thread/tokenUsage/updated")]
    #[serde(rename_all = "camelCase")]
    TokenUsageUpdated {
        thread_id: String,
        turn_id: String,
        token_usage: TokenUsage,
    },
    #[serde(rename = "error")]
    #[serde(rename_all = "camelCase")]
    Error {
        error: TurnError,
        will_retry: bool,
        thread_id: String,
        turn_id: String,
    },
    #[serde(rename = "warning")]
    #[serde(rename_all = "camelCase")]
    Warning { thread_id: String, message: String },
    #[serde(rename = "serverRequest/resolved")]
    #[serde(rename_all = "camelCase")]
    ServerRequestResolved { thread_id: String, request_id: i64 },
    #[serde(rename = "mcpServer/startupStatus/updated")]
    #[serde(rename_all = "camelCase")]
    McpStartupStatus {
        thread_id: String,
        name: String,
        /// `starting`, `ready` or `failed`.
        status: String,
        error: Option<String>,
        failure_reason: Option<String>,
    },
}

impl ServerNotification {
    /// The method name, for `optOutNotificationMethods`.
    pub fn method(&self) -> &'static str {
        match self {
            Self::ThreadStarted { .. } => "thread/started",
            Self::ThreadStatusChanged { .. } => "thread/status/changed",
            Self::TurnStarted { .. } => "turn/started",
            Self::TurnCompleted { .. } => "turn/completed",
            Self::ItemStarted { .. } => "item/started",
            Self::ItemCompleted { .. } => "item/completed",
            Self::AgentMessageDelta { .. } => "item/agentMessage/delta",
            Self::ReasoningSummaryPartAdded { .. } => "item/reasoning/summaryPartAdded",
            Self::ReasoningSummaryTextDelta { .. } => "item/reasoning/summaryTextDelta",
            Self::CommandOutputDelta { .. } => "item/commandExecution/outputDelta",
            Self::PlanUpdated { .. } => "turn/plan/updated",
            Self::TokenUsageUpdated { .. } => "thread/tokenUsage/updated",
            Self::Error { .. } => "error",
            Self::Warning { .. } => "warning",
            Self::ServerRequestResolved { .. } => "serverRequest/resolved",
            Self::McpStartupStatus { .. } => "mcpServer/startupStatus/updated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PlanStep {
    pub step: String,
    /// `pending`, `inProgress` or `completed`.
    pub status: String,
}

/// A request the server makes of the client; the client answers with the same `id`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "method", content = "params")]
pub enum ServerRequest {
    #[serde(rename = "item/commandExecution/requestApproval")]
    CommandApproval(Box<CommandApprovalParams>),
    #[serde(rename = "item/fileChange/requestApproval")]
    FileChangeApproval(FileChangeApprovalParams),
    /// An MCP tool call to allow, asked as Codex asks it: a form elicitation whose
    /// `_meta.codex_approval_kind` is `mcp_tool_call`.
    #[serde(rename = "mcpServer/elicitation/request")]
    McpToolApproval(McpElicitationParams),
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpElicitationParams {
    pub thread_id: String,
    pub turn_id: String,
    pub server_name: String,
    /// `form`.
    pub mode: String,
    pub message: String,
    pub requested_schema: Value,
    /// `codex_approval_kind`, `persist` (`["session", "always"]`), `tool_name`,
    /// `tool_params`.
    #[serde(rename = "_meta")]
    pub meta: Value,
}

/// The client's answer to an MCP elicitation: `accept`, `decline` or `cancel`, and
/// in `_meta.persist` whether to remember an accept (`session` or `always`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub struct ElicitationAnswer {
    pub action: ElicitationAction,
    #[serde(default, rename = "_meta")]
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ElicitationAction {
    Accept,
    Decline,
    Cancel,
}

impl ElicitationAnswer {
    pub fn to_runtime(&self) -> codex_protocol::ReviewDecision {
        use codex_protocol::ReviewDecision;
        let persist = self
            .meta
            .as_ref()
            .and_then(|meta| meta.get("persist"))
            .and_then(Value::as_str);
        match (self.action, persist) {
            (ElicitationAction::Accept, Some("always")) => ReviewDecision::AcceptAlways,
            (ElicitationAction::Accept, Some("session")) => ReviewDecision::AcceptForSession,
            (ElicitationAction::Accept, _) => ReviewDecision::Accept,
            (ElicitationAction::Decline, _) => ReviewDecision::Decline,
            (ElicitationAction::Cancel, _) => ReviewDecision::Cancel,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandApprovalParams {
    /// `command`.
    pub kind: String,
    pub thread_id: String,
    pub turn_id: String,
    pub item_id: String,
    pub started_at_ms: i64,
    pub environment_id: String,
    pub reason: Option<String>,
    pub command: String,
    pub cwd: PathBuf,
    pub command_actions: Vec<Value>,
    pub proposed_execpolicy_amendment: Option<Vec<String>>,
    /// `"accept"`, `{"acceptWithExecpolicyAmendment": …}`, `"cancel"`.
    pub available_decisions: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileChangeApprovalParams {
    pub thread_id: String,
    pub turn_id: String,
    pub item_id: String,
    pub started_at_ms: i64,
    pub reason: Option<String>,
    pub grant_root: Option<PathBuf>,
}

/// The client's answer to an approval request.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub struct ApprovalAnswer {
    pub decision: ApprovalDecision,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ApprovalDecision {
    Accept,
    AcceptForSession,
    AcceptWithExecpolicyAmendment { execpolicy_amendment: Vec<String> },
    Decline,
    Cancel,
}

impl ApprovalDecision {
    pub fn to_runtime(&self) -> codex_protocol::ReviewDecision {
        use codex_protocol::ReviewDecision;
        match self {
            Self::Accept => ReviewDecision::Accept,
            Self::AcceptForSession => ReviewDecision::AcceptForSession,
            Self::AcceptWithExecpolicyAmendment {
                execpolicy_amendment,
            } => ReviewDecision::AcceptWithExecpolicyAmendment {
                prefix: execpolicy_amendment.clone(),
            },
            Self::Decline => ReviewDecision::Decline,
            Self::Cancel => ReviewDecision::Cancel,
        }
    }

    /// Whether the command or change goes ahead.
    pub fn approves(&self) -> bool {
        !matches!(self, Self::Decline | Self::Cancel)
    }
}

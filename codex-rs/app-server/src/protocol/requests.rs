//! What a client may ask (`ClientRequest`: the method names and their `params`) and
//! what each answers, with Codex's names and shapes. Parsing a request through
//! [`ClientRequest`] gives Codex's own error texts for an unknown method or a missing
//! `params` (serde's, as in Codex).

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::items::UserInput;
use super::thread::{Thread, Turn};

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(tag = "method", content = "params")]
pub enum ClientRequest {
    #[serde(rename = "initialize")]
    Initialize(InitializeParams),
    #[serde(rename = "thread/start")]
    ThreadStart(ThreadStartParams),
    #[serde(rename = "thread/resume")]
    ThreadResume(ThreadResumeParams),
    #[serde(rename = "thread/fork")]
    ThreadFork(ThreadForkParams),
    #[serde(rename = "thread/list")]
    ThreadList(ThreadListParams),
    #[serde(rename = "thread/loaded/list")]
    ThreadLoadedList(EmptyParams),
    #[serde(rename = "thread/read")]
    ThreadRead(ThreadReadParams),
    #[serde(rename = "turn/start")]
    TurnStart(TurnStartParams),
    #[serde(rename = "turn/steer")]
    TurnSteer(TurnSteerParams),
    #[serde(rename = "turn/interrupt")]
    TurnInterrupt(TurnInterruptParams),
    #[serde(rename = "model/list")]
    ModelList(ModelListParams),
    #[serde(rename = "skills/list")]
    SkillsList(SkillsListParams),
    #[serde(rename = "mcpServerStatus/list")]
    McpServerStatusList(McpServerStatusListParams),
    #[serde(rename = "config/read")]
    ConfigRead(ConfigReadParams),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmptyParams {}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    pub client_info: ClientInfo,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub struct ClientInfo {
    /// Becomes the `originator` of the client's threads and model requests.
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Capabilities {
    pub experimental_api: bool,
    /// Notification methods the client does not want (exact names).
    pub opt_out_notification_methods: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    pub user_agent: String,
    pub codex_home: PathBuf,
    pub platform_family: String,
    pub platform_os: String,
}

/// When to ask before running commands or changing files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AskForApproval {
    Untrusted,
    OnFailure,
    OnRequest,
    Never,
}

impl From<AskForApproval> for codex_protocol::ApprovalPolicy {
    fn from(value: AskForApproval) -> Self {
        match value {
            AskForApproval::Untrusted => Self::Untrusted,
            AskForApproval::OnFailure => Self::OnFailure,
            AskForApproval::OnRequest => Self::OnRequest,
            AskForApproval::Never => Self::Never,
        }
    }
}

impl From<codex_protocol::ApprovalPolicy> for AskForApproval {
    fn from(value: codex_protocol::ApprovalPolicy) -> Self {
        match value {
            codex_protocol::ApprovalPolicy::Untrusted => Self::Untrusted,
            codex_protocol::ApprovalPolicy::OnFailure => Self::OnFailure,
            codex_protocol::ApprovalPolicy::OnRequest => Self::OnRequest,
            codex_protocol::ApprovalPolicy::Never => Self::Never,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

impl From<SandboxMode> for codex_protocol::SandboxMode {
    fn from(value: SandboxMode) -> Self {
        match value {
            SandboxMode::ReadOnly => Self::ReadOnly,
            SandboxMode::WorkspaceWrite => Self::WorkspaceWrite,
            SandboxMode::DangerFullAccess => Self::DangerFullAccess,
        }
    }
}

/// A sandbox policy, as `thread/start` answers it and `turn/start` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum SandboxPolicy {
    DangerFullAccess,
    #[serde(rename_all = "camelCase")]
    ReadOnly {
        #[serde(default)]
        network_access: bool,
    },
    #[serde(rename_all = "camelCase")]
    WorkspaceWrite {
        #[serde(default)]
        writable_roots: Vec<PathBuf>,
        #[serde(default)]
        network_access: bool,
        #[serde(default)]
        exclude_tmpdir_env_var: bool,
        #[serde(default)]
        exclude_slash_tmp: bool,
    },
}

impl From<&codex_protocol::SandboxPolicy> for SandboxPolicy {
    fn from(value: &codex_protocol::SandboxPolicy) -> Self {
        match value {
            codex_protocol::SandboxPolicy::ReadOnly => Self::ReadOnly {
                network_access: false,
            },
            codex_protocol::SandboxPolicy::DangerFullAccess => Self::DangerFullAccess,
            codex_protocol::SandboxPolicy::WorkspaceWrite {
                writable_roots,
                network_access,
                exclude_tmpdir_env_var,
                exclude_slash_tmp,
            } => Self::WorkspaceWrite {
                writable_roots: writable_roots.clone(),
                network_access: *network_access,
                exclude_tmpdir_env_var: *exclude_tmpdir_env_var,
                exclude_slash_tmp: *exclude_slash_tmp,
            },
        }
    }
}

impl From<&SandboxPolicy> for codex_protocol::SandboxPolicy {
    fn from(value: &SandboxPolicy) -> Self {
        match value {
            SandboxPolicy::ReadOnly { .. } => Self::ReadOnly,
            SandboxPolicy::DangerFullAccess => Self::DangerFullAccess,
            SandboxPolicy::WorkspaceWrite {
                writable_roots,
                network_access,
                exclude_tmpdir_env_var,
                exclude_slash_tmp,
            } => Self::WorkspaceWrite {
                writable_roots: writable_roots.clone(),
                network_access: *network_access,
                exclude_tmpdir_env_var: *exclude_tmpdir_env_var,
                exclude_slash_tmp: *exclude_slash_tmp,
            },
        }
    }
}

/// The settings a thread starts (or resumes) with; each overrides `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ThreadSettings {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub cwd: Option<PathBuf>,
    pub approval_policy: Option<AskForApproval>,
    pub sandbox: Option<SandboxMode>,
    /// Dotted `config.toml` keys and their values (`{"model_reasoning_effort": "high"}`).
    pub config: Option<BTreeMap<String, Value>>,
    pub base_instructions: Option<String>,
    pub developer_instructions: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ThreadStartParams {
    #[serde(flatten)]
    pub settings: ThreadSettings,
    /// Recorded as the rollout's `thread_source`.
    pub thread_source: Option<String>,
    /// Accepted; zspark's threads are always recorded.
    pub ephemeral: Option<bool>,
}

/// The answer to `thread/start`, `thread/resume` and `thread/fork`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadOpened {
    pub thread: Thread,
    pub model: String,
    pub model_provider: String,
    pub service_tier: Option<String>,
    pub disabled_plugin_ids: Vec<String>,
    pub cwd: PathBuf,
    pub runtime_workspace_roots: Vec<PathBuf>,
    pub instruction_sources: Vec<PathBuf>,
    pub approval_policy: AskForApproval,
    pub approvals_reviewer: String,
    pub sandbox: SandboxPolicy,
    pub active_permission_profile: Option<Value>,
    pub reasoning_effort: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadResumeParams {
    pub thread_id: String,
    #[serde(flatten)]
    pub settings: ThreadSettings,
    /// Answer with `thread.turns` empty.
    #[serde(default)]
    pub exclude_turns: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadForkParams {
    pub thread_id: String,
    /// The last turn to copy (inclusive); all of them when absent.
    #[serde(default)]
    pub last_turn_id: Option<String>,
    #[serde(flatten)]
    pub settings: ThreadSettings,
    #[serde(default)]
    pub exclude_turns: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThreadSortKey {
    #[default]
    CreatedAt,
    UpdatedAt,
    RecencyAt,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

/// One folder, or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ThreadListParams {
    /// `nextCursor` of the page before.
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    pub sort_key: ThreadSortKey,
    pub sort_direction: SortDirection,
    pub model_providers: Option<Vec<String>>,
    /// Sources to list (`cli`, `vscode`, `exec`, `appServer`, `subAgent`); the
    /// interactive ones (`cli`, `vscode`) when absent.
    pub source_kinds: Option<Vec<String>>,
    pub archived: Option<bool>,
    pub cwd: Option<OneOrMany>,
    /// Only threads whose first message contains this (any case).
    pub search_term: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadListResult {
    pub data: Vec<Thread>,
    pub next_cursor: Option<String>,
    pub backwards_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadLoadedListResult {
    pub data: Vec<String>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadReadParams {
    pub thread_id: String,
    #[serde(default)]
    pub include_turns: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadReadResult {
    pub thread: Thread,
    pub read_state: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnStartParams {
    pub thread_id: String,
    pub input: Vec<UserInput>,
    #[serde(default)]
    pub client_user_message_id: Option<String>,
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    #[serde(default)]
    pub approval_policy: Option<AskForApproval>,
    #[serde(default)]
    pub sandbox_policy: Option<SandboxPolicy>,
    #[serde(default)]
    pub model: Option<String>,
    /// `none`, `minimal`, `low`, `medium`, `high` or `xhigh`.
    #[serde(default)]
    pub effort: Option<String>,
    /// A JSON Schema the final answer must follow (this turn only).
    #[serde(default)]
    pub output_schema: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TurnStartResult {
    pub turn: Turn,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnSteerParams {
    pub thread_id: String,
    pub input: Vec<UserInput>,
    /// The running turn's id; the steer is refused when another turn runs.
    pub expected_turn_id: String,
    #[serde(default)]
    pub client_user_message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnSteerResult {
    pub turn_id: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnInterruptParams {
    pub thread_id: String,
    pub turn_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelListParams {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub model_provider: Option<String>,
    pub include_hidden: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub id: String,
    pub model: String,
    pub display_name: String,
    pub description: String,
    pub hidden: bool,
    pub is_default: bool,
    pub supported_reasoning_efforts: Vec<Value>,
    pub default_reasoning_effort: Option<String>,
    pub input_modalities: Vec<String>,
    pub supports_personality: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelListResult {
    pub data: Vec<Model>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SkillsListParams {
    pub cwds: Vec<PathBuf>,
    pub force_reload: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillMetadata {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    /// `user`, `repo`, `system` or `admin`.
    pub scope: String,
    pub enabled: bool,
    pub plugin_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SkillError {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SkillsForFolder {
    pub cwd: PathBuf,
    pub skills: Vec<SkillMetadata>,
    pub errors: Vec<SkillError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SkillsListResult {
    pub data: Vec<SkillsForFolder>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfigReadParams {
    /// Also answer with each layer and what it sets.
    pub include_layers: bool,
    /// The folder whose project configuration counts (the server's when absent).
    pub cwd: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConfigReadResult {
    /// The effective configuration: every key the runtime reads, `null` when unset.
    pub config: Value,
    /// For each dotted key set somewhere, the layer its value comes from.
    pub origins: BTreeMap<String, ConfigOrigin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<ConfigLayerView>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConfigOrigin {
    pub name: ConfigLayerName,
    /// `sha256:<hex>` of the layer's settings.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConfigLayerName {
    /// `user`, `project` or `sessionFlags`.
    #[serde(rename = "type")]
    pub kind: String,
    pub file: Option<PathBuf>,
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConfigLayerView {
    pub name: ConfigLayerName,
    pub version: String,
    pub config: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct McpServerStatusListParams {
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    /// `full` or `toolsAndAuthOnly` (the same here: zspark has no resource listing to
    /// leave out).
    pub detail: Option<String>,
    /// The thread whose servers' state to show; without it, any thread open here.
    pub thread_id: Option<String>,
    pub server_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpServerStatus {
    pub name: String,
    /// `notStarted`, `starting`, `connected`, `failed` or `disabled`.
    pub runtime_status: String,
    pub plugin_id: Option<String>,
    pub http_origin: Option<String>,
    pub server_info: Option<Value>,
    pub server_capabilities: Option<Value>,
    pub tool_list_meta: Option<Value>,
    /// The server's tools by raw name.
    pub tools: BTreeMap<String, Value>,
    pub tools_error: Option<String>,
    pub resources: Vec<Value>,
    pub resource_templates: Vec<Value>,
    /// `unsupported`, `bearerToken`, `unknown`, `notLoggedIn` or `oAuth`.
    pub auth_status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpServerStatusListResult {
    pub data: Vec<McpServerStatus>,
    pub next_cursor: Option<String>,
}

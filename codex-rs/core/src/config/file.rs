//! The shape of `config.toml` (and of profile and project config files): every key the
//! runtime reads, all optional. Keys it does not know are reported as warnings by the
//! loader, never errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use codex_protocol::{ApprovalPolicy, ReasoningEffort, ReasoningSummary, SandboxMode, Verbosity};
use serde::Deserialize;

use super::provider::ModelProviderInfo;
use crate::mcp::config::{McpServerFile, PluginSettingsFile};
use crate::mcp::oauth::CredentialsStoreMode;
use crate::memories::MemoriesFile;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigFile {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub model_context_window: Option<u64>,
    pub model_auto_compact_token_limit: Option<u64>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub approval_policy: Option<ApprovalPolicy>,
    pub sandbox_mode: Option<SandboxMode>,
    pub sandbox_workspace_write: Option<SandboxWorkspaceWrite>,
    /// Extra instructions from the user, added to the AGENTS.md message.
    pub instructions: Option<String>,
    /// An extra developer message sent with every request.
    pub developer_instructions: Option<String>,
    /// A file whose text replaces the runtime's base instructions.
    pub model_instructions_file: Option<PathBuf>,
    /// Older name of `model_instructions_file`.
    pub experimental_instructions_file: Option<PathBuf>,
    pub compact_prompt: Option<String>,
    pub project_doc_max_bytes: Option<usize>,
    pub project_doc_fallback_filenames: Option<Vec<String>>,
    pub shell_environment_policy: Option<ShellEnvironmentPolicyFile>,
    pub history: Option<HistoryFile>,
    #[serde(default)]
    pub model_providers: BTreeMap<String, ModelProviderInfo>,
    /// The base URL of the built-in `openai` provider (the SDK's `baseUrl` sets it).
    pub openai_base_url: Option<String>,
    #[serde(default)]
    pub features: FeaturesFile,
    #[serde(default)]
    pub mcp_servers: BTreeMap<String, McpServerFile>,
    pub agents: Option<AgentsFile>,
    pub memories: Option<MemoriesFile>,
    /// Where MCP OAuth tokens are kept: `auto` (the keychain, else a file), `file`, `keyring`.
    pub mcp_oauth_credentials_store: Option<CredentialsStoreMode>,
    /// The loopback port of MCP sign-in redirects, for servers that set none.
    pub mcp_oauth_callback_port: Option<u16>,
    /// The redirect URI of MCP sign-ins, for servers that set none.
    pub mcp_oauth_callback_url: Option<String>,
    /// Read for the MCP servers plugins declare; the other plugin keys are accepted
    /// silently (see [`ACCEPTED_KEYS`]).
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginSettingsFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SandboxWorkspaceWrite {
    #[serde(default)]
    pub writable_roots: Vec<PathBuf>,
    #[serde(default)]
    pub network_access: bool,
    #[serde(default)]
    pub exclude_tmpdir_env_var: bool,
    #[serde(default)]
    pub exclude_slash_tmp: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HistoryFile {
    pub persistence: Option<HistoryPersistence>,
    pub max_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HistoryPersistence {
    #[default]
    SaveAll,
    None,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShellEnvironmentPolicyFile {
    pub inherit: Option<EnvironmentInherit>,
    pub ignore_default_excludes: Option<bool>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    #[serde(default)]
    pub include_only: Vec<String>,
    pub experimental_use_profile: Option<bool>,
}

/// Which of zspark's own environment variables a command starts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentInherit {
    /// Everything (then filtered).
    #[default]
    All,
    /// Only a small core set: HOME, PATH, USER, SHELL, LANG, TMPDIR, ...
    Core,
    None,
}

/// `[features]`: switches for runtime behaviour. Codex has many more; those are
/// accepted silently (see [`ACCEPTED_KEYS`]).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeaturesFile {
    /// `exec_command` + `write_stdin` (default) instead of the classic `shell` tool.
    pub unified_exec: Option<bool>,
    /// `apply_patch` as a freeform tool (default) instead of a function with `input`.
    pub apply_patch_freeform: Option<bool>,
    /// The sub-agent tools of Codex's first multi-agent version (on by default).
    pub multi_agent: Option<bool>,
    /// Codex's second multi-agent version (off by default): a switch or a table.
    pub multi_agent_v2: Option<MultiAgentV2File>,
    /// Memories across sessions (off by default).
    pub memories: Option<bool>,
    /// The older name of `memories`.
    pub memory_tool: Option<bool>,
}

/// `features.multi_agent_v2`: `true`/`false`, or a table of settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MultiAgentV2File {
    Switch(bool),
    Table(MultiAgentV2Table),
}

/// `[features.multi_agent_v2]`. Codex has more keys (usage hints, message boards);
/// they are accepted and not used.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MultiAgentV2Table {
    pub enabled: Option<bool>,
    pub max_concurrent_threads_per_session: Option<usize>,
    pub default_wait_timeout_ms: Option<u64>,
    pub min_wait_timeout_ms: Option<u64>,
    pub max_wait_timeout_ms: Option<u64>,
    pub tool_namespace: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, toml::Value>,
}

/// `[agents]`: limits and defaults for sub-agents, and roles.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AgentsFile {
    pub max_threads: Option<usize>,
    /// The other name of `max_threads`.
    pub max_concurrent_threads_per_session: Option<usize>,
    pub max_depth: Option<u32>,
    pub default_subagent_model: Option<String>,
    pub default_subagent_reasoning_effort: Option<ReasoningEffort>,
    /// Role tables (`[agents.<role>]`) and keys zspark does not read
    /// (`job_max_runtime_seconds`, `interrupt_message`).
    #[serde(flatten)]
    pub other: BTreeMap<String, toml::Value>,
}

/// Top-level keys (and `features.*`) that are valid in Codex configuration but not read
/// into [`ConfigFile`]: read elsewhere (`profile`, `profiles`, `projects` by the loader)
/// or by Codex features zspark does not have. They never warn.
/// The top-level keys the runtime reads (the fields of [`ConfigFile`]), for front-ends
/// that show the whole configuration.
pub const READ_KEYS: &[&str] = &[
    "model",
    "model_provider",
    "model_context_window",
    "model_auto_compact_token_limit",
    "model_reasoning_effort",
    "model_reasoning_summary",
    "model_verbosity",
    "approval_policy",
    "sandbox_mode",
    "sandbox_workspace_write",
    "instructions",
    "developer_instructions",
    "model_instructions_file",
    "experimental_instructions_file",
    "compact_prompt",
    "project_doc_max_bytes",
    "project_doc_fallback_filenames",
    "shell_environment_policy",
    "history",
    "model_providers",
    "openai_base_url",
    "features",
    "mcp_servers",
    "agents",
    "memories",
    "mcp_oauth_credentials_store",
    "mcp_oauth_callback_port",
    "mcp_oauth_callback_url",
    "plugins",
];

pub const ACCEPTED_KEYS: &[&str] = &[
    "profile",
    "profiles",
    "projects",
    "features",
    "notify",
    "tools",
    "web_search",
    "tui",
    "otel",
    "skills",
    "notice",
    "hide_agent_reasoning",
    "show_raw_agent_reasoning",
    "file_opener",
    "preferred_auth_method",
    "forced_login_method",
    "chatgpt_base_url",
    "model_supports_reasoning_summaries",
    "disable_response_storage",
    "review_model",
    "windows_wsl_setup_acknowledged",
    "approvals_reviewer",
    "plugins",
    "marketplaces",
    "agents",
];

#[cfg(test)]
mod tests {
    use super::{ConfigFile, READ_KEYS};

    #[test]
    fn every_read_key_is_a_field_of_the_config_file() {
        for key in READ_KEYS {
            let mut unknown = Vec::new();
            let table: toml::Table = toml::from_str(&format!("{key} = {{}}")).unwrap_or_default();
            let _: Result<ConfigFile, _> =
                serde_ignored::deserialize(toml::Value::Table(table), |path| {
                    unknown.push(path.to_string())
                });
            assert!(unknown.is_empty(), "{key} is not read: {unknown:?}");
        }
    }
}

//! Configuration: where it comes from and what the runtime ends up using.
//!
//! Layers, lowest to highest precedence: `$CODEX_HOME/config.toml`; the selected profile
//! (`$CODEX_HOME/<name>.config.toml`, or the older `[profiles.<name>]` table); the
//! project's `.codex/config.toml` when the project is trusted; `-c key=value` overrides;
//! typed flags ([`ConfigOverrides`]). Unknown keys produce warnings, never errors.
//!
//! The process environment is passed in as an [`Env`] snapshot; nothing here reads it.

pub(crate) mod file;
mod layers;
mod provider;
mod shell_env;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use codex_protocol::{
    ApprovalPolicy, ReasoningEffort, ReasoningSummary, SandboxMode, SandboxPolicy, Verbosity,
};

use file::{ConfigFile, MultiAgentV2File, MultiAgentV2Table};
pub use file::{EnvironmentInherit, HistoryPersistence, READ_KEYS};
pub use layers::{ConfigLayer, LayerKind};
pub use provider::{ModelProviderInfo, built_in_providers};
pub use shell_env::{ShellEnvironmentPolicy, wildcard_match};

use crate::agents::{Role, load_roles};
use crate::mcp::McpServer;
use crate::mcp::config::McpServerFile;
use crate::mcp::oauth::TokenStore;
use crate::memories::MemoriesConfig;
use crate::model_info;

/// A snapshot of environment variables.
pub type Env = BTreeMap<String, String>;

/// The model used when nothing names one.
pub const DEFAULT_MODEL: &str = "gpt-5.1-codex";
/// Default cap on the size of all AGENTS.md text.
pub const DEFAULT_PROJECT_DOC_MAX_BYTES: usize = 32 * 1024;

/// Which front-end runs the session; recorded as `source` in rollouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSource {
    Exec,
    Desktop,
}

impl SessionSource {
    /// The `source` value written to `session_meta` (a value Codex itself knows).
    pub fn as_rollout_str(self) -> &'static str {
        match self {
            Self::Exec => "exec",
            Self::Desktop => "vscode",
        }
    }
}

/// Settings given on the command line or by the desktop, above every file.
#[derive(Debug, Clone, Default)]
pub struct ConfigOverrides {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub sandbox_mode: Option<SandboxMode>,
    pub approval_policy: Option<ApprovalPolicy>,
    pub profile: Option<String>,
    /// Raw `-c key=value` texts, applied in order.
    pub config_overrides: Vec<String>,
    /// More folders the agent may write in besides the working directory (`--add-dir`),
    /// added to the workspace-write sandbox's writable roots.
    pub additional_writable_roots: Vec<PathBuf>,
    /// What started the thread, recorded as the rollout's `thread_source` (the SDK's
    /// `threadSource`).
    pub thread_source: Option<String>,
}

/// Names the program driving the runtime in requests and rollouts, unless a front-end
/// says otherwise (the Codex SDK sets it).
const ORIGINATOR_OVERRIDE_VARIABLE: &str = "CODEX_INTERNAL_ORIGINATOR_OVERRIDE";
const DEFAULT_ORIGINATOR: &str = "zspark";

/// Everything the runtime needs to run sessions.
#[derive(Debug, Clone)]
pub struct Config {
    pub codex_home: PathBuf,
    pub cwd: PathBuf,
    pub model: String,
    pub model_provider_id: String,
    pub model_provider: ModelProviderInfo,
    /// Every configured provider (built-ins included), for front-ends that list them.
    pub model_providers: BTreeMap<String, ModelProviderInfo>,
    pub model_context_window: Option<u64>,
    pub model_auto_compact_token_limit: Option<u64>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: ReasoningSummary,
    pub model_verbosity: Option<Verbosity>,
    pub approval_policy: ApprovalPolicy,
    pub sandbox_policy: SandboxPolicy,
    /// Replacement for the runtime's own base instructions.
    pub base_instructions_override: Option<String>,
    pub user_instructions: Option<String>,
    pub developer_instructions: Option<String>,
    pub compact_prompt: Option<String>,
    pub project_doc_max_bytes: usize,
    pub project_doc_fallback_filenames: Vec<String>,
    pub shell_environment_policy: ShellEnvironmentPolicy,
    pub history_persistence: HistoryPersistence,
    pub history_max_bytes: Option<u64>,
    /// Whether the project (cwd's git root or cwd) is marked trusted in `[projects]`.
    pub project_trusted: bool,
    pub unified_exec: bool,
    pub apply_patch_freeform: bool,
    /// The `[mcp_servers]` that are valid, in name order; each invalid one is a warning
    /// naming it and the fix.
    pub mcp_servers: Vec<McpServer>,
    /// Where MCP OAuth tokens are kept, and the sign-in redirect defaults.
    pub mcp_oauth: McpOAuthConfig,
    /// Sub-agents: whether the model may start them, and their limits.
    pub agents: AgentsConfig,
    pub memories: MemoriesConfig,
    pub session_source: SessionSource,
    /// What started the thread, for the rollout (`--thread-source`).
    pub thread_source: Option<String>,
    /// The program driving the runtime: the `originator` header of model requests and
    /// the rollout's `originator` (`zspark`, or the front-end's name).
    pub originator: String,
    /// The environment the runtime was started with (API keys, command environment).
    pub env: Env,
}

/// Which of Codex's sub-agent tool sets the model is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiAgentVersion {
    /// `multi_agent_v1`: agents addressed by thread id.
    V1,
    /// `collaboration`: agents addressed by task path, talking through mailboxes.
    V2,
}

impl MultiAgentVersion {
    /// The version as rollouts name it (`multi_agent_version`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }
}

/// The settings of the second version's tools (`[features.multi_agent_v2]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollaborationConfig {
    /// The namespace the tools are offered in (`tool_namespace`, `collaboration`).
    pub namespace: String,
    pub default_wait_ms: u64,
    pub min_wait_ms: u64,
    pub max_wait_ms: u64,
}

impl CollaborationConfig {
    pub const DEFAULT_NAMESPACE: &'static str = "collaboration";
    pub const DEFAULT_MAX_THREADS: usize = 4;
    pub const MAX_WAIT_MS: u64 = 3_600_000;

    fn from_table(table: &MultiAgentV2Table, warnings: &mut Vec<String>) -> Self {
        let namespace = match &table.tool_namespace {
            Some(name) if valid_namespace(name) => name.clone(),
            Some(name) => {
                warnings.push(format!(
                    "features.multi_agent_v2.tool_namespace `{name}` is not 1-64 letters, digits, `_` or `-`; `collaboration` is used"
                ));
                Self::DEFAULT_NAMESPACE.to_string()
            }
            None => Self::DEFAULT_NAMESPACE.to_string(),
        };
        let max_wait_ms = table
            .max_wait_timeout_ms
            .unwrap_or(Self::MAX_WAIT_MS)
            .min(Self::MAX_WAIT_MS);
        let min_wait_ms = table.min_wait_timeout_ms.unwrap_or(10_000).min(max_wait_ms);
        Self {
            namespace,
            default_wait_ms: table
                .default_wait_timeout_ms
                .unwrap_or(30_000)
                .clamp(min_wait_ms, max_wait_ms),
            min_wait_ms,
            max_wait_ms,
        }
    }
}

fn valid_namespace(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `[agents]`, `features.multi_agent` and `features.multi_agent_v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentsConfig {
    /// Sub-agent tools are offered (`features.multi_agent` on, the default, or
    /// `features.multi_agent_v2` on).
    pub enabled: bool,
    /// Which tools: the second version's when `features.multi_agent_v2` is on.
    pub version: MultiAgentVersion,
    pub collaboration: CollaborationConfig,
    /// Sub-agents of one session tree open at once (`max_threads`, 6; under the
    /// second version its `max_concurrent_threads_per_session`, 4).
    pub max_threads: usize,
    /// How deep sub-agents nest (`max_depth`, 1: sub-agents start none of their own).
    pub max_depth: u32,
    pub default_model: Option<String>,
    pub default_effort: Option<ReasoningEffort>,
    /// The roles a sub-agent can be started as (`agent_type`).
    pub roles: Vec<Role>,
}

impl AgentsConfig {
    pub const DEFAULT_MAX_THREADS: usize = 6;
    pub const DEFAULT_MAX_DEPTH: u32 = 1;

    fn from_file(
        file: &ConfigFile,
        codex_home: &Path,
        trusted_project: Option<&Path>,
        warnings: &mut Vec<String>,
    ) -> Self {
        let agents = file.agents.clone().unwrap_or_default();
        let roles = load_roles(codex_home, &agents.other, trusted_project, warnings);
        if agents.max_threads.is_some() && agents.max_concurrent_threads_per_session.is_some() {
            warnings.push(
                "[agents] sets both max_threads and max_concurrent_threads_per_session, which are one setting; keep one (max_threads is used)".to_string(),
            );
        }
        let v2 = match &file.features.multi_agent_v2 {
            Some(MultiAgentV2File::Switch(on)) => MultiAgentV2Table {
                enabled: Some(*on),
                ..MultiAgentV2Table::default()
            },
            Some(MultiAgentV2File::Table(table)) => table.clone(),
            None => MultiAgentV2Table::default(),
        };
        let v2_on = v2.enabled.unwrap_or(matches!(
            file.features.multi_agent_v2,
            Some(MultiAgentV2File::Table(_))
        ));
        let configured_threads = agents
            .max_threads
            .or(agents.max_concurrent_threads_per_session);
        let (version, max_threads) = if v2_on {
            (
                MultiAgentVersion::V2,
                v2.max_concurrent_threads_per_session
                    .or(configured_threads)
                    .unwrap_or(CollaborationConfig::DEFAULT_MAX_THREADS),
            )
        } else {
            (
                MultiAgentVersion::V1,
                configured_threads.unwrap_or(Self::DEFAULT_MAX_THREADS),
            )
        };
        Self {
            enabled: v2_on || file.features.multi_agent.unwrap_or(true),
            version,
            collaboration: CollaborationConfig::from_table(&v2, warnings),
            max_threads,
            max_depth: agents.max_depth.unwrap_or(Self::DEFAULT_MAX_DEPTH),
            default_model: agents.default_subagent_model,
            default_effort: agents.default_subagent_reasoning_effort,
            roles,
        }
    }
}

/// The top-level `mcp_oauth_*` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOAuthConfig {
    pub tokens: TokenStore,
    pub callback_port: Option<u16>,
    pub callback_url: Option<String>,
}

impl McpOAuthConfig {
    fn from_file(codex_home: &Path, file: &ConfigFile) -> Self {
        Self {
            tokens: TokenStore::new(
                codex_home,
                file.mcp_oauth_credentials_store.unwrap_or_default(),
            ),
            callback_port: file.mcp_oauth_callback_port,
            callback_url: file.mcp_oauth_callback_url.clone(),
        }
    }
}

impl Config {
    /// The user's home directory, from the environment the runtime was given.
    pub fn home_dir(&self) -> Option<PathBuf> {
        home_from_env(&self.env)
    }

    /// Names of environment variables holding provider secrets; commands never see them.
    pub fn secret_env_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .model_providers
            .values()
            .flat_map(|provider| {
                provider
                    .env_key
                    .iter()
                    .chain(provider.env_http_headers.values())
                    .cloned()
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// A loaded configuration and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Why configuration could not be loaded. Messages name the file and the fix.
#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    Parse {
        path: PathBuf,
        message: String,
    },
    BadOverride {
        text: String,
        reason: String,
    },
    UnknownProvider {
        id: String,
        known: Vec<String>,
    },
    ProfileNotFound {
        name: String,
        codex_home: PathBuf,
    },
    NoHome,
    Invalid {
        message: String,
    },
}

/// Why `url` cannot be a provider's base URL, if it cannot.
fn url_problem(url: &str) -> Option<String> {
    match reqwest::Url::parse(url) {
        Err(error) => Some(error.to_string()),
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => Some(format!(
            "it must start with http:// or https://, not {}://",
            parsed.scheme()
        )),
        Ok(parsed) if parsed.host_str().is_none_or(str::is_empty) => {
            Some("it names no host".to_string())
        }
        Ok(_) => None,
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, error } => write!(f, "could not read {}: {error}", path.display()),
            Self::Parse { path, message } => write!(
                f,
                "{} is not valid configuration: {message}\nFix the file (nothing was changed) and try again.",
                path.display()
            ),
            Self::BadOverride { text, reason } => write!(
                f,
                "invalid override `-c {text}`: {reason}. Use -c key=value, e.g. -c model=\"gpt-5\" or -c sandbox_workspace_write.network_access=true"
            ),
            Self::UnknownProvider { id, known } => write!(
                f,
                "unknown model provider `{id}`. Known providers: {}. Add a [model_providers.{id}] table to config.toml or pick one of those.",
                known.join(", ")
            ),
            Self::ProfileNotFound { name, codex_home } => write!(
                f,
                "profile `{name}` not found: there is no {}/{name}.config.toml and no [profiles.{name}] table in config.toml",
                codex_home.display()
            ),
            Self::NoHome => write!(
                f,
                "cannot find the home directory for ~/.codex; set CODEX_HOME to the folder holding config.toml"
            ),
            Self::Invalid { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// `CODEX_HOME`, or `~/.codex`.
pub fn find_codex_home(env: &Env) -> Result<PathBuf, ConfigError> {
    if let Some(home) = env
        .get("CODEX_HOME")
        .filter(|value| !value.trim().is_empty())
    {
        return Ok(PathBuf::from(home));
    }
    let home = home_from_env(env).ok_or(ConfigError::NoHome)?;
    Ok(home.join(".codex"))
}

/// `HOME` (or `USERPROFILE` on Windows) from `env`, else the system's idea of it.
fn home_from_env(env: &Env) -> Option<PathBuf> {
    env.get("HOME")
        .or_else(|| env.get("USERPROFILE"))
        .filter(|value| !value.trim().is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
}

/// What the `zspark mcp` commands and the desktop's server settings read from the
/// layers a session in `cwd` would read: the `[mcp_servers]` entries as written (none
/// resolved or checked yet) and the `mcp_oauth_*` settings.
#[derive(Debug, Clone)]
pub struct McpSettings {
    pub servers: BTreeMap<String, McpServerFile>,
    pub oauth: McpOAuthConfig,
}

pub fn load_mcp_settings(
    codex_home: &Path,
    cwd: &Path,
    overrides: &ConfigOverrides,
) -> Result<McpSettings, ConfigError> {
    let file = merged_file(codex_home, cwd, overrides)?;
    Ok(McpSettings {
        oauth: McpOAuthConfig::from_file(codex_home, &file),
        servers: file.mcp_servers,
    })
}

/// The memory settings a session in `cwd` would use, for the desktop's Memory panel.
pub fn load_memories_config(
    codex_home: &Path,
    cwd: &Path,
    overrides: &ConfigOverrides,
) -> Result<MemoriesConfig, ConfigError> {
    let file = merged_file(codex_home, cwd, overrides)?;
    Ok(MemoriesConfig::from_file(&file, codex_home))
}

/// The layers a session in `cwd` would read, merged (warnings dropped: the callers
/// show settings, sessions report the warnings).
/// The configuration for `cwd` as layers, and merged, for front-ends that show where
/// each setting comes from.
pub fn config_layers(
    codex_home: &Path,
    cwd: &Path,
    overrides: &ConfigOverrides,
) -> Result<(toml::Table, Vec<ConfigLayer>), ConfigError> {
    let cwd = &codex_apply_patch::normalize_path(cwd);
    let mut warnings = Vec::new();
    let merged = layers::merged_config_file(codex_home, cwd, overrides, &mut warnings)?;
    Ok((merged.table, merged.layers))
}

fn merged_file(
    codex_home: &Path,
    cwd: &Path,
    overrides: &ConfigOverrides,
) -> Result<ConfigFile, ConfigError> {
    let cwd = &codex_apply_patch::normalize_path(cwd);
    let mut warnings = Vec::new();
    Ok(layers::merged_config_file(codex_home, cwd, overrides, &mut warnings)?.file)
}

/// Loads configuration for a session in `cwd`.
pub fn load_config(
    codex_home: &Path,
    cwd: &Path,
    overrides: &ConfigOverrides,
    env: Env,
    session_source: SessionSource,
) -> Result<LoadedConfig, ConfigError> {
    let cwd = &codex_apply_patch::normalize_path(cwd);
    let mut warnings = Vec::new();
    let merged = layers::merged_config_file(codex_home, cwd, overrides, &mut warnings)?;
    let layers::Merged {
        file,
        project_trusted,
        ..
    } = merged;

    let mut providers = built_in_providers(&env);
    if let Some(url) = file
        .openai_base_url
        .as_ref()
        .filter(|url| !url.trim().is_empty())
        && let Some(openai) = providers.get_mut("openai")
    {
        openai.base_url = Some(url.clone());
    }
    providers.extend(file.model_providers.clone());
    let model_provider_id = overrides
        .model_provider
        .clone()
        .or(file.model_provider.clone())
        .unwrap_or_else(|| "openai".to_string());
    let model_provider =
        providers
            .get(&model_provider_id)
            .cloned()
            .ok_or_else(|| ConfigError::UnknownProvider {
                id: model_provider_id.clone(),
                known: providers.keys().cloned().collect(),
            })?;
    match model_provider
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
    {
        None => {
            return Err(ConfigError::Invalid {
                message: format!(
                    "model provider `{model_provider_id}` has no base_url; set [model_providers.{model_provider_id}] base_url = \"https://…/v1\""
                ),
            });
        }
        Some(url) => {
            if let Some(problem) = url_problem(url) {
                return Err(ConfigError::Invalid {
                    message: format!(
                        "model provider `{model_provider_id}` has base_url `{url}`, which is not a URL ({problem}); set [model_providers.{model_provider_id}] base_url = \"https://…/v1\""
                    ),
                });
            }
        }
    }

    let model = overrides
        .model
        .clone()
        .or(file.model.clone())
        .unwrap_or_else(|| DEFAULT_MODEL.to_string());
    let sandbox_mode = overrides
        .sandbox_mode
        .or(file.sandbox_mode)
        .unwrap_or(if project_trusted {
            SandboxMode::WorkspaceWrite
        } else {
            SandboxMode::ReadOnly
        });
    let sandbox_policy = match sandbox_mode {
        SandboxMode::ReadOnly => SandboxPolicy::ReadOnly,
        SandboxMode::DangerFullAccess => SandboxPolicy::DangerFullAccess,
        SandboxMode::WorkspaceWrite => {
            let details = file.sandbox_workspace_write.clone().unwrap_or_default();
            SandboxPolicy::WorkspaceWrite {
                writable_roots: details
                    .writable_roots
                    .iter()
                    .chain(&overrides.additional_writable_roots)
                    .map(|root| cwd.join(root))
                    .collect(),
                network_access: details.network_access,
                exclude_tmpdir_env_var: details.exclude_tmpdir_env_var,
                exclude_slash_tmp: details.exclude_slash_tmp,
            }
        }
    };

    let instructions_file = file
        .model_instructions_file
        .clone()
        .or(file.experimental_instructions_file.clone());
    let base_instructions_override = match instructions_file {
        Some(path) => {
            let path = codex_home.join(path);
            Some(
                std::fs::read_to_string(&path)
                    .map_err(|error| ConfigError::Read { path, error })?,
            )
        }
        None => None,
    };

    let model_context_window = file
        .model_context_window
        .or_else(|| model_info::context_window(&model));
    let history = file.history.clone().unwrap_or_default();
    let config = Config {
        codex_home: codex_home.to_path_buf(),
        cwd: cwd.to_path_buf(),
        model_auto_compact_token_limit: file
            .model_auto_compact_token_limit
            .or_else(|| model_context_window.map(model_info::default_auto_compact_limit)),
        model_context_window,
        model,
        model_provider_id,
        model_provider,
        model_providers: providers,
        model_reasoning_effort: file.model_reasoning_effort,
        model_reasoning_summary: file
            .model_reasoning_summary
            .unwrap_or(ReasoningSummary::Auto),
        model_verbosity: file.model_verbosity,
        approval_policy: overrides
            .approval_policy
            .or(file.approval_policy)
            .unwrap_or_default(),
        sandbox_policy,
        base_instructions_override,
        user_instructions: file.instructions.clone(),
        developer_instructions: file.developer_instructions.clone(),
        compact_prompt: file.compact_prompt.clone(),
        project_doc_max_bytes: file
            .project_doc_max_bytes
            .unwrap_or(DEFAULT_PROJECT_DOC_MAX_BYTES),
        project_doc_fallback_filenames: file
            .project_doc_fallback_filenames
            .clone()
            .unwrap_or_default(),
        shell_environment_policy: ShellEnvironmentPolicy::from_file(
            file.shell_environment_policy.clone().unwrap_or_default(),
        ),
        history_persistence: history.persistence.unwrap_or_default(),
        history_max_bytes: history.max_bytes,
        project_trusted,
        unified_exec: file.features.unified_exec.unwrap_or(true),
        apply_patch_freeform: file.features.apply_patch_freeform.unwrap_or(true),
        mcp_servers: {
            let mut servers: Vec<McpServer> = file
                .mcp_servers
                .iter()
                .filter_map(|(name, entry)| {
                    entry
                        .resolve(name)
                        .map_err(|error| warnings.push(format!("{error}; the server is left out")))
                        .ok()
                })
                .collect();
            let from_plugins = crate::mcp::plugin_servers(
                codex_home,
                &file.plugins,
                &file.mcp_servers,
                &mut warnings,
            );
            servers.extend(from_plugins);
            servers
        },
        mcp_oauth: McpOAuthConfig::from_file(codex_home, &file),
        memories: MemoriesConfig::from_file(&file, codex_home),
        agents: AgentsConfig::from_file(
            &file,
            codex_home,
            project_trusted
                .then(|| crate::git::project_root(cwd))
                .as_deref(),
            &mut warnings,
        ),
        session_source,
        thread_source: overrides.thread_source.clone(),
        originator: env
            .get(ORIGINATOR_OVERRIDE_VARIABLE)
            .filter(|name| !name.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| DEFAULT_ORIGINATOR.to_string()),
        env,
    };
    Ok(LoadedConfig { config, warnings })
}

//! The memory settings: `features.memories` (its older name `memory_tool`) switches
//! memories on; `[memories]` says whether sessions use the summary and are remembered,
//! whether the model gets the dedicated memory tools, and how the background pipeline
//! picks and condenses sessions. Every key Codex accepts is accepted here; those the
//! pipeline has no use for (rate limits, service tier, usage counts) are not read.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::file::ConfigFile;

/// `[memories]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemoriesFile {
    pub generate_memories: Option<bool>,
    pub use_memories: Option<bool>,
    pub dedicated_tools: Option<bool>,
    pub extract_model: Option<String>,
    pub consolidation_model: Option<String>,
    pub consolidation_service_tier: Option<String>,
    pub max_raw_memories_for_consolidation: Option<usize>,
    pub max_rollout_age_days: Option<u32>,
    pub max_rollouts_per_startup: Option<usize>,
    pub max_unused_days: Option<u32>,
    pub min_rollout_idle_hours: Option<u32>,
    pub min_rate_limit_remaining_percent: Option<u32>,
    pub disable_on_external_context: Option<bool>,
    /// The older name of `disable_on_external_context`.
    pub no_memories_if_mcp_or_web_search: Option<bool>,
    pub dual_write: Option<bool>,
}

/// The memory settings a session runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoriesConfig {
    /// `features.memories`: off unless switched on, as in Codex.
    pub enabled: bool,
    /// `use_memories`: the summary is brought into new sessions.
    pub use_summary: bool,
    /// `generate_memories`: new sessions may be condensed into memory.
    pub generate: bool,
    /// `dedicated_tools`: the `memories` tools. On by default in zspark (Codex's users
    /// found the model ignores memory it has to reach with shell commands).
    pub dedicated_tools: bool,
    /// `$CODEX_HOME/memories_v2`.
    pub folder: PathBuf,
    /// The models condensing sessions (`extract_model`) and consolidating them
    /// (`consolidation_model`); the session's model when unset.
    pub extract_model: Option<String>,
    pub consolidation_model: Option<String>,
    /// Sessions older than this are not condensed (`max_rollout_age_days`, 10).
    pub max_rollout_age_days: u32,
    /// Sessions condensed per pass at most (`max_rollouts_per_startup`, 2).
    pub max_rollouts_per_pass: usize,
    /// A session must have been idle this long (`min_rollout_idle_hours`, 6).
    pub min_rollout_idle_hours: u32,
}

impl MemoriesConfig {
    pub fn from_file(file: &ConfigFile, codex_home: &Path) -> Self {
        let memories = file.memories.clone().unwrap_or_default();
        Self {
            enabled: file
                .features
                .memories
                .or(file.features.memory_tool)
                .unwrap_or(false),
            use_summary: memories.use_memories.unwrap_or(true),
            generate: memories.generate_memories.unwrap_or(true),
            dedicated_tools: memories.dedicated_tools.unwrap_or(true),
            folder: codex_home.join(super::FOLDER),
            extract_model: memories.extract_model,
            consolidation_model: memories.consolidation_model,
            max_rollout_age_days: memories.max_rollout_age_days.unwrap_or(10),
            max_rollouts_per_pass: memories.max_rollouts_per_startup.unwrap_or(2).clamp(1, 128),
            min_rollout_idle_hours: memories.min_rollout_idle_hours.unwrap_or(6),
        }
    }

    /// Whether sessions are condensed into memory in the background.
    pub fn generates(&self) -> bool {
        self.enabled && self.generate
    }

    /// Whether sessions get the summary.
    pub fn injects(&self) -> bool {
        self.enabled && self.use_summary
    }
}

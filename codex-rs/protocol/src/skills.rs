//! Skills as the runtime reports them to front-ends.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a skill was found; nearer scopes win when names clash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillScope {
    /// `.codex/skills` or `.agents/skills` between the working directory and the
    /// repository root.
    Repo,
    /// `$CODEX_HOME/skills` or `~/.agents/skills`.
    User,
    /// The `skills` folder of a plugin installed under `$CODEX_HOME/plugins`.
    Plugin,
    /// `$CODEX_HOME/skills/.system`.
    System,
    /// `/etc/codex/skills`.
    Admin,
}

/// A usable skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillInfo {
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
    /// The skill's SKILL.md.
    pub path: PathBuf,
    pub scope: SkillScope,
    /// From `agents/openai.yaml`: a name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// From `agents/openai.yaml`: the prompt a front-end offers for "use this skill".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_prompt: Option<String>,
    /// Whether the model is told about the skill on its own; `false` means it is used
    /// only when the user names it (`policy.allow_implicit_invocation`).
    #[serde(default = "default_true")]
    pub implicit: bool,
}

fn default_true() -> bool {
    true
}

/// An installed plugin (a folder with `.codex-plugin/plugin.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The plugin's folder.
    pub path: PathBuf,
}

/// A SKILL.md that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillError {
    pub path: PathBuf,
    pub message: String,
}

//! Skills: folders with a `SKILL.md` whose YAML front matter names and describes them.
//!
//! Discovery searches, nearest scope first: `.codex/skills` and `.agents/skills` in each
//! directory from the working directory up to the repository root (repo), then
//! `$CODEX_HOME/skills` and `~/.agents/skills` (user), the skills of installed plugins
//! (plugin, see [`super::plugins`]), `$CODEX_HOME/skills/.system` (system) and
//! `/etc/codex/skills` (admin). Hidden entries and symlinks are skipped.
//! A malformed file becomes an error entry, never a failure; when two skills share a
//! name the nearer one wins and the clash is reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use codex_protocol::{PluginInfo, ResponseItem, SkillError, SkillInfo, SkillScope};

use super::plugins::discover_plugins;
use serde::Deserialize;

const SKILL_FILE: &str = "SKILL.md";
const MAX_NAME: usize = 64;
const MAX_DESCRIPTION: usize = 1024;
const MAX_SHORT_DESCRIPTION: usize = 500;
/// SKILL.md files larger than this are not read.
const MAX_SKILL_FILE_BYTES: u64 = 1024 * 1024;
/// How deep below a root a SKILL.md may sit.
const MAX_DEPTH: usize = 6;

/// Everything discovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillCatalog {
    pub skills: Vec<SkillInfo>,
    pub errors: Vec<SkillError>,
    /// The installed plugins (their skills are among `skills`).
    pub plugins: Vec<PluginInfo>,
}

/// Where to look, and the plugins found on the way.
#[derive(Debug, Clone, Default)]
pub struct SkillRoots {
    pub roots: Vec<(PathBuf, SkillScope)>,
    pub plugins: Vec<PluginInfo>,
    /// Plugin manifests that could not be used.
    pub plugin_errors: Vec<SkillError>,
}

impl SkillRoots {
    /// The standard roots for a session in `cwd`, nearest first.
    pub fn standard(codex_home: &Path, home: Option<&Path>, cwd: &Path) -> Self {
        let mut roots = Vec::new();
        let project_root = crate::git::project_root(cwd);
        for dir in cwd.ancestors() {
            roots.push((dir.join(".codex").join("skills"), SkillScope::Repo));
            roots.push((dir.join(".agents").join("skills"), SkillScope::Repo));
            if dir == project_root {
                break;
            }
        }
        roots.push((codex_home.join("skills"), SkillScope::User));
        if let Some(home) = home {
            roots.push((home.join(".agents").join("skills"), SkillScope::User));
        }
        let (found, plugin_errors) = discover_plugins(codex_home);
        let mut plugins = Vec::new();
        for plugin in found {
            roots.extend(
                plugin
                    .skill_dirs
                    .into_iter()
                    .map(|dir| (dir, SkillScope::Plugin)),
            );
            plugins.push(plugin.info);
        }
        roots.push((
            codex_home.join("skills").join(".system"),
            SkillScope::System,
        ));
        roots.push((PathBuf::from("/etc/codex/skills"), SkillScope::Admin));
        Self {
            roots,
            plugins,
            plugin_errors,
        }
    }
}

/// Finds and validates every skill under `roots`.
pub fn discover_skills(roots: &SkillRoots) -> SkillCatalog {
    let mut catalog = SkillCatalog {
        plugins: roots.plugins.clone(),
        errors: roots.plugin_errors.clone(),
        ..SkillCatalog::default()
    };
    let mut seen_names: Vec<(String, PathBuf)> = Vec::new();
    let mut seen_files: HashSet<PathBuf> = HashSet::new();
    for (root, scope) in &roots.roots {
        let mut files = Vec::new();
        collect_skill_files(root, 0, &mut files);
        files.sort();
        for file in files {
            if !seen_files.insert(file.clone()) {
                continue;
            }
            match parse_skill_file(&file, *scope) {
                Ok(mut skill) => {
                    match agent_metadata(&file) {
                        Ok(metadata) => apply_agent_metadata(&mut skill, metadata),
                        Err(message) => catalog.errors.push(SkillError {
                            path: file.clone(),
                            message,
                        }),
                    }
                    if let Some((_, winner)) =
                        seen_names.iter().find(|(name, _)| *name == skill.name)
                    {
                        catalog.errors.push(SkillError {
                            path: file,
                            message: format!(
                                "skill `{}` is also defined in {}, which takes precedence; this one is not used",
                                skill.name,
                                winner.display()
                            ),
                        });
                        continue;
                    }
                    seen_names.push((skill.name.clone(), file));
                    catalog.skills.push(skill);
                }
                Err(error) => catalog.errors.push(SkillError {
                    path: file,
                    message: error.to_string(),
                }),
            }
        }
    }
    catalog
}

fn collect_skill_files(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            collect_skill_files(&entry.path(), depth + 1, files);
        } else if kind.is_file() && name == SKILL_FILE {
            files.push(entry.path());
        }
    }
}

#[derive(Debug, Deserialize)]
struct FrontMatter {
    name: Option<String>,
    description: Option<String>,
    metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(
        rename = "short-description",
        alias = "shortDescription",
        alias = "short_description"
    )]
    short_description: Option<String>,
}

/// `agents/openai.yaml` beside a SKILL.md: optional presentation and policy.
#[derive(Debug, Default, Deserialize)]
struct AgentMetadata {
    #[serde(default)]
    interface: Interface,
    #[serde(default)]
    policy: Policy,
}

#[derive(Debug, Default, Deserialize)]
struct Interface {
    display_name: Option<String>,
    short_description: Option<String>,
    default_prompt: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Policy {
    allow_implicit_invocation: Option<bool>,
}

/// Reads `agents/openai.yaml` next to `skill_file`, if there is one. A broken file is
/// reported and the skill is used without it.
fn agent_metadata(skill_file: &Path) -> Result<AgentMetadata, String> {
    let path = skill_file.with_file_name("agents").join("openai.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(AgentMetadata::default());
    };
    serde_saphyr::from_str(&text).map_err(|error| {
        format!(
            "{} is not valid YAML ({}); the skill is used without it",
            path.display(),
            one_line(&error.to_string())
        )
    })
}

fn apply_agent_metadata(skill: &mut SkillInfo, metadata: AgentMetadata) {
    let AgentMetadata { interface, policy } = metadata;
    skill.display_name = interface.display_name.map(|name| one_line(&name));
    skill.default_prompt = interface.default_prompt;
    if skill.short_description.is_none() {
        skill.short_description = interface.short_description.map(|text| one_line(&text));
    }
    skill.implicit = policy.allow_implicit_invocation.unwrap_or(true);
}

/// What is wrong with a SKILL.md, saying what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkillFileError {
    #[error("cannot read it: {0}")]
    Unreadable(String),
    #[error("the file is {0} bytes; SKILL.md files over {MAX_SKILL_FILE_BYTES} bytes are not read")]
    TooLarge(u64),
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("missing front matter: the file must start with a `---` line")]
    NoFrontMatter,
    #[error("the front matter is not closed by a `---` line")]
    UnclosedFrontMatter,
    #[error("the front matter is not valid YAML: {0}")]
    Yaml(String),
    #[error("the front matter has no `{0}`")]
    Missing(&'static str),
    #[error("`{field}` is {length} characters; at most {max} are allowed")]
    TooLong {
        field: &'static str,
        length: usize,
        max: usize,
    },
}

/// Reads and validates one SKILL.md; the error says what to fix.
pub fn parse_skill_file(path: &Path, scope: SkillScope) -> Result<SkillInfo, SkillFileError> {
    let unreadable = |error: std::io::Error| SkillFileError::Unreadable(error.to_string());
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_SKILL_FILE_BYTES {
        return Err(SkillFileError::TooLarge(size));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let text = String::from_utf8(bytes).map_err(|_| SkillFileError::NotUtf8)?;
    let yaml = front_matter(&text)?;
    let front: FrontMatter = serde_saphyr::from_str(yaml)
        .map_err(|error| SkillFileError::Yaml(one_line(&error.to_string())))?;
    let name = required(front.name, "name", MAX_NAME)?;
    let description = required(front.description, "description", MAX_DESCRIPTION)?;
    let short_description = match front
        .metadata
        .and_then(|metadata| metadata.short_description)
    {
        Some(text) => Some(limited(
            one_line(&text),
            "metadata.short-description",
            MAX_SHORT_DESCRIPTION,
        )?),
        None => None,
    };
    Ok(SkillInfo {
        name,
        description,
        short_description,
        path: path.to_path_buf(),
        scope,
        display_name: None,
        default_prompt: None,
        implicit: true,
    })
}

/// The YAML between the opening and closing `---` lines.
fn front_matter(text: &str) -> Result<&str, SkillFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or(SkillFileError::NoFrontMatter)?;
    if rest.starts_with("---") {
        return Ok("");
    }
    let end = rest
        .match_indices("\n---")
        .find(|(index, _)| {
            let after = &rest[index + 4..];
            after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n")
        })
        .map(|(index, _)| index)
        .ok_or(SkillFileError::UnclosedFrontMatter)?;
    Ok(&rest[..end])
}

fn required(
    value: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<String, SkillFileError> {
    let value = value
        .map(|value| one_line(&value))
        .filter(|value| !value.is_empty())
        .ok_or(SkillFileError::Missing(field))?;
    limited(value, field, max)
}

fn limited(value: String, field: &'static str, max: usize) -> Result<String, SkillFileError> {
    let length = value.chars().count();
    if length > max {
        return Err(SkillFileError::TooLong { field, length, max });
    }
    Ok(value)
}

/// Whitespace runs (newlines included) collapsed to single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The developer message listing the skills the model may pick by itself (those with
/// `allow_implicit_invocation: false` are left to the user), sent at the start of a
/// session.
pub fn skills_message(skills: &[SkillInfo]) -> Option<ResponseItem> {
    let skills: Vec<&SkillInfo> = skills.iter().filter(|skill| skill.implicit).collect();
    if skills.is_empty() {
        return None;
    }
    let mut text = String::from(
        "<skills_instructions>\n## Skills\nSkills are folders of instructions (and sometimes scripts or templates) for particular kinds of work. These are installed:\n",
    );
    for skill in &skills {
        text.push_str(&format!(
            "- {}: {} (file: {})\n",
            skill.name,
            skill.description,
            skill.path.display()
        ));
    }
    text.push_str(
        "\nUsing them:\n\
         - When the user names a skill, or the task plainly matches a skill's description, open that SKILL.md with your tools before you start, and follow it.\n\
         - Read only as much as the task needs: start with SKILL.md, then open the files it points to when you need them. Paths in a skill are relative to its folder.\n\
         - Prefer a skill's own scripts and templates over writing your own.\n\
         - If a skill does not fit the task after all, say so briefly and carry on without it.\n\
         </skills_instructions>",
    );
    Some(ResponseItem::developer_text(text))
}

/// A skill the user picked could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the skill `{name}` could not be read from {}: {source}", path.display())]
pub struct SkillReadError {
    pub name: String,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The text added to a user message when the user picks a skill explicitly.
pub fn explicit_skill_text(name: &str, path: &Path) -> Result<String, SkillReadError> {
    let contents = std::fs::read_to_string(path).map_err(|source| SkillReadError {
        name: name.to_string(),
        path: path.to_path_buf(),
        source,
    })?;
    Ok(format!(
        "<skill>\n<name>{name}</name>\n<path>{}</path>\n{contents}\n</skill>",
        path.display()
    ))
}

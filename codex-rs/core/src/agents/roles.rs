//! Sub-agent roles (`agent_type`), as Codex knows them: the built-in `default`,
//! `explorer` and `worker`; `[agents.<role>]` tables of `config.toml` (`description`,
//! `config_file`, `nickname_candidates`); and role files, `agents/*.toml` in
//! `CODEX_HOME` and (in a trusted project) in the project's `.codex/` (`name`,
//! `description`, `model`, `model_reasoning_effort`, `sandbox_mode`,
//! `developer_instructions`, `nickname_candidates`). A role file that cannot be read is
//! a warning naming it; the others still load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_protocol::{ReasoningEffort, SandboxMode};
use serde::Deserialize;

/// One role a sub-agent can be started as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub description: String,
    /// A model the role pins (the spawn cannot change it).
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
    pub sandbox_mode: Option<SandboxMode>,
    pub developer_instructions: Option<String>,
    pub nickname_candidates: Vec<String>,
    /// Defined by the user (not one of the built-in three).
    pub user_defined: bool,
}

impl Role {
    fn builtin(name: &str, description: &str) -> Self {
        Self {
            name: name.to_string(),
            description: description.to_string(),
            model: None,
            effort: None,
            sandbox_mode: None,
            developer_instructions: None,
            nickname_candidates: Vec::new(),
            user_defined: false,
        }
    }

    /// How the role is described to the model: its description, and what it fixes.
    pub fn summary(&self) -> String {
        let mut fixed = Vec::new();
        if let Some(model) = &self.model {
            fixed.push(format!("model {model}"));
        }
        if let Some(effort) = self.effort {
            fixed.push(format!("effort {}", effort_name(effort)));
        }
        if fixed.is_empty() {
            format!("{}: {}", self.name, self.description)
        } else {
            format!(
                "{}: {} (fixed: {})",
                self.name,
                self.description,
                fixed.join(", ")
            )
        }
    }
}

fn effort_name(effort: ReasoningEffort) -> String {
    serde_json::to_value(effort)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The keys of a role file, and of the config layer a `[agents.<role>]` names.
#[derive(Debug, Default, Deserialize)]
struct RoleFile {
    name: Option<String>,
    description: Option<String>,
    model: Option<String>,
    model_reasoning_effort: Option<ReasoningEffort>,
    sandbox_mode: Option<SandboxMode>,
    developer_instructions: Option<String>,
    #[serde(default)]
    nickname_candidates: Vec<String>,
}

/// A `[agents.<role>]` table.
#[derive(Debug, Default, Deserialize)]
struct RoleTable {
    description: Option<String>,
    config_file: Option<PathBuf>,
    #[serde(default)]
    nickname_candidates: Vec<String>,
}

/// Every role: the built-in ones, then `[agents.<role>]` tables (from `tables`, the
/// `[agents]` entries that are tables), then role files of `CODEX_HOME` and of the
/// project (`project_dir`, given when the project is trusted). A later role of the
/// same name replaces an earlier one.
pub fn load_roles(
    codex_home: &Path,
    tables: &BTreeMap<String, toml::Value>,
    project_dir: Option<&Path>,
    warnings: &mut Vec<String>,
) -> Vec<Role> {
    let mut roles = vec![
        Role::builtin("default", "a general agent, like you"),
        Role::builtin(
            "explorer",
            "answers specific questions about the code base quickly, without changing it",
        ),
        Role::builtin("worker", "carries out an implementation task"),
    ];
    let mut add = |role: Role| {
        roles.retain(|known| known.name != role.name);
        roles.push(role);
    };
    for (name, value) in tables {
        let Some(table) = value.as_table() else {
            continue;
        };
        let table: RoleTable = match table.clone().try_into() {
            Ok(table) => table,
            Err(error) => {
                warnings.push(format!("[agents.{name}]: {error}; the role is left out"));
                continue;
            }
        };
        let layer = match &table.config_file {
            Some(path) => {
                let path = if path.is_absolute() {
                    path.clone()
                } else {
                    codex_home.join(path)
                };
                match read_role_file(&path) {
                    Ok(layer) => layer,
                    Err(problem) => {
                        warnings.push(format!(
                            "[agents.{name}] config_file: {problem}; the role is left out"
                        ));
                        continue;
                    }
                }
            }
            None => RoleFile::default(),
        };
        add(role_from(
            name,
            table.description.or(layer.description.clone()),
            layer,
            table.nickname_candidates,
        ));
    }
    let dirs = std::iter::once(codex_home.join("agents"))
        .chain(project_dir.map(|dir| dir.join(".codex").join("agents")));
    for dir in dirs {
        for path in toml_files(&dir) {
            match read_role_file(&path) {
                Ok(file) => {
                    let stem = path
                        .file_stem()
                        .map(|stem| stem.to_string_lossy().to_string())
                        .unwrap_or_default();
                    let name = file.name.clone().unwrap_or(stem);
                    let description = file.description.clone();
                    let nicknames = file.nickname_candidates.clone();
                    add(role_from(&name, description, file, nicknames));
                }
                Err(problem) => warnings.push(format!("{problem}; the role is left out")),
            }
        }
    }
    roles
}

fn role_from(
    name: &str,
    description: Option<String>,
    file: RoleFile,
    nickname_candidates: Vec<String>,
) -> Role {
    Role {
        name: name.to_string(),
        description: description.unwrap_or_else(|| format!("the {name} role")),
        model: file.model,
        effort: file.model_reasoning_effort,
        sandbox_mode: file.sandbox_mode,
        developer_instructions: file.developer_instructions,
        nickname_candidates: if nickname_candidates.is_empty() {
            file.nickname_candidates
        } else {
            nickname_candidates
        },
        user_defined: true,
    }
}

fn read_role_file(path: &Path) -> Result<RoleFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    toml::from_str(&text).map_err(|error| {
        format!(
            "{} is not a valid role file ({})",
            path.display(),
            error.message()
        )
    })
}

/// The `.toml` files of `dir`, by name; none when it does not exist.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml") && path.is_file())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_come_from_tables_and_files_and_a_broken_file_is_named() {
        let home = tempfile::tempdir().unwrap();
        let agents = home.path().join("agents");
        std::fs::create_dir_all(&agents).unwrap();
        std::fs::write(
            agents.join("reviewer.toml"),
            "name = \"reviewer\"\ndescription = \"Reviews diffs\"\nmodel = \"small-model\"\nmodel_reasoning_effort = \"low\"\nsandbox_mode = \"read-only\"\nnickname_candidates = [\"Rev\"]\n",
        )
        .unwrap();
        std::fs::write(agents.join("broken.toml"), "name = [").unwrap();
        std::fs::write(home.path().join("tester.toml"), "model = \"test-model\"\n").unwrap();
        let tables: BTreeMap<String, toml::Value> = toml::from_str(
            "max_threads = 3\n[tester]\ndescription = \"Writes tests\"\nconfig_file = \"tester.toml\"\n",
        )
        .unwrap();
        let mut warnings = Vec::new();
        let roles = load_roles(home.path(), &tables, None, &mut warnings);
        let names: Vec<&str> = roles.iter().map(|role| role.name.as_str()).collect();
        assert_eq!(
            names,
            ["default", "explorer", "worker", "tester", "reviewer"]
        );
        let reviewer = &roles[4];
        assert_eq!(reviewer.model.as_deref(), Some("small-model"));
        assert_eq!(reviewer.sandbox_mode, Some(SandboxMode::ReadOnly));
        assert_eq!(reviewer.nickname_candidates, ["Rev"]);
        assert_eq!(
            reviewer.summary(),
            "reviewer: Reviews diffs (fixed: model small-model, effort low)"
        );
        assert_eq!(
            roles[3].model.as_deref(),
            Some("test-model"),
            "from its config_file"
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("broken.toml"), "{warnings:?}");
    }
}

//! Reading the configuration layers and merging them into one [`ConfigFile`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::file::{ACCEPTED_KEYS, ConfigFile};
use super::{ConfigError, ConfigOverrides};
use crate::git;

/// The merged configuration and what was learnt while merging.
pub struct Merged {
    pub file: ConfigFile,
    pub project_trusted: bool,
    /// The merged table, before it was read as a [`ConfigFile`].
    pub table: toml::Table,
    /// Each layer that went into it, lowest first.
    pub layers: Vec<ConfigLayer>,
}

/// Where one layer of the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKind {
    /// `$CODEX_HOME/config.toml`.
    User,
    /// A profile: `[profiles.<name>]` of the user's file, or `<name>.config.toml`.
    Profile(String),
    /// A trusted project's `.codex/config.toml`.
    Project,
    /// `-c key=value` overrides (and what a front-end sets the same way).
    SessionFlags,
}

/// One layer of the configuration, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigLayer {
    pub kind: LayerKind,
    /// The file it was read from, or what it is (`-c overrides`, `[profiles.x]`).
    pub source: String,
    pub table: toml::Table,
}

/// One source of settings.
struct Layer {
    /// Shown in warnings and errors: a file path or "-c overrides".
    source: String,
    table: toml::Table,
}

pub fn merged_config_file(
    codex_home: &Path,
    cwd: &Path,
    overrides: &ConfigOverrides,
    warnings: &mut Vec<String>,
) -> Result<Merged, ConfigError> {
    let user = read_layer(&codex_home.join("config.toml"), warnings)?;
    let cli = override_layer(&overrides.config_overrides)?;
    check_layer(&cli, warnings)?;

    let profile_name = overrides
        .profile
        .clone()
        .or_else(|| string_at(&cli.table, "profile"))
        .or_else(|| {
            user.as_ref()
                .and_then(|layer| string_at(&layer.table, "profile"))
        });
    let profile = match &profile_name {
        Some(name) => Some(profile_layer(codex_home, name, user.as_ref(), warnings)?),
        None => None,
    };

    // Trust is decided by the user's own settings, never by the project's.
    let mut trust_source = user
        .as_ref()
        .map(|layer| layer.table.clone())
        .unwrap_or_default();
    merge(&mut trust_source, cli.table.clone());
    let project_trusted = is_trusted(&trust_source, cwd);
    let mut project_layers = Vec::new();
    let user_file = codex_home.join("config.toml");
    for path in project_config_paths(cwd) {
        // In the home folder, `~/.codex/config.toml` is the user's file, read above.
        if !path.is_file() || same_file(&path, &user_file) {
            continue;
        }
        if project_trusted {
            project_layers.extend(read_layer(&path, warnings)?);
        } else {
            warnings.push(format!(
                "{} was ignored because this project is not trusted. Trust it with [projects.\"{}\"] trust_level = \"trusted\" in config.toml.",
                path.display(),
                git::project_root(cwd).display()
            ));
        }
    }

    let mut merged = toml::Table::new();
    let mut layers = Vec::new();
    let ordered = user
        .map(|layer| (LayerKind::User, layer))
        .into_iter()
        .chain(
            profile
                .zip(profile_name)
                .map(|(layer, name)| (LayerKind::Profile(name), layer)),
        )
        .chain(
            project_layers
                .into_iter()
                .map(|layer| (LayerKind::Project, layer)),
        )
        .chain([(LayerKind::SessionFlags, cli)]);
    for (kind, layer) in ordered {
        merge(&mut merged, layer.table.clone());
        layers.push(ConfigLayer {
            kind,
            source: layer.source,
            table: layer.table,
        });
    }
    let file = ConfigFile::deserialize(toml::Value::Table(merged.clone())).map_err(|error| {
        ConfigError::Parse {
            path: PathBuf::from("the merged configuration"),
            message: error.to_string(),
        }
    })?;
    Ok(Merged {
        file,
        project_trusted,
        table: merged,
        layers,
    })
}

/// A config file as a layer; `None` when it does not exist.
fn read_layer(path: &Path, warnings: &mut Vec<String>) -> Result<Option<Layer>, ConfigError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| ConfigError::Parse {
            path: path.to_path_buf(),
            message: "the file is not UTF-8 text".to_string(),
        })?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                error,
            });
        }
    };
    let parse_error = |error: toml::de::Error| ConfigError::Parse {
        path: path.to_path_buf(),
        message: error.to_string().trim().to_string(),
    };
    let table: toml::Table = toml::from_str(&text).map_err(parse_error)?;
    // Type errors are found on the text itself so the message carries a line number.
    let mut unknown = Vec::new();
    let deserializer = toml::Deserializer::parse(&text).map_err(parse_error)?;
    serde_ignored::deserialize(deserializer, |key| unknown.push(key.to_string()))
        .map(|_: ConfigFile| ())
        .map_err(parse_error)?;
    warnings.extend(unknown_key_warnings(&path.display().to_string(), unknown));
    Ok(Some(Layer {
        source: path.display().to_string(),
        table,
    }))
}

/// Type-checks a layer that did not come from a file, collecting unknown-key warnings.
fn check_layer(layer: &Layer, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
    let mut unknown = Vec::new();
    serde_ignored::deserialize(toml::Value::Table(layer.table.clone()), |key| {
        unknown.push(key.to_string())
    })
    .map(|_: ConfigFile| ())
    .map_err(|error| ConfigError::Parse {
        path: PathBuf::from(&layer.source),
        message: error.to_string(),
    })?;
    warnings.extend(unknown_key_warnings(&layer.source, unknown));
    Ok(())
}

fn unknown_key_warnings(source: &str, keys: Vec<String>) -> impl Iterator<Item = String> + '_ {
    keys.into_iter()
        .filter(|key| {
            let top = key.split('.').next().unwrap_or(key);
            !ACCEPTED_KEYS.contains(&top)
        })
        .map(move |key| format!("unknown configuration key `{key}` in {source} (ignored)"))
}

/// `-c key=value` texts as one layer. The value is TOML; if it does not parse it is
/// taken as a string, so `-c model=gpt-5` works without quotes.
fn override_layer(texts: &[String]) -> Result<Layer, ConfigError> {
    let mut table = toml::Table::new();
    for text in texts {
        let Some((key, value)) = text.split_once('=') else {
            return Err(ConfigError::BadOverride {
                text: text.clone(),
                reason: "there is no `=`".to_string(),
            });
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            return Err(ConfigError::BadOverride {
                text: text.clone(),
                reason: "the key is empty".to_string(),
            });
        }
        let as_toml = toml::from_str::<toml::Table>(&format!("{key} = {value}"));
        let parsed = match as_toml {
            Ok(parsed) => parsed,
            Err(_) => {
                let quoted = toml::Value::String(value.to_string()).to_string();
                toml::from_str::<toml::Table>(&format!("{key} = {quoted}")).map_err(|error| {
                    ConfigError::BadOverride {
                        text: text.clone(),
                        reason: error.message().to_string(),
                    }
                })?
            }
        };
        merge(&mut table, parsed);
    }
    Ok(Layer {
        source: "-c overrides".to_string(),
        table,
    })
}

/// The profile `name`: `$CODEX_HOME/<name>.config.toml` (current Codex) or the
/// `[profiles.<name>]` table (older Codex).
fn profile_layer(
    codex_home: &Path,
    name: &str,
    user: Option<&Layer>,
    warnings: &mut Vec<String>,
) -> Result<Layer, ConfigError> {
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if valid_name
        && let Some(layer) = read_layer(&codex_home.join(format!("{name}.config.toml")), warnings)?
    {
        return Ok(layer);
    }
    let table = user
        .and_then(|layer| layer.table.get("profiles"))
        .and_then(toml::Value::as_table)
        .and_then(|profiles| profiles.get(name))
        .and_then(toml::Value::as_table)
        .cloned()
        .ok_or_else(|| ConfigError::ProfileNotFound {
            name: name.to_string(),
            codex_home: codex_home.to_path_buf(),
        })?;
    let layer = Layer {
        source: format!("[profiles.{name}]"),
        table,
    };
    check_layer(&layer, warnings)?;
    Ok(layer)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `.codex/config.toml` in each directory from the project root down to `cwd`
/// (deeper files take precedence).
fn project_config_paths(cwd: &Path) -> Vec<PathBuf> {
    git::dirs_from_root_to(cwd)
        .into_iter()
        .map(|dir| dir.join(".codex").join("config.toml"))
        .collect()
}

fn is_trusted(table: &toml::Table, cwd: &Path) -> bool {
    let Some(projects) = table.get("projects").and_then(toml::Value::as_table) else {
        return false;
    };
    let root = git::project_root(cwd);
    [cwd, root.as_path()].iter().any(|dir| {
        projects
            .get(&dir.display().to_string())
            .and_then(|project| project.get("trust_level"))
            .and_then(toml::Value::as_str)
            == Some("trusted")
    })
}

fn string_at(table: &toml::Table, key: &str) -> Option<String> {
    table
        .get(key)
        .and_then(toml::Value::as_str)
        .map(str::to_string)
}

/// Merges `overlay` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(incoming)) => {
                merge(existing, incoming)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

//! `config/read`: the effective configuration (every key the runtime reads, `null`
//! when unset), where each setting comes from, and, when asked, each layer with what
//! it sets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_core::ConfigOverrides;
use codex_core::config::{ConfigLayer, LayerKind, READ_KEYS, config_layers};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::protocol::requests::{ConfigLayerName, ConfigLayerView, ConfigOrigin, ConfigReadResult};

/// The answer to `config/read` for `cwd`.
pub fn read_config(
    codex_home: &Path,
    cwd: &Path,
    include_layers: bool,
) -> Result<ConfigReadResult, codex_core::ConfigError> {
    let (merged, layers) = config_layers(codex_home, cwd, &ConfigOverrides::default())?;
    let mut config = serde_json::Map::new();
    for key in READ_KEYS {
        config.insert((*key).to_string(), Value::Null);
    }
    if let Ok(Value::Object(set)) = serde_json::to_value(&merged) {
        config.extend(set);
    }
    let user_file = codex_home.join("config.toml");
    let mut origins = BTreeMap::new();
    let mut views = Vec::new();
    for layer in &layers {
        let name = layer_name(layer, &user_file);
        let version = version_of(&layer.table);
        let mut keys = Vec::new();
        dotted_keys(&layer.table, "", &mut keys);
        for key in keys {
            origins.insert(
                key,
                ConfigOrigin {
                    name: name.clone(),
                    version: version.clone(),
                },
            );
        }
        views.push(ConfigLayerView {
            name,
            version,
            config: serde_json::to_value(&layer.table).unwrap_or(Value::Null),
        });
    }
    Ok(ConfigReadResult {
        config: Value::Object(config),
        origins,
        layers: include_layers.then_some(views),
    })
}

fn layer_name(layer: &ConfigLayer, user_file: &Path) -> ConfigLayerName {
    let (kind, file, profile) = match &layer.kind {
        LayerKind::User => ("user", Some(PathBuf::from(&layer.source)), None),
        LayerKind::Profile(name) => {
            let file = Some(PathBuf::from(&layer.source))
                .filter(|path| path.is_file())
                .unwrap_or_else(|| user_file.to_path_buf());
            ("user", Some(file), Some(name.clone()))
        }
        LayerKind::Project => ("project", Some(PathBuf::from(&layer.source)), None),
        LayerKind::SessionFlags => ("sessionFlags", None, None),
    };
    ConfigLayerName {
        kind: kind.to_string(),
        file,
        profile,
    }
}

/// `sha256:<hex>` of a layer's settings.
fn version_of(table: &toml::Table) -> String {
    let digest = Sha256::digest(table.to_string().as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// Every key a table sets, dotted (`sandbox_workspace_write.network_access`).
fn dotted_keys(table: &toml::Table, prefix: &str, keys: &mut Vec<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => dotted_keys(inner, &path, keys),
            _ => keys.push(path),
        }
    }
}

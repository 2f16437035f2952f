//! Plugins: folders holding `.codex-plugin/plugin.json`, installed under
//! `$CODEX_HOME/plugins/` (at any depth: marketplaces keep them in folders of their
//! own). A plugin contributes the skills in its `skills` folder (or the folders its
//! manifest names there), found with the scope `plugin`. A manifest that cannot be read
//! is reported with what is wrong, and the plugin is left out; nothing fails.

use std::path::{Path, PathBuf};

use codex_protocol::{PluginInfo, SkillError};
use serde::Deserialize;

const MANIFEST: &str = ".codex-plugin/plugin.json";
/// How deep below `$CODEX_HOME/plugins` a plugin may sit.
const MAX_DEPTH: usize = 5;
const MAX_MANIFEST_BYTES: u64 = 256 * 1024;

/// A plugin found on disk, with the folders its skills are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPlugin {
    pub info: PluginInfo,
    pub skill_dirs: Vec<PathBuf>,
}

/// Every plugin under `$CODEX_HOME/plugins`, sorted by path, and the manifests that
/// could not be used.
pub fn discover_plugins(codex_home: &Path) -> (Vec<FoundPlugin>, Vec<SkillError>) {
    let mut roots = Vec::new();
    collect_plugin_roots(&codex_home.join("plugins"), 0, &mut roots);
    roots.sort();
    let mut plugins = Vec::new();
    let mut errors = Vec::new();
    for root in roots {
        match read_plugin(&root) {
            Ok(plugin) => plugins.push(plugin),
            Err(message) => errors.push(SkillError {
                path: root.join(MANIFEST),
                message,
            }),
        }
    }
    (plugins, errors)
}

fn collect_plugin_roots(dir: &Path, depth: usize, roots: &mut Vec<PathBuf>) {
    if dir.join(MANIFEST).is_file() {
        roots.push(dir.to_path_buf());
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            collect_plugin_roots(&entry.path(), depth + 1, roots);
        }
    }
}

#[derive(Debug, Deserialize)]
struct Manifest {
    name: String,
    version: Option<String>,
    description: Option<String>,
    skills: Option<SkillPaths>,
}

/// `"skills": "./skills"` or a list of such paths.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SkillPaths {
    One(String),
    Many(Vec<String>),
}

fn read_plugin(root: &Path) -> Result<FoundPlugin, String> {
    let path = root.join(MANIFEST);
    let size = std::fs::metadata(&path)
        .map_err(|error| format!("cannot read it: {error}"))?
        .len();
    if size > MAX_MANIFEST_BYTES {
        return Err(format!(
            "the manifest is {size} bytes; at most {MAX_MANIFEST_BYTES} are read"
        ));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|error| format!("cannot read it: {error}"))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|error| format!("plugin.json is not a valid manifest: {error}"))?;
    let name = manifest.name.trim().to_string();
    if name.is_empty() {
        return Err("plugin.json has an empty `name`".to_string());
    }
    let listed = match manifest.skills {
        None => vec!["skills".to_string()],
        Some(SkillPaths::One(path)) => vec![path],
        Some(SkillPaths::Many(paths)) => paths,
    };
    let skill_dirs = listed
        .iter()
        .map(|listed| inside(root, listed))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok(FoundPlugin {
        info: PluginInfo {
            name,
            version: manifest.version,
            description: manifest.description,
            path: root.to_path_buf(),
        },
        skill_dirs,
    })
}

/// The folder `listed` (relative to the plugin's root) when it exists; an error when it
/// leads outside the plugin.
fn inside(root: &Path, listed: &str) -> Result<Option<PathBuf>, String> {
    let Ok(real) = root.join(listed).canonicalize() else {
        return Ok(None);
    };
    let real_root = root
        .canonicalize()
        .map_err(|error| format!("cannot read the plugin folder: {error}"))?;
    if !real.starts_with(&real_root) {
        return Err(format!(
            "the skills path `{listed}` leads outside the plugin; the plugin is not used"
        ));
    }
    Ok(real.is_dir().then_some(real))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn plugins_are_found_at_any_depth_with_their_skill_folders() {
        let home = tempfile::tempdir().unwrap();
        let plugins = home.path().join("plugins");
        let office = plugins.join("cache/market/office/1.2.0");
        write(
            &office.join(MANIFEST),
            r#"{"name": "office", "version": "1.2.0", "description": "Documents and decks", "skills": "./skills/"}"#,
        );
        std::fs::create_dir_all(office.join("skills/docx")).unwrap();
        let plain = plugins.join("plain");
        write(&plain.join(MANIFEST), r#"{"name": "plain"}"#);
        write(&plugins.join("broken").join(MANIFEST), "{not json");
        write(
            &plugins.join("escaping").join(MANIFEST),
            r#"{"name": "escaping", "skills": ["../../.."]}"#,
        );

        let (found, errors) = discover_plugins(home.path());
        let names: Vec<&str> = found.iter().map(|p| p.info.name.as_str()).collect();
        assert_eq!(names, ["office", "plain"]);
        assert_eq!(found[0].info.version.as_deref(), Some("1.2.0"));
        assert_eq!(
            found[0].skill_dirs,
            [office.join("skills").canonicalize().unwrap()]
        );
        assert!(found[1].skill_dirs.is_empty(), "no skills folder, no roots");
        let mut messages: Vec<String> = errors
            .iter()
            .map(|error| format!("{}: {}", error.path.display(), error.message))
            .collect();
        messages.sort();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("broken") && messages[0].contains("not a valid manifest"));
        assert!(
            messages[1].contains("leads outside the plugin"),
            "{messages:?}"
        );
    }
}

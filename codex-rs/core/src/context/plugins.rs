//! Plugins: folders holding `.codex-plugin/plugin.json`, installed under
//! `$CODEX_HOME/plugins/` (at any depth: marketplaces keep them in folders of their
//! own). A plugin contributes the skills in its `skills` folder (or the folders its
//! manifest names there), found with the scope `plugin`, and the MCP servers of its
//! `mcpServers` (a file such as `.mcp.json`, the default, or an inline object, in the
//! Claude-style `{"mcpServers": {...}}` shape), with `${PLUGIN_ROOT}` (and
//! `${CLAUDE_PLUGIN_ROOT}`) filled in and the plugin's folder as their working
//! directory. A manifest that cannot be read is reported with what is wrong, and the
//! plugin is left out; an MCP file that cannot be read leaves out only its servers.
//! Nothing fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_protocol::{PluginInfo, SkillError};
use serde::Deserialize;
use serde_json::Value;

use crate::mcp::config::McpServerFile;

const MANIFEST: &str = ".codex-plugin/plugin.json";
/// How deep below `$CODEX_HOME/plugins` a plugin may sit.
const MAX_DEPTH: usize = 5;
const MAX_MANIFEST_BYTES: u64 = 256 * 1024;

/// The MCP file a plugin has when its manifest names none.
const DEFAULT_MCP_FILE: &str = ".mcp.json";

/// A plugin found on disk, with the folders its skills are in and its MCP servers.
#[derive(Debug, Clone)]
pub struct FoundPlugin {
    pub info: PluginInfo,
    /// `<plugin>@<marketplace>` for a copy installed under
    /// `plugins/cache/<marketplace>/`, else the plugin's name.
    pub id: String,
    pub skill_dirs: Vec<PathBuf>,
    /// The MCP servers it declares, by name, as written (placeholders filled in).
    pub mcp_servers: BTreeMap<String, McpServerFile>,
    /// Why its MCP servers could not be read, when they could not.
    pub mcp_error: Option<String>,
}

/// Every plugin under `$CODEX_HOME/plugins`, sorted by path, and the manifests that
/// could not be used.
pub fn discover_plugins(codex_home: &Path) -> (Vec<FoundPlugin>, Vec<SkillError>) {
    let mut roots = Vec::new();
    collect_plugin_roots(&codex_home.join("plugins"), 0, &mut roots);
    roots.sort();
    let mut plugins = Vec::new();
    let mut errors = Vec::new();
    let cache = codex_home.join("plugins").join("cache");
    for root in roots {
        match read_plugin(&root, &cache) {
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
    #[serde(rename = "mcpServers")]
    mcp_servers: Option<Value>,
}

/// `"skills": "./skills"` or a list of such paths.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SkillPaths {
    One(String),
    Many(Vec<String>),
}

fn read_plugin(root: &Path, cache: &Path) -> Result<FoundPlugin, String> {
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
    let marketplace = root
        .strip_prefix(cache)
        .ok()
        .and_then(|inside| inside.components().next())
        .map(|market| market.as_os_str().to_string_lossy().to_string());
    let id = match marketplace {
        Some(market) => format!("{name}@{market}"),
        None => name.clone(),
    };
    let (mcp_servers, mcp_error) = match read_mcp_servers(root, manifest.mcp_servers) {
        Ok(servers) => (servers, None),
        Err(problem) => (BTreeMap::new(), Some(problem)),
    };
    Ok(FoundPlugin {
        info: PluginInfo {
            name,
            version: manifest.version,
            description: manifest.description,
            path: root.to_path_buf(),
        },
        id,
        skill_dirs,
        mcp_servers,
        mcp_error,
    })
}

/// The MCP servers `declared` (a path or an inline object; `.mcp.json` when absent).
fn read_mcp_servers(
    root: &Path,
    declared: Option<Value>,
) -> Result<BTreeMap<String, McpServerFile>, String> {
    let (listing, source) = match declared {
        Some(Value::String(path)) => (read_mcp_file(root, &path)?, path),
        Some(inline @ Value::Object(_)) => (inline, "plugin.json".to_string()),
        Some(_) => {
            return Err("`mcpServers` in plugin.json must be a file path or an object".to_string());
        }
        None if root.join(DEFAULT_MCP_FILE).is_file() => (
            read_mcp_file(root, DEFAULT_MCP_FILE)?,
            DEFAULT_MCP_FILE.to_string(),
        ),
        None => return Ok(BTreeMap::new()),
    };
    let servers = match listing.get("mcpServers") {
        Some(wrapped) => wrapped.clone(),
        None => listing,
    };
    let Value::Object(servers) = servers else {
        return Err(format!(
            "{source}: `mcpServers` is not an object of servers"
        ));
    };
    let root_text = root.display().to_string();
    servers
        .into_iter()
        .map(|(name, mut entry)| {
            fill_placeholders(&mut entry, &root_text);
            let mut server: McpServerFile = serde_json::from_value(entry)
                .map_err(|error| format!("{source}: the MCP server `{name}`: {error}"))?;
            if server.command.is_some() && server.cwd.is_none() {
                server.cwd = Some(root.to_path_buf());
            }
            Ok((name, server))
        })
        .collect()
}

fn read_mcp_file(root: &Path, listed: &str) -> Result<Value, String> {
    let path = root.join(listed);
    let real = path
        .canonicalize()
        .map_err(|error| format!("cannot read the MCP file {listed}: {error}"))?;
    let real_root = root
        .canonicalize()
        .map_err(|error| format!("cannot read the plugin folder: {error}"))?;
    if !real.starts_with(&real_root) {
        return Err(format!("the MCP file `{listed}` leads outside the plugin"));
    }
    let text = std::fs::read_to_string(&real)
        .map_err(|error| format!("cannot read the MCP file {listed}: {error}"))?;
    serde_json::from_str(&text).map_err(|error| format!("{listed} is not valid JSON: {error}"))
}

/// Replaces the plugin-root placeholders in every string of `value`.
fn fill_placeholders(value: &mut Value, root: &str) {
    match value {
        Value::String(text) => {
            *text = text
                .replace("${CLAUDE_PLUGIN_ROOT}", root)
                .replace("${PLUGIN_ROOT}", root);
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| fill_placeholders(item, root)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| fill_placeholders(field, root)),
        _ => {}
    }
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
        assert_eq!(found[0].id, "office@market");
        assert_eq!(found[1].id, "plain");
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

    #[test]
    fn a_plugins_mcp_servers_come_from_its_file_with_the_placeholders_filled_in() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path().join("plugins/cache/tools-market/echo/0.1.0");
        write(
            &root.join(MANIFEST),
            r#"{"name": "echo", "mcpServers": "./.mcp.json"}"#,
        );
        write(
            &root.join(".mcp.json"),
            r#"{"mcpServers": {
                "demo-echo": {"command": "node", "args": ["${CLAUDE_PLUGIN_ROOT}/server.js"], "env": {"DATA": "${PLUGIN_ROOT}/data"}},
                "remote": {"type": "http", "url": "https://echo.example/mcp"}
            }}"#,
        );
        let inline = home.path().join("plugins/inline");
        write(
            &inline.join(MANIFEST),
            r#"{"name": "inline", "mcpServers": {"local": {"command": "./run.sh", "cwd": "/srv"}}}"#,
        );
        let broken = home.path().join("plugins/broken-mcp");
        write(&broken.join(MANIFEST), r#"{"name": "broken-mcp"}"#);
        write(&broken.join(".mcp.json"), "{nope");

        let (found, errors) = discover_plugins(home.path());
        assert!(errors.is_empty(), "{errors:?}");
        let echo = found
            .iter()
            .find(|plugin| plugin.id == "echo@tools-market")
            .unwrap();
        let demo = &echo.mcp_servers["demo-echo"];
        let root_text = root.display().to_string();
        assert_eq!(
            demo.args.as_ref().unwrap()[0],
            format!("{root_text}/server.js")
        );
        assert_eq!(
            demo.env.as_ref().unwrap()["DATA"],
            format!("{root_text}/data")
        );
        assert_eq!(
            demo.cwd.as_deref(),
            Some(root.as_path()),
            "runs in the plugin's folder"
        );
        assert_eq!(
            echo.mcp_servers["remote"].url.as_deref(),
            Some("https://echo.example/mcp")
        );
        let inline = found.iter().find(|plugin| plugin.id == "inline").unwrap();
        assert_eq!(
            inline.mcp_servers["local"].cwd.as_deref(),
            Some(Path::new("/srv"))
        );
        let broken = found
            .iter()
            .find(|plugin| plugin.id == "broken-mcp")
            .unwrap();
        assert!(broken.mcp_servers.is_empty());
        assert!(
            broken
                .mcp_error
                .as_deref()
                .unwrap()
                .contains(".mcp.json is not valid JSON"),
            "{:?}",
            broken.mcp_error
        );
    }
}

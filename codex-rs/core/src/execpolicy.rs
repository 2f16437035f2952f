//! Remembered command prefixes ("always allow commands starting with `git status`"),
//! kept in `$CODEX_HOME/rules/default.rules` as `prefix_rule(...)` lines like Codex's.
//! Only `prefix_rule` lines with `decision = "allow"` are read; other lines are left
//! alone.

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn rules_file(codex_home: &Path) -> PathBuf {
    codex_home.join("rules").join("default.rules")
}

/// The allowed prefixes in `$CODEX_HOME/rules/*.rules`.
pub fn load_allowed_prefixes(codex_home: &Path) -> Vec<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(codex_home.join("rules")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rules"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(parse_allow_rule)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Appends an allow rule for `prefix`.
pub fn append_allowed_prefix(codex_home: &Path, prefix: &[String]) -> std::io::Result<()> {
    let path = rules_file(codex_home);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let pattern: Vec<String> = prefix
        .iter()
        .map(|word| serde_json::Value::from(word.as_str()).to_string())
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(
        file,
        "prefix_rule(pattern=[{}], decision=\"allow\")",
        pattern.join(", ")
    )
}

/// Reads `prefix_rule(pattern=["a", "b"], decision="allow")`.
fn parse_allow_rule(line: &str) -> Option<Vec<String>> {
    let inner = line
        .trim()
        .strip_prefix("prefix_rule(")?
        .strip_suffix(')')?;
    let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.contains("decision=\"allow\"") {
        return None;
    }
    let start = inner.find('[')?;
    let end = start + inner[start..].find(']')?;
    let words: Vec<String> = serde_json::from_str(&inner[start..=end]).ok()?;
    (!words.is_empty()).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_rules_are_read_back_and_others_ignored() {
        let home = tempfile::tempdir().unwrap();
        append_allowed_prefix(home.path(), &["git".into(), "status".into()]).unwrap();
        append_allowed_prefix(home.path(), &["echo".into(), "a \"quoted\" word".into()]).unwrap();
        let mut text = std::fs::read_to_string(rules_file(home.path())).unwrap();
        text.push_str("prefix_rule(pattern=[\"rm\"], decision=\"forbidden\")\n# comment\n");
        std::fs::write(rules_file(home.path()), text).unwrap();
        assert_eq!(
            load_allowed_prefixes(home.path()),
            vec![
                vec!["git".to_string(), "status".to_string()],
                vec!["echo".to_string(), "a \"quoted\" word".to_string()],
            ]
        );
    }
}

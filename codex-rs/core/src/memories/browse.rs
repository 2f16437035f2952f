//! Reading the memory folder for the model's `list`, `read` and `search` tools, with
//! Codex's argument names and output shapes: paths relative to the folder, `.git`
//! hidden, symlinks refused, long answers cut with `truncated` and a `next_cursor`.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::folder::{MemoryError, MemoryFolder};

const DEFAULT_LIST_RESULTS: usize = 200;
const DEFAULT_READ_LINES: usize = 400;
const DEFAULT_SEARCH_RESULTS: usize = 50;

fn invalid(message: String) -> MemoryError {
    MemoryError::Invalid(message)
}

impl MemoryFolder {
    /// The folder path of `relative` (the folder itself for `None`), refused when it
    /// leaves the folder, enters `.git` or passes through a symlink.
    fn resolve(&self, relative: Option<&str>) -> Result<PathBuf, MemoryError> {
        let mut path = self.root().to_path_buf();
        let Some(relative) = relative.filter(|text| !text.is_empty() && *text != ".") else {
            return Ok(path);
        };
        for component in Path::new(relative).components() {
            match component {
                Component::Normal(part) if part != ".git" => path.push(part),
                Component::CurDir => {}
                _ => {
                    return Err(invalid(format!(
                        "path '{relative}' must be relative to the memory folder, without '..' or .git"
                    )));
                }
            }
            if path
                .symlink_metadata()
                .is_ok_and(|meta| meta.file_type().is_symlink())
            {
                return Err(invalid(format!("path '{relative}' must not be a symlink")));
            }
        }
        Ok(path)
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(self.root())
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }
}

fn cursor_offset(cursor: Option<&str>) -> Result<usize, MemoryError> {
    cursor.map_or(Ok(0), |cursor| {
        cursor
            .parse()
            .map_err(|_| invalid(format!("cursor '{cursor}' is not one this tool gave out")))
    })
}

/// `list`'s arguments.
#[derive(Debug, Default, Deserialize)]
pub struct ListArguments {
    pub path: Option<String>,
    pub cursor: Option<String>,
    pub max_results: Option<usize>,
}

pub fn list(folder: &MemoryFolder, arguments: &ListArguments) -> Result<Value, MemoryError> {
    let dir = folder.resolve(arguments.path.as_deref())?;
    let entries = std::fs::read_dir(&dir).map_err(|error| MemoryError::io("list", &dir, error))?;
    let mut found: Vec<(String, &'static str)> = entries
        .flatten()
        .filter(|entry| entry.file_name() != ".git")
        .filter_map(|entry| {
            let kind = entry.file_type().ok()?;
            let entry_type = if kind.is_dir() {
                "directory"
            } else if kind.is_file() {
                "file"
            } else {
                return None;
            };
            Some((folder.relative(&entry.path()), entry_type))
        })
        .collect();
    found.sort();
    let offset = cursor_offset(arguments.cursor.as_deref())?;
    let limit = arguments.max_results.unwrap_or(DEFAULT_LIST_RESULTS).max(1);
    let page: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(path, entry_type)| json!({"path": path, "entry_type": entry_type}))
        .collect();
    let truncated = offset + page.len() < found.len();
    Ok(json!({
        "path": arguments.path,
        "entries": page,
        "next_cursor": truncated.then(|| (offset + limit).to_string()),
        "truncated": truncated,
    }))
}

/// `read`'s arguments.
#[derive(Debug, Deserialize)]
pub struct ReadArguments {
    pub path: String,
    pub line_offset: Option<usize>,
    pub max_lines: Option<usize>,
}

pub fn read(folder: &MemoryFolder, arguments: &ReadArguments) -> Result<Value, MemoryError> {
    let start = arguments.line_offset.unwrap_or(1);
    if start == 0 {
        return Err(invalid(
            "line_offset must be a 1-indexed line number".to_string(),
        ));
    }
    let path = folder.resolve(Some(&arguments.path))?;
    let text =
        std::fs::read_to_string(&path).map_err(|error| MemoryError::io("read", &path, error))?;
    let lines: Vec<&str> = text.lines().collect();
    let limit = arguments.max_lines.unwrap_or(DEFAULT_READ_LINES).max(1);
    let shown: Vec<&str> = lines.iter().skip(start - 1).take(limit).copied().collect();
    let truncated = start - 1 + shown.len() < lines.len();
    Ok(json!({
        "path": arguments.path,
        "start_line_number": start,
        "content": shown.join("\n"),
        "truncated": truncated,
    }))
}

/// How the queries of a search must occur.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MatchMode {
    /// A line holding any query.
    #[default]
    Any,
    /// A line holding every query.
    AllOnSameLine,
    /// Every query within `line_count` lines.
    AllWithinLines { line_count: usize },
}

/// `search`'s arguments.
#[derive(Debug, Deserialize)]
pub struct SearchArguments {
    pub queries: Vec<String>,
    pub path: Option<String>,
    #[serde(default)]
    pub match_mode: MatchMode,
    #[serde(default)]
    pub case_sensitive: bool,
    /// Compare ignoring punctuation and runs of spaces.
    #[serde(default)]
    pub normalized: bool,
    #[serde(default)]
    pub context_lines: usize,
    pub max_results: Option<usize>,
    pub cursor: Option<String>,
}

impl SearchArguments {
    fn prepare(&self, text: &str) -> String {
        let text = if self.case_sensitive {
            text.to_string()
        } else {
            text.to_lowercase()
        };
        if !self.normalized {
            return text;
        }
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn search(folder: &MemoryFolder, arguments: &SearchArguments) -> Result<Value, MemoryError> {
    let queries: Vec<(String, String)> = arguments
        .queries
        .iter()
        .filter(|query| !query.trim().is_empty())
        .map(|query| (query.clone(), arguments.prepare(query)))
        .collect();
    if queries.is_empty() {
        return Err(invalid(
            "queries must hold at least one search term".to_string(),
        ));
    }
    let base = folder.resolve(arguments.path.as_deref())?;
    let mut files = Vec::new();
    collect_files(&base, &mut files);
    files.sort();
    let mut matches = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let prepared: Vec<String> = lines.iter().map(|line| arguments.prepare(line)).collect();
        let found_on = |line: &str| -> Vec<String> {
            queries
                .iter()
                .filter(|(_, query)| line.contains(query.as_str()))
                .map(|(original, _)| original.clone())
                .collect()
        };
        for (index, line) in prepared.iter().enumerate() {
            let here = found_on(line);
            if here.is_empty() {
                continue;
            }
            let (matched, last) = match &arguments.match_mode {
                MatchMode::Any => (here, index),
                MatchMode::AllOnSameLine if here.len() == queries.len() => (here, index),
                MatchMode::AllOnSameLine => continue,
                MatchMode::AllWithinLines { line_count } => {
                    let end = (index + (*line_count).max(1)).min(prepared.len());
                    let window = prepared[index..end].join("\n");
                    let all = found_on(&window);
                    if all.len() < queries.len() {
                        continue;
                    }
                    (all, end - 1)
                }
            };
            let from = index.saturating_sub(arguments.context_lines);
            let to = (last + arguments.context_lines + 1).min(lines.len());
            matches.push(json!({
                "path": folder.relative(file),
                "match_line_number": index + 1,
                "content_start_line_number": from + 1,
                "content": lines[from..to].join("\n"),
                "matched_queries": matched,
            }));
        }
    }
    let offset = cursor_offset(arguments.cursor.as_deref())?;
    let limit = arguments
        .max_results
        .unwrap_or(DEFAULT_SEARCH_RESULTS)
        .max(1);
    let page: Vec<Value> = matches.iter().skip(offset).take(limit).cloned().collect();
    let truncated = offset + page.len() < matches.len();
    Ok(json!({
        "queries": arguments.queries,
        "match_mode": arguments.match_mode,
        "path": arguments.path,
        "matches": page,
        "next_cursor": truncated.then(|| (offset + limit).to_string()),
        "truncated": truncated,
    }))
}

/// The files under `dir`, `.git` and symlinks left out.
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    if dir.is_file() {
        files.push(dir.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if entry.file_name() == ".git" || kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            collect_files(&entry.path(), files);
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> (tempfile::TempDir, MemoryFolder) {
        let home = tempfile::tempdir().unwrap();
        let root = home.path().join("memories_v2");
        std::fs::create_dir_all(root.join("rollout_summaries")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(
            root.join("memory_summary.md"),
            "v1\n## User preferences\n- Prefers tabs in Python.\n- Likes short answers.\n",
        )
        .unwrap();
        std::fs::write(
            root.join("rollout_summaries/a.md"),
            "The bridge retries.\nTabs were\nused for Python.\n",
        )
        .unwrap();
        (home, MemoryFolder::new(root))
    }

    #[test]
    fn list_shows_the_folder_without_git_in_pages() {
        let (_home, folder) = folder();
        let listed = list(&folder, &ListArguments::default()).unwrap();
        assert_eq!(
            listed,
            json!({"path": null, "entries": [
                {"path": "memory_summary.md", "entry_type": "file"},
                {"path": "rollout_summaries", "entry_type": "directory"}
            ], "next_cursor": null, "truncated": false})
        );
        let first = list(
            &folder,
            &ListArguments {
                max_results: Some(1),
                ..ListArguments::default()
            },
        )
        .unwrap();
        assert_eq!(first["truncated"], true);
        let second = list(
            &folder,
            &ListArguments {
                max_results: Some(1),
                cursor: first["next_cursor"].as_str().map(str::to_string),
                ..ListArguments::default()
            },
        )
        .unwrap();
        assert_eq!(second["entries"][0]["path"], "rollout_summaries");
        assert_eq!(second["truncated"], false);
    }

    #[test]
    fn read_gives_lines_from_an_offset_and_refuses_escapes() {
        let (_home, folder) = folder();
        let read_from = |path: &str, line_offset, max_lines| {
            read(
                &folder,
                &ReadArguments {
                    path: path.into(),
                    line_offset,
                    max_lines,
                },
            )
        };
        assert_eq!(
            read_from("memory_summary.md", Some(3), Some(1)).unwrap(),
            json!({"path": "memory_summary.md", "start_line_number": 3, "content": "- Prefers tabs in Python.", "truncated": true})
        );
        assert!(
            read_from("memory_summary.md", Some(0), None)
                .unwrap_err()
                .to_string()
                .contains("1-indexed")
        );
        for escape in ["../config.toml", "/etc/passwd", ".git/config"] {
            assert!(read_from(escape, None, None).is_err(), "{escape}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused() {
        let (home, folder) = folder();
        std::fs::write(home.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(home.path().join("secret"), folder.root().join("link.md"))
            .unwrap();
        let error = read(
            &folder,
            &ReadArguments {
                path: "link.md".into(),
                line_offset: None,
                max_lines: None,
            },
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "path 'link.md' must not be a symlink");
    }

    fn search_for(folder: &MemoryFolder, queries: &[&str], mode: MatchMode) -> Value {
        search(
            folder,
            &SearchArguments {
                queries: queries.iter().map(|q| q.to_string()).collect(),
                path: None,
                match_mode: mode,
                case_sensitive: false,
                normalized: false,
                context_lines: 0,
                max_results: None,
                cursor: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn search_finds_lines_by_mode() {
        let (_home, folder) = folder();
        let any = search_for(&folder, &["TABS"], MatchMode::Any);
        let paths: Vec<&str> = any["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["memory_summary.md", "rollout_summaries/a.md"]);
        assert_eq!(any["matches"][0]["match_line_number"], 3);
        assert_eq!(any["matches"][0]["matched_queries"], json!(["TABS"]));

        let same_line = search_for(&folder, &["tabs", "python"], MatchMode::AllOnSameLine);
        assert_eq!(same_line["matches"].as_array().unwrap().len(), 1);

        let within = search_for(
            &folder,
            &["tabs", "python"],
            MatchMode::AllWithinLines { line_count: 2 },
        );
        let found: Vec<(&str, &str)> = within["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["path"].as_str().unwrap(), m["content"].as_str().unwrap()))
            .collect();
        assert!(found.contains(&("rollout_summaries/a.md", "Tabs were\nused for Python.")));
        assert_eq!(
            within["match_mode"],
            json!({"type": "all_within_lines", "line_count": 2})
        );

        let error = search(
            &folder,
            &SearchArguments {
                queries: vec![" ".into()],
                path: None,
                match_mode: MatchMode::Any,
                case_sensitive: false,
                normalized: false,
                context_lines: 0,
                max_results: None,
                cursor: None,
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("at least one"));
    }
}

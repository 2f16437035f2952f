//! A turn's changes: the files the agent's patches in that turn added, changed and
//! deleted, shown as diffs, and undone with or without git. Undoing works out every
//! file's earlier contents first and writes nothing unless all of them can be
//! restored; a file changed since (by the user or a later turn) is named, with why.
//! Files changed by commands the agent ran are not known here and are not restored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_protocol::FileChange;

use super::ReviewError;
use super::diff::{FileDiff, FileStatus, parse_hunks, undo_hunks, whole_file};

/// The changes one turn's patches made, in the order they were applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnChanges {
    pub patches: Vec<BTreeMap<PathBuf, FileChange>>,
}

impl TurnChanges {
    pub fn is_empty(&self) -> bool {
        self.patches.iter().all(BTreeMap::is_empty)
    }

    /// Every file touched, relative to `cwd` where it is inside it, each once.
    pub fn files(&self, cwd: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = Vec::new();
        for (path, change) in self.patches.iter().flatten() {
            let moved = match change {
                FileChange::Update {
                    move_path: Some(to),
                    ..
                } => Some(to),
                _ => None,
            };
            for path in std::iter::once(path).chain(moved) {
                let shown = path.strip_prefix(cwd).unwrap_or(path).to_path_buf();
                if !files.contains(&shown) {
                    files.push(shown);
                }
            }
        }
        files
    }

    /// The changes as diffs, one per file per patch, paths relative to `cwd`.
    pub fn diffs(&self, cwd: &Path) -> Vec<FileDiff> {
        let relative = |path: &Path| {
            path.strip_prefix(cwd)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/")
        };
        self.patches
            .iter()
            .flatten()
            .map(|(path, change)| match change {
                FileChange::Add { content } => {
                    whole_file(relative(path), FileStatus::Added, content)
                }
                FileChange::Delete { content } => {
                    whole_file(relative(path), FileStatus::Deleted, content)
                }
                FileChange::Update {
                    unified_diff,
                    move_path,
                } => FileDiff {
                    path: relative(move_path.as_deref().unwrap_or(path)),
                    old_path: move_path.as_ref().map(|_| relative(path)),
                    status: if move_path.is_some() {
                        FileStatus::Renamed
                    } else {
                        FileStatus::Modified
                    },
                    binary: false,
                    hunks: parse_hunks(unified_diff),
                },
            })
            .collect()
    }

    /// Restores every file the turn's patches touched to what it held before the
    /// turn; the files restored. Nothing is written when any file cannot be.
    pub fn undo(&self, cwd: &Path) -> Result<Vec<PathBuf>, ReviewError> {
        let absolute = |path: &Path| {
            if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            }
        };
        // What each file should hold afterwards (`None`: it should not exist),
        // worked out from its contents now, last patch first.
        let mut planned: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
        let mut problems = Vec::new();
        let current =
            |planned: &BTreeMap<PathBuf, Option<String>>, path: &Path| match planned.get(path) {
                Some(contents) => Ok(contents.clone()),
                None => match std::fs::read_to_string(path) {
                    Ok(text) => Ok(Some(text)),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(error) => Err(error.to_string()),
                },
            };
        for (path, change) in self.patches.iter().rev().flat_map(|patch| patch.iter()) {
            let path = absolute(path);
            let shown = path
                .strip_prefix(cwd)
                .unwrap_or(&path)
                .display()
                .to_string();
            match change {
                FileChange::Add { content } => match current(&planned, &path) {
                    Ok(Some(now)) if now == *content => {
                        planned.insert(path, None);
                    }
                    Ok(Some(_)) => {
                        problems.push(format!("{shown} was edited after the turn added it"))
                    }
                    Ok(None) => {}
                    Err(reason) => problems.push(format!("{shown}: {reason}")),
                },
                FileChange::Delete { content } => match current(&planned, &path) {
                    Ok(None) => {
                        planned.insert(path, Some(content.clone()));
                    }
                    Ok(Some(_)) => {
                        problems.push(format!("{shown} exists again since the turn deleted it"))
                    }
                    Err(reason) => problems.push(format!("{shown}: {reason}")),
                },
                FileChange::Update {
                    unified_diff,
                    move_path,
                } => {
                    let now_at = move_path.as_deref().map_or_else(|| path.clone(), absolute);
                    match current(&planned, &now_at) {
                        Ok(Some(now)) => match undo_hunks(&now, &parse_hunks(unified_diff)) {
                            Ok(before) => {
                                if now_at != path {
                                    planned.insert(now_at, None);
                                }
                                planned.insert(path, Some(before));
                            }
                            Err(mismatch) => problems.push(format!("{shown}: {mismatch}")),
                        },
                        Ok(None) => {
                            problems.push(format!("{shown} is gone since the turn changed it"))
                        }
                        Err(reason) => problems.push(format!("{shown}: {reason}")),
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(ReviewError::CannotUndo(problems));
        }
        let mut restored = Vec::new();
        for (path, contents) in &planned {
            let written = match contents {
                Some(text) => path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(path, text)),
                None => std::fs::remove_file(path).or_else(|error| {
                    if error.kind() == std::io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(error)
                    }
                }),
            };
            written.map_err(|error| ReviewError::Io {
                path: path.clone(),
                reason: error.to_string(),
            })?;
            restored.push(path.strip_prefix(cwd).unwrap_or(path).to_path_buf());
        }
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(old: &str, new: &str) -> FileChange {
        FileChange::Update {
            unified_diff: codex_apply_patch::unified_diff(old, new),
            move_path: None,
        }
    }

    #[test]
    fn a_turn_is_undone_file_by_file_and_nothing_is_written_when_one_changed_since() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        std::fs::write(cwd.join("kept.rs"), "fn main() {\n    two();\n}\n").unwrap();
        std::fs::write(cwd.join("added.md"), "# New\n").unwrap();
        let turn = TurnChanges {
            patches: vec![
                BTreeMap::from([(
                    cwd.join("kept.rs"),
                    update(
                        "fn main() {\n    one();\n}\n",
                        "fn main() {\n    two();\n}\n",
                    ),
                )]),
                BTreeMap::from([
                    (
                        PathBuf::from("added.md"),
                        FileChange::Add {
                            content: "# New\n".to_string(),
                        },
                    ),
                    (
                        cwd.join("gone.txt"),
                        FileChange::Delete {
                            content: "was here\n".to_string(),
                        },
                    ),
                ]),
            ],
        };
        assert_eq!(turn.diffs(cwd).len(), 3);
        assert_eq!(turn.diffs(cwd)[0].path, "kept.rs");

        // Edited since: refused, and nothing touched.
        std::fs::write(cwd.join("added.md"), "# New\nmore\n").unwrap();
        let Err(ReviewError::CannotUndo(problems)) = turn.undo(cwd) else {
            panic!("an edited file stops the undo");
        };
        assert_eq!(problems, ["added.md was edited after the turn added it"]);
        assert!(!cwd.join("gone.txt").exists());
        assert!(
            std::fs::read_to_string(cwd.join("kept.rs"))
                .unwrap()
                .contains("two")
        );

        std::fs::write(cwd.join("added.md"), "# New\n").unwrap();
        let restored = turn.undo(cwd).unwrap();
        assert_eq!(restored.len(), 3);
        assert_eq!(
            std::fs::read_to_string(cwd.join("kept.rs")).unwrap(),
            "fn main() {\n    one();\n}\n"
        );
        assert!(!cwd.join("added.md").exists());
        assert_eq!(
            std::fs::read_to_string(cwd.join("gone.txt")).unwrap(),
            "was here\n"
        );
    }
}

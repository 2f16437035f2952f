//! Turning a parsed patch into file changes, all or nothing.
//!
//! [`plan_patch`] works out every file's new contents first (through a [`FileSystem`],
//! so it can run against memory in tests) and fails without touching anything when a
//! hunk does not apply. [`PatchPlan::commit`] then writes; if a write fails part-way it
//! puts back what it had already changed.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use codex_protocol::FileChange;

use crate::fs::FileSystem;
use crate::parser::{ChunkLine, Hunk, Patch, UpdateChunk, old_lines_of};
use crate::seek::seek_sequence;

/// A patch whose changes have been computed and checked, ready to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPlan {
    pub changes: Vec<PlannedChange>,
}

/// One file operation with everything needed to commit it and to undo it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    /// Absolute, normalised path of the file the hunk names.
    pub path: PathBuf,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Add {
        contents: String,
        /// What the file held before, when the add overwrites an existing file.
        previous: Option<String>,
    },
    Delete {
        previous: String,
    },
    Update {
        previous: String,
        contents: String,
        /// Absolute, normalised destination of a move.
        move_to: Option<PathBuf>,
    },
}

/// Why a patch did not apply. Nothing was changed on disk in any case.
#[derive(Debug)]
pub enum ApplyError {
    /// Hunk `hunk` (1-based) cannot be applied to the files as they are.
    Hunk {
        hunk: usize,
        path: PathBuf,
        message: String,
    },
    /// Writing failed; the changes already made were rolled back (`rolled_back`) or
    /// could not all be.
    Write {
        path: PathBuf,
        error: io::Error,
        rolled_back: bool,
    },
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hunk {
                hunk,
                path,
                message,
            } => write!(
                f,
                "hunk {hunk} ({}) does not apply: {message}. No file was changed.",
                path.display()
            ),
            Self::Write {
                path,
                error,
                rolled_back: true,
            } => write!(
                f,
                "could not write {}: {error}. Files changed before the failure were restored.",
                path.display()
            ),
            Self::Write {
                path,
                error,
                rolled_back: false,
            } => write!(
                f,
                "could not write {}: {error}. Restoring the files changed before it also failed; check the working tree.",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Computes the effect of `patch` on the files under `cwd` without changing them.
pub fn plan_patch(
    patch: &Patch,
    cwd: &Path,
    fs: &impl FileSystem,
) -> Result<PatchPlan, ApplyError> {
    // Files as earlier hunks of this patch leave them (`None` = deleted).
    let mut overlay: HashMap<PathBuf, Option<String>> = HashMap::new();
    let read = |overlay: &HashMap<PathBuf, Option<String>>, path: &Path| -> io::Result<String> {
        match overlay.get(path) {
            Some(Some(contents)) => Ok(contents.clone()),
            Some(None) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "deleted earlier in this patch",
            )),
            None => fs.read_to_string(path),
        }
    };
    let mut changes = Vec::new();
    for (index, hunk) in patch.hunks.iter().enumerate() {
        let path = resolve(cwd, hunk.path());
        let failure = |message: String| ApplyError::Hunk {
            hunk: index + 1,
            path: hunk.path().clone(),
            message,
        };
        let kind = match hunk {
            Hunk::Add { contents, .. } => {
                let previous = read(&overlay, &path).ok();
                overlay.insert(path.clone(), Some(contents.clone()));
                ChangeKind::Add {
                    contents: contents.clone(),
                    previous,
                }
            }
            Hunk::Delete { .. } => {
                let previous = read(&overlay, &path).map_err(|error| {
                    failure(format!("cannot delete it: {}", describe_read_error(&error)))
                })?;
                overlay.insert(path.clone(), None);
                ChangeKind::Delete { previous }
            }
            Hunk::Update {
                move_to, chunks, ..
            } => {
                let previous = read(&overlay, &path).map_err(|error| {
                    failure(format!("cannot update it: {}", describe_read_error(&error)))
                })?;
                let contents = apply_chunks(&previous, chunks).map_err(failure)?;
                let move_to = move_to.as_ref().map(|target| resolve(cwd, target));
                match &move_to {
                    Some(target) if *target != path => {
                        overlay.insert(path.clone(), None);
                        overlay.insert(target.clone(), Some(contents.clone()));
                    }
                    _ => {
                        overlay.insert(path.clone(), Some(contents.clone()));
                    }
                }
                ChangeKind::Update {
                    previous,
                    contents,
                    move_to,
                }
            }
        };
        changes.push(PlannedChange { path, kind });
    }
    Ok(PatchPlan { changes })
}

impl PatchPlan {
    /// Every path the patch writes or removes (move destinations included), for
    /// permission checks.
    pub fn touched_paths(&self) -> Vec<&Path> {
        let mut paths = Vec::new();
        for change in &self.changes {
            paths.push(change.path.as_path());
            if let ChangeKind::Update {
                move_to: Some(target),
                ..
            } = &change.kind
            {
                paths.push(target.as_path());
            }
        }
        paths
    }

    /// The changes per file, with unified diffs for updates, as the runtime reports them.
    pub fn file_changes(&self) -> BTreeMap<PathBuf, FileChange> {
        self.changes
            .iter()
            .map(|change| {
                let file_change = match &change.kind {
                    ChangeKind::Add { contents, .. } => FileChange::Add {
                        content: contents.clone(),
                    },
                    ChangeKind::Delete { previous } => FileChange::Delete {
                        content: previous.clone(),
                    },
                    ChangeKind::Update {
                        previous,
                        contents,
                        move_to,
                    } => FileChange::Update {
                        unified_diff: unified_diff(previous, contents),
                        move_path: move_to.clone(),
                    },
                };
                (change.path.clone(), file_change)
            })
            .collect()
    }

    /// The `A`/`M`/`D` summary the model receives after a successful commit.
    pub fn summary(&self) -> String {
        let mut text = String::from("Success. Updated the following files:\n");
        for change in &self.changes {
            let (letter, path) = match &change.kind {
                ChangeKind::Add { .. } => ('A', &change.path),
                ChangeKind::Delete { .. } => ('D', &change.path),
                ChangeKind::Update { move_to, .. } => {
                    ('M', move_to.as_ref().unwrap_or(&change.path))
                }
            };
            text.push_str(&format!("{letter} {}\n", path.display()));
        }
        text
    }

    /// Writes the planned changes. On failure, restores what was already written.
    pub fn commit(&self, fs: &mut impl FileSystem) -> Result<(), ApplyError> {
        // Each successful step: (path, its contents before; None = it did not exist).
        let mut undo: Vec<(PathBuf, Option<String>)> = Vec::new();
        for change in &self.changes {
            let steps: Vec<(&Path, Step<'_>, Option<String>)> = match &change.kind {
                ChangeKind::Add { contents, previous } => {
                    vec![(&change.path, Step::Write(contents), previous.clone())]
                }
                ChangeKind::Delete { previous } => {
                    vec![(&change.path, Step::Remove, Some(previous.clone()))]
                }
                ChangeKind::Update {
                    previous,
                    contents,
                    move_to,
                } => match move_to {
                    Some(target) if *target != change.path => vec![
                        (
                            target,
                            Step::Write(contents),
                            fs.read_to_string(target).ok(),
                        ),
                        (&change.path, Step::Remove, Some(previous.clone())),
                    ],
                    _ => vec![(&change.path, Step::Write(contents), Some(previous.clone()))],
                },
            };
            for (path, step, before) in steps {
                let result = match step {
                    Step::Write(contents) => fs.write(path, contents),
                    Step::Remove => fs.remove(path),
                };
                if let Err(error) = result {
                    let rolled_back = restore(fs, undo);
                    return Err(ApplyError::Write {
                        path: path.to_path_buf(),
                        error,
                        rolled_back,
                    });
                }
                undo.push((path.to_path_buf(), before));
            }
        }
        Ok(())
    }
}

enum Step<'a> {
    Write(&'a str),
    Remove,
}

fn restore(fs: &mut impl FileSystem, undo: Vec<(PathBuf, Option<String>)>) -> bool {
    let mut all_restored = true;
    for (path, previous) in undo.into_iter().rev() {
        let result = match previous {
            Some(contents) => fs.write(&path, &contents),
            None => match fs.remove(&path) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        all_restored &= result.is_ok();
    }
    all_restored
}

/// The new text of a file after applying `chunks` to `original`.
fn apply_chunks(original: &str, chunks: &[UpdateChunk]) -> Result<String, String> {
    let line_ending = if original.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut lines: Vec<String> = original
        .strip_suffix('\n')
        .unwrap_or(original)
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line).to_string())
        .collect();
    if original.is_empty() {
        lines.clear();
    }

    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut cursor = 0;
    for (number, chunk) in chunks.iter().enumerate() {
        let chunk_name = || match &chunk.context {
            Some(context) => format!("chunk {} (@@ {context})", number + 1),
            None => format!("chunk {}", number + 1),
        };
        if let Some(context) = &chunk.context {
            let Some(position) =
                seek_sequence(&lines, std::slice::from_ref(context), cursor, false)
            else {
                return Err(format!(
                    "{}: the context line '{context}' is not in the file",
                    chunk_name()
                ));
            };
            cursor = position + 1;
        }
        let mut chunk_lines = chunk.lines.as_slice();
        if chunk.old_lines().is_empty() {
            let at = if chunk.context.is_some() {
                cursor
            } else {
                lines.len()
            };
            replacements.push((at, 0, chunk.new_lines()));
            continue;
        }
        let mut found = seek_sequence(
            &lines,
            &old_lines_of(chunk_lines),
            cursor,
            chunk.is_end_of_file,
        );
        // Models often end a chunk with a blank context line the file does not have.
        if found.is_none()
            && let Some((ChunkLine::Context(last), rest)) = chunk_lines.split_last()
            && last.is_empty()
        {
            chunk_lines = rest;
            found = seek_sequence(
                &lines,
                &old_lines_of(chunk_lines),
                cursor,
                chunk.is_end_of_file,
            );
        }
        let Some(position) = found else {
            return Err(format!(
                "{}: these lines are not in the file:\n{}",
                chunk_name(),
                chunk.old_lines().join("\n")
            ));
        };
        // Context lines keep the file's own text, which loose matching may not equal.
        let mut file_line = position;
        let mut replacement = Vec::new();
        for line in chunk_lines {
            match line {
                ChunkLine::Context(_) => {
                    replacement.push(lines[file_line].clone());
                    file_line += 1;
                }
                ChunkLine::Remove(_) => file_line += 1,
                ChunkLine::Add(text) => replacement.push(text.clone()),
            }
        }
        replacements.push((position, file_line - position, replacement));
        cursor = file_line;
    }

    replacements.sort_by_key(|(start, _, _)| *start);
    for (start, removed, added) in replacements.into_iter().rev() {
        lines.splice(start..start + removed, added);
    }
    if lines.is_empty() {
        return Ok(String::new());
    }
    let mut text = lines.join(line_ending);
    text.push_str(line_ending);
    Ok(text)
}

/// `cwd.join(path)` with `.` and `..` removed lexically (the file may not exist yet).
pub fn resolve(cwd: &Path, path: &Path) -> PathBuf {
    normalize_path(&cwd.join(path))
}

/// `path` with `.` and `..` segments removed lexically.
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut normalised = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalised.pop();
            }
            other => normalised.push(other.as_os_str()),
        }
    }
    normalised
}

/// A unified diff of two texts (hunks only, three lines of context).
pub fn unified_diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .to_string()
}

fn describe_read_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "the file does not exist".to_string(),
        _ => error.to_string(),
    }
}

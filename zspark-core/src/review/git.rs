//! The session folder's git repository, through the `git` command line (the one git
//! implementation of the project; `docs/ARCHITECTURE.md` says why): its uncommitted
//! changes (staged, unstaged, untracked), staging and unstaging a file or a hunk, and
//! discarding a hunk or a file's unstaged changes. A discard is refused when the file
//! changed since its diff was read, or while a rebase or merge is under way.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::ReviewError;
use super::diff::{FileDiff, FileStatus, parse_git_diff, whole_file};

/// Where a repository's work stands, when it is in the middle of something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Rebase,
    Merge,
    CherryPick,
    Revert,
}

impl Operation {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Rebase => "a rebase",
            Self::Merge => "a merge",
            Self::CherryPick => "a cherry-pick",
            Self::Revert => "a revert",
        }
    }
}

/// A file's changes on one side of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub diff: FileDiff,
    /// Staged (index against HEAD) or not (working tree against the index).
    pub staged: bool,
    /// The working file's git hash when read, to see later that it did not change.
    pub seen: Option<String>,
}

/// The uncommitted changes of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncommitted {
    pub root: PathBuf,
    pub branch: Option<String>,
    pub operation: Option<Operation>,
    pub changes: Vec<Change>,
}

/// A repository, found from a folder inside it.
#[derive(Debug, Clone)]
pub struct GitRepo {
    root: PathBuf,
    git_dir: PathBuf,
}

impl GitRepo {
    /// The repository `folder` is in; `None` outside one (or without git).
    pub fn find(folder: &Path) -> Option<Self> {
        let output = Command::new("git")
            .arg("-C")
            .arg(folder)
            .args(["rev-parse", "--show-toplevel", "--absolute-git-dir"])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        let text = String::from_utf8(output.stdout).ok()?;
        let mut lines = text.lines();
        Some(Self {
            root: PathBuf::from(lines.next()?),
            git_dir: PathBuf::from(lines.next()?),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The rebase, merge, cherry-pick or revert under way, if any.
    pub fn operation(&self) -> Option<Operation> {
        let has = |name: &str| self.git_dir.join(name).exists();
        if has("rebase-merge") || has("rebase-apply") {
            Some(Operation::Rebase)
        } else if has("MERGE_HEAD") {
            Some(Operation::Merge)
        } else if has("CHERRY_PICK_HEAD") {
            Some(Operation::CherryPick)
        } else if has("REVERT_HEAD") {
            Some(Operation::Revert)
        } else {
            None
        }
    }

    /// Everything not committed: staged and unstaged diffs, untracked files as added.
    pub fn uncommitted(&self) -> Result<Uncommitted, ReviewError> {
        let diff_args = [
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--find-renames",
            "-U3",
        ];
        let mut staged_args = diff_args.to_vec();
        staged_args.push("--cached");
        let staged = parse_git_diff(&self.git(&staged_args)?);
        let mut unstaged = parse_git_diff(&self.git(&diff_args)?);
        let untracked = self.git(&["ls-files", "--others", "--exclude-standard", "-z"])?;
        unstaged.extend(
            untracked
                .split('\0')
                .filter(|path| !path.is_empty())
                .map(|path| self.untracked_diff(path)),
        );
        let paths: Vec<&str> = unstaged.iter().map(|diff| diff.path.as_str()).collect();
        let mut seen = self.hashes_of(&paths);
        let mut changes: Vec<Change> = staged
            .into_iter()
            .map(|diff| Change {
                diff,
                staged: true,
                seen: None,
            })
            .collect();
        changes.extend(unstaged.into_iter().map(|diff| Change {
            seen: seen.remove(&diff.path),
            diff,
            staged: false,
        }));
        changes.sort_by(|a, b| (&a.diff.path, !a.staged).cmp(&(&b.diff.path, !b.staged)));
        Ok(Uncommitted {
            root: self.root.clone(),
            branch: self.current_branch(),
            operation: self.operation(),
            changes,
        })
    }

    /// The branch checked out; `None` on a detached HEAD.
    pub fn current_branch(&self) -> Option<String> {
        self.git(&["symbolic-ref", "--quiet", "--short", "HEAD"])
            .ok()
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
    }

    /// Runs git with `args` in the repository; its output.
    pub(super) fn git(&self, args: &[&str]) -> Result<String, ReviewError> {
        self.run(args, None)
    }

    /// Adds the whole file to the index (a deleted one is removed from it).
    pub fn stage_file(&self, path: &str) -> Result<(), ReviewError> {
        self.git(&["add", "--all", "--", path]).map(drop)
    }

    /// Takes the file's staged changes back out of the index.
    pub fn unstage_file(&self, path: &str) -> Result<(), ReviewError> {
        self.git(&["reset", "--quiet", "--", path]).map(drop)
    }

    /// Stages hunk `index` of `change` (an unstaged one), or unstages it (a staged one).
    pub fn toggle_hunk(&self, change: &Change, index: usize) -> Result<(), ReviewError> {
        if change.diff.status == FileStatus::Untracked {
            return self.stage_file(&change.diff.path);
        }
        let patch = hunk_patch(change, index)?;
        let mut args = vec!["apply", "--cached", "--whitespace=nowarn"];
        if change.staged {
            args.push("--reverse");
        }
        args.push("-");
        self.run(&args, Some(&patch)).map(drop)
    }

    /// Discards hunk `index` of an unstaged `change` from the working file.
    pub fn discard_hunk(&self, change: &Change, index: usize) -> Result<(), ReviewError> {
        self.check_unchanged(change)?;
        if change.diff.status == FileStatus::Untracked {
            return Err(ReviewError::Refused(
                "An untracked file has no older version to go back to; discard the whole file."
                    .to_string(),
            ));
        }
        let patch = hunk_patch(change, index)?;
        self.run(
            &["apply", "--reverse", "--whitespace=nowarn", "-"],
            Some(&patch),
        )
        .map(drop)
    }

    /// Discards the file's unstaged changes (an untracked file is deleted).
    pub fn discard_file(&self, change: &Change) -> Result<(), ReviewError> {
        self.check_unchanged(change)?;
        let path = &change.diff.path;
        if change.diff.status == FileStatus::Untracked {
            return std::fs::remove_file(self.root.join(path)).map_err(|error| ReviewError::Io {
                path: self.root.join(path),
                reason: error.to_string(),
            });
        }
        self.git(&["checkout", "--", path]).map(drop)
    }

    fn check_unchanged(&self, change: &Change) -> Result<(), ReviewError> {
        if change.staged {
            return Err(ReviewError::Refused(
                "Staged changes are unstaged first; discard them from the unstaged list."
                    .to_string(),
            ));
        }
        if let Some(operation) = self.operation() {
            return Err(ReviewError::Refused(format!(
                "The repository is in the middle of {}; finish or abort it before discarding changes.",
                operation.describe()
            )));
        }
        if self.hash_of(&change.diff.path) != change.seen {
            return Err(ReviewError::Stale(change.diff.path.clone()));
        }
        Ok(())
    }

    /// The git hash of the working file (what `git hash-object` says), if it exists.
    fn hash_of(&self, path: &str) -> Option<String> {
        self.hashes_of(&[path]).remove(path)
    }

    /// The git hashes of the working files among `paths` that exist, in one call.
    fn hashes_of(&self, paths: &[&str]) -> HashMap<String, String> {
        let present: Vec<&str> = paths
            .iter()
            .copied()
            .filter(|path| self.root.join(path).is_file())
            .collect();
        if present.is_empty() {
            return HashMap::new();
        }
        let mut args = vec!["hash-object", "--"];
        args.extend(&present);
        let hashes = self.git(&args).unwrap_or_default();
        present
            .into_iter()
            .zip(hashes.lines())
            .map(|(path, hash)| (path.to_string(), hash.trim().to_string()))
            .collect()
    }

    /// An untracked file as an added one, every line new (a binary one without lines).
    fn untracked_diff(&self, path: &str) -> FileDiff {
        let bytes = std::fs::read(self.root.join(path)).unwrap_or_default();
        match std::str::from_utf8(&bytes) {
            Ok(text) if !bytes.contains(&0) => {
                whole_file(path.to_string(), FileStatus::Untracked, text)
            }
            _ => FileDiff {
                binary: true,
                ..whole_file(path.to_string(), FileStatus::Untracked, "")
            },
        }
    }

    /// Runs git in the repository's root; its output, or what it said when it failed.
    fn run(&self, args: &[&str], input: Option<&str>) -> Result<String, ReviewError> {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.root)
            .args(["-c", "core.quotepath=off"])
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|error| ReviewError::NoGit(error.to_string()))?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(input.as_bytes())
                .map_err(|error| ReviewError::Git(error.to_string()))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|error| ReviewError::Git(error.to_string()))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
            return Err(ReviewError::Git(said));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

fn hunk_patch(change: &Change, index: usize) -> Result<String, ReviewError> {
    change.diff.hunk_patch(index).ok_or_else(|| {
        ReviewError::Refused(format!(
            "{} has no such change any more; refresh the review.",
            change.diff.path
        ))
    })
}

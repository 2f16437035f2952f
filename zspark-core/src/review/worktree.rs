//! A git worktree per session, so sessions working at once in one repository do not
//! write over each other: made on a branch of its own from the folder's HEAD, under
//! `$CODEX_HOME/worktrees/`; recognised again from inside it; merged back (its changes
//! committed on its branch, the branch merged into the main checkout's current branch,
//! a merge that stops on conflicts aborted so nothing is left half-done); or removed
//! with its branch.

use std::path::{Path, PathBuf};

use super::ReviewError;
use super::git::GitRepo;

/// A linked worktree, as seen from inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    pub path: PathBuf,
    /// The branch it has checked out; `None` on a detached HEAD.
    pub branch: Option<String>,
    /// Whether that branch still exists (it can be deleted from elsewhere).
    pub branch_exists: bool,
    /// The repository's main checkout, where a merge lands.
    pub main_checkout: PathBuf,
    /// The branch the main checkout has checked out, when it has one.
    pub main_branch: Option<String>,
}

impl GitRepo {
    /// Makes a worktree of this repository for a new session, on a new branch from
    /// HEAD, in a folder of its own under `worktrees_dir`; the worktree's folder.
    pub fn add_worktree(&self, worktrees_dir: &Path, name: &str) -> Result<PathBuf, ReviewError> {
        let repo_name = self.root().file_name().map_or_else(
            || "repo".to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let mut attempt = 0;
        let (branch, path) = loop {
            let suffix = if attempt == 0 {
                String::new()
            } else {
                format!("-{attempt}")
            };
            let branch = format!("zspark/{name}{suffix}");
            let path = worktrees_dir.join(format!("{repo_name}-{name}{suffix}"));
            if !path.exists() && !self.has_branch(&branch) {
                break (branch, path);
            }
            attempt += 1;
        };
        std::fs::create_dir_all(worktrees_dir).map_err(|error| ReviewError::Io {
            path: worktrees_dir.to_path_buf(),
            reason: error.to_string(),
        })?;
        let target = path.to_string_lossy().into_owned();
        self.git(&["worktree", "add", "--quiet", "-b", &branch, &target, "HEAD"])?;
        Ok(path)
    }

    /// This checkout as a linked worktree; `None` for a main checkout.
    pub fn worktree(&self) -> Option<Worktree> {
        let dirs = self
            .git(&["rev-parse", "--absolute-git-dir", "--git-common-dir"])
            .ok()?;
        let mut lines = dirs.lines();
        let git_dir = PathBuf::from(lines.next()?);
        let common = PathBuf::from(lines.next()?);
        let common = if common.is_absolute() {
            common
        } else {
            self.root().join(common)
        };
        let common = common.canonicalize().unwrap_or(common);
        if git_dir.canonicalize().unwrap_or(git_dir) == common {
            return None;
        }
        let main_checkout = common.parent()?.to_path_buf();
        let branch = self.current_branch();
        let branch_exists = branch
            .as_deref()
            .is_some_and(|branch| self.has_branch(branch));
        let main_branch = GitRepo::find(&main_checkout).and_then(|main| main.current_branch());
        Some(Worktree {
            path: self.root().to_path_buf(),
            branch,
            branch_exists,
            main_checkout,
            main_branch,
        })
    }

    /// Commits what the worktree holds (when anything is uncommitted) with `message`
    /// and merges its branch into the main checkout's current branch; what happened.
    pub fn merge_worktree(&self, message: &str) -> Result<String, ReviewError> {
        let worktree = self.worktree().ok_or_else(|| {
            ReviewError::Refused("This session does not work in a worktree.".to_string())
        })?;
        let branch = match (&worktree.branch, worktree.branch_exists) {
            (Some(branch), true) => branch.clone(),
            (Some(branch), false) => {
                return Err(ReviewError::Refused(format!(
                    "The worktree's branch {branch} no longer exists, so there is nothing to merge; delete the worktree, or make the branch again with `git branch {branch}` in it."
                )));
            }
            (None, _) => {
                return Err(ReviewError::Refused(
                    "The worktree is on a detached HEAD; check out a branch in it first."
                        .to_string(),
                ));
            }
        };
        let main = main_checkout_of(&worktree)?;
        if let Some(operation) = main.operation() {
            return Err(ReviewError::Refused(format!(
                "The main checkout is in the middle of {}; finish or abort it first.",
                operation.describe()
            )));
        }
        let into = worktree.main_branch.clone().ok_or_else(|| {
            ReviewError::Refused(
                "The main checkout is on a detached HEAD; check out the branch to merge into."
                    .to_string(),
            )
        })?;
        if !self.git(&["status", "--porcelain"])?.trim().is_empty() {
            self.git(&["add", "--all"])?;
            self.git(&["commit", "--quiet", "-m", message])?;
        }
        if let Err(error) = main.git(&["merge", "--no-ff", "--no-edit", &branch]) {
            let conflicted = main
                .git(&["diff", "--name-only", "--diff-filter=U"])
                .unwrap_or_default();
            let _ = main.git(&["merge", "--abort"]);
            let files: Vec<&str> = conflicted.lines().collect();
            return Err(if files.is_empty() {
                error
            } else {
                ReviewError::Refused(format!(
                    "Merging {branch} into {into} stops on conflicts in {}; nothing was changed. Merge it yourself with `git merge {branch}` in {}.",
                    files.join(", "),
                    worktree.main_checkout.display()
                ))
            });
        }
        Ok(format!("Merged {branch} into {into}."))
    }

    /// Removes the worktree (what it holds goes with it) and its branch.
    pub fn remove_worktree(&self) -> Result<String, ReviewError> {
        let worktree = self.worktree().ok_or_else(|| {
            ReviewError::Refused("This session does not work in a worktree.".to_string())
        })?;
        let main = main_checkout_of(&worktree)?;
        let path = worktree.path.to_string_lossy().into_owned();
        main.git(&["worktree", "remove", "--force", &path])?;
        if let Some(branch) = worktree.branch.filter(|_| worktree.branch_exists) {
            main.git(&["branch", "-D", &branch])?;
        }
        Ok(format!("Removed the worktree {path}."))
    }

    fn has_branch(&self, branch: &str) -> bool {
        self.git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ])
        .is_ok()
    }
}

/// The main checkout of `worktree`, where merges land.
fn main_checkout_of(worktree: &Worktree) -> Result<GitRepo, ReviewError> {
    GitRepo::find(&worktree.main_checkout).ok_or_else(|| {
        ReviewError::Refused(format!(
            "The main checkout {} is gone.",
            worktree.main_checkout.display()
        ))
    })
}

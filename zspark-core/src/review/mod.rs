//! Reviewing what the agent changed: a session folder's uncommitted changes through
//! git (stage, unstage, discard a hunk or a file), a turn's changes from the patches
//! it applied (shown, and undone with or without git), and the session's own git
//! worktree (merged back or removed).
//!
//! - [`diff`]: files, hunks and lines; `git diff` read; a hunk as a patch; hunks undone.
//! - [`git`]: the repository through the `git` command line.
//! - [`turn`]: one turn's changes, and undoing them.
//! - [`worktree`]: a git worktree per session: made, recognised, merged back, removed.

pub mod diff;
pub mod git;
pub mod turn;
pub mod worktree;

use std::path::PathBuf;

pub use diff::{DiffLine, FileDiff, FileStatus, Hunk, LineKind};
pub use git::{Change, GitRepo, Operation, Uncommitted};
pub use turn::TurnChanges;
pub use worktree::Worktree;

/// Why a review action was not carried out. Nothing was changed when it fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("git could not be run ({0}); install git to review changes")]
    NoGit(String),
    #[error("git refused: {0}")]
    Git(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0} changed since its diff was read; refresh the review and try again")]
    Stale(String),
    #[error("the turn cannot be undone, so nothing was changed: {}", .0.join("; "))]
    CannotUndo(Vec<String>),
    #[error("{}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
}

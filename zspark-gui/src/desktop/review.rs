//! A session's review pane as the desktop keeps it: whether it is shown, which changes
//! (the folder's uncommitted ones, or the last turn's), what git last reported for
//! the folder (and whether it is the session's own worktree), files folded away, and
//! an action waiting for the user's confirmation (discarding, undoing the turn,
//! merging or removing the worktree).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use codex_protocol::FileChange;

use zspark_core::Transcript;
use zspark_core::conversation::{Item, PatchStatus};
use zspark_core::review::{Change, TurnChanges, Uncommitted, Worktree};

/// Which changes the pane shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReviewScope {
    /// Everything not committed in the folder's git repository.
    #[default]
    Uncommitted,
    /// What the agent's patches changed in the last turn.
    LastTurn,
}

/// An action that loses work unless the user confirms it.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Discard {
        change: Box<Change>,
        hunk: Option<usize>,
    },
    /// Undo the last turn, restoring these files.
    UndoTurn {
        files: Vec<PathBuf>,
        changes: TurnChanges,
    },
    /// Commit the worktree's changes on its branch and merge it into the main
    /// checkout's branch; `message` is the commit's.
    MergeWorktree {
        worktree: Worktree,
        message: String,
    },
    RemoveWorktree {
        worktree: Worktree,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewState {
    pub open: bool,
    pub scope: ReviewScope,
    /// The folder's changes as last read; `Ok(None)` outside a git repository.
    pub read: Option<Result<Option<Uncommitted>, String>>,
    /// The session's own worktree, when it works in one.
    pub worktree: Option<Worktree>,
    /// A read or a change is on its way.
    pub busy: bool,
    /// What the last change did or why it was refused.
    pub outcome: Option<Result<String, String>>,
    /// Files folded away, by their key (see [`file_key`]).
    pub folded: HashSet<String>,
    pub confirm: Option<Confirm>,
}

impl ReviewState {
    /// The uncommitted changes as last read, when the folder is in a repository.
    pub fn uncommitted(&self) -> Option<&Uncommitted> {
        self.read.as_ref()?.as_ref().ok()?.as_ref()
    }
}

/// What folds one file's changes: its path, and which side of the index.
pub fn file_key(path: &str, staged: bool) -> String {
    format!("{}:{path}", if staged { "staged" } else { "unstaged" })
}

/// The changes the agent's patches made in the transcript's last turn.
pub fn last_turn_changes(transcript: &Transcript) -> TurnChanges {
    let patches = last_turn_patches(transcript).cloned().collect();
    TurnChanges { patches }
}

/// How many patches the last turn has applied, so far.
pub fn last_turn_patch_count(transcript: &Transcript) -> usize {
    last_turn_patches(transcript).count()
}

fn last_turn_patches(
    transcript: &Transcript,
) -> impl Iterator<Item = &BTreeMap<PathBuf, FileChange>> {
    let start = transcript
        .items
        .iter()
        .rposition(|item| matches!(item, Item::User { .. }))
        .unwrap_or(0);
    transcript.items[start..]
        .iter()
        .filter_map(|item| match item {
            Item::Patch(patch) if patch.status == PatchStatus::Applied => Some(&patch.changes),
            _ => None,
        })
}

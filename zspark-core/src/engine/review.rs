//! The review pane's work, off the run loop: reading a session folder's uncommitted
//! changes, staging, unstaging and discarding through git, undoing a turn, and finding,
//! merging or removing the session's worktree. Every change is followed by a fresh
//! read, so the pane always shows what is on disk.

use std::path::PathBuf;

use crate::review::{Change, GitRepo, ReviewError, TurnChanges, Uncommitted, Worktree};

use super::{EngineEvent, Outbox, SessionKey};

/// What the review pane asks for, for session `session` working in `folder`.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewCommand {
    /// Read the folder's uncommitted changes (and whether it is a worktree).
    Read {
        session: SessionKey,
        folder: PathBuf,
    },
    /// Only find out whether the folder is a worktree of its own, as a session opens.
    FindWorktree {
        session: SessionKey,
        folder: PathBuf,
    },
    /// Stage an unstaged change (or its hunk `hunk`), or unstage a staged one.
    ToggleStaged {
        session: SessionKey,
        folder: PathBuf,
        change: Box<Change>,
        hunk: Option<usize>,
    },
    /// Throw away an unstaged change (or its hunk `hunk`) in the working tree.
    Discard {
        session: SessionKey,
        folder: PathBuf,
        change: Box<Change>,
        hunk: Option<usize>,
    },
    /// Restore every file a turn's patches changed.
    UndoTurn {
        session: SessionKey,
        folder: PathBuf,
        changes: TurnChanges,
    },
    /// Commit what the session's worktree holds (with `message`) and merge its branch
    /// into the main checkout.
    MergeWorktree {
        session: SessionKey,
        folder: PathBuf,
        message: String,
    },
    /// Remove the session's worktree and its branch.
    RemoveWorktree {
        session: SessionKey,
        folder: PathBuf,
    },
}

/// What a review command did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewEvent {
    /// The folder's uncommitted changes; `None` outside a git repository.
    Read {
        session: SessionKey,
        read: Result<Option<Uncommitted>, String>,
    },
    /// The folder as a linked worktree; `None` when it is not one.
    Worktree {
        session: SessionKey,
        worktree: Option<Worktree>,
    },
    /// A change was made (what, for the user) or refused (why; nothing changed).
    Done {
        session: SessionKey,
        outcome: Result<String, String>,
    },
}

pub(super) fn spawn(command: ReviewCommand, outbox: &Outbox) {
    let outbox = outbox.clone();
    tokio::spawn(async move {
        match tokio::task::spawn_blocking(move || carry_out(command)).await {
            Ok(events) => {
                for event in events {
                    outbox.send(EngineEvent::Review(event)).await;
                }
            }
            Err(error) => {
                let message = format!("the review task failed: {error}");
                outbox.send(EngineEvent::Problem(message)).await;
            }
        }
    });
}

fn carry_out(command: ReviewCommand) -> Vec<ReviewEvent> {
    let (session, folder, outcome) = match command {
        ReviewCommand::Read { session, folder } => return read(session, &folder),
        ReviewCommand::FindWorktree { session, folder } => {
            return vec![worktree_of(session, &folder)];
        }
        ReviewCommand::ToggleStaged {
            session,
            folder,
            change,
            hunk,
        } => {
            let outcome = in_repo(&folder, |repo| {
                let what = if change.staged { "Unstaged" } else { "Staged" };
                match (hunk, change.staged) {
                    (Some(index), _) => repo.toggle_hunk(&change, index),
                    (None, false) => repo.stage_file(&change.diff.path),
                    (None, true) => repo.unstage_file(&change.diff.path),
                }?;
                Ok(format!("{what} {}.", described(&change, hunk)))
            });
            (session, folder, outcome)
        }
        ReviewCommand::Discard {
            session,
            folder,
            change,
            hunk,
        } => {
            let outcome = in_repo(&folder, |repo| {
                match hunk {
                    Some(index) => repo.discard_hunk(&change, index),
                    None => repo.discard_file(&change),
                }?;
                Ok(format!("Discarded {}.", described(&change, hunk)))
            });
            (session, folder, outcome)
        }
        ReviewCommand::UndoTurn {
            session,
            folder,
            changes,
        } => {
            let outcome = changes.undo(&folder).map(|restored| {
                let names: Vec<String> = restored
                    .iter()
                    .map(|path| path.display().to_string())
                    .collect();
                format!("Undid the turn: restored {}.", names.join(", "))
            });
            (session, folder, outcome)
        }
        ReviewCommand::MergeWorktree {
            session,
            folder,
            message,
        } => {
            let outcome = in_repo(&folder, |repo| repo.merge_worktree(&message));
            (session, folder, outcome)
        }
        ReviewCommand::RemoveWorktree { session, folder } => {
            let outcome = in_repo(&folder, GitRepo::remove_worktree);
            (session, folder, outcome)
        }
    };
    let done = ReviewEvent::Done {
        session,
        outcome: outcome.map_err(|error| error.to_string()),
    };
    std::iter::once(done)
        .chain(read(session, &folder))
        .collect()
}

/// The folder's uncommitted changes, and whether it is a worktree.
fn read(session: SessionKey, folder: &std::path::Path) -> Vec<ReviewEvent> {
    let repo = GitRepo::find(folder);
    let read = match &repo {
        Some(repo) => repo
            .uncommitted()
            .map(Some)
            .map_err(|error| error.to_string()),
        None => Ok(None),
    };
    let worktree = repo.as_ref().and_then(GitRepo::worktree);
    vec![
        ReviewEvent::Read { session, read },
        ReviewEvent::Worktree { session, worktree },
    ]
}

fn worktree_of(session: SessionKey, folder: &std::path::Path) -> ReviewEvent {
    let worktree = GitRepo::find(folder).as_ref().and_then(GitRepo::worktree);
    ReviewEvent::Worktree { session, worktree }
}

fn in_repo(
    folder: &std::path::Path,
    work: impl FnOnce(&GitRepo) -> Result<String, ReviewError>,
) -> Result<String, ReviewError> {
    let repo = GitRepo::find(folder).ok_or_else(|| {
        ReviewError::Refused(format!("{} is not in a git repository.", folder.display()))
    })?;
    work(&repo)
}

/// "src/lib.rs", or "a change in src/lib.rs" for one of its hunks.
fn described(change: &Change, hunk: Option<usize>) -> String {
    match hunk {
        Some(_) => format!("a change in {}", change.diff.path),
        None => change.diff.path.clone(),
    }
}

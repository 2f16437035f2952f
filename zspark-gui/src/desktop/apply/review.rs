//! The review pane's actions on the shown session: showing it (which reads the folder's
//! changes), switching between uncommitted changes and the last turn's, folding files,
//! staging and unstaging, and the confirmed ones: discarding, undoing the turn, merging
//! and removing the session's worktree.

use zspark_core::{EngineCommand, ReviewCommand};

use super::super::app::DesktopApp;
use super::super::commands::ReviewAction;
use super::super::review::{Confirm, last_turn_changes};

impl DesktopApp {
    pub(in super::super) fn apply_review(&mut self, action: ReviewAction) {
        let Some(view) = self.model.session_mut() else {
            return;
        };
        let (session, folder, title) = (view.number, view.cwd.clone(), view.title());
        let review = &mut view.review;
        let command = match action {
            ReviewAction::Toggle => {
                review.open = !review.open;
                review.outcome = None;
                if !review.open {
                    return;
                }
                review.busy = true;
                ReviewCommand::Read { session, folder }
            }
            ReviewAction::Scope(scope) => {
                review.scope = scope;
                return;
            }
            ReviewAction::Refresh => {
                review.busy = true;
                ReviewCommand::Read { session, folder }
            }
            ReviewAction::Fold(key) => {
                if !review.folded.remove(&key) {
                    review.folded.insert(key);
                }
                return;
            }
            ReviewAction::ToggleStaged { change, hunk } => {
                review.busy = true;
                ReviewCommand::ToggleStaged {
                    session,
                    folder,
                    change,
                    hunk,
                }
            }
            ReviewAction::AskDiscard { change, hunk } => {
                review.confirm = Some(Confirm::Discard { change, hunk });
                return;
            }
            ReviewAction::AskUndoTurn => {
                let changes = last_turn_changes(&view.transcript);
                let files = changes.files(&folder);
                view.review.confirm = Some(Confirm::UndoTurn { files, changes });
                return;
            }
            ReviewAction::AskMergeWorktree => {
                if let Some(worktree) = review.worktree.clone() {
                    let message = format!("{title} (a zspark session)");
                    review.confirm = Some(Confirm::MergeWorktree { worktree, message });
                }
                return;
            }
            ReviewAction::AskRemoveWorktree => {
                if let Some(worktree) = review.worktree.clone() {
                    review.confirm = Some(Confirm::RemoveWorktree { worktree });
                }
                return;
            }
            ReviewAction::Cancel => {
                review.confirm = None;
                return;
            }
            ReviewAction::Confirmed => {
                let Some(confirmed) = review.confirm.take() else {
                    return;
                };
                review.busy = true;
                match confirmed {
                    Confirm::Discard { change, hunk } => ReviewCommand::Discard {
                        session,
                        folder,
                        change,
                        hunk,
                    },
                    Confirm::UndoTurn { changes, .. } => ReviewCommand::UndoTurn {
                        session,
                        folder,
                        changes,
                    },
                    Confirm::MergeWorktree { message, .. } => ReviewCommand::MergeWorktree {
                        session,
                        folder,
                        message,
                    },
                    Confirm::RemoveWorktree { .. } => {
                        ReviewCommand::RemoveWorktree { session, folder }
                    }
                }
            }
        };
        self.send(EngineCommand::Review(command));
    }
}

//! The review pane, shown in place of the conversation: the session folder's
//! uncommitted changes (staged and unstaged, untracked files as added; stage, unstage
//! or discard a file or a hunk) or the last turn's (undo the whole turn), each file's
//! hunks with line numbers and syntax colouring. Only the rows in view are laid out,
//! so a diff of thousands of lines scrolls as fast as a short one. Discarding,
//! undoing and what is done to a session's worktree ask first ([`confirm`]).

use std::path::Path;

use egui::text::LayoutJob;
use egui_extras::syntax_highlighting::{CodeTheme, highlight};
use zspark_core::catalogue::folder_label;
use zspark_core::review::{Change, FileDiff, FileStatus, LineKind};

use super::super::commands::{Commands, ReviewAction};
use super::super::review::{
    Confirm, ReviewScope, ReviewState, file_key, last_turn_changes, last_turn_patch_count,
};
use super::super::session::SessionView;
use super::super::theme;

/// The last turn's diffs, worked out once per change of the conversation.
#[derive(Default)]
pub struct ReviewPanelState {
    last_turn: Option<((u64, usize, usize), Vec<FileDiff>)>,
}

/// One row of the pane.
#[derive(Clone, Copy)]
enum Row {
    File(usize),
    Binary,
    Hunk(usize, usize),
    Line {
        file: usize,
        hunk: usize,
        line: usize,
        old: Option<usize>,
        new: Option<usize>,
    },
}

pub fn show(
    ui: &mut egui::Ui,
    session: &SessionView,
    home: Option<&Path>,
    state: &mut ReviewPanelState,
    out: &mut Commands,
) {
    let review = &session.review;
    ui.horizontal(|ui| {
        theme::title(ui, "Changes");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Back to the conversation").clicked() {
                out.push(ReviewAction::Toggle);
            }
        });
    });
    ui.horizontal(|ui| {
        for (scope, label) in [
            (ReviewScope::Uncommitted, "Uncommitted"),
            (ReviewScope::LastTurn, "Last turn"),
        ] {
            if ui.selectable_label(review.scope == scope, label).clicked() {
                out.push(ReviewAction::Scope(scope));
            }
        }
        if ui
            .button(format!("{} Refresh", theme::icon::REFRESH))
            .on_hover_text("Read the changes again")
            .clicked()
        {
            out.push(ReviewAction::Refresh);
        }
        if review.busy {
            ui.spinner();
        }
    });
    match &review.outcome {
        Some(Ok(done)) => {
            ui.label(theme::muted(done));
        }
        Some(Err(problem)) => {
            ui.colored_label(theme::DANGER, problem);
        }
        None => {}
    }
    ui.separator();
    match review.scope {
        ReviewScope::Uncommitted => uncommitted(ui, review, home, out),
        ReviewScope::LastTurn => last_turn(ui, session, state, out),
    }
}

fn uncommitted(ui: &mut egui::Ui, review: &ReviewState, home: Option<&Path>, out: &mut Commands) {
    let read = match &review.read {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(theme::muted("Reading the folder's changes…"));
            });
            return;
        }
        Some(Err(problem)) => {
            ui.colored_label(theme::DANGER, problem);
            return;
        }
        Some(Ok(None)) => {
            theme::empty_state(
                ui,
                "This folder is not in a git repository. The last turn's changes can still be reviewed and undone.",
            );
            return;
        }
        Some(Ok(Some(read))) => read,
    };
    let branch = read.branch.as_deref().unwrap_or("a detached HEAD");
    ui.label(theme::muted(format!(
        "{} on {branch}",
        folder_label(&read.root, home)
    )));
    if let Some(operation) = read.operation {
        ui.colored_label(
            theme::WARNING,
            format!(
                "{} The repository is in the middle of {}: staging works, discarding waits until it is finished or aborted.",
                theme::icon::WARNING,
                operation.describe()
            ),
        );
    }
    if read.changes.is_empty() {
        theme::empty_state(ui, "Nothing uncommitted.");
        return;
    }
    let diffs: Vec<&FileDiff> = read.changes.iter().map(|change| &change.diff).collect();
    let keys: Vec<String> = read
        .changes
        .iter()
        .map(|change| file_key(&change.diff.path, change.staged))
        .collect();
    let actions = |ui: &mut egui::Ui, row: RowActions, out: &mut Commands| match row {
        RowActions::File(index) => file_actions(ui, &read.changes[index], None, out),
        RowActions::Hunk(index, hunk) => file_actions(ui, &read.changes[index], Some(hunk), out),
    };
    rows(ui, &diffs, &keys, review, actions, out);
}

fn last_turn(
    ui: &mut egui::Ui,
    session: &SessionView,
    state: &mut ReviewPanelState,
    out: &mut Commands,
) {
    // A patch is counted once applied, which adds no item.
    let generation = (
        session.number,
        session.transcript.items.len(),
        last_turn_patch_count(&session.transcript),
    );
    if state.last_turn.as_ref().map(|(key, _)| *key) != Some(generation) {
        let diffs = last_turn_changes(&session.transcript).diffs(&session.cwd);
        state.last_turn = Some((generation, diffs));
    }
    let diffs = state
        .last_turn
        .as_ref()
        .map(|(_, diffs)| diffs.as_slice())
        .unwrap_or_default();
    ui.horizontal(|ui| {
        let can_undo = !diffs.is_empty() && !session.is_running();
        if ui
            .add_enabled(can_undo, egui::Button::new("Undo this turn…"))
            .on_hover_text("Restore every file the last turn's patches changed")
            .clicked()
        {
            out.push(ReviewAction::AskUndoTurn);
        }
        ui.label(theme::muted(
            "The agent's patches; files changed by commands it ran are not listed.",
        ));
    });
    if diffs.is_empty() {
        theme::empty_state(ui, "The last turn changed no files with its patches.");
        return;
    }
    let shown: Vec<&FileDiff> = diffs.iter().collect();
    let keys: Vec<String> = diffs
        .iter()
        .enumerate()
        .map(|(index, diff)| format!("turn:{index}:{}", diff.path))
        .collect();
    rows(ui, &shown, &keys, &session.review, |_, _, _| {}, out);
}

/// Which row's buttons to draw.
enum RowActions {
    File(usize),
    Hunk(usize, usize),
}

/// Every file's header, hunks and lines, laid out only where in view: each row's
/// height is known (a header's is a button's, a line's a line of code), so the rows
/// in the viewport are found by their offsets and nothing else is laid out.
fn rows(
    ui: &mut egui::Ui,
    diffs: &[&FileDiff],
    keys: &[String],
    review: &ReviewState,
    actions: impl Fn(&mut egui::Ui, RowActions, &mut Commands),
    out: &mut Commands,
) {
    let rows = flatten(diffs, keys, review);
    let theme = CodeTheme::from_style(ui.style());
    let header_height = ui.spacing().interact_size.y;
    let line_height = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
    let height_of = |row: &Row| match row {
        Row::Line { .. } | Row::Binary => line_height,
        Row::File(_) | Row::Hunk(..) => header_height,
    };
    let mut tops = Vec::with_capacity(rows.len());
    let mut total = 0.0;
    for row in &rows {
        tops.push(total);
        total += height_of(row);
    }
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show_viewport(ui, |ui, viewport| {
            ui.set_min_height(total);
            let origin = ui.max_rect().min;
            let width = ui.available_width();
            let first = tops
                .partition_point(|top| *top <= viewport.min.y)
                .saturating_sub(1);
            let last = tops.partition_point(|top| *top < viewport.max.y);
            for (row, top) in rows[first..last].iter().zip(&tops[first..last]) {
                let rect = egui::Rect::from_min_size(
                    origin + egui::vec2(0.0, *top),
                    egui::vec2(width, height_of(row)),
                );
                let builder = egui::UiBuilder::new()
                    .max_rect(rect)
                    .layout(egui::Layout::left_to_right(egui::Align::Center));
                ui.scope_builder(builder, |ui| {
                    draw_row(ui, *row, diffs, keys, review, &theme, &actions, out);
                });
            }
        });
}

#[allow(
    clippy::too_many_arguments,
    reason = "one row needs the diffs, their keys, the folds, the colours and the buttons"
)]
fn draw_row(
    ui: &mut egui::Ui,
    row: Row,
    diffs: &[&FileDiff],
    keys: &[String],
    review: &ReviewState,
    theme: &CodeTheme,
    actions: &impl Fn(&mut egui::Ui, RowActions, &mut Commands),
    out: &mut Commands,
) {
    match row {
        Row::File(index) => {
            let diff = diffs[index];
            let arrow = if review.folded.contains(&keys[index]) {
                theme::icon::FOLDED
            } else {
                theme::icon::UNFOLDED
            };
            let (added, removed) = diff.added_and_removed();
            let name = match &diff.old_path {
                Some(old) => format!("{old} → {}", diff.path),
                None => diff.path.clone(),
            };
            if ui
                .selectable_label(false, format!("{arrow} {name}"))
                .clicked()
            {
                out.push(ReviewAction::Fold(keys[index].clone()));
            }
            ui.label(theme::muted(diff.status.label()));
            ui.colored_label(theme::SUCCESS, format!("+{added}"));
            ui.colored_label(theme::DANGER, format!("−{removed}"));
            if keys[index].starts_with("staged:") {
                ui.label(theme::muted("staged"));
            }
            actions(ui, RowActions::File(index), out);
        }
        Row::Binary => {
            ui.label(theme::muted("    a binary file: no lines to show"));
        }
        Row::Hunk(index, hunk) => {
            ui.label(theme::muted(format!(
                "    {}",
                diffs[index].hunks[hunk].header()
            )));
            actions(ui, RowActions::Hunk(index, hunk), out);
        }
        Row::Line {
            file,
            hunk,
            line,
            old,
            new,
        } => {
            let diff = diffs[file];
            let line = &diff.hunks[hunk].lines[line];
            let number = |number: Option<usize>| {
                number.map_or_else(String::new, |number| number.to_string())
            };
            ui.spacing_mut().item_spacing.x = theme::SPACE;
            ui.label(
                egui::RichText::new(format!("{:>5} {:>5}", number(old), number(new)))
                    .monospace()
                    .weak(),
            );
            let job = line_job(ui, theme, &diff.path, line.kind, &line.text);
            ui.add(egui::Label::new(job).extend());
        }
    }
}

fn flatten(diffs: &[&FileDiff], keys: &[String], review: &ReviewState) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, diff) in diffs.iter().enumerate() {
        rows.push(Row::File(index));
        if review.folded.contains(&keys[index]) {
            continue;
        }
        if diff.binary {
            rows.push(Row::Binary);
        }
        for (hunk_index, hunk) in diff.hunks.iter().enumerate() {
            rows.push(Row::Hunk(index, hunk_index));
            let (mut old, mut new) = (hunk.old_start, hunk.new_start);
            for (line_index, line) in hunk.lines.iter().enumerate() {
                let (old_number, new_number) = match line.kind {
                    LineKind::Context => (Some(old), Some(new)),
                    LineKind::Removed => (Some(old), None),
                    LineKind::Added => (None, Some(new)),
                };
                if old_number.is_some() {
                    old += 1;
                }
                if new_number.is_some() {
                    new += 1;
                }
                rows.push(Row::Line {
                    file: index,
                    hunk: hunk_index,
                    line: line_index,
                    old: old_number,
                    new: new_number,
                });
            }
        }
    }
    rows
}

/// A diff line: its mark, the code coloured for its language, a tint for added and
/// removed lines.
fn line_job(ui: &egui::Ui, theme: &CodeTheme, path: &str, kind: LineKind, text: &str) -> LayoutJob {
    let language = Path::new(path)
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or("txt");
    let (mark, tint) = match kind {
        LineKind::Context => (" ", egui::Color32::TRANSPARENT),
        LineKind::Added => ("+", theme::SUCCESS.gamma_multiply(0.18)),
        LineKind::Removed => ("-", theme::DANGER.gamma_multiply(0.18)),
    };
    let mut job = highlight(
        ui.ctx(),
        ui.style(),
        theme,
        &format!("{mark}{text}"),
        language,
    );
    for section in &mut job.sections {
        section.format.background = tint;
    }
    job
}

/// Stage/unstage and discard for a file (`hunk` is `None`) or one of its hunks.
fn file_actions(ui: &mut egui::Ui, change: &Change, hunk: Option<usize>, out: &mut Commands) {
    let boxed = || Box::new(change.clone());
    let (stage, discard) = match (hunk, change.staged) {
        (None, false) => ("Stage", "Discard…"),
        (None, true) => ("Unstage", ""),
        (Some(_), false) => ("Stage hunk", "Discard hunk…"),
        (Some(_), true) => ("Unstage hunk", ""),
    };
    if hunk.is_some() && change.diff.status == FileStatus::Untracked {
        return;
    }
    if theme::subtle_button(ui, stage).clicked() {
        out.push(ReviewAction::ToggleStaged {
            change: boxed(),
            hunk,
        });
    }
    if !discard.is_empty() && theme::subtle_button(ui, discard).clicked() {
        out.push(ReviewAction::AskDiscard {
            change: boxed(),
            hunk,
        });
    }
}

/// The confirmation for a discard or an undo, while one waits.
pub fn confirm(ctx: &egui::Context, review: &ReviewState, out: &mut Commands) {
    let Some(waiting) = &review.confirm else {
        return;
    };
    let response = egui::Modal::new(egui::Id::unique("review-confirm")).show(ctx, |ui| {
        ui.set_width(440.0);
        let (question, action) = match waiting {
            Confirm::Discard { change, hunk } => {
                let what = match hunk {
                    Some(_) => format!("this change to {}", change.diff.path),
                    None if change.diff.status == FileStatus::Untracked => {
                        format!("the new file {}", change.diff.path)
                    }
                    None => format!("every unstaged change to {}", change.diff.path),
                };
                theme::title(ui, "Discard changes?");
                (format!("Discard {what}? This cannot be undone."), "Discard")
            }
            Confirm::UndoTurn { files, .. } => {
                theme::title(ui, "Undo the last turn?");
                for file in files {
                    ui.label(format!("• {}", file.display()));
                }
                (
                    "These files go back to what they held before the turn. Files changed by commands the agent ran are not restored."
                        .to_string(),
                    "Undo turn",
                )
            }
            Confirm::MergeWorktree { worktree, message } => {
                let branch = worktree.branch.as_deref().unwrap_or("its branch");
                let into = worktree.main_branch.as_deref().unwrap_or("the main checkout");
                theme::title(ui, &format!("Merge {branch} into {into}?"));
                (
                    format!(
                        "What the worktree holds is committed on {branch} (\"{message}\"), then {branch} is merged into {into} in {}. A merge that stops on conflicts is aborted and changes nothing.",
                        worktree.main_checkout.display()
                    ),
                    "Merge",
                )
            }
            Confirm::RemoveWorktree { worktree } => {
                theme::title(ui, "Delete the worktree?");
                let branch = worktree
                    .branch
                    .as_deref()
                    .filter(|_| worktree.branch_exists)
                    .map(|branch| format!(" and the branch {branch}"))
                    .unwrap_or_default();
                (
                    format!(
                        "{}{branch} are deleted, with anything not merged. This cannot be undone; the session stays open without its folder.",
                        worktree.path.display()
                    ),
                    "Delete worktree",
                )
            }
        };
        ui.label(question);
        ui.add_space(theme::SPACE * 2.0);
        ui.horizontal(|ui| {
            if theme::danger_button(ui, action).clicked() {
                out.push(ReviewAction::Confirmed);
            }
            if ui.button("Cancel").clicked() {
                out.push(ReviewAction::Cancel);
            }
        });
    });
    if response.should_close() {
        out.push(ReviewAction::Cancel);
    }
}

//! The Memory tab of the settings: memories on or off; the summary sessions are given
//! (or why it is not used) and how the background consolidation last went; the user's notes, each editable and deletable, and a box to
//! add one; and the folder's recent history, since every change is kept and can be
//! undone.

use egui::RichText;
use zspark_core::MemoryCommand;
use zspark_core::catalogue::folder_label;
use zspark_core::memory::{HISTORY_REF, MemoryView, SummaryState};

use super::super::commands::{Commands, SettingsCommand};
use super::super::model::Model;
use super::super::theme;

/// The tab's own state: the note being written and the one being edited.
#[derive(Default)]
pub struct MemorySettingsState {
    pub new_note: String,
    /// The note being edited: its file name and the text so far.
    pub editing: Option<(String, String)>,
}

pub fn tab(ui: &mut egui::Ui, model: &Model, state: &mut MemorySettingsState, out: &mut Commands) {
    let Some(view) = &model.memory else {
        ui.spinner();
        return;
    };
    let mut enabled = view.enabled;
    if ui
        .checkbox(&mut enabled, "Remember across sessions")
        .on_hover_text(
            "features.memories in config.toml; sessions started from now on are given the summary",
        )
        .changed()
    {
        out.push(SettingsCommand::Memory(MemoryCommand::SetEnabled(enabled)));
    }
    ui.label(theme::muted(format!(
        "Kept in {}, shared with the Codex CLI.",
        folder_label(&view.folder, model.home.as_deref())
    )));
    egui::ScrollArea::vertical()
        .max_height(420.0)
        .show(ui, |ui| {
            summary(ui, view);
            ui.separator();
            notes(ui, view, state, out);
            ui.separator();
            history(ui, view);
        });
}

fn summary(ui: &mut egui::Ui, view: &MemoryView) {
    ui.label(RichText::new("Summary").strong());
    if let Some(last) = &view.last_consolidation {
        let when = zspark_core::memory::local_time(last.at);
        match &last.error {
            None => ui.label(theme::muted(format!("Last consolidated {when}."))),
            Some(error) => ui.colored_label(
                theme::WARNING,
                format!("The consolidation of {when} failed: {error}"),
            ),
        };
    }
    for failure in &view.last_failures {
        ui.colored_label(theme::WARNING, format!("Not condensed: {failure}"));
    }
    match &view.summary {
        SummaryState::Missing => {
            theme::empty_state(
                ui,
                "No summary yet. It is written in the background from earlier sessions.",
            );
        }
        SummaryState::Valid(text) => {
            ui.label(theme::muted("Given to every new session."));
            ui.label(RichText::new(text).monospace());
        }
        SummaryState::Invalid { text, problem } => {
            ui.colored_label(theme::WARNING, format!("Not given to sessions: {problem}."));
            ui.label(RichText::new(text).monospace());
        }
    }
}

fn notes(
    ui: &mut egui::Ui,
    view: &MemoryView,
    state: &mut MemorySettingsState,
    out: &mut Commands,
) {
    ui.label(RichText::new("Notes").strong());
    ui.label(theme::muted(
        "What you asked to be remembered, forgotten or corrected. The next summary takes them in.",
    ));
    if view.notes.is_empty() {
        theme::empty_state(ui, "No notes yet.");
    }
    for note in &view.notes {
        theme::card(ui, |ui| {
            ui.label(theme::muted(&note.file_name));
            match &mut state.editing {
                Some((name, text)) if *name == note.file_name => {
                    let label = ui.label("Note text");
                    ui.add(egui::TextEdit::multiline(text).desired_rows(3))
                        .labelled_by(label.id);
                    let (save, cancel) = ui
                        .horizontal(|ui| {
                            let save = theme::primary_button(ui, "Save").clicked();
                            (save, ui.button("Cancel").clicked())
                        })
                        .inner;
                    if save {
                        out.push(SettingsCommand::Memory(MemoryCommand::EditNote {
                            name: name.clone(),
                            text: text.clone(),
                        }));
                    }
                    if save || cancel {
                        state.editing = None;
                    }
                }
                _ => {
                    ui.label(&note.text);
                    ui.horizontal(|ui| {
                        if ui.button("Edit").clicked() {
                            state.editing = Some((note.file_name.clone(), note.text.clone()));
                        }
                        if theme::danger_button(ui, "Delete").clicked() {
                            out.push(SettingsCommand::Memory(MemoryCommand::DeleteNote {
                                name: note.file_name.clone(),
                            }));
                        }
                    });
                }
            }
        });
    }
    let label = ui.label("New note");
    ui.add(
        egui::TextEdit::multiline(&mut state.new_note)
            .hint_text("Something to remember, in your words")
            .desired_rows(2),
    )
    .labelled_by(label.id);
    let can_add = !state.new_note.trim().is_empty();
    if ui
        .add_enabled(can_add, egui::Button::new("Add note"))
        .clicked()
    {
        out.push(SettingsCommand::Memory(MemoryCommand::AddNote {
            text: std::mem::take(&mut state.new_note),
        }));
    }
}

fn history(ui: &mut egui::Ui, view: &MemoryView) {
    ui.label(RichText::new("History").strong());
    if view.history.is_empty() {
        theme::empty_state(ui, "No changes yet.");
        return;
    }
    ui.label(theme::muted(format!(
        "Every change is kept on {HISTORY_REF} in the folder's git repository."
    )));
    for snapshot in &view.history {
        ui.label(theme::muted(format!(
            "{}  {}",
            zspark_core::memory::local_time(snapshot.time),
            snapshot.message
        )));
    }
}

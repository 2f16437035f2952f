//! The model and reasoning-effort pickers in the composer. The model list is the
//! session's model, the profiles' models and what the provider lists at its
//! `/models` (asked the first time the list opens); a provider that lists none says
//! why, and any model name can be typed in. The effort list holds the efforts the
//! picked model takes, and is hidden for a model that takes none. A choice applies
//! from the next turn and is remembered for the session's folder.

use codex_protocol::ReasoningEffort;
use zspark_core::ModelChoice;

use super::super::commands::{Commands, SessionCommand};
use super::super::session::{ModelListing, SessionView};
use super::super::theme;

/// The model name being typed in, per composer.
#[derive(Default)]
pub struct ModelPickerState {
    pub typed: String,
}

pub fn show(
    ui: &mut egui::Ui,
    session: &SessionView,
    profile_models: &[String],
    state: &mut ModelPickerState,
    out: &mut Commands,
) {
    let Some(current) = session.model().map(str::to_string) else {
        return;
    };
    let label = ui.label(theme::muted("Model"));
    egui::ComboBox::from_id_salt("model")
        .selected_text(&current)
        .show_ui(ui, |ui| {
            if session.models == ModelListing::NotAsked {
                out.push(SessionCommand::ListModels);
            }
            for name in choices(session, &current, profile_models) {
                if ui.selectable_label(name == current, &name).clicked() {
                    out.push(SessionCommand::PickModel(name));
                }
            }
            match &session.models {
                ModelListing::NotAsked | ModelListing::Asking => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(theme::muted("Asking the provider for its models…"));
                    });
                }
                ModelListing::Failed(problem) => {
                    ui.label(theme::muted(format!("{problem} Type a model name below.")));
                }
                ModelListing::Listed(_) => {}
            }
            ui.separator();
            typed_model(ui, state, out);
        })
        .response
        .labelled_by(label.id);
    effort_picker(ui, session, &current, out);
}

/// Every model the list offers, the current one first, each once.
fn choices(session: &SessionView, current: &str, profile_models: &[String]) -> Vec<String> {
    let mut names = vec![current.to_string()];
    names.extend(
        session
            .configured
            .as_ref()
            .map(|configured| configured.model.clone()),
    );
    names.extend(profile_models.iter().cloned());
    if let ModelListing::Listed(listed) = &session.models {
        names.extend(listed.iter().map(|choice| choice.name.clone()));
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| !name.trim().is_empty() && seen.insert(name.clone()));
    names
}

/// A field for a model the provider does not list.
fn typed_model(ui: &mut egui::Ui, state: &mut ModelPickerState, out: &mut Commands) {
    ui.horizontal(|ui| {
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut state.typed)
                    .hint_text("another model's name")
                    .desired_width(160.0),
            )
            .accessible_name("Other model");
        let entered = field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        let name = state.typed.trim().to_string();
        if (ui
            .add_enabled(!name.is_empty(), egui::Button::new("Use"))
            .clicked()
            || entered)
            && !name.is_empty()
        {
            out.push(SessionCommand::PickModel(name));
            state.typed.clear();
            ui.close();
        }
    });
}

/// The effort for the next turns, among those `model` takes.
fn effort_picker(ui: &mut egui::Ui, session: &SessionView, model: &str, out: &mut Commands) {
    let efforts = efforts_of(session, model);
    if efforts.is_empty() {
        return;
    }
    let current = session.effort();
    let label = ui.label(theme::muted("Effort"));
    egui::ComboBox::from_id_salt("effort")
        .selected_text(current.map_or("model's default", ReasoningEffort::as_str))
        .show_ui(ui, |ui| {
            for effort in efforts {
                if ui
                    .selectable_label(current == Some(effort), effort.as_str())
                    .clicked()
                {
                    out.push(SessionCommand::PickEffort(effort));
                }
            }
        })
        .response
        .labelled_by(label.id);
}

/// The efforts `model` takes: as the provider's list says, else as its family's.
fn efforts_of(session: &SessionView, model: &str) -> Vec<ReasoningEffort> {
    match &session.models {
        ModelListing::Listed(listed) => listed
            .iter()
            .find(|choice| choice.name == model)
            .map(|choice| choice.efforts.clone()),
        _ => None,
    }
    .unwrap_or_else(|| ModelChoice::named(model).efforts)
}

//! The first-run screen: what zspark is, a provider to talk to (or the one already in
//! `config.toml`), and a folder to work in; then the first session starts.

use zspark_core::ProviderList;

use super::super::commands::{Commands, SessionCommand, SettingsCommand};
use super::super::model::Model;
use super::super::theme;
use super::settings::{self, SettingsState};

pub fn show(
    ui: &mut egui::Ui,
    model: &Model,
    settings_state: &mut SettingsState,
    out: &mut Commands,
) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.set_max_width(theme::CONTENT_WIDTH);
            ui.add_space(theme::SPACE * 10.0);
            theme::title(ui, "Welcome to zspark");
            ui.label("An agent that works in your folders: it reads, runs commands and edits files, and asks before anything risky.");
            ui.add_space(theme::SPACE * 6.0);
        });
        theme::section_heading(ui, "1 · Provider");
        match &model.providers {
            None => {
                ui.spinner();
            }
            Some(list) if !list.profiles.is_empty() => {
                let names: Vec<String> = list.profiles.iter().map(|profile| profile.name.clone()).collect();
                ui.label(format!(
                    "Found in your Codex configuration: {}. Add another in Settings at any time.",
                    names.join(", ")
                ));
            }
            Some(ProviderList {
                configured: Some(configured),
                ..
            }) => {
                ui.label(format!(
                    "Found in your Codex configuration: {} with {}. Add another in Settings at any time.",
                    configured.name, configured.model
                ));
            }
            Some(_) => {
                ui.label("Add the model provider the agent talks to. The key is kept in the OS keychain, never in a file others can read.");
                settings::provider_form(ui, model, &mut settings_state.provider_form, out);
            }
        }
        ui.add_space(theme::SPACE * 4.0);
        theme::section_heading(ui, "2 · Folder");
        ui.label("Choose the folder the first session works in.");
        let ready = model.providers.as_ref().is_some_and(|list| list.ready());
        ui.add_space(theme::SPACE * 2.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(ready, egui::Button::new("Choose a folder and start"))
                .clicked()
            {
                out.push(SettingsCommand::FinishOnboarding);
                out.push(SessionCommand::AskNew);
            }
            if theme::subtle_button(ui, "Skip: I configure providers myself").clicked() {
                out.push(SettingsCommand::FinishOnboarding);
            }
        });
    });
}

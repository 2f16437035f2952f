//! The views: each draws one part of the window from the app's state and pushes
//! [`UiCommand`]s for what the user asked; none changes domain state itself.

pub mod cards;
mod composer;
pub mod conversation;
mod details;
mod first_run;
pub mod settings;
pub mod shared;
mod sidebar;

use super::app::{DesktopApp, Tone};
use super::commands::UiCommand;
use super::theme;

/// Draws the whole window.
pub fn draw(app: &mut DesktopApp, ui: &mut egui::Ui) {
    let mut out = Vec::new();
    if let Some(banner) = &app.view.banner {
        egui::Panel::top("banner").show(ui, |ui| {
            ui.horizontal(|ui| {
                let colour = match banner.tone {
                    Tone::Info => theme::ACCENT,
                    Tone::Warning => theme::WARNING,
                    Tone::Error => theme::DANGER,
                };
                ui.colored_label(colour, "•");
                ui.label(&banner.text);
                if theme::subtle_button(ui, "Dismiss").clicked() {
                    out.push(UiCommand::DismissBanner);
                }
            });
        });
    }
    let onboarding = !app.prefs.onboarded && app.session.is_none();
    if app.prefs.sidebar_open && !onboarding {
        egui::Panel::left("sidebar")
            .resizable(true)
            .default_size(theme::SIDEBAR_WIDTH)
            .min_size(theme::SIDEBAR_WIDTH * 0.8)
            .show(ui, |ui| sidebar::show(ui, app, &mut out));
    }
    if app.prefs.details_open && !onboarding {
        egui::Panel::right("details")
            .resizable(true)
            .default_size(theme::DETAILS_WIDTH)
            .min_size(theme::DETAILS_WIDTH * 0.8)
            .show(ui, |ui| details::show(ui, app, &mut out));
    }
    egui::CentralPanel::default().show(ui, |ui| {
        if onboarding {
            first_run::show(ui, app, &mut out);
        } else {
            conversation::show(ui, app, &mut out);
        }
    });
    sidebar::new_session_dialog(ui.ctx(), app, &mut out);
    if app.view.settings_open {
        settings::window(ui.ctx(), app, &mut out);
    }
    for command in out {
        app.push(command);
    }
}

//! The views: each draws one part of the window from the [`Model`] (read only) and
//! its own panel state, and pushes commands for what the user asked; none changes
//! domain state itself. [`Panels`] holds every panel's own state.

pub mod agent_cards;
pub mod cards;
pub mod composer;
pub mod conversation;
mod details;
mod first_run;
mod live_turn;
pub mod mcp_settings;
pub mod memory_settings;
mod model_picker;
pub mod palette;
mod presence;
pub mod review;
pub mod settings;
pub mod shared;
pub mod shared_session;
pub mod sidebar;
pub mod terminal_panel;
pub mod workspace;

use super::commands::{Commands, LayoutCommand};
use super::model::{Model, SharedPage, Tone};
use super::theme;

/// What each panel keeps for itself between frames.
#[derive(Default)]
pub struct Panels {
    pub sidebar: sidebar::SidebarState,
    pub composer: composer::ComposerState,
    pub conversation: conversation::ConversationState,
    pub details: details::DetailsState,
    pub settings: settings::SettingsState,
    pub shared: shared::SharedState,
    pub palette: palette::PaletteState,
    pub review: review::ReviewPanelState,
    pub terminal: terminal_panel::TerminalPanel,
}

/// Draws the whole window.
pub fn draw(model: &Model, panels: &mut Panels, ui: &mut egui::Ui, out: &mut Commands) {
    if let Some(banner) = &model.banner {
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
                    out.push(LayoutCommand::DismissBanner);
                }
            });
        });
    }
    let onboarding = !model.prefs.onboarded && model.sessions.is_empty();
    if model.prefs.sidebar_open && !onboarding {
        egui::Panel::left("sidebar")
            .resizable(true)
            .default_size(theme::SIDEBAR_WIDTH)
            .min_size(theme::SIDEBAR_WIDTH * 0.8)
            .show(ui, |ui| {
                sidebar::show(ui, model, &mut panels.sidebar, &mut panels.shared, out);
            });
    }
    if model.prefs.details_open && !onboarding {
        egui::Panel::right("details")
            .resizable(true)
            .default_size(theme::DETAILS_WIDTH)
            .min_size(theme::DETAILS_WIDTH * 0.8)
            .show(ui, |ui| details::show(ui, model, &mut panels.details, out));
    }
    if let Some(session) = model.shown.filter(|_| panels.terminal.shown && !onboarding) {
        egui::Panel::bottom("terminal")
            .resizable(true)
            .default_size(theme::TERMINAL_HEIGHT)
            .min_size(theme::TERMINAL_HEIGHT / 3.0)
            .show(ui, |ui| {
                terminal_panel::show(ui, &mut panels.terminal, session)
            });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        if onboarding {
            first_run::show(ui, model, &mut panels.settings, out);
        } else {
            match &model.shared.page {
                Some(SharedPage::Workspace(workspace_id)) => {
                    workspace::show(
                        ui,
                        model,
                        workspace_id,
                        &mut panels.shared,
                        &mut panels.conversation.caches,
                        out,
                    );
                }
                Some(SharedPage::Session(address)) => {
                    shared_session::show(ui, model, address, &mut panels.conversation, out);
                }
                None => match model.session().filter(|session| session.review.open) {
                    Some(session) => {
                        review::show(ui, session, model.home.as_deref(), &mut panels.review, out)
                    }
                    None => conversation::show(
                        ui,
                        model,
                        &mut panels.conversation,
                        &mut panels.composer,
                        out,
                    ),
                },
            }
        }
    });
    sidebar::new_session_dialog(ui.ctx(), model, &mut panels.sidebar, out);
    palette::show(ui.ctx(), model, &mut panels.palette, out);
    if let Some(session) = model.session() {
        review::confirm(ui.ctx(), &session.review, out);
    }
    if model.settings_open {
        settings::window(
            ui.ctx(),
            model,
            &mut panels.settings,
            &mut panels.shared,
            out,
        );
    }
}

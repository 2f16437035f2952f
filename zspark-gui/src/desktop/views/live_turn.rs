//! The turn a teammate is running in a shared session, as it streams in: a panel above
//! the composer (or the read page's actions) with the same cards as a session's own
//! turn, read only, that follows the newest output. It goes when the turn ends; the
//! turn itself then arrives with the session.

use std::path::Path;

use egui::RichText;
use zspark_core::{SessionKey, Transcript};

use super::super::commands::{Commands, UiCommand};
use super::super::theme;
use super::conversation::{ConversationState, ItemList};

/// The share of the window's height the panel takes at most.
const MOST_OF_HEIGHT: f32 = 0.45;

/// The key of the cards' measured heights in the live turn of open session `session`,
/// or of the read page (local sessions' own lists use their numbers, the read page
/// `u64::MAX`).
pub fn heights_key(session: Option<SessionKey>) -> SessionKey {
    session.map_or(u64::MAX - 1, |session| (1 << 62) + session)
}

/// The panel of `driver`'s running turn; nothing when it has shown nothing yet.
/// `key` keeps the cards' measured heights apart from other lists.
pub fn panel(
    ui: &mut egui::Ui,
    driver: &str,
    live: &Transcript,
    cwd: &Path,
    key: SessionKey,
    conversation: &mut ConversationState,
    out: &mut Commands,
) {
    if live.items.is_empty() {
        return;
    }
    let most = ui.available_height() * MOST_OF_HEIGHT;
    egui::Panel::bottom(("live-turn", key))
        .resizable(true)
        .max_size(most)
        .default_size(most * 0.8)
        .show(ui, |ui| {
            ui.add_space(theme::SPACE);
            ui.horizontal(|ui| {
                // A still dot, not a spinner: the cards below show the turn moving.
                ui.label(
                    RichText::new(theme::icon::LIVE)
                        .color(theme::DANGER)
                        .strong(),
                );
                ui.label(RichText::new(format!("{driver}'s turn, live")).color(theme::ACCENT));
            });
            let list = ItemList {
                key,
                transcript: live,
                cwd,
                running: None,
                read_only: true,
                agents: &[],
                shared: None,
            };
            // Only copying text means something in a turn someone else runs.
            let mut inside = Commands::default();
            list.show(ui, conversation, &mut inside, |_, _| {});
            for command in inside.take() {
                if let UiCommand::Layout(copy) = command {
                    out.push(copy);
                }
            }
        });
}

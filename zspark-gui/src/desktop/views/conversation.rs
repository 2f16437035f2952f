//! The centre: a header (folder, session title, model picker), the conversation at a
//! readable width that follows new output unless the user scrolled up, the live status
//! line while a turn runs, and the composer pinned at the bottom.
//!
//! Only the items in view are laid out: each item's height is measured when it is
//! drawn and estimated until then (per session), so a session of ten thousand items
//! costs a frame about what a short one does.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use egui::RichText;
use zspark_core::conversation::Item;
use zspark_core::{SessionKey, SyncState, Transcript};

use super::super::commands::{
    Commands, LayoutCommand, ReviewAction, SessionCommand, SharedCommand,
};
use super::super::model::Model;
use super::super::session::SessionView;
use super::super::shortcuts::{Shortcut, hint};
use super::super::theme;
use super::composer::ComposerState;
use super::{cards, composer};

/// The conversation's own state: measured heights per session, and what drawing keeps
/// between frames.
#[derive(Default)]
pub struct ConversationState {
    heights: HashMap<SessionKey, HeightCache>,
    pub caches: cards::Caches,
}

impl ConversationState {
    /// Forgets a closed session's heights.
    pub fn forget(&mut self, session: SessionKey) {
        self.heights.remove(&session);
    }
}

/// The gap after each item.
const ITEM_GAP: f32 = theme::SPACE * 3.0;

/// Measured heights of the conversation's items (each with the gap after it) at one
/// width; `None` until the item has been drawn.
#[derive(Default)]
pub struct HeightCache {
    width: f32,
    heights: Vec<Option<f32>>,
}

impl HeightCache {
    /// Forgets heights measured at another width, and those of items that are gone.
    fn prepare(&mut self, width: f32, items: usize) {
        if (self.width - width).abs() > 0.5 {
            self.heights.clear();
            self.width = width;
        }
        self.heights.resize(items, None);
    }

    /// Where each item starts, from the top of the list, and the list's full height.
    fn offsets(&self, items: &[Item]) -> (Vec<f32>, f32) {
        let mut offsets = Vec::with_capacity(items.len());
        let mut y = 0.0;
        for (item, measured) in items.iter().zip(&self.heights) {
            offsets.push(y);
            y += measured.unwrap_or_else(|| estimated_height(item, self.width));
        }
        (offsets, y)
    }
}

/// A guess at an item's height before it is first drawn, from its text.
fn estimated_height(item: &Item, width: f32) -> f32 {
    const LINE: f32 = 18.0;
    let lines = |text: &str| -> f32 {
        let per_line = (width / 7.5).max(20.0);
        text.lines()
            .map(|line| (line.chars().count() as f32 / per_line).ceil().max(1.0))
            .sum()
    };
    let body = match item {
        Item::User { text, .. } => 40.0 + lines(text) * LINE,
        Item::Agent { text, .. } => 8.0 + lines(text) * LINE,
        Item::Reasoning { .. } | Item::Notice { .. } => LINE,
        Item::Command(run) => 56.0 + (run.output.lines().count().min(6) as f32) * 15.0,
        Item::McpCall(call) => 56.0 + (call.output.lines().count().min(6) as f32) * 15.0,
        Item::Patch(patch) => 32.0 + patch.files.len() as f32 * 28.0,
        Item::Plan(plan) => 48.0 + plan.plan.len() as f32 * 26.0,
        Item::Image { .. } => LINE * 2.0,
        Item::Approval(_) => 140.0,
        Item::Error { message } => 80.0 + lines(message) * LINE,
        Item::Artifacts(artifacts) => 48.0 + artifacts.len().min(6) as f32 * 60.0,
        Item::AgentCall(call) if call.tool == "spawn_agent" => {
            24.0 + call.receivers.len() as f32 * 110.0
        }
        Item::AgentCall(_) => LINE,
        Item::AgentMail(mail) => 40.0 + lines(&mail.payload).min(12.0) * LINE,
    };
    body + ITEM_GAP
}

pub fn show(
    ui: &mut egui::Ui,
    model: &Model,
    state: &mut ConversationState,
    composer_state: &mut ComposerState,
    out: &mut Commands,
) {
    let Some(session) = model.session() else {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 3.0);
            theme::title(ui, "zspark");
            theme::empty_state(
                ui,
                &format!(
                    "Pick a session on the left, or start a new one in a folder ({}).",
                    hint(ui.ctx(), Shortcut::NewSession)
                ),
            );
            ui.add_space(theme::SPACE * 2.0);
            if theme::primary_button(ui, "New session").clicked() {
                out.push(SessionCommand::AskNew);
            }
        });
        return;
    };
    egui::Panel::top("conversation-header").show(ui, |ui| {
        ui.horizontal(|ui| {
            let folder = session
                .cwd
                .file_name()
                .map(|name| name.to_string_lossy().to_string())
                .unwrap_or_else(|| session.cwd.display().to_string());
            ui.label(RichText::new(folder).strong())
                .on_hover_text(session.cwd.display().to_string());
            let title = model.title_of(session);
            ui.label(theme::muted(format!(
                "› {}",
                title.lines().next().unwrap_or_default()
            )));
            if let Some(report) = model.shared.sync_of_open(session) {
                super::presence::row(ui, model.shared.people_in(&report.address));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                share_control(ui, model, session, out);
                if ui
                    .button("Review changes")
                    .on_hover_text("The folder's uncommitted changes and the last turn's")
                    .clicked()
                {
                    out.push(ReviewAction::Toggle);
                }
            });
        });
    });
    let linked = model
        .shared
        .sync_of_open(session)
        .map(|report| &report.address);
    let room = linked.and_then(|address| model.shared.room_at(address));
    let me = model.shared.me();
    let lease = composer::Lease {
        teammate_driving: linked
            .and_then(|address| model.shared.teammate_driving(address))
            .map(str::to_string),
        asking: room
            .filter(|room| room.room.driver.as_deref() == me)
            .and_then(|room| room.room.asking.clone()),
        queued: model
            .shared
            .ties
            .get(&session.number)
            .is_some_and(|tie| tie.queued.is_some()),
    };
    composer::show(
        ui,
        session,
        model.shared.workspace_for(session),
        &profile_models(model, session),
        &lease,
        composer_state,
        out,
    );
    if let (Some(driver), Some(room)) = (&lease.teammate_driving, room) {
        let key = super::live_turn::heights_key(Some(session.number));
        super::live_turn::panel(ui, driver, &room.live, &session.cwd, key, state, out);
    }
    let agents = super::agent_cards::live_agents(model, session.number);
    let list = ItemList {
        key: session.number,
        transcript: &session.transcript,
        cwd: &session.cwd,
        running: session.turn_started,
        read_only: false,
        agents: &agents,
        shared: model.shared.sync_of_open(session),
    };
    let opening = session.configured.is_none();
    list.show(ui, state, out, |ui, empty| {
        if opening {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Opening the session…");
            });
        } else if empty {
            theme::empty_state(
                ui,
                "Ask the agent to do something in this folder. It asks before running anything the sandbox would block.",
            );
        }
    });
}

/// A conversation's items in a scroll area that follows new output, laying out only
/// what is in view.
pub struct ItemList<'a> {
    /// Whose measured heights to use (a session's number).
    pub key: SessionKey,
    pub transcript: &'a Transcript,
    pub cwd: &'a Path,
    /// When the running turn started.
    pub running: Option<Instant>,
    pub read_only: bool,
    pub agents: &'a [super::agent_cards::LiveAgent],
    /// Where the session stands with the server, when it is shared.
    pub shared: Option<&'a zspark_core::SyncReport>,
}

impl ItemList<'_> {
    /// Draws the list; `header` draws above the items (told whether there are none).
    pub fn show(
        &self,
        ui: &mut egui::Ui,
        state: &mut ConversationState,
        out: &mut Commands,
        header: impl FnOnce(&mut egui::Ui, bool),
    ) {
        let running = self.running;
        let jump_id = ui.make_persistent_id(("jump-to-latest", self.key));
        let mut scroll = egui::ScrollArea::vertical()
            .id_salt(("conversation", self.key))
            .auto_shrink([false, false])
            .stick_to_bottom(true);
        if ui
            .data_mut(|data| data.remove_temp::<bool>(jump_id))
            .is_some()
        {
            scroll = scroll.vertical_scroll_offset(f32::MAX);
        }
        let items = &self.transcript.items;
        let output = scroll.show_viewport(ui, |ui, viewport| {
            let width = ui.available_width().min(theme::CONTENT_WIDTH);
            let margin = ((ui.available_width() - width) / 2.0).max(0.0);
            let heights = state.heights.entry(self.key).or_default();
            heights.prepare(width, items.len());
            let (offsets, list_height) = heights.offsets(items);
            let top = theme::SPACE * 4.0;
            // The items overlapping the viewport (given in the content's coordinates).
            let first = offsets
                .partition_point(|start| top + start < viewport.min.y)
                .saturating_sub(1);
            let end = offsets.partition_point(|start| top + start <= viewport.max.y);
            ui.horizontal(|ui| {
                ui.add_space(margin);
                ui.vertical(|ui| {
                    ui.set_width(width);
                    ui.add_space(top);
                    header(ui, items.is_empty());
                    ui.add_space(offsets.get(first).copied().unwrap_or_default());
                    let last = items.len().saturating_sub(1);
                    for (index, item) in items.iter().enumerate().take(end).skip(first) {
                        let item_top = ui.cursor().min.y;
                        cards::item(
                            ui,
                            &mut state.caches,
                            item,
                            cards::Place {
                                index,
                                is_last: index == last,
                                running: running.is_some(),
                                read_only: self.read_only,
                                cwd: self.cwd,
                                agents: self.agents,
                                shared: self.shared,
                            },
                            self.transcript,
                            out,
                        );
                        ui.add_space(ITEM_GAP);
                        heights.heights[index] = Some(ui.cursor().min.y - item_top);
                    }
                    let below = match offsets.get(end) {
                        Some(start) => list_height - start,
                        None => 0.0,
                    };
                    ui.add_space(below);
                    if let Some(started) = running {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(theme::muted(format!(
                                "Working… {} s · Esc to stop",
                                started.elapsed().as_secs()
                            )));
                        });
                    }
                    ui.add_space(theme::SPACE * 4.0);
                });
            });
        });
        let hidden_below =
            output.content_size.y - (output.state.clamped_offset().y + output.inner_rect.height());
        if hidden_below > theme::SPACE * 8.0 {
            // The user scrolled up: offer the way back instead of pulling the view down.
            egui::Area::new(jump_id)
                .fixed_pos(output.inner_rect.center_bottom() - egui::vec2(60.0, 40.0))
                .show(ui.ctx(), |ui| {
                    if theme::primary_button(ui, "Jump to latest").clicked() {
                        ui.data_mut(|data| data.insert_temp(jump_id, true));
                        ui.ctx().request_repaint();
                    }
                });
        }
    }
}

/// Where the session stands with its workspace when it is shared; otherwise "Share",
/// offering the workspaces the user may add sessions to.
fn share_control(ui: &mut egui::Ui, model: &Model, session: &SessionView, out: &mut Commands) {
    let Some(configured) = session
        .configured
        .as_ref()
        .filter(|_| session.parent.is_none())
    else {
        return;
    };
    if let Some(report) = model.shared.sync_of(&configured.session_id) {
        let (text, detail) = match &report.state {
            SyncState::UpToDate => (
                format!("{} Shared", theme::icon::SUCCEEDED),
                format!("Every record is on the server: {}", report.address),
            ),
            SyncState::Sending => (
                format!("Sharing… {} to send", report.pending),
                report.address.to_string(),
            ),
            SyncState::Waiting(problem) => (
                format!(
                    "{} {} not yet uploaded",
                    theme::icon::WARNING,
                    report.pending
                ),
                problem.clone(),
            ),
            SyncState::Failed(problem) => (
                format!("{} Not uploaded", theme::icon::WARNING),
                problem.clone(),
            ),
        };
        if theme::subtle_button(ui, &text)
            .on_hover_text(format!(
                "{detail}\nClick to copy the shared session's address."
            ))
            .clicked()
        {
            out.push(LayoutCommand::Copy(report.address.to_string()));
        }
        return;
    }
    let Some(status) = &model.shared.status else {
        return;
    };
    let writable: Vec<_> = status
        .workspaces
        .iter()
        .filter(|workspace| workspace.role >= zspark_api::Role::Editor)
        .collect();
    if writable.is_empty() {
        return;
    }
    ui.menu_button("Share…", |ui| {
        for workspace in writable {
            if ui.button(format!("Share to {}", workspace.name)).clicked() {
                out.push(SharedCommand::ShareShown(workspace.id.clone()));
                ui.close();
            }
        }
    });
}

/// The models of the profiles of `session`'s provider, offered by the model picker
/// (another provider's models would not be found at this one).
fn profile_models(model: &Model, session: &SessionView) -> Vec<String> {
    let (Some(list), Some(configured)) = (&model.providers, &session.configured) else {
        return Vec::new();
    };
    list.profiles
        .iter()
        .filter(|profile| profile.id == configured.model_provider_id)
        .map(|profile| profile.model.clone())
        .collect()
}

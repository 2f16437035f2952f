//! A teammate's shared session, read from the server and kept current by the
//! workspace's live feed: its conversation as the same cards as a local session (read
//! only), the files shared with it, and "Continue here" for editors, which asks for
//! the folder to work in and resumes the runtime with the whole conversation. A viewer
//! reads only: there is no composer, and the page says whom to ask. A turn a teammate
//! is running streams in above the actions as it happens.

use egui::RichText;
use zspark_api::Role;
use zspark_core::sharing::SharedSessionAddress;

use super::super::commands::{Commands, SharedCommand, UiCommand};
use super::super::model::Model;
use super::super::theme;
use super::conversation::{ConversationState, ItemList};
use super::workspace::{artifact_card, short_time};

/// The height key of the read page's conversation (local sessions use their numbers).
const READ_PAGE: u64 = u64::MAX;

pub fn show(
    ui: &mut egui::Ui,
    model: &Model,
    address: &SharedSessionAddress,
    conversation: &mut ConversationState,
    out: &mut Commands,
) {
    let Some(reading) = model
        .shared
        .reading
        .as_ref()
        .filter(|reading| reading.read.address == *address)
    else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(theme::muted("Reading the session from the server…"));
        });
        return;
    };
    let read = &reading.read;
    let workspace = model.shared.workspace(&address.workspace_id);
    let name_of = |key: &str| {
        workspace.map_or_else(
            || key.strip_prefix("principal:").unwrap_or(key).to_string(),
            |view| view.name_of(key).to_string(),
        )
    };
    egui::Panel::top("shared-session-header").show(ui, |ui| {
        ui.horizontal(|ui| {
            if theme::subtle_button(ui, "‹ Workspace").clicked() {
                out.push(SharedCommand::OpenWorkspace(address.workspace_id.clone()));
            }
            ui.label(RichText::new(&read.session.title).strong());
            // Before the long line, so a narrow window keeps them in view.
            super::presence::row(ui, model.shared.people_in(address));
            ui.label(theme::muted(format!(
                "shared by {} · last activity {}",
                name_of(&read.session.author),
                short_time(&read.session.updated_at)
            )));
        });
    });
    egui::Panel::bottom("shared-session-actions").show(ui, |ui| {
        ui.add_space(theme::SPACE * 2.0);
        match &model.shared.workspace_problem {
            // Access is gone (removed, or the workspace deleted): what was read stays
            // on screen, and nothing offers to continue it.
            Some(problem) => {
                ui.colored_label(theme::DANGER, problem);
            }
            None => actions(ui, read.role, out),
        }
        ui.add_space(theme::SPACE * 2.0);
    });
    if let Some(room) = model.shared.room_at(address)
        && let Some(driver) = model.shared.teammate_driving(address)
    {
        let cwd = std::path::PathBuf::from(read.session.cwd_hint.as_deref().unwrap_or_default());
        let key = super::live_turn::heights_key(None);
        super::live_turn::panel(ui, driver, &room.live, &cwd, key, conversation, out);
    }
    if read.unreadable > 0 {
        ui.colored_label(
            theme::WARNING,
            format!(
                "{} item(s) were written by a newer version of zspark or Codex and are not shown; they are kept on the server.",
                read.unreadable
            ),
        );
    }
    if let Some(view) = workspace
        && !read.artifacts.is_empty()
    {
        egui::CollapsingHeader::new(format!("Files ({})", read.artifacts.len()))
            .id_salt("shared-session-files")
            .show(ui, |ui| {
                for artifact in &read.artifacts {
                    artifact_card(ui, model, view, artifact, &mut conversation.caches, out);
                }
            });
    }
    let cwd = read
        .session
        .cwd_hint
        .as_deref()
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    let list = ItemList {
        key: READ_PAGE,
        transcript: &reading.transcript,
        cwd: &cwd,
        running: None,
        read_only: true,
        agents: &[],
        shared: None,
    };
    // Only copying text means something on a page that is read only.
    let mut inside = Commands::default();
    list.show(ui, conversation, &mut inside, |ui, empty| {
        if empty {
            theme::empty_state(ui, "This session holds no messages yet.");
        }
    });
    for command in inside.take() {
        if let UiCommand::Layout(copy) = command {
            out.push(copy);
        }
    }
}

/// "Continue here" for an editor; for a viewer, why there is none.
fn actions(ui: &mut egui::Ui, role: Role, out: &mut Commands) {
    if role >= Role::Editor {
        ui.horizontal(|ui| {
            if theme::primary_button(ui, "Continue here…")
                .on_hover_text("Pick your checkout of the project; the agent sees the whole conversation and your turns are added for everyone")
                .clicked()
            {
                out.push(SharedCommand::ContinueShown);
            }
            ui.label(theme::muted(
                "Continue in your own folder: the agent gets every earlier message, call and output.",
            ));
        });
    } else {
        ui.label(theme::muted(
            "You can read this session. To continue it, ask an owner of the workspace to make you an editor.",
        ));
    }
}

//! A shared workspace's page in the centre of the window, kept current by its live
//! feed: its sessions (open one to read it), its members (owners invite by e-mail/UPN
//! or principal key, change roles and remove; anyone may leave; the last owner cannot),
//! the activity feed with people's names, and the workspace's files (download with
//! Save as; editors remove).

use egui::RichText;
use zspark_api::{Member, Role};
use zspark_core::WorkspaceView;
use zspark_core::sharing::SharedSessionAddress;

use super::super::commands::{Commands, SharedCommand};
use super::super::model::Model;
use super::super::theme;
use super::cards;
use super::shared::SharedState;

/// The page's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkspaceTab {
    #[default]
    Sessions,
    Members,
    Activity,
    Files,
}

impl WorkspaceTab {
    const ALL: [Self; 4] = [Self::Sessions, Self::Members, Self::Activity, Self::Files];

    fn label(self) -> &'static str {
        match self {
            Self::Sessions => "Sessions",
            Self::Members => "Members",
            Self::Activity => "Activity",
            Self::Files => "Files",
        }
    }
}

pub fn show(
    ui: &mut egui::Ui,
    model: &Model,
    workspace_id: &str,
    state: &mut SharedState,
    caches: &mut cards::Caches,
    out: &mut Commands,
) {
    let Some(view) = model.shared.workspace(workspace_id) else {
        match &model.shared.workspace_problem {
            Some(problem) => {
                ui.colored_label(theme::DANGER, problem);
            }
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(theme::muted("Reading the workspace…"));
                });
            }
        }
        return;
    };
    ui.add_space(theme::SPACE * 2.0);
    ui.horizontal(|ui| {
        theme::title(ui, &view.workspace.name);
        ui.label(theme::muted(format!(
            "you are {}",
            role_phrase(view.workspace.role)
        )));
    });
    if let Some(problem) = &model.shared.workspace_problem {
        ui.colored_label(theme::DANGER, problem);
    }
    ui.horizontal(|ui| {
        for tab in WorkspaceTab::ALL {
            ui.selectable_value(&mut state.tab, tab, tab.label());
        }
    });
    ui.separator();
    let server = model
        .shared
        .status
        .as_ref()
        .map(|status| status.server.clone())
        .unwrap_or_default();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match state.tab {
            WorkspaceTab::Sessions => sessions(ui, view, &server, out),
            WorkspaceTab::Members => members(ui, view, state, out),
            WorkspaceTab::Activity => activity(ui, view),
            WorkspaceTab::Files => files(ui, model, view, caches, out),
        });
}

fn role_phrase(role: Role) -> &'static str {
    match role {
        Role::Owner => "an owner",
        Role::Editor => "an editor",
        Role::Viewer => "a viewer (you read only)",
    }
}

/// An RFC 3339 time as `YYYY-MM-DD hh:mm` (UTC).
pub fn short_time(stamp: &str) -> String {
    stamp.get(..16).unwrap_or(stamp).replace('T', " ")
}

fn sessions(ui: &mut egui::Ui, view: &WorkspaceView, server: &str, out: &mut Commands) {
    if view.sessions.is_empty() {
        theme::empty_state(
            ui,
            "No sessions shared here yet. Share one from its header: Share to workspace.",
        );
    }
    for session in &view.sessions {
        theme::card(ui, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .link(RichText::new(&session.title).strong())
                    .accessible_name(format!("Read the shared session {}", session.title))
                    .on_hover_text("Read this session")
                    .clicked()
                {
                    out.push(SharedCommand::ReadSession(SharedSessionAddress {
                        server: server.to_string(),
                        workspace_id: view.workspace.id.clone(),
                        session_id: session.id.clone(),
                    }));
                }
            });
            let mut facts = format!(
                "by {} · {} items · last activity {}",
                view.name_of(&session.author),
                session.item_count,
                short_time(&session.updated_at)
            );
            if session.forked_from.is_some() {
                facts.push_str(" · a fork");
            }
            ui.label(theme::muted(facts));
        });
    }
}

fn members(ui: &mut egui::Ui, view: &WorkspaceView, state: &mut SharedState, out: &mut Commands) {
    let owner = view.workspace.role == Role::Owner;
    let owners = view
        .members
        .iter()
        .filter(|member| member.role == Role::Owner)
        .count();
    egui::Grid::new("workspace-members")
        .num_columns(4)
        .spacing([theme::SPACE * 4.0, theme::SPACE * 2.0])
        .show(ui, |ui| {
            for member in &view.members {
                member_row(ui, view, member, owner, owners, out);
                ui.end_row();
            }
        });
    if !owner {
        ui.label(theme::muted("Only owners invite and change members."));
        return;
    }
    ui.add_space(theme::SPACE * 3.0);
    theme::section_heading(ui, "Invite");
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut state.invitee)
                .hint_text("e-mail / UPN, or tenant:<tid>:oid:<oid>")
                .desired_width(280.0),
        )
        .accessible_name("Invite whom");
        role_picker(
            ui,
            "invite-role",
            "Invite as".to_string(),
            &mut state.invite_role,
        );
        if ui.button("Invite").clicked() && !state.invitee.trim().is_empty() {
            out.push(SharedCommand::Invite {
                principal: state.invitee.trim().to_string(),
                role: state.invite_role,
            });
        }
    });
    ui.label(theme::muted(
        "Someone invited by e-mail must have signed in to this server once.",
    ));
}

fn member_row(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    member: &Member,
    owner: bool,
    owners: usize,
    out: &mut Commands,
) {
    let me = member.principal == view.me;
    let name = view.name_of(&member.principal);
    ui.label(if me {
        RichText::new(format!("{name} (you)")).strong()
    } else {
        RichText::new(name)
    })
    .on_hover_text(&member.principal);
    let last_owner = member.role == Role::Owner && owners == 1;
    if owner && !last_owner {
        let mut role = member.role;
        role_picker(
            ui,
            ("member-role", &member.principal),
            format!("Role of {name}"),
            &mut role,
        );
        if role != member.role {
            out.push(SharedCommand::ChangeRole {
                principal: member.principal.clone(),
                role,
            });
        }
    } else {
        ui.label(member.role.as_str());
    }
    ui.label(theme::muted(format!(
        "since {}",
        short_time(&member.added_at)
    )));
    let label = if me { "Leave" } else { "Remove" };
    if last_owner {
        ui.add_enabled(false, egui::Button::new(label))
            .on_disabled_hover_text(
                "The last owner cannot leave: make someone else an owner first.",
            );
    } else if owner || me {
        if theme::subtle_button(ui, label).clicked() {
            out.push(SharedCommand::RemoveMember(member.principal.clone()));
        }
    } else {
        ui.label("");
    }
}

/// A role choice; `name` is what assistive technology calls it.
fn role_picker(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    name: String,
    role: &mut Role,
) {
    egui::ComboBox::from_id_salt(id)
        .selected_text(role.as_str())
        .show_ui(ui, |ui| {
            for choice in [Role::Viewer, Role::Editor, Role::Owner] {
                ui.selectable_value(role, choice, choice.as_str());
            }
        })
        .response
        .accessible_name(name);
}

fn activity(ui: &mut egui::Ui, view: &WorkspaceView) {
    if view.activity.is_empty() {
        theme::empty_state(ui, "Nothing has happened here yet.");
    }
    for entry in &view.activity {
        ui.horizontal_wrapped(|ui| {
            let actor = entry
                .actor_name
                .as_deref()
                .unwrap_or_else(|| view.name_of(&entry.actor));
            ui.label(RichText::new(actor).strong());
            ui.label(view.with_names(&entry.summary));
            ui.label(theme::muted(short_time(&entry.at)));
        });
    }
}

fn files(
    ui: &mut egui::Ui,
    model: &Model,
    view: &WorkspaceView,
    caches: &mut cards::Caches,
    out: &mut Commands,
) {
    if view.artifacts.is_empty() {
        theme::empty_state(
            ui,
            "No files yet. The files a shared session's turns produce appear here.",
        );
    }
    for artifact in &view.artifacts {
        artifact_card(ui, model, view, artifact, caches, out);
    }
}

/// A workspace file: name, size, who shared it, what can be done with it (an editor
/// may remove it), and its preview once fetched.
pub fn artifact_card(
    ui: &mut egui::Ui,
    model: &Model,
    view: &WorkspaceView,
    artifact: &zspark_api::Artifact,
    caches: &mut cards::Caches,
    out: &mut Commands,
) {
    theme::card(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(format!("{} {}", theme::icon::FILE, artifact.name));
            ui.label(theme::muted(format!(
                "{} · by {} · {}",
                size_text(artifact.size),
                view.name_of(&artifact.created_by),
                short_time(&artifact.created_at)
            )));
        });
        ui.horizontal(|ui| {
            if ui
                .button("Download…")
                .on_hover_text("Save a copy (checked against its SHA-256)")
                .clicked()
            {
                out.push(SharedCommand::Download(artifact.clone()));
            }
            if view.workspace.role >= Role::Editor && theme::subtle_button(ui, "Remove").clicked() {
                out.push(SharedCommand::DeleteArtifact(artifact.id.clone()));
            }
        });
        if let Some(fetched) = model.shared.preview_of(&artifact.id) {
            cards::preview(ui, caches, fetched);
        }
    });
}

fn size_text(bytes: i64) -> String {
    const KIB: f64 = 1024.0;
    let bytes = bytes as f64;
    if bytes < KIB {
        format!("{bytes} B")
    } else if bytes < KIB * KIB {
        format!("{:.1} KiB", bytes / KIB)
    } else if bytes < KIB * KIB * KIB {
        format!("{:.1} MiB", bytes / KIB / KIB)
    } else {
        format!("{:.2} GiB", bytes / KIB / KIB / KIB)
    }
}

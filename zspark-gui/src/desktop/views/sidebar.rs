//! The left sidebar: new session, the sessions open now (each with where it stands:
//! working, needing an approval, finished, failed; a mark for output not read yet;
//! close), search, the stored sessions grouped by folder (newest first), the
//! shared-workspaces section, and settings at the bottom; plus the "new session"
//! dialog that asks for a folder.

use std::path::PathBuf;

use egui::RichText;

use super::super::commands::{Commands, SessionCommand, SettingsCommand};
use super::super::model::Model;
use super::super::session::{SessionStatus, SessionView};
use super::super::shortcuts::{Shortcut, hint};
use super::super::theme;
use super::shared::SharedState;

/// The sidebar's own state.
#[derive(Default)]
pub struct SidebarState {
    pub search: String,
    pub focus_search: bool,
    /// The "new session" dialog, while it is open.
    pub new_session: Option<FolderDialog>,
}

pub struct FolderDialog {
    pub folder: String,
    pub problem: Option<String>,
    /// Set when the dialog picks a new folder for a stored session whose folder is gone.
    pub continue_session: Option<PathBuf>,
    /// "In its own git worktree", once the user has ticked or cleared it (until then,
    /// as the folder was last started).
    pub worktree: Option<bool>,
}

pub fn show(
    ui: &mut egui::Ui,
    model: &Model,
    state: &mut SidebarState,
    shared: &mut SharedState,
    out: &mut Commands,
) {
    ui.add_space(theme::SPACE * 2.0);
    ui.horizontal(|ui| {
        if theme::primary_button(ui, "+ New session")
            .on_hover_text(hint(ui.ctx(), Shortcut::NewSession))
            .clicked()
        {
            out.push(SessionCommand::AskNew);
        }
        if theme::subtle_button(ui, theme::icon::REFRESH)
            .on_hover_text("Refresh the session list")
            .clicked()
        {
            out.push(SessionCommand::RefreshList);
        }
    });
    let search = ui
        .add(
            egui::TextEdit::singleline(&mut state.search)
                .hint_text(format!(
                    "Search sessions ({})",
                    hint(ui.ctx(), Shortcut::Search)
                ))
                .desired_width(f32::INFINITY),
        )
        .accessible_name("Search sessions");
    if std::mem::take(&mut state.focus_search) {
        search.request_focus();
    }
    egui::Panel::bottom("sidebar-bottom").show(ui, |ui| {
        ui.add_space(theme::SPACE);
        if ui
            .button(format!("{} Settings", theme::icon::SETTINGS))
            .on_hover_text(hint(ui.ctx(), Shortcut::Settings))
            .clicked()
        {
            out.push(SettingsCommand::Open);
        }
        ui.add_space(theme::SPACE);
    });
    egui::ScrollArea::vertical().show(ui, |ui| {
        open_sessions(ui, model, out);
        theme::section_heading(ui, "Local");
        let current = model
            .session()
            .and_then(|session| session.configured.as_ref())
            .map(|configured| configured.rollout_path.clone());
        let shown = model.catalogue.filtered(&state.search);
        if model.catalogue.is_empty() {
            theme::empty_state(ui, "No sessions yet. Start one with New session.");
        } else if shown.is_empty() {
            theme::empty_state(ui, "No session title matches the search.");
        }
        for group in &shown.groups {
            let label = group.label(model.home.as_deref());
            let heading = if group.folder_missing() {
                RichText::new(format!("{label} (folder missing)")).weak()
            } else {
                RichText::new(label).strong()
            };
            egui::CollapsingHeader::new(heading)
                .id_salt(("folder", &group.folder))
                .default_open(true)
                .show(ui, |ui| {
                    for session in &group.sessions {
                        let selected = current.as_ref() == Some(&session.path);
                        let title = if session.title.trim().is_empty() {
                            "(untitled)".to_string()
                        } else {
                            truncate(&session.title, 48)
                        };
                        let response = ui
                            .selectable_label(selected, title)
                            .on_hover_text(session.path.display().to_string());
                        if response.clicked() && !selected {
                            out.push(SessionCommand::Resume {
                                rollout_path: session.path.clone(),
                            });
                        }
                        for child in model.catalogue.children_of(&session.session_id) {
                            let selected = current.as_ref() == Some(&child.path);
                            let nickname = child.agent_nickname.as_deref().unwrap_or("agent");
                            let response = ui
                                .indent(("sub-agent", &child.path), |ui| {
                                    ui.selectable_label(selected, format!("{nickname} (sub-agent)"))
                                })
                                .inner
                                .on_hover_text(truncate(&child.title, 80));
                            if response.clicked() && !selected {
                                out.push(SessionCommand::Resume {
                                    rollout_path: child.path.clone(),
                                });
                            }
                        }
                    }
                });
        }
        super::shared::sidebar_section(ui, model, shared, out);
    });
}

/// The sessions open now: title, folder, where each stands and whether it has output
/// not read yet; a click shows one, × closes it.
fn open_sessions(ui: &mut egui::Ui, model: &Model, out: &mut Commands) {
    if model.sessions.is_empty() {
        return;
    }
    theme::section_heading(ui, "Open");
    // Sub-agents right under the session that started them (while it is open),
    // indented.
    let mut ordered: Vec<(&SessionView, usize)> = Vec::new();
    let roots = model.sessions.values().filter(|session| {
        session
            .parent
            .is_none_or(|parent| !model.sessions.contains_key(&parent))
    });
    for root in roots {
        push_with_children(model, root, 0, &mut ordered);
    }
    for (session, depth) in ordered {
        open_session_row(ui, model, session, depth, out);
    }
}

/// `session`, then its sub-agents (and theirs), each with its depth.
fn push_with_children<'a>(
    model: &'a Model,
    session: &'a SessionView,
    depth: usize,
    ordered: &mut Vec<(&'a SessionView, usize)>,
) {
    ordered.push((session, depth));
    for child in model
        .sessions
        .values()
        .filter(|child| child.parent == Some(session.number))
    {
        push_with_children(model, child, depth + 1, ordered);
    }
}

/// One open session, `depth` steps in: its mark, title, and its close button.
fn open_session_row(
    ui: &mut egui::Ui,
    model: &Model,
    session: &SessionView,
    depth: usize,
    out: &mut Commands,
) {
    let status = session.status();
    let title = truncate(&model.title_of(session), 40);
    // A workspace page over the shown session hides it: clicking brings it back.
    let shown = model.shown == Some(session.number) && model.shared.page.is_none();
    ui.horizontal(|ui| {
        ui.add_space(depth as f32 * theme::SPACE * 4.0);
        let (mark, colour) = status_mark(status);
        ui.colored_label(colour, mark);
        let mut label = RichText::new(&title);
        if session.unread {
            label = label.strong();
        }
        let response = ui
            .selectable_label(shown, label)
            .on_hover_text(session.cwd.display().to_string());
        let response = response.accessible_name(format!(
            "{title}, {}{}",
            status.label(),
            if session.unread { ", unread" } else { "" }
        ));
        if response.clicked() && !shown {
            out.push(SessionCommand::Show(session.number));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if theme::subtle_button(ui, "×")
                .accessible_name(format!("Close {title}"))
                .on_hover_text("Close this session (a running turn is stopped)")
                .clicked()
            {
                out.push(SessionCommand::Close(session.number));
            }
            if status == SessionStatus::WaitingForApproval {
                ui.colored_label(theme::WARNING, status.label());
            } else if session.unread {
                ui.colored_label(theme::ACCENT, "•");
            }
            if let Some(report) = model.shared.sync_of_open(session) {
                let people = model.shared.people_in(&report.address);
                super::presence::sidebar_badges(ui, &title, people);
            }
        });
    });
}

/// The mark before a session's title, and its colour.
fn status_mark(status: SessionStatus) -> (&'static str, egui::Color32) {
    match status {
        SessionStatus::Opening | SessionStatus::Working => {
            (theme::icon::STEP_ACTIVE, theme::ACCENT)
        }
        SessionStatus::WaitingForApproval => (theme::icon::WARNING, theme::WARNING),
        SessionStatus::Ready | SessionStatus::Finished => (theme::icon::STEP_DONE, theme::SUCCESS),
        SessionStatus::Failed => (theme::icon::FAILED, theme::DANGER),
        SessionStatus::Stopped => (theme::icon::STEP_PENDING, egui::Color32::GRAY),
    }
}

/// Room left beside the folder field for its Browse… button.
const BROWSE_BUTTON_WIDTH: f32 = 80.0;

/// The "new session" dialog: a folder path (typed, or picked with Browse…), the
/// recent folders, Start.
pub fn new_session_dialog(
    ctx: &egui::Context,
    model: &Model,
    state: &mut SidebarState,
    out: &mut Commands,
) {
    let recent = &model.prefs.recent_folders;
    let Some(dialog) = &mut state.new_session else {
        return;
    };
    let mut close = false;
    let response = egui::Modal::new(egui::Id::unique("new-session")).show(ctx, |ui| {
        ui.set_width(480.0);
        if dialog.continue_session.is_some() {
            theme::title(ui, "Continue in another folder");
        } else {
            theme::title(ui, "New session");
        }
        ui.label("The agent works in this folder:");
        let field = ui
            .horizontal(|ui| {
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut dialog.folder)
                            .hint_text("Folder path, e.g. ~/projects/app")
                            .desired_width(ui.available_width() - BROWSE_BUTTON_WIDTH),
                    )
                    .accessible_name("Folder");
                if ui
                    .button("Browse…")
                    .on_hover_text("Pick the folder in the system's folder dialog")
                    .clicked()
                {
                    out.push(SessionCommand::BrowseFolder);
                }
                field
            })
            .inner;
        let submitted = field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        if let Some(problem) = &dialog.problem {
            ui.colored_label(theme::DANGER, problem);
        }
        if let Some(list) = model
            .providers
            .as_ref()
            .filter(|list| !list.profiles.is_empty())
        {
            let current = model
                .prefs
                .last_profile
                .clone()
                .filter(|id| list.get(id).is_some())
                .or_else(|| list.default_profile.clone())
                .unwrap_or_default();
            let mut picked = current.clone();
            egui::ComboBox::from_label("Provider")
                .selected_text(
                    list.get(&current)
                        .map_or("As config.toml says", |p| p.name.as_str()),
                )
                .show_ui(ui, |ui| {
                    for profile in &list.profiles {
                        ui.selectable_value(&mut picked, profile.id.clone(), &profile.name);
                    }
                });
            if picked != current {
                out.push(SettingsCommand::PickProfile(picked));
            }
        }
        if !recent.is_empty() {
            theme::section_heading(ui, "Recent folders");
            for folder in recent {
                if ui
                    .selectable_label(false, folder.display().to_string())
                    .clicked()
                {
                    dialog.folder = folder.display().to_string();
                }
            }
        }
        let folder = expand_home(dialog.folder.trim(), model.home.as_deref());
        let mut worktree = dialog
            .worktree
            .unwrap_or_else(|| model.prefs.policy_for(&folder).worktree);
        if dialog.continue_session.is_none()
            && ui
                .checkbox(&mut worktree, "In its own git worktree, on a branch of its own")
                .on_hover_text(
                    "Sessions working at once in one repository then do not write over each other; merge the branch back when done. Remembered for the folder.",
                )
                .changed()
        {
            dialog.worktree = Some(worktree);
        }
        ui.add_space(theme::SPACE * 2.0);
        ui.horizontal(|ui| {
            if theme::primary_button(ui, "Start").clicked() || submitted {
                out.push(SessionCommand::New {
                    folder: folder.clone(),
                    worktree,
                });
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if close || response.should_close() {
        state.new_session = None;
    }
}

/// `~/x` with the user's home.
pub fn expand_home(path: &str, home: Option<&std::path::Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(path),
    }
}

fn truncate(text: &str, chars: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= chars {
        line.to_string()
    } else {
        let cut: String = line.chars().take(chars - 1).collect();
        format!("{cut}…")
    }
}

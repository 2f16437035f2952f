//! The left sidebar: new session, search, local sessions grouped by folder (newest
//! first), the shared-workspaces section, and settings at the bottom; plus the "new
//! session" dialog that asks for a folder.

use std::path::PathBuf;

use egui::RichText;

use super::super::app::DesktopApp;
use super::super::commands::UiCommand;
use super::super::theme;

pub fn show(ui: &mut egui::Ui, app: &mut DesktopApp, out: &mut Vec<UiCommand>) {
    ui.add_space(theme::SPACE * 2.0);
    ui.horizontal(|ui| {
        if theme::primary_button(ui, "+ New session")
            .on_hover_text("Ctrl+N")
            .clicked()
        {
            out.push(UiCommand::AskNewSession);
        }
        if theme::subtle_button(ui, theme::icon::REFRESH)
            .on_hover_text("Refresh the session list")
            .clicked()
        {
            out.push(UiCommand::RefreshSessions);
        }
    });
    let search = ui
        .add(
            egui::TextEdit::singleline(&mut app.view.search)
                .hint_text("Search sessions (Ctrl+K)")
                .desired_width(f32::INFINITY),
        )
        .accessible_name("Search sessions");
    if std::mem::take(&mut app.view.focus_search) {
        search.request_focus();
    }
    egui::Panel::bottom("sidebar-bottom").show(ui, |ui| {
        ui.add_space(theme::SPACE);
        if ui
            .button(format!("{} Settings", theme::icon::SETTINGS))
            .on_hover_text("Ctrl+,")
            .clicked()
        {
            out.push(UiCommand::OpenSettings);
        }
        ui.add_space(theme::SPACE);
    });
    egui::ScrollArea::vertical().show(ui, |ui| {
        theme::section_heading(ui, "Local");
        let current = app
            .session
            .as_ref()
            .and_then(|session| session.configured.as_ref())
            .map(|configured| configured.rollout_path.clone());
        let shown = app.catalogue.filtered(&app.view.search);
        if app.catalogue.is_empty() {
            theme::empty_state(ui, "No sessions yet. Start one with New session.");
        } else if shown.is_empty() {
            theme::empty_state(ui, "No session title matches the search.");
        }
        for group in &shown.groups {
            let label = group.label(app.home.as_deref());
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
                            out.push(UiCommand::Resume {
                                rollout_path: session.path.clone(),
                            });
                        }
                    }
                });
        }
        super::shared::sidebar_section(ui, app, out);
    });
}

/// The "new session" dialog: a folder path, the recent folders, Start.
pub fn new_session_dialog(ctx: &egui::Context, app: &mut DesktopApp, out: &mut Vec<UiCommand>) {
    let recent = app.prefs.recent_folders.clone();
    let Some(dialog) = &mut app.view.new_session else {
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
            .add(
                egui::TextEdit::singleline(&mut dialog.folder)
                    .hint_text("Folder path, e.g. ~/projects/app")
                    .desired_width(f32::INFINITY),
            )
            .accessible_name("Folder");
        let submitted = field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        if let Some(problem) = &dialog.problem {
            ui.colored_label(theme::DANGER, problem);
        }
        if let Some(list) = app
            .providers
            .as_ref()
            .filter(|list| !list.profiles.is_empty())
        {
            let current = app
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
                out.push(UiCommand::PickProfile(picked));
            }
        }
        if !recent.is_empty() {
            theme::section_heading(ui, "Recent folders");
            for folder in &recent {
                if ui
                    .selectable_label(false, folder.display().to_string())
                    .clicked()
                {
                    dialog.folder = folder.display().to_string();
                }
            }
        }
        ui.add_space(theme::SPACE * 2.0);
        ui.horizontal(|ui| {
            if theme::primary_button(ui, "Start").clicked() || submitted {
                out.push(UiCommand::NewSession {
                    folder: expand_home(dialog.folder.trim(), app.home.as_deref()),
                });
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if close || response.should_close() {
        app.view.new_session = None;
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

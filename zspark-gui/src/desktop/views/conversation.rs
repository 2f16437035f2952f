//! The centre: a header (folder, session title, model picker), the conversation at a
//! readable width that follows new output unless the user scrolled up, the live status
//! line while a turn runs, and the composer pinned at the bottom.

use egui::RichText;

use super::super::app::DesktopApp;
use super::super::commands::UiCommand;
use super::super::theme;
use super::{cards, composer};

pub fn show(ui: &mut egui::Ui, app: &mut DesktopApp, out: &mut Vec<UiCommand>) {
    let Some(session) = &app.session else {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 3.0);
            theme::title(ui, "zspark");
            theme::empty_state(
                ui,
                "Pick a session on the left, or start a new one in a folder (Ctrl+N).",
            );
            ui.add_space(theme::SPACE * 2.0);
            if theme::primary_button(ui, "New session").clicked() {
                out.push(UiCommand::AskNewSession);
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
            if let Some(title) = app
                .session
                .as_ref()
                .and_then(|session| session.configured.as_ref())
                .and_then(|configured| app.catalogue.find(&configured.rollout_path))
                .map(|summary| summary.title.clone())
            {
                ui.label(theme::muted(format!(
                    "› {}",
                    title.lines().next().unwrap_or_default()
                )));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                model_picker(ui, app, out);
            });
        });
    });
    composer::show(ui, app, out);
    let Some(session) = &app.session else { return };
    let running = session.turn_started;
    let jump_id = ui.make_persistent_id("jump-to-latest");
    let mut scroll = egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .stick_to_bottom(true);
    if ui
        .data_mut(|data| data.remove_temp::<bool>(jump_id))
        .is_some()
    {
        scroll = scroll.vertical_scroll_offset(f32::MAX);
    }
    let output = scroll.show(ui, |ui| {
            let width = ui.available_width().min(theme::CONTENT_WIDTH);
            let margin = ((ui.available_width() - width) / 2.0).max(0.0);
            ui.horizontal(|ui| {
                ui.add_space(margin);
                ui.vertical(|ui| {
                    ui.set_width(width);
                    ui.add_space(theme::SPACE * 4.0);
                    if session.configured.is_none() {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Opening the session…");
                        });
                    } else if session.transcript.items.is_empty() {
                        theme::empty_state(
                            ui,
                            "Ask the agent to do something in this folder. It asks before running anything the sandbox would block.",
                        );
                    }
                    let last = session.transcript.items.len().saturating_sub(1);
                    for (index, item) in session.transcript.items.iter().enumerate() {
                        cards::item(
                            ui,
                            &mut app.view.markdown,
                            item,
                            cards::Place {
                                index,
                                is_last: index == last,
                                running: running.is_some(),
                                cwd: &session.cwd,
                            },
                            &session.transcript,
                            out,
                        );
                        ui.add_space(theme::SPACE * 3.0);
                    }
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

/// The model for the next turns: the session's, or one of the profiles' models.
fn model_picker(ui: &mut egui::Ui, app: &DesktopApp, out: &mut Vec<UiCommand>) {
    let Some(session) = &app.session else { return };
    let Some(current) = session.model() else {
        return;
    };
    let mut models: Vec<String> = vec![current.to_string()];
    if let Some(configured) = &session.configured {
        models.push(configured.model.clone());
    }
    if let Some(list) = &app.providers {
        models.extend(list.profiles.iter().map(|profile| profile.model.clone()));
    }
    models.sort();
    models.dedup();
    let mut picked = current.to_string();
    egui::ComboBox::from_label("Model")
        .selected_text(current)
        .show_ui(ui, |ui| {
            for model in &models {
                ui.selectable_value(&mut picked, model.clone(), model);
            }
        });
    if picked != current {
        out.push(UiCommand::PickModel(picked));
    }
}

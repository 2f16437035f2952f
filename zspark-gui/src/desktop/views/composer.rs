//! The composer pinned under the conversation: the attachments and the picked skill as
//! chips, a text field that grows with its text, Attach (Ctrl+O, or drop files on the
//! window, or paste an image), Send (Ctrl+Enter) or Stop while the agent works, and a
//! note when the next send replaces earlier messages (edit and resend).

use zspark_core::AttachmentKind;
use zspark_core::attachments::human_size;

use super::super::app::DesktopApp;
use super::super::commands::UiCommand;
use super::super::{file_input, theme};

pub fn show(ui: &mut egui::Ui, app: &mut DesktopApp, out: &mut Vec<UiCommand>) {
    let running = app
        .session
        .as_ref()
        .is_some_and(|session| session.is_running());
    egui::Panel::bottom("composer").show(ui, |ui| {
        ui.add_space(theme::SPACE * 2.0);
        if let Some(turns) = app.view.edit_rollback {
            ui.horizontal(|ui| {
                ui.label(theme::muted(format!(
                    "Editing: sending replaces the last {turns} message(s) and what followed."
                )));
                if theme::subtle_button(ui, "Cancel edit").clicked() {
                    app.view.edit_rollback = None;
                    app.view.composer.clear();
                }
            });
        }
        chips(ui, app, out);
        if file_input::files_hovering(ui.ctx()) {
            theme::drop_target(ui, "Drop the files to attach them to your message");
        }
        let field = ui
            .add(
                egui::TextEdit::multiline(&mut app.view.composer)
                    .hint_text("Ask anything… (Ctrl+Enter to send)")
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .return_key(None::<egui::KeyboardShortcut>),
            )
            .accessible_name("Message");
        if std::mem::take(&mut app.view.focus_composer) {
            field.request_focus();
        }
        ui.horizontal(|ui| {
            if ui
                .button(format!("{} Attach", theme::icon::ATTACH))
                .on_hover_text(
                    "Attach files (Ctrl+O); you can also drop files here or paste an image",
                )
                .clicked()
            {
                out.push(UiCommand::AttachFiles);
            }
            if let Some(session) = &app.session {
                let sandbox = session
                    .configured
                    .as_ref()
                    .map(|configured| configured.sandbox_policy.mode().as_str())
                    .unwrap_or("…");
                let approval = session
                    .configured
                    .as_ref()
                    .map(|configured| configured.approval_policy.as_str())
                    .unwrap_or("…");
                ui.label(theme::muted(format!(
                    "Sandbox {sandbox} · approvals {approval}"
                )));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if running {
                    if theme::danger_button(ui, "Stop")
                        .on_hover_text("Esc")
                        .clicked()
                    {
                        out.push(UiCommand::Interrupt);
                    }
                } else if theme::primary_button(ui, "Send")
                    .on_hover_text("Ctrl+Enter")
                    .clicked()
                {
                    out.push(UiCommand::Send);
                }
            });
        });
        ui.add_space(theme::SPACE * 2.0);
    });
}

/// The picked skill and the attachments, each removable.
fn chips(ui: &mut egui::Ui, app: &DesktopApp, out: &mut Vec<UiCommand>) {
    let view = &app.view;
    if view.skill.is_none() && view.attachments.is_empty() && view.attaching == 0 {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        if let Some(skill) = &view.skill
            && theme::chip(
                ui,
                &format!("{} {}", theme::icon::SKILL, skill.name),
                "Do not use this skill",
            )
        {
            out.push(UiCommand::ClearSkill);
        }
        for (index, attachment) in view.attachments.iter().enumerate() {
            let icon = match attachment.kind {
                AttachmentKind::Image => theme::icon::IMAGE,
                AttachmentKind::File => theme::icon::FILE,
            };
            let label = format!(
                "{icon} {} · {}",
                attachment.name,
                human_size(attachment.size)
            );
            if theme::chip(ui, &label, &format!("Remove {}", attachment.name)) {
                out.push(UiCommand::RemoveAttachment(index));
            }
        }
        if view.attaching > 0 {
            ui.spinner();
            ui.label(theme::muted("Attaching…"));
        }
    });
}

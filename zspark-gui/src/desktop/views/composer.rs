//! The composer pinned under the conversation: the attachments and the picked skill as
//! chips, a text field that grows with its text, Attach (or drop files on the window,
//! or paste an image) and "From <workspace>…" (a file of the session's shared
//! workspace), the model and reasoning effort for the next turns, Send or Stop while
//! the agent works, and a note when the next send
//! replaces earlier messages (edit and resend). Each open session keeps its own
//! draft, so switching sessions loses nothing half-written. In a shared session it
//! says who drives: while a teammate runs a turn, Send queues the message (and one
//! can ask them to take over); the driver sees who asks, and can stop and hand over.

use std::collections::HashMap;

use codex_protocol::SkillInfo;
use zspark_core::attachments::human_size;
use zspark_core::{Attachment, AttachmentKind, SessionKey, WorkspaceView};

use super::super::commands::{
    Commands, ComposerCommand, FilesCommand, SessionCommand, SharedCommand,
};
use super::super::session::SessionView;
use super::super::shortcuts::{Shortcut, hint};
use super::super::{file_input, theme};
use super::model_picker::{self, ModelPickerState};

/// One session's message in the making.
#[derive(Default)]
pub struct Draft {
    pub text: String,
    /// Files ready to go with the message.
    pub attachments: Vec<Attachment>,
    /// Files being prepared by the engine.
    pub attaching: usize,
    /// The skill picked for the message.
    pub skill: Option<SkillInfo>,
    /// The turn the message replaces, with everything after it (edit and resend).
    pub edit_from: Option<String>,
}

/// Who drives a shared session, as its composer tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lease {
    /// The teammate running a turn now.
    pub teammate_driving: Option<String>,
    /// While this user drives: who asks to take over.
    pub asking: Option<String>,
    /// This user's message waits for the teammate's turn to end.
    pub queued: bool,
}

impl Draft {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.attachments.is_empty() && self.skill.is_none()
    }
}

/// The composer's own state: a draft per open session.
#[derive(Default)]
pub struct ComposerState {
    drafts: HashMap<SessionKey, Draft>,
    /// Put the focus in the text field on the next frame.
    pub focus: bool,
    pub model_picker: ModelPickerState,
}

impl ComposerState {
    pub fn draft(&self, session: SessionKey) -> Option<&Draft> {
        self.drafts.get(&session)
    }

    pub fn draft_mut(&mut self, session: SessionKey) -> &mut Draft {
        self.drafts.entry(session).or_default()
    }

    /// Forgets a closed session's draft.
    pub fn forget(&mut self, session: SessionKey) {
        self.drafts.remove(&session);
    }
}

pub fn show(
    ui: &mut egui::Ui,
    session: &SessionView,
    workspace: Option<&WorkspaceView>,
    profile_models: &[String],
    lease: &Lease,
    state: &mut ComposerState,
    out: &mut Commands,
) {
    let running = session.is_running();
    let send_hint = hint(ui.ctx(), Shortcut::Send);
    let focus = std::mem::take(&mut state.focus);
    let ComposerState {
        drafts,
        model_picker: picker,
        ..
    } = state;
    let draft = drafts.entry(session.number).or_default();
    egui::Panel::bottom("composer").show(ui, |ui| {
        ui.add_space(theme::SPACE * 2.0);
        if draft.edit_from.is_some() {
            ui.horizontal(|ui| {
                ui.label(theme::muted(
                    "Editing: sending replaces this message and everything after it.",
                ));
                if theme::subtle_button(ui, "Cancel edit").clicked() {
                    out.push(ComposerCommand::CancelEdit);
                }
            });
        }
        lease_line(ui, lease, running, out);
        chips(ui, draft, out);
        if file_input::files_hovering(ui.ctx()) {
            theme::drop_target(ui, "Drop the files to attach them to your message");
        }
        let field = ui
            .add(
                egui::TextEdit::multiline(&mut draft.text)
                    .hint_text(format!("Ask anything… ({send_hint} to send)"))
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .return_key(None::<egui::KeyboardShortcut>),
            )
            .accessible_name("Message");
        if focus {
            field.request_focus();
        }
        // What goes with the message wraps; Send keeps its place on a line of its own.
        ui.horizontal_wrapped(|ui| {
            if ui
                .button(format!("{} Attach", theme::icon::ATTACH))
                .on_hover_text(format!(
                    "Attach files ({}); you can also drop files here or paste an image",
                    hint(ui.ctx(), Shortcut::Attach)
                ))
                .clicked()
            {
                out.push(FilesCommand::Attach);
            }
            if let Some(view) = workspace.filter(|view| !view.artifacts.is_empty()) {
                ui.menu_button(format!("From {}…", view.workspace.name), |ui| {
                    for artifact in &view.artifacts {
                        if ui
                            .button(&artifact.name)
                            .on_hover_text("Download it into this folder and attach it")
                            .clicked()
                        {
                            out.push(SharedCommand::AttachFromWorkspace(artifact.clone()));
                            ui.close();
                        }
                    }
                });
            }
            if session.parent.is_none() {
                model_picker::show(ui, session, profile_models, picker, out);
            }
        });
        ui.horizontal(|ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if running {
                    if theme::danger_button(ui, "Stop")
                        .on_hover_text("Esc")
                        .clicked()
                    {
                        out.push(SessionCommand::Interrupt);
                    }
                } else if let Some(driver) = &lease.teammate_driving {
                    if theme::primary_button(ui, "Queue")
                        .on_hover_text(format!("Send it when {driver}'s turn ends"))
                        .clicked()
                    {
                        out.push(ComposerCommand::Send);
                    }
                } else if theme::primary_button(ui, "Send")
                    .on_hover_text(send_hint.clone())
                    .clicked()
                {
                    out.push(ComposerCommand::Send);
                }
                if let Some(configured) = &session.configured {
                    let policy = format!(
                        "Sandbox {} · approvals {}",
                        configured.sandbox_policy.mode().as_str(),
                        configured.approval_policy.as_str()
                    );
                    ui.add(egui::Label::new(theme::muted(policy)).truncate());
                }
            });
        });
        ui.add_space(theme::SPACE * 2.0);
    });
}

/// Who drives the shared session, and what this user can do about it.
fn lease_line(ui: &mut egui::Ui, lease: &Lease, running: bool, out: &mut Commands) {
    if let Some(driver) = &lease.teammate_driving {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                egui::RichText::new(format!("{driver} is running a turn")).color(theme::ACCENT),
            );
            if lease.queued {
                ui.label(theme::muted(format!(
                    "· your message is queued and goes when {driver}'s turn ends"
                )));
                if theme::subtle_button(ui, "Cancel queued message").clicked() {
                    out.push(ComposerCommand::CancelQueued);
                }
            } else {
                ui.label(theme::muted(
                    "· what you send now waits for their turn to end",
                ));
            }
            if theme::subtle_button(ui, "Ask to take over")
                .on_hover_text(format!("Ask {driver} to stop their turn and let you drive"))
                .clicked()
            {
                out.push(ComposerCommand::AskToDrive);
            }
        });
    } else if running && let Some(asking) = &lease.asking {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                egui::RichText::new(format!("{asking} asks to take over")).color(theme::WARNING),
            );
            if theme::danger_button(ui, "Stop and hand over").clicked() {
                out.push(SessionCommand::Interrupt);
            }
        });
    }
}

/// The picked skill and the attachments, each removable.
fn chips(ui: &mut egui::Ui, draft: &Draft, out: &mut Commands) {
    if draft.skill.is_none() && draft.attachments.is_empty() && draft.attaching == 0 {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        if let Some(skill) = &draft.skill
            && theme::chip(
                ui,
                &format!("{} {}", theme::icon::SKILL, skill.name),
                "Do not use this skill",
            )
        {
            out.push(ComposerCommand::ClearSkill);
        }
        for (index, attachment) in draft.attachments.iter().enumerate() {
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
                out.push(ComposerCommand::RemoveAttachment(index));
            }
        }
        if draft.attaching > 0 {
            ui.spinner();
            ui.label(theme::muted("Attaching…"));
        }
    });
}

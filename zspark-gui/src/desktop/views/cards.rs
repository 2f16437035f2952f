//! One card per conversation item: the user's bubble (edit, fork, copy), the agent's
//! markdown, reasoning folded as "Thought for N s", commands with status, exit code,
//! duration and folded output, file changes with +/− counts and a coloured diff,
//! the plan as a checklist, approval cards with their four answers, errors with retry.

use std::path::Path;

use egui::{Color32, RichText};
use egui_commonmark::{CommonMarkCache, CommonMarkViewer};

use codex_protocol::{ReviewDecision, StepStatus};

use super::super::commands::UiCommand;
use super::super::theme;
use super::super::transcript::{
    ApprovalItem, ApprovalRequest, CommandRun, FileDiff, Item, PatchItem, PatchStatus, Transcript,
};

/// Output lines shown before "Show all".
const FOLDED_OUTPUT_LINES: usize = 6;
/// Characters of output drawn at most (the rest is available through Copy).
const MAX_DRAWN_OUTPUT: usize = 64 * 1024;

/// Where an item sits.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub index: usize,
    pub is_last: bool,
    pub running: bool,
    /// The session's folder; paths inside it are shown relative to it.
    pub cwd: &'a Path,
}

pub fn item(
    ui: &mut egui::Ui,
    markdown: &mut CommonMarkCache,
    item: &Item,
    place: Place<'_>,
    transcript: &Transcript,
    out: &mut Vec<UiCommand>,
) {
    match item {
        Item::User { text, images } => user(ui, text, *images, place, transcript, out),
        Item::Agent { text, streaming } => {
            CommonMarkViewer::new().show(ui, markdown, text);
            if *streaming {
                ui.label(RichText::new("…").color(theme::ACCENT));
            } else if theme::subtle_button(ui, "Copy").clicked() {
                out.push(UiCommand::Copy(text.clone()));
            }
        }
        Item::Reasoning { text, duration, .. } => {
            let heading = match duration {
                Some(duration) => format!("Thought for {} s", duration.as_secs().max(1)),
                None => "Thinking…".to_string(),
            };
            egui::CollapsingHeader::new(theme::muted(heading))
                .id_salt(("reasoning", place.index))
                .default_open(false)
                .show(ui, |ui| {
                    ui.label(theme::muted(text.clone()));
                });
        }
        Item::Command(run) => command(ui, run, place, out),
        Item::Patch(patch) => patch_card(ui, patch, place),
        Item::Plan(plan) => theme::card(ui, |ui| {
            ui.label(RichText::new("Plan").strong());
            if let Some(explanation) = &plan.explanation {
                ui.label(theme::muted(explanation.clone()));
            }
            for step in &plan.plan {
                let (mark, colour) = match step.status {
                    StepStatus::Completed => ("☑", theme::SUCCESS),
                    StepStatus::InProgress => ("◑", theme::ACCENT),
                    StepStatus::Pending => ("☐", ui.visuals().weak_text_color()),
                };
                ui.horizontal(|ui| {
                    ui.colored_label(colour, mark);
                    ui.label(&step.step);
                });
            }
        }),
        Item::Approval(approval) => approval_card(ui, approval, place, out),
        Item::Error { message } => theme::attention_card(ui, theme::DANGER, |ui| {
            ui.label(
                RichText::new("Something went wrong")
                    .strong()
                    .color(theme::DANGER),
            );
            ui.label(message);
            if place.is_last && !place.running {
                ui.horizontal(|ui| {
                    if theme::primary_button(ui, "Retry").clicked() {
                        out.push(UiCommand::Retry);
                    }
                    if ui.button("Settings").clicked() {
                        out.push(UiCommand::OpenSettings);
                    }
                });
            }
        }),
        Item::Notice { message } => {
            ui.label(theme::muted(message.clone()));
        }
    }
}

fn user(
    ui: &mut egui::Ui,
    text: &str,
    images: usize,
    place: Place<'_>,
    transcript: &Transcript,
    out: &mut Vec<UiCommand>,
) {
    ui.with_layout(egui::Layout::top_down(egui::Align::Max), |ui| {
        theme::bubble(ui, |ui| {
            ui.set_max_width(ui.available_width() * 0.8);
            ui.label(text);
            if images > 0 {
                ui.label(theme::muted(format!("{images} image(s) attached")));
            }
        });
        if !place.running {
            ui.horizontal(|ui| {
                if theme::subtle_button(ui, "Copy").clicked() {
                    out.push(UiCommand::Copy(text.to_string()));
                }
                if theme::subtle_button(ui, "Fork from here")
                    .on_hover_text("A new session holding the conversation before this message")
                    .clicked()
                {
                    out.push(UiCommand::Fork {
                        before_user_message: Some(transcript.user_messages_before(place.index)),
                    });
                }
                if theme::subtle_button(ui, "Edit")
                    .on_hover_text("Change this message and send it again")
                    .clicked()
                {
                    out.push(UiCommand::EditFrom { index: place.index });
                }
            });
        }
    });
}

fn command(ui: &mut egui::Ui, run: &CommandRun, place: Place<'_>, out: &mut Vec<UiCommand>) {
    theme::card(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("$ {}", first_line(&run.command_line))).monospace());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(duration) = run.duration {
                    ui.label(theme::muted(format!("{:.1} s", duration.as_secs_f32())));
                }
                if run.running {
                    ui.spinner();
                } else if run.killed {
                    ui.colored_label(theme::WARNING, "stopped");
                } else {
                    match run.exit_code {
                        Some(0) => ui.colored_label(theme::SUCCESS, "✔ 0"),
                        Some(code) => ui.colored_label(theme::DANGER, format!("✖ {code}")),
                        None => ui.label(theme::muted("?")),
                    };
                }
            });
        });
        if run.output.trim().is_empty() {
            return;
        }
        let lines: Vec<&str> = run.output.lines().collect();
        let id = ui.make_persistent_id(("output", place.index));
        let mut expanded = ui.data(|data| data.get_temp::<bool>(id).unwrap_or(false));
        let shown = if expanded || lines.len() <= FOLDED_OUTPUT_LINES {
            clip(&run.output)
        } else {
            lines[lines.len() - FOLDED_OUTPUT_LINES..].join("\n")
        };
        ui.label(RichText::new(shown).monospace().small());
        ui.horizontal(|ui| {
            if lines.len() > FOLDED_OUTPUT_LINES {
                let label = if expanded {
                    "Show less".to_string()
                } else {
                    format!("Show all {} lines", lines.len())
                };
                if theme::subtle_button(ui, &label).clicked() {
                    expanded = !expanded;
                    ui.data_mut(|data| data.insert_temp(id, expanded));
                }
            }
            if theme::subtle_button(ui, "Copy output").clicked() {
                out.push(UiCommand::Copy(run.output.clone()));
            }
        });
    });
}

fn patch_card(ui: &mut egui::Ui, patch: &PatchItem, place: Place<'_>) {
    theme::card(ui, |ui| {
        for (file_index, file) in patch.files.iter().enumerate() {
            let verb = match &patch.status {
                PatchStatus::Applying => "Editing",
                PatchStatus::Applied => "Edited",
                PatchStatus::Failed(_) => "Could not edit",
                PatchStatus::Recorded => "Patch",
            };
            egui::CollapsingHeader::new(diff_heading(verb, file, place.cwd))
                .id_salt(("diff", place.index, file_index))
                .default_open(patch.files.len() == 1 && file.added + file.removed <= 20)
                .show(ui, |ui| diff_lines(ui, &file.diff));
        }
        if let PatchStatus::Failed(reason) = &patch.status {
            ui.colored_label(theme::DANGER, reason);
        }
    });
}

fn diff_heading(verb: &str, file: &FileDiff, cwd: &Path) -> RichText {
    let path = file.path.strip_prefix(cwd).unwrap_or(&file.path);
    RichText::new(format!(
        "{verb} {}  +{} −{}",
        path.display(),
        file.added,
        file.removed
    ))
}

fn diff_lines(ui: &mut egui::Ui, diff: &str) {
    for line in clip(diff).lines() {
        let colour = theme::diff_line_colour(line, ui.visuals());
        ui.label(RichText::new(line).monospace().small().color(colour));
    }
}

fn approval_card(
    ui: &mut egui::Ui,
    approval: &ApprovalItem,
    place: Place<'_>,
    out: &mut Vec<UiCommand>,
) {
    let colour = if approval.answer.is_none() {
        theme::WARNING
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke.color
    };
    theme::attention_card(ui, colour, |ui| {
        let patch = matches!(approval.request, ApprovalRequest::Patch { .. });
        match &approval.request {
            ApprovalRequest::Command { command_line, cwd } => {
                ui.label(RichText::new("Run this command?").strong());
                ui.label(RichText::new(command_line).monospace());
                ui.label(theme::muted(format!("in {}", cwd.display())));
            }
            ApprovalRequest::Patch { files } => {
                ui.label(RichText::new("Apply these changes?").strong());
                for (file_index, file) in files.iter().enumerate() {
                    egui::CollapsingHeader::new(diff_heading("Change", file, place.cwd))
                        .id_salt(("approval-diff", place.index, file_index))
                        .default_open(true)
                        .show(ui, |ui| diff_lines(ui, &file.diff));
                }
            }
        }
        if let Some(reason) = &approval.reason {
            ui.label(theme::muted(format!("Why: {reason}")));
        }
        match &approval.answer {
            None => {
                ui.horizontal_wrapped(|ui| {
                    let mut answer = |decision: ReviewDecision| {
                        out.push(UiCommand::Answer {
                            call_id: approval.call_id.clone(),
                            patch,
                            decision,
                        });
                    };
                    if theme::primary_button(ui, "Approve")
                        .on_hover_text("Y")
                        .clicked()
                    {
                        answer(ReviewDecision::Accept);
                    }
                    if ui
                        .button("Approve for session")
                        .on_hover_text("A: do not ask again for this in this session")
                        .clicked()
                    {
                        answer(ReviewDecision::AcceptForSession);
                    }
                    if theme::danger_button(ui, "Deny")
                        .on_hover_text("N: the agent is told and continues")
                        .clicked()
                    {
                        answer(ReviewDecision::Decline);
                    }
                    if ui
                        .button("Stop")
                        .on_hover_text("Deny and stop the turn")
                        .clicked()
                    {
                        answer(ReviewDecision::Cancel);
                    }
                });
            }
            Some(decision) => {
                let (text, colour) = match decision {
                    ReviewDecision::Accept => ("Approved", theme::SUCCESS),
                    ReviewDecision::AcceptForSession
                    | ReviewDecision::AcceptWithExecpolicyAmendment { .. } => {
                        ("Approved for this session", theme::SUCCESS)
                    }
                    ReviewDecision::Decline => ("Denied", theme::DANGER),
                    ReviewDecision::Cancel => ("Stopped", Color32::GRAY),
                };
                ui.colored_label(colour, text);
            }
        }
    });
}

fn first_line(text: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().to_string();
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first
    }
}

/// At most [`MAX_DRAWN_OUTPUT`] characters, cut on a character boundary.
fn clip(text: &str) -> String {
    if text.len() <= MAX_DRAWN_OUTPUT {
        return text.to_string();
    }
    let mut cut = MAX_DRAWN_OUTPUT;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}\n… (output cut; use Copy output for all of it)",
        &text[..cut]
    )
}

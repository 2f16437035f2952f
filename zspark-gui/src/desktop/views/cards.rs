//! One card per conversation item: the user's bubble (edit, fork, copy), the agent's
//! markdown, reasoning folded as "Thought for N s", commands with status, exit code,
//! duration and folded output, file changes with +/− counts and a coloured diff,
//! the plan as a checklist, approval cards with their four answers, errors with retry,
//! the files a turn produced with their previews and actions, and sub-agents (see
//! `agent_cards`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use egui::{Color32, RichText};
use egui_commonmark::{CommonMarkCache, CommonMarkViewer};

use codex_protocol::{ReviewDecision, StepStatus};
use zspark_core::attachments::human_size;
use zspark_core::conversation::{
    ApprovalItem, ApprovalRequest, CommandRun, FileDiff, Item, McpCall, PatchItem, PatchStatus,
};
use zspark_core::sharing::FileOutcome;
use zspark_core::{Artifact, ArtifactKind, Preview, SyncReport, SyncState, Transcript};

use super::super::commands::{
    Commands, FilesCommand, LayoutCommand, SessionCommand, SettingsCommand, SharedCommand,
};
use super::super::theme;

/// Output lines shown before "Show all".
const FOLDED_OUTPUT_LINES: usize = 6;
/// Characters of output drawn at most (the rest is available through Copy).
const MAX_DRAWN_OUTPUT: usize = 64 * 1024;
/// Artifacts listed on a turn's card before "Show all".
const FOLDED_ARTIFACTS: usize = 6;
/// The widest an image preview is drawn.
const THUMBNAIL_WIDTH: f32 = 360.0;

/// What drawing the conversation keeps between frames: parsed markdown resources and
/// image previews uploaded to the GPU (by artifact path and modification time).
#[derive(Default)]
pub struct Caches {
    pub markdown: CommonMarkCache,
    thumbnails: HashMap<PathBuf, (SystemTime, egui::TextureHandle)>,
}

impl Caches {
    /// The texture for an artifact's image preview, uploaded on first use.
    fn thumbnail(
        &mut self,
        ctx: &egui::Context,
        artifact: &Artifact,
    ) -> Option<egui::TextureHandle> {
        let Preview::Image(thumbnail) = &artifact.preview else {
            return None;
        };
        if let Some((modified, texture)) = self.thumbnails.get(&artifact.path)
            && *modified == artifact.modified
        {
            return Some(texture.clone());
        }
        let size = [thumbnail.width as usize, thumbnail.height as usize];
        if size[0] * size[1] * 4 != thumbnail.rgba.len() {
            return None;
        }
        let image = egui::ColorImage::from_rgba_unmultiplied(size, &thumbnail.rgba);
        let texture = ctx.load_texture(
            artifact.path.display().to_string(),
            image,
            egui::TextureOptions::LINEAR,
        );
        self.thumbnails
            .insert(artifact.path.clone(), (artifact.modified, texture.clone()));
        Some(texture)
    }
}

/// Where an item sits.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub index: usize,
    pub is_last: bool,
    pub running: bool,
    /// A teammate's session read from the server: nothing in it can be answered,
    /// retried, edited or forked from here.
    pub read_only: bool,
    /// The session's folder; paths inside it are shown relative to it.
    pub cwd: &'a Path,
    /// The session's sub-agents open in the window.
    pub agents: &'a [super::agent_cards::LiveAgent],
    /// Where the session stands with the server, when it is shared (its files' upload
    /// state).
    pub shared: Option<&'a SyncReport>,
}

pub fn item(
    ui: &mut egui::Ui,
    caches: &mut Caches,
    item: &Item,
    place: Place<'_>,
    transcript: &Transcript,
    out: &mut Commands,
) {
    match item {
        Item::User { .. } => user(ui, item, place, transcript, out),
        Item::Agent { text, streaming } => {
            CommonMarkViewer::new().show(ui, &mut caches.markdown, text);
            if *streaming {
                ui.label(RichText::new("…").color(theme::ACCENT));
            } else if theme::subtle_button(ui, "Copy").clicked() {
                out.push(LayoutCommand::Copy(text.clone()));
            }
        }
        Item::Reasoning { text, duration, .. } => {
            let heading = match duration {
                None => "Thinking…".to_string(),
                // How long it took is not known (an older recording).
                Some(duration) if duration.is_zero() => "Thought".to_string(),
                Some(duration) => format!("Thought for {} s", duration.as_secs().max(1)),
            };
            egui::CollapsingHeader::new(theme::muted(heading))
                .id_salt(("reasoning", place.index))
                .default_open(false)
                .show(ui, |ui| {
                    ui.label(theme::muted(text.clone()));
                });
        }
        Item::Command(run) => command(ui, run, place, out),
        Item::McpCall(call) => mcp_call(ui, call, place, out),
        Item::Patch(patch) => patch_card(ui, patch, place),
        Item::Plan(plan) => theme::card(ui, |ui| {
            ui.label(RichText::new("Plan").strong());
            if let Some(explanation) = &plan.explanation {
                ui.label(theme::muted(explanation.clone()));
            }
            for step in &plan.plan {
                let (mark, colour) = match step.status {
                    StepStatus::Completed => (theme::icon::STEP_DONE, theme::SUCCESS),
                    StepStatus::InProgress => (theme::icon::STEP_ACTIVE, theme::ACCENT),
                    StepStatus::Pending => {
                        (theme::icon::STEP_PENDING, ui.visuals().weak_text_color())
                    }
                };
                ui.horizontal(|ui| {
                    ui.colored_label(colour, mark);
                    ui.label(&step.step);
                });
            }
        }),
        Item::Image { path } => {
            let shown = path.strip_prefix(place.cwd).unwrap_or(path);
            ui.label(theme::muted(format!(
                "{} Looked at {}",
                theme::icon::IMAGE,
                shown.display()
            )));
        }
        Item::Approval(approval) => approval_card(ui, approval, place, out),
        Item::Error { message } => theme::attention_card(ui, theme::DANGER, |ui| {
            ui.label(
                RichText::new("Something went wrong")
                    .strong()
                    .color(theme::DANGER),
            );
            ui.label(message);
            if place.is_last && !place.running && !place.read_only {
                ui.horizontal(|ui| {
                    if theme::primary_button(ui, "Retry").clicked() {
                        out.push(SessionCommand::Retry);
                    }
                    if ui.button("Settings").clicked() {
                        out.push(SettingsCommand::Open);
                    }
                });
            }
        }),
        Item::Notice { message } => {
            ui.label(theme::muted(message.clone()));
        }
        Item::Artifacts(artifacts) => artifacts_card(ui, caches, artifacts, place, out),
        Item::AgentCall(call) => super::agent_cards::call(ui, call, transcript, place.agents, out),
        Item::AgentMail(mail) => super::agent_cards::mail(ui, mail),
    }
}

fn user(
    ui: &mut egui::Ui,
    item: &Item,
    place: Place<'_>,
    transcript: &Transcript,
    out: &mut Commands,
) {
    let Item::User {
        text,
        images,
        files,
        skills,
        ..
    } = item
    else {
        return;
    };
    ui.with_layout(egui::Layout::top_down(egui::Align::Max), |ui| {
        theme::bubble(ui, |ui| {
            ui.set_max_width(ui.available_width() * 0.8);
            if !text.is_empty() {
                ui.label(text);
            }
            let mut attached: Vec<String> = skills
                .iter()
                .map(|name| format!("{} {name}", theme::icon::SKILL))
                .collect();
            attached.extend(files.iter().map(|file| {
                let name = file.file_name().map_or_else(
                    || file.display().to_string(),
                    |name| name.to_string_lossy().to_string(),
                );
                format!("{} {name}", theme::icon::FILE)
            }));
            if *images > 0 {
                attached.push(format!("{} {images} image(s)", theme::icon::IMAGE));
            }
            if !attached.is_empty() {
                ui.label(theme::muted(attached.join("   ")));
            }
        });
        if !place.running {
            ui.horizontal(|ui| {
                if theme::subtle_button(ui, "Copy").clicked() {
                    out.push(LayoutCommand::Copy(text.to_string()));
                }
                let turn = transcript.turn_at(place.index).map(str::to_string);
                if turn.is_some() && !place.read_only {
                    if theme::subtle_button(ui, "Fork from here")
                        .on_hover_text("A new session holding the conversation before this message")
                        .clicked()
                    {
                        out.push(SessionCommand::Fork { before_turn: turn });
                    }
                    if theme::subtle_button(ui, "Edit")
                        .on_hover_text("Change this message and send it again")
                        .clicked()
                    {
                        out.push(SessionCommand::EditFrom { index: place.index });
                    }
                }
            });
        }
    });
}

/// The files a turn produced: each with its kind, size, actions and a preview.
fn artifacts_card(
    ui: &mut egui::Ui,
    caches: &mut Caches,
    artifacts: &[Artifact],
    place: Place<'_>,
    out: &mut Commands,
) {
    theme::card(ui, |ui| {
        ui.label(RichText::new(format!("Files from this turn ({})", artifacts.len())).strong());
        let id = ui.make_persistent_id(("artifacts", place.index));
        let mut expanded = ui.data(|data| data.get_temp::<bool>(id).unwrap_or(false));
        let shown = if expanded {
            artifacts.len()
        } else {
            FOLDED_ARTIFACTS
        };
        for artifact in artifacts.iter().take(shown) {
            ui.separator();
            artifact_row(ui, artifact, place.cwd, place.shared, out);
            preview(ui, caches, artifact);
        }
        if artifacts.len() > FOLDED_ARTIFACTS {
            let label = if expanded {
                "Show fewer".to_string()
            } else {
                format!("Show all {} files", artifacts.len())
            };
            if theme::subtle_button(ui, &label).clicked() {
                expanded = !expanded;
                ui.data_mut(|data| data.insert_temp(id, expanded));
            }
        }
    });
}

/// One artifact: icon, path (relative to the session's folder), kind and size, and
/// Open / Save as… / Show in folder; in a shared session, where its upload stands.
pub fn artifact_row(
    ui: &mut egui::Ui,
    artifact: &Artifact,
    cwd: &Path,
    shared: Option<&SyncReport>,
    out: &mut Commands,
) {
    let shown_path = artifact.path.strip_prefix(cwd).unwrap_or(&artifact.path);
    let name = artifact.name();
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} {}",
            kind_icon(artifact.kind),
            shown_path.display()
        ))
        .on_hover_text(artifact.path.display().to_string());
        ui.label(theme::muted(format!(
            "{} · {}",
            artifact.kind.label(),
            human_size(artifact.size)
        )));
    });
    // The buttons keep to one line of their own, however narrow the panel.
    ui.horizontal(|ui| {
        let path = || artifact.path.clone();
        if theme::subtle_button(ui, "Open")
            .accessible_name(format!("Open {name}"))
            .on_hover_text("Open with the system's application")
            .clicked()
        {
            out.push(FilesCommand::Open(path()));
        }
        if theme::subtle_button(ui, "Save as…")
            .accessible_name(format!("Save {name} as…"))
            .clicked()
        {
            out.push(FilesCommand::SaveAs(path()));
        }
        if theme::subtle_button(ui, "Show in folder")
            .accessible_name(format!("Show {name} in folder"))
            .clicked()
        {
            out.push(FilesCommand::Reveal(path()));
        }
    });
    if let Some(report) = shared {
        upload_state(ui, artifact, report, out);
    }
}

/// Where a shared session's file stands with the workspace: uploading, in it (with a
/// way to remove it), refused and why, removed, or waiting for the server.
fn upload_state(ui: &mut egui::Ui, artifact: &Artifact, report: &SyncReport, out: &mut Commands) {
    let name = artifact.name();
    let record = report.files.iter().find(|file| file.path == artifact.path);
    ui.horizontal_wrapped(|ui| {
        if report.sending_file.as_ref() == Some(&artifact.path) {
            ui.spinner();
            ui.label(theme::muted("Uploading to the workspace…"));
            return;
        }
        match record.map(|file| &file.outcome) {
            Some(FileOutcome::Uploaded) => {
                ui.label(theme::muted(format!(
                    "{} In the workspace",
                    theme::icon::SUCCEEDED
                )));
                if theme::subtle_button(ui, "Remove from workspace")
                    .accessible_name(format!("Remove {name} from the workspace"))
                    .on_hover_text("Teammates no longer see it; the file here stays.")
                    .clicked()
                {
                    out.push(SharedCommand::RemoveSharedFile {
                        local_session_id: report.local_session_id.clone(),
                        path: artifact.path.clone(),
                    });
                }
            }
            Some(FileOutcome::Refused(reason)) => {
                ui.label(
                    RichText::new(format!(
                        "{} Not in the workspace: {reason}",
                        theme::icon::WARNING
                    ))
                    .color(theme::WARNING),
                );
            }
            Some(FileOutcome::Removed) => {
                ui.label(theme::muted("Removed from the workspace"));
            }
            None => match &report.state {
                SyncState::Waiting(_) | SyncState::Failed(_) => {
                    ui.label(theme::muted("Not uploaded yet"));
                }
                SyncState::Sending | SyncState::UpToDate => {}
            },
        }
    });
}

/// What can be shown of `artifact` without opening it: a thumbnail, the first rows or
/// lines.
pub fn preview(ui: &mut egui::Ui, caches: &mut Caches, artifact: &Artifact) {
    match &artifact.preview {
        Preview::None => {}
        Preview::Image(_) => {
            if let Some(texture) = caches.thumbnail(ui.ctx(), artifact) {
                theme::thumbnail(ui, &texture, THUMBNAIL_WIDTH);
            }
        }
        Preview::Text { text, more } => {
            ui.label(RichText::new(text).monospace().small());
            if *more {
                ui.label(theme::muted("…"));
            }
        }
        Preview::Table { rows, more } => {
            egui::ScrollArea::horizontal()
                .id_salt(("table", &artifact.path))
                .show(ui, |ui| {
                    egui::Grid::new(("table-grid", &artifact.path))
                        .striped(true)
                        .show(ui, |ui| {
                            for (row_index, row) in rows.iter().enumerate() {
                                for cell in row {
                                    let text = RichText::new(cell).small();
                                    ui.label(if row_index == 0 { text.strong() } else { text });
                                }
                                ui.end_row();
                            }
                        });
                });
            if *more {
                ui.label(theme::muted("… more rows"));
            }
        }
    }
}

fn kind_icon(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::Document => theme::icon::DOCUMENT,
        ArtifactKind::Spreadsheet | ArtifactKind::Table => theme::icon::TABLE,
        ArtifactKind::Presentation => theme::icon::SLIDES,
        ArtifactKind::Pdf => theme::icon::PDF,
        ArtifactKind::Image => theme::icon::IMAGE,
        ArtifactKind::Archive => theme::icon::ARCHIVE,
        ArtifactKind::Text => theme::icon::FILE,
        ArtifactKind::Other => theme::icon::OTHER_FILE,
    }
}

fn command(ui: &mut egui::Ui, run: &CommandRun, place: Place<'_>, out: &mut Commands) {
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
                        Some(0) => ui
                            .colored_label(theme::SUCCESS, format!("{} 0", theme::icon::SUCCEEDED)),
                        Some(code) => ui.colored_label(
                            theme::DANGER,
                            format!("{} {code}", theme::icon::FAILED),
                        ),
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
                out.push(LayoutCommand::Copy(run.output.clone()));
            }
            if !place.read_only
                && theme::subtle_button(ui, "Open in terminal")
                    .on_hover_text("Put the command in the session's terminal, ready to run")
                    .clicked()
            {
                out.push(LayoutCommand::OpenInTerminal(run.command_line.clone()));
            }
        });
    });
}

/// A call of an MCP server's tool: server and tool, status and time, arguments and
/// the result (folded when long).
fn mcp_call(ui: &mut egui::Ui, call: &McpCall, place: Place<'_>, out: &mut Commands) {
    theme::card(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{} · {}", call.server, call.tool)).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(duration) = call.duration {
                    ui.label(theme::muted(format!("{:.1} s", duration.as_secs_f32())));
                }
                match call.success {
                    None => {
                        ui.spinner();
                    }
                    Some(true) => {
                        ui.colored_label(theme::SUCCESS, theme::icon::SUCCEEDED);
                    }
                    Some(false) => {
                        ui.colored_label(theme::DANGER, format!("{} failed", theme::icon::FAILED));
                    }
                }
            });
        });
        if call.arguments != "{}" {
            ui.label(theme::muted(first_line(&call.arguments)));
        }
        if call.output.trim().is_empty() {
            return;
        }
        egui::CollapsingHeader::new("Result")
            .id_salt(("mcp-result", place.index))
            .default_open(call.output.lines().count() <= FOLDED_OUTPUT_LINES)
            .show(ui, |ui| {
                ui.label(RichText::new(clip(&call.output)).monospace().small());
                if theme::subtle_button(ui, "Copy result").clicked() {
                    out.push(LayoutCommand::Copy(call.output.clone()));
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

fn approval_card(ui: &mut egui::Ui, approval: &ApprovalItem, place: Place<'_>, out: &mut Commands) {
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
            ApprovalRequest::McpTool {
                server,
                tool,
                arguments,
            } => {
                ui.label(
                    RichText::new(format!("Allow the {server} MCP server to run `{tool}`?"))
                        .strong(),
                );
                if arguments != "{}" {
                    ui.label(RichText::new(arguments).monospace());
                }
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
            None if place.read_only => {
                ui.label(theme::muted(
                    "Waiting for an answer on the computer that ran it.",
                ));
            }
            None => {
                ui.horizontal_wrapped(|ui| {
                    let mut answer = |decision: ReviewDecision| {
                        out.push(SessionCommand::Answer {
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
                    let mcp = matches!(approval.request, ApprovalRequest::McpTool { .. });
                    if mcp
                        && ui
                            .button("Always approve")
                            .on_hover_text("Never ask for this tool again (kept in config.toml)")
                            .clicked()
                    {
                        answer(ReviewDecision::AcceptAlways);
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
                    ReviewDecision::AcceptAlways => ("Always approved", theme::SUCCESS),
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

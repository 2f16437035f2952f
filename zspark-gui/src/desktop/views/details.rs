//! The right panel: the open session's facts (folder, model, provider, wire API),
//! the sandbox mode and approval policy for its folder (changeable, remembered per
//! folder), token usage and how much of the context window is left.

use codex_protocol::{ApprovalPolicy, SandboxMode, WireApi};

use super::super::app::DesktopApp;
use super::super::commands::UiCommand;
use super::super::theme;

const APPROVALS: [(Option<ApprovalPolicy>, &str); 4] = [
    (
        Some(ApprovalPolicy::Untrusted),
        "Ask for anything unusual (untrusted)",
    ),
    (
        Some(ApprovalPolicy::OnRequest),
        "Ask when the agent needs more (on-request)",
    ),
    (Some(ApprovalPolicy::Never), "Never ask (never)"),
    (None, "As config.toml says"),
];

const SANDBOXES: [(Option<SandboxMode>, &str); 4] = [
    (Some(SandboxMode::ReadOnly), "Read only"),
    (Some(SandboxMode::WorkspaceWrite), "Write in the workspace"),
    (
        Some(SandboxMode::DangerFullAccess),
        "Full access (no sandbox)",
    ),
    (None, "As config.toml says"),
];

pub fn show(ui: &mut egui::Ui, app: &DesktopApp, out: &mut Vec<UiCommand>) {
    theme::section_heading(ui, "Session");
    let Some(session) = &app.session else {
        theme::empty_state(ui, "No session open.");
        return;
    };
    theme::fact(ui, "Folder", session.cwd.display().to_string());
    let Some(configured) = &session.configured else {
        ui.spinner();
        return;
    };
    theme::fact(ui, "Model", session.model().unwrap_or_default());
    theme::fact(ui, "Provider", configured.model_provider_id.clone());
    theme::fact(
        ui,
        "Wire API",
        match configured.wire_api {
            WireApi::Responses => "responses",
            WireApi::Chat => "chat (through zspark-bridge)",
        },
    );
    theme::fact(ui, "Session id", configured.session_id.clone());

    theme::section_heading(ui, "Safety");
    let policy = app.prefs.policy_for(&session.cwd);
    let mut approval = policy.approval;
    let label = ui.label(theme::muted("Approvals"));
    egui::ComboBox::from_id_salt("approvals")
        .selected_text(match approval {
            Some(chosen) => chosen.as_str().to_string(),
            None => format!("{} (config)", configured.approval_policy.as_str()),
        })
        .show_ui(ui, |ui| {
            for (value, label) in APPROVALS {
                ui.selectable_value(&mut approval, value, label);
            }
        })
        .response
        .labelled_by(label.id);
    if approval != policy.approval {
        out.push(UiCommand::SetApproval(approval));
    }
    let mut sandbox = policy.sandbox;
    let label = ui.label(theme::muted("Sandbox"));
    egui::ComboBox::from_id_salt("sandbox")
        .selected_text(match sandbox {
            Some(chosen) => chosen.as_str().to_string(),
            None => format!("{} (config)", configured.sandbox_policy.mode().as_str()),
        })
        .show_ui(ui, |ui| {
            for (value, label) in SANDBOXES {
                ui.selectable_value(&mut sandbox, value, label);
            }
        })
        .response
        .labelled_by(label.id);
    if sandbox != policy.sandbox {
        out.push(UiCommand::SetSandbox(sandbox));
    }
    ui.label(theme::muted(
        "Remembered for this folder; applies from the next message.",
    ));

    theme::section_heading(ui, "Context");
    match &session.token_info {
        None => theme::empty_state(ui, "No tokens used yet."),
        Some(info) => {
            let total = info.total_token_usage;
            theme::fact(
                ui,
                "Tokens",
                format!(
                    "{} in ({} cached) · {} out",
                    total.input_tokens, total.cached_input_tokens, total.output_tokens
                ),
            );
            match info.context_left_percent() {
                Some(left) => theme::meter(
                    ui,
                    f32::from(left) / 100.0,
                    &format!("{left}% of the context left"),
                ),
                None => theme::fact(ui, "Context window", "unknown for this model"),
            }
        }
    }
}

//! The right panel: the open session's facts (folder, model, provider, wire API),
//! the sandbox mode and approval policy for its folder (changeable, remembered per
//! folder), token usage (the session's and the last turn's, and their cost where the
//! model's prices are given, editable here) and how much of the context window is
//! left, the files its
//! turns produced, and the skills its folder offers (searchable, with the broken ones
//! and why) with the plugins they come from.

use codex_protocol::{ApprovalPolicy, SandboxMode, SkillScope, TokenUsage, WireApi};
use zspark_core::catalogue::folder_label;
use zspark_core::{MemoryCommand, SkillCatalog};

use super::super::commands::{
    Commands, ComposerCommand, FilesCommand, ReviewAction, SessionCommand, SettingsCommand,
};
use super::super::model::Model;
use super::super::prefs::price_key;
use super::super::session::SessionView;
use super::super::theme;
use super::cards;

/// The panel's own state.
#[derive(Default)]
pub struct DetailsState {
    pub skill_search: String,
}

/// Files listed in the panel before "and N more".
const LISTED_FILES: usize = 20;

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

pub fn show(ui: &mut egui::Ui, model: &Model, state: &mut DetailsState, out: &mut Commands) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            session_facts(ui, model, out);
            files(ui, model, out);
            skills(ui, model, state, out);
        });
}

fn session_facts(ui: &mut egui::Ui, model: &Model, out: &mut Commands) {
    theme::section_heading(ui, "Session");
    let Some(session) = model.session() else {
        theme::empty_state(ui, "No session open.");
        return;
    };
    theme::fact(
        ui,
        "Folder",
        folder_label(&session.cwd, model.home.as_deref()),
    );
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
    worktree_facts(ui, model, session, out);
    if let Some(memory) = model.memory.as_ref().filter(|memory| memory.enabled) {
        let mut kept_out = memory.excluded.contains(&configured.session_id);
        if ui
            .checkbox(&mut kept_out, "Keep out of memory")
            .on_hover_text("This session is never condensed into the memory later sessions get")
            .changed()
        {
            out.push(SettingsCommand::Memory(MemoryCommand::SetExcluded {
                session_id: configured.session_id.clone(),
                excluded: kept_out,
            }));
        }
    }

    theme::section_heading(ui, "Safety");
    let policy = model.prefs.policy_for(&session.cwd);
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
        out.push(SessionCommand::SetApproval(approval));
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
        out.push(SessionCommand::SetSandbox(sandbox));
    }
    ui.label(theme::muted(
        "Remembered for this folder; applies from the next message.",
    ));

    theme::section_heading(ui, "Usage");
    match &session.token_info {
        None => theme::empty_state(ui, "No tokens used yet."),
        Some(info) => {
            theme::fact(ui, "This session", tokens_line(&info.total_token_usage));
            if let Some(turn) = session.usage.last_turn() {
                theme::fact(ui, "Last turn", tokens_line(&turn.tokens));
            }
            let provider = &configured.model_provider_id;
            let cost = session.usage.cost(|name| model.price_of(provider, name));
            match cost {
                Some((cost, 0)) => theme::fact(ui, "Cost", format!("{cost:.4}")),
                Some((cost, unpriced)) => theme::fact(
                    ui,
                    "Cost",
                    format!("{cost:.4} and {unpriced} turns on models without prices"),
                ),
                None => {}
            }
            if let Some(name) = session.model() {
                price_editor(ui, model, provider, name, out);
            }
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

/// The session's own git worktree: its branch, the main checkout, merge and delete.
fn worktree_facts(ui: &mut egui::Ui, model: &Model, session: &SessionView, out: &mut Commands) {
    let Some(worktree) = &session.review.worktree else {
        return;
    };
    theme::section_heading(ui, "Worktree");
    match (&worktree.branch, worktree.branch_exists) {
        (Some(branch), true) => theme::fact(ui, "Branch", branch.clone()),
        (Some(branch), false) => {
            ui.colored_label(
                theme::WARNING,
                format!("Its branch {branch} no longer exists: there is nothing to merge, and the worktree can be deleted."),
            );
        }
        (None, _) => theme::fact(ui, "Branch", "none (a detached HEAD)"),
    }
    theme::fact(
        ui,
        "Main checkout",
        folder_label(&worktree.main_checkout, model.home.as_deref()),
    );
    ui.horizontal(|ui| {
        let into = worktree
            .main_branch
            .as_deref()
            .unwrap_or("the main checkout");
        if ui
            .add_enabled(
                worktree.branch_exists,
                egui::Button::new(format!("Merge into {into}…")),
            )
            .clicked()
        {
            out.push(ReviewAction::AskMergeWorktree);
        }
        if ui.button("Delete worktree…").clicked() {
            out.push(ReviewAction::AskRemoveWorktree);
        }
    });
    match &session.review.outcome {
        Some(Ok(done)) => {
            ui.label(theme::muted(done));
        }
        Some(Err(problem)) => {
            ui.colored_label(theme::DANGER, problem);
        }
        None => {}
    }
}

/// Tokens in, of them cached, and out.
fn tokens_line(tokens: &TokenUsage) -> String {
    format!(
        "{} in ({} cached) · {} out",
        tokens.input_tokens, tokens.cached_input_tokens, tokens.output_tokens
    )
}

/// The prices of the session's model from its provider, for the cost.
fn price_editor(ui: &mut egui::Ui, model: &Model, provider: &str, name: &str, out: &mut Commands) {
    let key = price_key(provider, name);
    let kept = model.prefs.model_prices.get(&key).copied();
    egui::CollapsingHeader::new(format!("Prices of {name}"))
        .id_salt("model-prices")
        .show(ui, |ui| {
            ui.label(theme::muted("Per million tokens, in your currency."));
            let mut price = kept.unwrap_or_default();
            let mut changed = false;
            egui::Grid::new("model-prices-grid").show(ui, |ui| {
                for (label, value) in [
                    ("Input", &mut price.input),
                    ("Cached input", &mut price.cached_input),
                    ("Output", &mut price.output),
                ] {
                    let label = ui.label(label);
                    changed |= ui
                        .add(
                            egui::DragValue::new(value)
                                .range(0.0..=10_000.0)
                                .speed(0.01)
                                .max_decimals(4),
                        )
                        .labelled_by(label.id)
                        .changed();
                    ui.end_row();
                }
            });
            if changed {
                out.push(SettingsCommand::SetPrice {
                    key: key.clone(),
                    price: Some(price),
                });
            }
            if kept.is_some() && theme::subtle_button(ui, "Forget these prices").clicked() {
                out.push(SettingsCommand::SetPrice { key, price: None });
            }
        });
}

fn files(ui: &mut egui::Ui, model: &Model, out: &mut Commands) {
    let Some(session) = model.session() else {
        return;
    };
    theme::section_heading(ui, "Files");
    let shared = model.shared.sync_of_open(session);
    if session.artifacts.is_empty() {
        theme::empty_state(
            ui,
            "Files the agent creates or changes appear here, ready to open or save.",
        );
        return;
    }
    for artifact in session.artifacts.iter().take(LISTED_FILES) {
        cards::artifact_row(ui, artifact, &session.cwd, shared, out);
    }
    if session.artifacts.len() > LISTED_FILES {
        ui.label(theme::muted(format!(
            "and {} more; see the conversation",
            session.artifacts.len() - LISTED_FILES
        )));
    }
}

fn skills(ui: &mut egui::Ui, model: &Model, state: &mut DetailsState, out: &mut Commands) {
    if model.session().is_none() {
        return;
    }
    if theme::section_heading_with_action(ui, "Skills", theme::icon::REFRESH, "Refresh skills") {
        out.push(FilesCommand::RefreshSkills);
    }
    let Some(list) = &model.skills else {
        ui.spinner();
        return;
    };
    let catalog = &list.catalog;
    plugins(ui, catalog);
    if catalog.skills.is_empty() && catalog.errors.is_empty() {
        theme::empty_state(
            ui,
            "No skills found. Put a folder with a SKILL.md in ~/.codex/skills or .codex/skills in your project.",
        );
        return;
    }
    ui.add(
        egui::TextEdit::singleline(&mut state.skill_search)
            .hint_text("Search skills")
            .desired_width(f32::INFINITY),
    )
    .accessible_name("Search skills");
    let query = state.skill_search.trim().to_lowercase();
    let matches = |text: &str| query.is_empty() || text.to_lowercase().contains(&query);
    let mut shown = 0;
    for skill in &catalog.skills {
        let title = skill.display_name.as_deref().unwrap_or(&skill.name);
        let description = skill
            .short_description
            .as_deref()
            .unwrap_or(&skill.description);
        if !(matches(title) || matches(&skill.name) || matches(description)) {
            continue;
        }
        shown += 1;
        theme::card(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new(title).strong());
                ui.label(theme::muted(scope_label(skill.scope)));
            });
            ui.label(egui::RichText::new(description).small());
            if ui
                .button("Use")
                .on_hover_text("Send the next message with this skill")
                .accessible_name(format!("Use {}", skill.name))
                .clicked()
            {
                out.push(ComposerCommand::UseSkill(skill.clone()));
            }
        });
    }
    if shown == 0 && !catalog.skills.is_empty() {
        theme::empty_state(ui, "No skill matches the search.");
    }
    for error in &catalog.errors {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(theme::WARNING, theme::icon::WARNING);
            ui.label(
                egui::RichText::new(format!("{}: {}", error.path.display(), error.message)).small(),
            );
        });
    }
}

/// The installed plugins, each with how many of the skills are its own.
fn plugins(ui: &mut egui::Ui, catalog: &SkillCatalog) {
    if catalog.plugins.is_empty() {
        return;
    }
    ui.label(theme::muted("Plugins"));
    for plugin in &catalog.plugins {
        let skills = catalog
            .skills
            .iter()
            .filter(|skill| skill.path.starts_with(&plugin.path))
            .count();
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(&plugin.name).strong());
            if let Some(version) = &plugin.version {
                ui.label(theme::muted(version.clone()));
            }
            ui.label(theme::muted(format!("{skills} skill(s)")));
        })
        .response
        .on_hover_text(plugin.path.display().to_string());
        if let Some(description) = &plugin.description {
            ui.label(egui::RichText::new(description).small());
        }
    }
}

fn scope_label(scope: SkillScope) -> &'static str {
    match scope {
        SkillScope::Repo => "project",
        SkillScope::User => "yours",
        SkillScope::Plugin => "plugin",
        SkillScope::System => "system",
        SkillScope::Admin => "admin",
    }
}

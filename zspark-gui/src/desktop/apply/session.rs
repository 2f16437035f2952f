//! Commands about sessions: starting, resuming (or showing one open already),
//! switching, closing, forking; and, in the shown session: interrupting, answering
//! approvals, edit and resend, retry, the policies, model and reasoning effort for its
//! next turns (remembered for its folder).

use std::path::Path;

use codex_protocol::{Op, ReasoningEffort, SandboxMode, SandboxPolicy};
use zspark_core::conversation::Item;
use zspark_core::{EngineCommand, ModelChoice, SessionSettings, SessionStart};

use super::super::app::DesktopApp;
use super::super::commands::SessionCommand;
use super::super::model::Tone;
use super::super::session::{ModelListing, SessionView};
use super::super::views::sidebar::FolderDialog;

impl DesktopApp {
    pub(in super::super) fn apply_session(&mut self, command: SessionCommand) {
        match command {
            SessionCommand::AskNew => {
                let folder = self
                    .model
                    .likely_folder()
                    .map(|folder| folder.display().to_string())
                    .unwrap_or_default();
                self.panels.sidebar.new_session = Some(FolderDialog {
                    folder,
                    problem: None,
                    continue_session: None,
                    worktree: None,
                });
            }
            SessionCommand::New { folder, worktree } => {
                if !folder.is_dir() {
                    let problem = format!(
                        "{} is not a folder on this computer. Check the path or pick a recent folder.",
                        folder.display()
                    );
                    match &mut self.panels.sidebar.new_session {
                        Some(dialog) => dialog.problem = Some(problem),
                        None => self.model.banner(Tone::Error, problem),
                    }
                    return;
                }
                let start = match self
                    .panels
                    .sidebar
                    .new_session
                    .take()
                    .and_then(|dialog| dialog.continue_session)
                {
                    Some(rollout_path) => SessionStart::Resume { rollout_path },
                    None => SessionStart::New,
                };
                // A session continued in another folder keeps to that folder.
                let fresh = start == SessionStart::New;
                let worktree = worktree && fresh;
                if fresh {
                    let policy = self.model.prefs.folder_policies.entry(folder.clone());
                    policy.or_default().worktree = worktree;
                }
                let settings = SessionSettings {
                    worktree,
                    ..self.settings_for(&folder, None)
                };
                self.send(EngineCommand::OpenSession {
                    start,
                    cwd: Some(folder),
                    settings,
                });
            }
            SessionCommand::BrowseFolder => {
                let typed = self.panels.sidebar.new_session.as_ref().map(|dialog| {
                    super::super::views::sidebar::expand_home(
                        dialog.folder.trim(),
                        self.model.home.as_deref(),
                    )
                });
                let start_in = typed
                    .filter(|folder| folder.is_dir())
                    .or_else(|| self.model.likely_folder())
                    .or_else(|| self.model.home.clone())
                    .unwrap_or_default();
                let ctx = self.ctx.clone();
                self.dialogs.work_in(&ctx, start_in);
            }
            SessionCommand::Resume { rollout_path } => self.resume(rollout_path),
            SessionCommand::Show(session) => self.show_session(session),
            SessionCommand::Close(session) => {
                self.send(EngineCommand::CloseSession { session });
            }
            SessionCommand::Fork { before_turn } => {
                let Some(view) = self.model.session() else {
                    return;
                };
                let Some(configured) = &view.configured else {
                    return;
                };
                let rollout_path = configured.rollout_path.clone();
                if !rollout_path.exists() {
                    self.model
                        .banner(Tone::Info, "Nothing to fork yet: send a message first.");
                    return;
                }
                let cwd = view.cwd.clone();
                let settings = self.settings_for(&cwd, None);
                self.send(EngineCommand::OpenSession {
                    start: SessionStart::Fork {
                        rollout_path,
                        before_turn,
                    },
                    cwd: Some(cwd),
                    settings,
                });
            }
            SessionCommand::Interrupt => {
                if let Some(view) = self.model.session().filter(|view| view.is_running()) {
                    let session = view.number;
                    self.submit(session, Op::Interrupt);
                }
            }
            SessionCommand::StopAgent(session) => {
                if self
                    .model
                    .sessions
                    .get(&session)
                    .is_some_and(SessionView::is_running)
                {
                    self.submit(session, Op::Interrupt);
                }
            }
            SessionCommand::Answer {
                call_id,
                patch,
                decision,
            } => {
                let Some(view) = self.model.session_mut() else {
                    return;
                };
                view.transcript.answer(&call_id, decision.clone());
                let session = view.number;
                self.submit(
                    session,
                    if patch {
                        Op::PatchApproval { call_id, decision }
                    } else {
                        Op::ExecApproval { call_id, decision }
                    },
                );
            }
            SessionCommand::EditFrom { index } => {
                let Some(view) = self.model.session().filter(|view| !view.is_running()) else {
                    return;
                };
                let (Some(Item::User { text, .. }), Some(turn)) = (
                    view.transcript.items.get(index),
                    view.transcript.turn_at(index),
                ) else {
                    return;
                };
                let (text, turn, session) = (text.clone(), turn.to_string(), view.number);
                let draft = self.panels.composer.draft_mut(session);
                draft.text = text;
                draft.edit_from = Some(turn);
                self.panels.composer.focus = true;
            }
            SessionCommand::Retry => {
                let Some(view) = self.model.session() else {
                    return;
                };
                let Some(items) = view.last_input.clone() else {
                    return;
                };
                let session = view.number;
                if let Some(from_turn) = view.transcript.last_user_turn().map(str::to_string) {
                    self.submit(session, Op::Rollback { from_turn });
                }
                self.start_turn(session, items);
            }
            SessionCommand::SetApproval(approval) => {
                let Some(shown) = self.model.shown else {
                    return;
                };
                let Some(view) = self.model.sessions.get_mut(&shown) else {
                    return;
                };
                let policy = self
                    .model
                    .prefs
                    .folder_policies
                    .entry(view.cwd.clone())
                    .or_default();
                policy.approval = approval;
                view.pending_overrides.approval_policy = approval;
            }
            SessionCommand::SetSandbox(mode) => {
                let Some(shown) = self.model.shown else {
                    return;
                };
                let Some(view) = self.model.sessions.get_mut(&shown) else {
                    return;
                };
                let policy = self
                    .model
                    .prefs
                    .folder_policies
                    .entry(view.cwd.clone())
                    .or_default();
                policy.sandbox = mode;
                let current = view.configured.as_ref().map(|c| &c.sandbox_policy);
                view.pending_overrides.sandbox_policy =
                    mode.map(|mode| sandbox_policy(mode, current));
            }
            SessionCommand::ListModels => {
                if let Some(view) = self.model.session_mut() {
                    view.models = ModelListing::Asking;
                    let session = view.number;
                    self.send(EngineCommand::ListModels { session });
                }
            }
            SessionCommand::PickModel(name) => {
                let Some(view) = self.model.session_mut() else {
                    return;
                };
                // An effort the new model does not take would make its requests fail.
                let accepted = ModelChoice::named(&name).efforts;
                let effort = view.effort();
                let fallback = effort
                    .filter(|effort| !accepted.is_empty() && !accepted.contains(effort))
                    .and_then(|_| {
                        accepted
                            .iter()
                            .copied()
                            .find(|effort| *effort == ReasoningEffort::Medium)
                            .or(accepted.first().copied())
                    });
                view.model_override = Some(name.clone());
                if fallback.is_some() {
                    view.effort_override = fallback;
                }
                let folder = view.cwd.clone();
                let policy = self.model.prefs.folder_policies.entry(folder).or_default();
                policy.model = Some(name);
                if fallback.is_some() {
                    policy.effort = fallback;
                }
            }
            SessionCommand::PickEffort(effort) => {
                let Some(view) = self.model.session_mut() else {
                    return;
                };
                view.effort_override = Some(effort);
                let folder = view.cwd.clone();
                self.model
                    .prefs
                    .folder_policies
                    .entry(folder)
                    .or_default()
                    .effort = Some(effort);
            }
            SessionCommand::RefreshList => self.send(EngineCommand::RefreshSessions),
        }
    }

    /// Opens a stored session: shows it when it is open already, asks for another
    /// folder when its own is gone.
    fn resume(&mut self, rollout_path: std::path::PathBuf) {
        if let Some(open) = self.model.open_session_for(&rollout_path) {
            self.show_session(open);
            return;
        }
        let summary = self.model.catalogue.find(&rollout_path).cloned();
        let folder = summary
            .as_ref()
            .and_then(|summary| summary.cwd.clone())
            .unwrap_or_default();
        if !folder.is_dir() {
            self.panels.sidebar.new_session = Some(FolderDialog {
                folder: String::new(),
                problem: Some(format!(
                    "This session ran in {}, which does not exist any more. Choose a folder to continue it in.",
                    folder.display()
                )),
                continue_session: Some(rollout_path),
                worktree: None,
            });
            return;
        }
        let recorded_profile = summary
            .and_then(|summary| summary.model_provider)
            .filter(|id| {
                self.model
                    .providers
                    .as_ref()
                    .is_some_and(|list| list.get(id).is_some())
            });
        let settings = self.settings_for(&folder, recorded_profile);
        self.send(EngineCommand::OpenSession {
            start: SessionStart::Resume { rollout_path },
            cwd: None,
            settings,
        });
    }

    pub(in super::super) fn settings_for(
        &self,
        folder: &Path,
        profile: Option<String>,
    ) -> SessionSettings {
        let policy = self.model.prefs.policy_for(folder);
        SessionSettings {
            profile: profile.or_else(|| self.usable_profile()),
            model: policy.model,
            reasoning_effort: policy.effort,
            approval_policy: policy.approval,
            sandbox_mode: policy.sandbox,
            worktree: false,
        }
    }

    /// The profile to start with: the last one used if it still exists, else the
    /// default in `config.toml` (by passing none).
    fn usable_profile(&self) -> Option<String> {
        let last = self.model.prefs.last_profile.as_deref()?;
        self.model
            .providers
            .as_ref()
            .and_then(|list| list.get(last))
            .map(|profile| profile.id.clone())
    }
}

/// The policy for `mode`, keeping the current workspace-write details when the mode
/// stays workspace-write.
fn sandbox_policy(mode: SandboxMode, current: Option<&SandboxPolicy>) -> SandboxPolicy {
    match (mode, current) {
        (SandboxMode::WorkspaceWrite, Some(policy @ SandboxPolicy::WorkspaceWrite { .. })) => {
            policy.clone()
        }
        (SandboxMode::WorkspaceWrite, _) => SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
        },
        (SandboxMode::ReadOnly, _) => SandboxPolicy::ReadOnly,
        (SandboxMode::DangerFullAccess, _) => SandboxPolicy::DangerFullAccess,
    }
}

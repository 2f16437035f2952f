//! What the engine and the file dialogs report, folded into the model: sessions
//! opening, failing and ending, each session's runtime events (whichever session is
//! shown; one not shown gets an unread mark), the files its turns produced, prepared
//! attachments, providers, skills and the shared-workspace server: workspace pages and
//! their live activity, shared sessions read, linked sessions' upload state (each
//! linked session is nudged to send when its runtime records something), and a
//! continued session opened in the folder the user picked.

use codex_protocol::EventMsg;
use zspark_api::Activity;
use zspark_auth::signin::SecretLocation;
use zspark_core::{
    EngineCommand, EngineEvent, FileCommand, ReviewCommand, ReviewEvent, SessionKey,
    SessionShareCommand, SessionStart, SharedCommand as EngineShared, WorkspaceCommand,
};

use super::app::DesktopApp;
use super::dialogs::DialogAnswer;
use super::model::{ReadSession, SharedPage, SkillList, Tone};
use super::session::{ModelListing, SessionView, shows_something};

/// Attachments one message may carry.
const MAX_ATTACHMENTS: usize = 20;

impl DesktopApp {
    pub(super) fn handle(&mut self, event: EngineEvent) {
        let model = &mut self.model;
        match event {
            EngineEvent::Sessions(catalogue) => model.catalogue = catalogue,
            EngineEvent::Providers(Ok(list)) => model.providers = Some(list),
            EngineEvent::Providers(Err(message)) => model.banner(Tone::Error, message),
            EngineEvent::McpServers(Ok(servers)) => {
                model.mcp_servers = Some(servers);
                model.mcp_sign_in = None;
            }
            EngineEvent::McpServers(Err(message)) => {
                model.mcp_servers = Some(Vec::new());
                model.mcp_sign_in = None;
                model.banner(Tone::Error, message);
            }
            EngineEvent::Memory(Ok(view)) => model.memory = Some(view),
            EngineEvent::Memory(Err(message)) => model.banner(Tone::Error, message),
            EngineEvent::McpSignInPage { server, url } => {
                model.mcp_sign_in = Some((server, url));
            }
            EngineEvent::ProviderSaved { id, key_location } => {
                self.panels.settings.provider_form.saved(&id);
                model.prefs.last_profile = Some(id.clone());
                match key_location {
                    Some(SecretLocation::File(path)) => model.banner(
                        Tone::Warning,
                        format!(
                            "Saved {id}. No OS keychain is available, so its key is in {} (readable only by you).",
                            path.display()
                        ),
                    ),
                    _ => model.banner(Tone::Info, format!("Saved {id}.")),
                }
            }
            EngineEvent::ProviderError(message) => {
                self.panels.settings.provider_form.error = Some(message);
            }
            EngineEvent::SessionOpening { session, cwd } => {
                model.prefs.remember_folder(&cwd);
                model
                    .sessions
                    .insert(session, SessionView::new(session, cwd));
                self.show_session(session);
            }
            EngineEvent::AgentOpened {
                session,
                parent,
                nickname,
                cwd,
            } => {
                let view = SessionView::agent(session, cwd, parent, nickname);
                model.sessions.insert(session, view);
            }
            EngineEvent::SessionFailed { session, message } => {
                self.session_gone(session);
                self.model.banner(Tone::Error, message);
            }
            EngineEvent::Runtime { session, event } => {
                let shown = model.shown == Some(session);
                let Some(view) = model.sessions.get_mut(&session) else {
                    return;
                };
                let noteworthy = shows_something(&event.msg);
                let turn_ended = view.apply(&event.msg);
                if !shown && noteworthy {
                    view.unread = true;
                }
                let recorded = changes_the_record(&event.msg);
                let session_id = view
                    .configured
                    .as_ref()
                    .map(|configured| configured.session_id.to_string());
                let folder = view.cwd.clone();
                let opened_from = match &event.msg {
                    EventMsg::SessionConfigured(configured) => {
                        Some(configured.rollout_path.clone())
                    }
                    _ => None,
                };
                if let EventMsg::SessionConfigured(configured) = &event.msg {
                    // Whether it works in a worktree of its own, for its details.
                    let folder = configured.cwd.clone();
                    self.send(EngineCommand::Review(ReviewCommand::FindWorktree {
                        session,
                        folder,
                    }));
                }
                if turn_ended {
                    self.send(EngineCommand::RefreshSessions);
                }
                self.stream_turn_event(session, &event.msg, turn_ended);
                self.call_attention(session, &event.msg);
                if let Some(items) = opened_from.and_then(|path| self.caught_up(&path)) {
                    self.start_turn(session, items);
                }
                // A linked session sends what it recorded; the first event tells the
                // engine to look for a link (the session may have been shared before).
                // A turn's end also gives the room's lease back once it is sent.
                if let Some(local_session_id) = session_id
                    && ((recorded || turn_ended)
                        && self.model.shared.sync.contains_key(&local_session_id)
                        || matches!(event.msg, EventMsg::SessionConfigured(_)))
                {
                    self.send(EngineCommand::ShareSession(SessionShareCommand::Changed {
                        local_session_id,
                        folder,
                        turn_ended,
                    }));
                }
            }
            EngineEvent::SessionEnded { session } => self.session_gone(session),
            EngineEvent::Artifacts {
                session, artifacts, ..
            } => {
                if let Some(view) = model.sessions.get_mut(&session) {
                    view.add_artifacts(artifacts);
                }
            }
            EngineEvent::Attached { session, results } => {
                let draft = self.panels.composer.draft_mut(session);
                draft.attaching = draft.attaching.saturating_sub(results.len());
                let mut problems = Vec::new();
                for result in results {
                    match result {
                        Ok(attachment) if draft.attachments.len() < MAX_ATTACHMENTS => {
                            draft.attachments.push(attachment);
                        }
                        Ok(attachment) => problems.push(format!(
                            "{} was not attached: a message takes at most {MAX_ATTACHMENTS} files.",
                            attachment.name
                        )),
                        Err(problem) => problems.push(problem),
                    }
                }
                if !problems.is_empty() {
                    model.banner(Tone::Warning, problems.join(" "));
                }
            }
            EngineEvent::FileSaved { destination } => {
                match model.shared.attaching.remove(&destination) {
                    Some(session) => self.attach_to(session, vec![destination]),
                    None => model.banner(
                        Tone::Info,
                        format!("Saved a copy to {}.", destination.display()),
                    ),
                }
            }
            EngineEvent::Skills { cwd, catalog } => model.skills = Some(SkillList { cwd, catalog }),
            EngineEvent::Shared(status) => {
                model.shared.busy = false;
                model.shared.sign_in_code = None;
                let signed_in = status.signed_in_as.is_some();
                // Listed again: access came back.
                model.shared.access_lost.retain(|workspace_id| {
                    !status
                        .workspaces
                        .iter()
                        .any(|workspace| workspace.id == *workspace_id)
                });
                model.shared.status = Some(status);
                // A new connection left the rooms: announce the user again (the rooms
                // report themselves afresh once open).
                model.shared.present_in.clear();
                model.shared.watched.clear();
                // Follow every workspace live (connecting again stops the feeds), so
                // the sidebar lists their sessions; a workspace gone from the list goes.
                if let Some(status) = &model.shared.status
                    && signed_in
                {
                    let workspace_ids: Vec<String> = status
                        .workspaces
                        .iter()
                        .map(|workspace| workspace.id.clone())
                        .collect();
                    let open = model.shared.page_workspace_id().map(str::to_string);
                    model.shared.views.retain(|workspace_id, _| {
                        workspace_ids.contains(workspace_id) || open.as_ref() == Some(workspace_id)
                    });
                    self.send(EngineCommand::Workspace(WorkspaceCommand::FollowAll(
                        workspace_ids,
                    )));
                }
            }
            EngineEvent::SignInCode { code, address } => {
                model.shared.sign_in_code = Some((code, address));
            }
            EngineEvent::Workspace(view) => {
                let workspace_id = view.workspace.id.clone();
                if model.shared.access_lost.contains(&workspace_id) {
                    return;
                }
                if model.shared.page_workspace_id() == Some(workspace_id.as_str()) {
                    model.shared.workspace_problem = None;
                    self.ask_for_previews(view.artifacts.clone());
                }
                self.model.shared.views.insert(workspace_id, *view);
            }
            EngineEvent::WorkspaceFilePreview { artifact_id, file } => {
                model
                    .shared
                    .previews
                    .insert(artifact_id, file.map(|file| *file));
            }
            EngineEvent::WorkspaceProblem {
                workspace_id,
                message,
                membership_lost,
            } => {
                if membership_lost {
                    model.shared.access_lost.insert(workspace_id.clone());
                }
                // The workspace list may have changed too (it was deleted, or the user
                // removed from it): read it again, once.
                let newly = if model.shared.page_workspace_id() == Some(workspace_id.as_str()) {
                    model.shared.workspace_problem.replace(message).is_none()
                } else {
                    model.shared.views.remove(&workspace_id).is_some()
                };
                if newly {
                    self.send(EngineCommand::Shared(EngineShared::Refresh));
                }
            }
            EngineEvent::WorkspaceActivity {
                workspace_id,
                entry,
            } => self.workspace_activity(&workspace_id, &entry),
            EngineEvent::Room { address, room } => self.room_changed(address, *room),
            EngineEvent::SharedSessionRead(read) => {
                if model.shared.page == Some(SharedPage::Session(read.address.clone())) {
                    let artifacts = read.artifacts.clone();
                    model.shared.reading = Some(ReadSession::new(*read));
                    self.ask_for_previews(artifacts);
                }
            }
            EngineEvent::SharedSync(report) => {
                if report.forked
                    && model
                        .shared
                        .sync
                        .get(&report.local_session_id)
                        .is_none_or(|earlier| !earlier.forked)
                {
                    model.banner(
                        Tone::Warning,
                        "A teammate added to the shared session while this turn ran: nothing is lost. Your turn went to a new shared session (\"… (parallel turn by you)\"), forked from where you both started.",
                    );
                }
                model
                    .shared
                    .sync
                    .insert(report.local_session_id.clone(), report);
            }
            EngineEvent::ContinueReady {
                address,
                rollout_path,
                folder,
                warnings,
            } => {
                self.continued_to(&address, &rollout_path);
                let model = &mut self.model;
                if !warnings.is_empty() {
                    model.banner(
                        Tone::Warning,
                        format!(
                            "Continuing in {}, which is not the session's checkout: {}. The agent sees the session as it was.",
                            folder.display(),
                            warnings.join("; ")
                        ),
                    );
                }
                let settings = self.settings_for(&folder, None);
                self.send(EngineCommand::OpenSession {
                    start: SessionStart::Resume { rollout_path },
                    cwd: Some(folder),
                    settings,
                });
            }
            EngineEvent::Review(ReviewEvent::Read { session, read }) => {
                if let Some(view) = model.sessions.get_mut(&session) {
                    view.review.read = Some(read);
                    view.review.busy = false;
                }
            }
            EngineEvent::Review(ReviewEvent::Worktree { session, worktree }) => {
                if let Some(view) = model.sessions.get_mut(&session) {
                    view.review.worktree = worktree;
                }
            }
            EngineEvent::Review(ReviewEvent::Done { session, outcome }) => {
                if let Some(view) = model.sessions.get_mut(&session) {
                    view.review.outcome = Some(outcome);
                }
            }
            EngineEvent::Models { session, listed } => {
                if let Some(view) = model.sessions.get_mut(&session) {
                    view.models = match listed {
                        Ok(choices) => ModelListing::Listed(choices),
                        Err(problem) => ModelListing::Failed(problem),
                    };
                }
            }
            EngineEvent::Problem(message) => {
                model.banner(Tone::Warning, message);
                self.catch_up_failed();
            }
        }
    }

    /// Asks the engine for previews of the workspace files among `artifacts` not asked
    /// for yet.
    fn ask_for_previews(&mut self, artifacts: Vec<zspark_api::Artifact>) {
        let previews = &mut self.model.shared.previews;
        let new: Vec<_> = artifacts
            .into_iter()
            .filter(|artifact| !previews.contains_key(&artifact.id))
            .collect();
        if new.is_empty() {
            return;
        }
        for artifact in &new {
            previews.insert(artifact.id.clone(), None);
        }
        self.send(EngineCommand::Workspace(WorkspaceCommand::Preview(new)));
    }

    /// Something happened in one of the user's workspaces: a shared session shown that
    /// changed is read again, and when a teammate continues one of the user's
    /// sessions while the window is in the background, the system shows a notification
    /// and the window asks for attention.
    fn workspace_activity(&mut self, workspace_id: &str, entry: &Activity) {
        let shared = &self.model.shared;
        if let Some(SharedPage::Session(address)) = &shared.page
            && address.workspace_id == workspace_id
            && entry.object_id.as_deref() == Some(address.session_id.as_str())
        {
            let address = address.clone();
            self.send(EngineCommand::Workspace(WorkspaceCommand::ReadSession(
                address,
            )));
        }
        let Some(view) = self.model.shared.workspace(workspace_id) else {
            return;
        };
        let mine = view.sessions.iter().find(|session| {
            entry.object_id.as_deref() == Some(session.id.as_str()) && session.author == view.me
        });
        if let Some(session) = mine
            && entry.verb == "appended"
            && entry.actor != view.me
            && !self.ctx.input(|input| input.focused)
        {
            let text = format!(
                "{} continued your session \"{}\".",
                view.name_of(&entry.actor),
                session.title
            );
            self.notifier.notify("zspark", &text);
            self.model.banner(Tone::Info, text);
            self.ctx
                .send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
                    egui::UserAttentionType::Informational,
                ));
        }
    }

    /// Shows open session `session`: its unread mark goes, its folder's skills are
    /// listed, the composer takes the focus.
    pub(super) fn show_session(&mut self, session: SessionKey) {
        let Some(view) = self.model.sessions.get_mut(&session) else {
            return;
        };
        view.unread = false;
        let cwd = view.cwd.clone();
        self.model.shown = Some(session);
        if self.panels.terminal.shown {
            self.start_terminal();
        }
        self.model.shared.page = None;
        self.panels.composer.focus = true;
        if self
            .model
            .skills
            .as_ref()
            .is_none_or(|skills| skills.cwd != cwd)
        {
            self.send(EngineCommand::File(FileCommand::ListSkills { cwd }));
        }
    }

    /// Forgets a session that closed or could not open; another open one is shown.
    fn session_gone(&mut self, session: SessionKey) {
        self.model.sessions.remove(&session);
        self.model.shared.ties.remove(&session);
        self.panels.composer.forget(session);
        self.panels.conversation.forget(session);
        self.panels.terminal.terminals.remove(&session);
        if self.model.shown == Some(session) {
            self.model.shown = None;
            if let Some(next) = self.model.sessions.keys().next_back().copied() {
                self.show_session(next);
            }
        }
    }

    pub(super) fn dialog_answered(&mut self, answer: DialogAnswer) {
        match answer {
            DialogAnswer::Attach(files) => self.attach(files),
            DialogAnswer::SaveTo {
                artifact,
                destination: Some(destination),
            } => {
                if let Some(view) = self.model.session() {
                    let workspace = view.cwd.clone();
                    self.send(EngineCommand::File(FileCommand::SaveAs {
                        workspace,
                        path: artifact,
                        destination,
                    }));
                }
            }
            DialogAnswer::SaveTo {
                destination: None, ..
            } => {}
            DialogAnswer::ContinueIn {
                address,
                folder: Some(folder),
            } => {
                self.model.prefs.remember_folder(&folder);
                self.send(EngineCommand::ShareSession(
                    SessionShareCommand::ContinueHere { address, folder },
                ));
            }
            DialogAnswer::DownloadTo {
                artifact,
                destination: Some(destination),
            } => {
                self.send(EngineCommand::Workspace(WorkspaceCommand::DownloadArtifact {
                    artifact,
                    destination,
                }));
            }
            DialogAnswer::WorkIn(folder) => {
                if let (Some(folder), Some(dialog)) = (folder, &mut self.panels.sidebar.new_session)
                {
                    dialog.folder = folder.display().to_string();
                    dialog.problem = None;
                }
            }
            DialogAnswer::ContinueIn { folder: None, .. }
            | DialogAnswer::DownloadTo {
                destination: None, ..
            } => {}
            DialogAnswer::Unavailable => self.model.banner(
                Tone::Warning,
                "No file dialog could be shown (on Linux it needs xdg-desktop-portal). Drop files onto the window to attach them.",
            ),
        }
    }
}

/// Whether `msg` ends something the rollout records (a turn, a command, a patch, a
/// message): the moments a shared session sends what is new.
fn changes_the_record(msg: &EventMsg) -> bool {
    matches!(
        msg,
        EventMsg::TurnComplete { .. }
            | EventMsg::TurnAborted { .. }
            | EventMsg::AgentMessage { .. }
            | EventMsg::ExecCommandEnd(_)
            | EventMsg::PatchApplyEnd { .. }
    )
}

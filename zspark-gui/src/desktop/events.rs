//! What the engine and the file dialogs report, folded into the model: sessions
//! opening, failing and ending, each session's runtime events (whichever session is
//! shown; one not shown gets an unread mark), the files its turns produced, prepared
//! attachments, providers, skills and the shared-workspace server.

use zspark_auth::signin::SecretLocation;
use zspark_core::{EngineCommand, EngineEvent, FileCommand, SessionKey};

use super::app::DesktopApp;
use super::dialogs::DialogAnswer;
use super::model::{SkillList, Tone};
use super::session::{SessionView, shows_something};

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
                if turn_ended {
                    self.send(EngineCommand::RefreshSessions);
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
            EngineEvent::FileSaved { destination } => model.banner(
                Tone::Info,
                format!("Saved a copy to {}.", destination.display()),
            ),
            EngineEvent::Skills { cwd, catalog } => model.skills = Some(SkillList { cwd, catalog }),
            EngineEvent::Shared(status) => {
                model.shared.busy = false;
                model.shared.sign_in_code = None;
                model.shared.status = Some(status);
            }
            EngineEvent::SignInCode { code, address } => {
                model.shared.sign_in_code = Some((code, address));
            }
            EngineEvent::Problem(message) => model.banner(Tone::Warning, message),
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
        self.panels.composer.forget(session);
        self.panels.conversation.forget(session);
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
            DialogAnswer::Unavailable => self.model.banner(
                Tone::Warning,
                "No file dialog could be shown (on Linux it needs xdg-desktop-portal). Drop files onto the window to attach them.",
            ),
        }
    }
}

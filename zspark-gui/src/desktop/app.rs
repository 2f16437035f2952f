//! The application: holds the engine handle, what the engine has reported (sessions,
//! providers, skills, the open session's conversation and files) and the transient
//! view state. Each frame it drains the engine's events and the file dialogs' answers,
//! lets the views draw and collect commands, and then applies those commands in one
//! place. The UI thread never waits on the engine, the disk or a dialog.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use codex_core::context::SkillCatalog;
use codex_protocol::{
    EventMsg, InputItem, Op, ReviewDecision, SandboxMode, SandboxPolicy, SessionConfiguredEvent,
    SkillInfo, TokenUsageInfo, TurnOverrides,
};
use zspark_auth::signin::SecretLocation;
use zspark_core::{
    Artifact, Attachment, Engine, EngineCommand, EngineEvent, EngineSetup, FileCommand,
    ProviderList, SessionCatalogue, SessionSettings, SessionStart, SharedCommand, SharedStatus,
};

use super::commands::UiCommand;
use super::dialogs::{DialogAnswer, DialogRunner, FileDialogs};
use super::prefs::Prefs;
use super::transcript::{Item, Transcript};
use super::views::conversation::HeightCache;
use super::{file_input, shortcuts, theme, views};

/// Attachments one message may carry.
const MAX_ATTACHMENTS: usize = 20;

/// What the app is started with.
pub struct DesktopSetup {
    pub engine: EngineSetup,
    pub prefs: Prefs,
    /// The file dialogs ([`super::NativeDialogs`] in the real app).
    pub dialogs: Arc<dyn FileDialogs>,
}

/// The session shown in the conversation area.
pub struct SessionView {
    pub number: u64,
    pub cwd: PathBuf,
    pub configured: Option<SessionConfiguredEvent>,
    pub transcript: Transcript,
    /// When the running turn started; `None` when idle.
    pub turn_started: Option<Instant>,
    pub token_info: Option<TokenUsageInfo>,
    /// Model picked for the next turns (the profile's otherwise).
    pub model_override: Option<String>,
    /// Policy changes to send with the next turn.
    pub pending_overrides: TurnOverrides,
    /// What the last turn was given, for "retry".
    pub last_input: Option<Vec<InputItem>>,
    /// The files this session's turns produced, newest first, one entry per path.
    pub artifacts: Vec<Artifact>,
}

impl SessionView {
    fn new(number: u64, cwd: PathBuf) -> Self {
        Self {
            number,
            cwd,
            configured: None,
            transcript: Transcript::default(),
            turn_started: None,
            token_info: None,
            model_override: None,
            pending_overrides: TurnOverrides::default(),
            last_input: None,
            artifacts: Vec::new(),
        }
    }

    /// Adds a turn's artifacts to the session's files (newest first, no repeats).
    fn add_artifacts(&mut self, artifacts: &[Artifact]) {
        self.artifacts
            .retain(|known| !artifacts.iter().any(|new| new.path == known.path));
        for artifact in artifacts.iter().rev() {
            self.artifacts.insert(0, artifact.clone());
        }
    }

    pub fn is_running(&self) -> bool {
        self.turn_started.is_some()
    }

    /// The model the next turn uses.
    pub fn model(&self) -> Option<&str> {
        self.model_override.as_deref().or(self
            .configured
            .as_ref()
            .map(|configured| configured.model.as_str()))
    }
}

/// A message across the top of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub text: String,
    pub tone: Tone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warning,
    Error,
}

/// State that lives only while the window is open.
#[derive(Default)]
pub struct ViewState {
    pub search: String,
    pub focus_search: bool,
    pub composer: String,
    pub focus_composer: bool,
    /// Turns to roll back before the composer's text is sent (edit and resend).
    pub edit_rollback: Option<usize>,
    /// The "new session" dialog's folder text and problem, while it is open.
    pub new_session: Option<FolderDialog>,
    pub settings_open: bool,
    pub settings_tab: views::settings::SettingsTab,
    pub shared_form: views::shared::SharedForm,
    /// The name typed for a new shared workspace.
    pub new_workspace: String,
    pub provider_form: views::settings::ProviderForm,
    pub banner: Option<Banner>,
    /// Markdown resources and image previews kept between frames.
    pub caches: views::cards::Caches,
    /// Files ready to go with the next message.
    pub attachments: Vec<Attachment>,
    /// Files being prepared by the engine.
    pub attaching: usize,
    /// The skill picked for the next message.
    pub skill: Option<SkillInfo>,
    pub skill_search: String,
    /// Measured heights of conversation items, so only visible ones are laid out.
    pub heights: HeightCache,
}

pub struct FolderDialog {
    pub folder: String,
    pub problem: Option<String>,
    /// Set when the dialog picks a new folder for a stored session whose folder is gone.
    pub continue_session: Option<PathBuf>,
}

/// The skills found for a folder.
pub struct SkillList {
    pub cwd: PathBuf,
    pub catalog: SkillCatalog,
}

/// The shared-workspace server as the desktop knows it.
#[derive(Default)]
pub struct SharedView {
    /// The last status the engine reported.
    pub status: Option<SharedStatus>,
    /// Waiting for the engine to answer a shared-workspace command.
    pub busy: bool,
    /// A device-code sign-in in progress: the code and where to enter it.
    pub sign_in_code: Option<(String, String)>,
}

pub struct DesktopApp {
    engine: Engine,
    dialogs: DialogRunner,
    pub shared: SharedView,
    pub prefs: Prefs,
    pub home: Option<PathBuf>,
    pub catalogue: SessionCatalogue,
    pub providers: Option<ProviderList>,
    pub skills: Option<SkillList>,
    pub session: Option<SessionView>,
    pub view: ViewState,
    commands: Vec<UiCommand>,
}

impl DesktopApp {
    /// Starts the engine (its waker repaints `ctx`) and asks for sessions and providers.
    pub fn new(ctx: &egui::Context, setup: DesktopSetup) -> std::io::Result<Self> {
        let repaint = ctx.clone();
        let home = setup.engine.env.get("HOME").map(PathBuf::from);
        let engine = Engine::start(
            setup.engine,
            std::sync::Arc::new(move || repaint.request_repaint()),
        )?;
        theme::install(ctx, setup.prefs.theme);
        let mut app = Self {
            engine,
            dialogs: DialogRunner::new(setup.dialogs),
            shared: SharedView::default(),
            prefs: setup.prefs,
            home,
            catalogue: SessionCatalogue::default(),
            providers: None,
            skills: None,
            session: None,
            view: ViewState::default(),
            commands: Vec::new(),
        };
        app.send(EngineCommand::RefreshSessions);
        app.send(EngineCommand::LoadProviders);
        if let Some(server) = app.prefs.shared_server.clone() {
            app.shared_command(SharedCommand::Connect(server.server()));
        }
        Ok(app)
    }

    /// One frame: events in, views, commands applied.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        for event in self.engine.poll() {
            self.handle(event);
        }
        for answer in self.dialogs.answers() {
            self.dialog_answered(answer);
        }
        if self.engine.has_pending_events() {
            ui.ctx().request_repaint();
        }
        let running = self.session.as_ref().is_some_and(SessionView::is_running);
        if running {
            // The elapsed-time line ticks while a turn runs; idle frames cost nothing.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        shortcuts::collect(
            ui.ctx(),
            self.awaiting_approval(),
            running,
            &mut self.commands,
        );
        file_input::collect(ui.ctx(), &mut self.commands);
        views::draw(self, ui);
        let commands = std::mem::take(&mut self.commands);
        if !commands.is_empty() {
            // The next frame shows what the commands changed.
            ui.ctx().request_repaint();
        }
        for command in commands {
            self.apply(ui.ctx(), command);
        }
    }

    /// Queues a command from a view.
    pub(crate) fn push(&mut self, command: UiCommand) {
        self.commands.push(command);
    }

    fn awaiting_approval(&self) -> Option<(String, bool)> {
        let approval = self.session.as_ref()?.transcript.pending_approval()?;
        let patch = matches!(
            approval.request,
            super::transcript::ApprovalRequest::Patch { .. }
        );
        Some((approval.call_id.clone(), patch))
    }

    fn send(&mut self, command: EngineCommand) {
        self.try_send(command);
    }

    /// Sends `command` to the engine; false (with a banner saying why) when it could
    /// not be queued.
    fn try_send(&mut self, command: EngineCommand) -> bool {
        match self.engine.send(command) {
            Ok(()) => true,
            Err(error) => {
                self.view.banner = Some(Banner {
                    text: error.to_string(),
                    tone: Tone::Error,
                });
                false
            }
        }
    }

    fn submit(&mut self, op: Op) {
        self.send(EngineCommand::Submit(op));
    }

    fn banner(&mut self, tone: Tone, text: impl Into<String>) {
        self.view.banner = Some(Banner {
            text: text.into(),
            tone,
        });
    }

    fn handle(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Sessions(catalogue) => self.catalogue = catalogue,
            EngineEvent::Providers(Ok(list)) => self.providers = Some(list),
            EngineEvent::Providers(Err(message)) => self.banner(Tone::Error, message),
            EngineEvent::ProviderSaved { id, key_location } => {
                self.view.provider_form.saved(&id);
                self.prefs.last_profile = Some(id.clone());
                match key_location {
                    Some(SecretLocation::File(path)) => self.banner(
                        Tone::Warning,
                        format!(
                            "Saved {id}. No OS keychain is available, so its key is in {} (readable only by you).",
                            path.display()
                        ),
                    ),
                    _ => self.banner(Tone::Info, format!("Saved {id}.")),
                }
            }
            EngineEvent::ProviderError(message) => self.view.provider_form.error = Some(message),
            EngineEvent::SessionOpening { session, cwd } => {
                self.prefs.remember_folder(&cwd);
                if self.skills.as_ref().is_none_or(|skills| skills.cwd != cwd) {
                    self.send(EngineCommand::File(FileCommand::ListSkills {
                        cwd: cwd.clone(),
                    }));
                }
                self.session = Some(SessionView::new(session, cwd));
                self.view.edit_rollback = None;
                self.view.focus_composer = true;
                self.view.attachments.clear();
                self.view.heights = HeightCache::default();
                // The previous session's image previews and markdown resources go.
                self.view.caches = views::cards::Caches::default();
            }
            EngineEvent::SessionFailed { message, .. } => {
                self.session = None;
                self.banner(Tone::Error, message);
            }
            EngineEvent::Runtime { session, event } => {
                if let Some(view) = self.session.as_mut().filter(|view| view.number == session) {
                    let turn_ended = apply_runtime_event(view, event.msg);
                    if turn_ended {
                        self.send(EngineCommand::RefreshSessions);
                    }
                }
            }
            EngineEvent::SessionEnded { session } => {
                if let Some(view) = self.session.as_mut().filter(|view| view.number == session) {
                    view.turn_started = None;
                }
            }
            EngineEvent::Artifacts {
                session, artifacts, ..
            } => {
                if let Some(view) = self.session.as_mut().filter(|view| view.number == session) {
                    view.add_artifacts(&artifacts);
                    view.transcript.items.push(Item::Artifacts(artifacts));
                }
            }
            EngineEvent::Attached(results) => {
                self.view.attaching = self.view.attaching.saturating_sub(results.len());
                let mut problems = Vec::new();
                for result in results {
                    match result {
                        Ok(attachment) if self.view.attachments.len() < MAX_ATTACHMENTS => {
                            self.view.attachments.push(attachment);
                        }
                        Ok(attachment) => problems.push(format!(
                            "{} was not attached: a message takes at most {MAX_ATTACHMENTS} files.",
                            attachment.name
                        )),
                        Err(problem) => problems.push(problem),
                    }
                }
                if !problems.is_empty() {
                    self.banner(Tone::Warning, problems.join(" "));
                }
            }
            EngineEvent::FileSaved { destination } => self.banner(
                Tone::Info,
                format!("Saved a copy to {}.", destination.display()),
            ),
            EngineEvent::Skills { cwd, catalog } => self.skills = Some(SkillList { cwd, catalog }),
            EngineEvent::Shared(status) => {
                self.shared.busy = false;
                self.shared.sign_in_code = None;
                self.shared.status = Some(status);
            }
            EngineEvent::SignInCode { code, address } => {
                self.shared.sign_in_code = Some((code, address));
            }
            EngineEvent::Problem(message) => self.banner(Tone::Warning, message),
        }
    }

    fn dialog_answered(&mut self, answer: DialogAnswer) {
        match answer {
            DialogAnswer::Attach(files) => self.attach(files),
            DialogAnswer::SaveTo {
                artifact,
                destination: Some(destination),
            } => {
                if let Some(view) = &self.session {
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
            DialogAnswer::Unavailable => self.banner(
                Tone::Warning,
                "No file dialog could be shown (on Linux it needs xdg-desktop-portal). Drop files onto the window to attach them.",
            ),
        }
    }

    /// Asks the engine to prepare `files` for the next message.
    fn attach(&mut self, files: Vec<PathBuf>) {
        if files.is_empty() {
            return;
        }
        let Some(view) = &self.session else {
            self.banner(
                Tone::Info,
                "Open or start a session first; attachments go to its folder.",
            );
            return;
        };
        let count = files.len();
        let workspace = view.cwd.clone();
        if self.try_send(EngineCommand::File(FileCommand::Attach {
            workspace,
            files,
        })) {
            self.view.attaching += count;
        }
    }

    fn settings_for(&self, folder: &Path, profile: Option<String>) -> SessionSettings {
        let policy = self.prefs.policy_for(folder);
        SessionSettings {
            profile: profile.or_else(|| self.usable_profile()),
            model: None,
            approval_policy: policy.approval,
            sandbox_mode: policy.sandbox,
        }
    }

    /// The profile to start with: the last one used if it still exists, else the
    /// default in `config.toml` (by passing none).
    fn usable_profile(&self) -> Option<String> {
        let last = self.prefs.last_profile.as_deref()?;
        self.providers
            .as_ref()
            .and_then(|list| list.get(last))
            .map(|profile| profile.id.clone())
    }

    fn apply(&mut self, ctx: &egui::Context, command: UiCommand) {
        match command {
            UiCommand::AskNewSession => {
                let folder = self
                    .prefs
                    .recent_folders
                    .first()
                    .cloned()
                    .or_else(|| self.home.clone())
                    .map(|folder| folder.display().to_string())
                    .unwrap_or_default();
                self.view.new_session = Some(FolderDialog {
                    folder,
                    problem: None,
                    continue_session: None,
                });
            }
            UiCommand::NewSession { folder } => {
                if !folder.is_dir() {
                    let problem = format!(
                        "{} is not a folder on this computer. Check the path or pick a recent folder.",
                        folder.display()
                    );
                    match &mut self.view.new_session {
                        Some(dialog) => dialog.problem = Some(problem),
                        None => self.banner(Tone::Error, problem),
                    }
                    return;
                }
                let start = match self
                    .view
                    .new_session
                    .take()
                    .and_then(|dialog| dialog.continue_session)
                {
                    Some(rollout_path) => SessionStart::Resume { rollout_path },
                    None => SessionStart::New,
                };
                let settings = self.settings_for(&folder, None);
                self.send(EngineCommand::OpenSession {
                    start,
                    cwd: Some(folder),
                    settings,
                });
            }
            UiCommand::Resume { rollout_path } => {
                let summary = self.catalogue.find(&rollout_path).cloned();
                let folder = summary
                    .as_ref()
                    .and_then(|summary| summary.cwd.clone())
                    .unwrap_or_default();
                if !folder.is_dir() {
                    self.view.new_session = Some(FolderDialog {
                        folder: String::new(),
                        problem: Some(format!(
                            "This session ran in {}, which does not exist any more. Choose a folder to continue it in.",
                            folder.display()
                        )),
                        continue_session: Some(rollout_path),
                    });
                    return;
                }
                let recorded_profile =
                    summary
                        .and_then(|summary| summary.model_provider)
                        .filter(|id| {
                            self.providers
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
            UiCommand::Fork {
                before_user_message,
            } => {
                let Some(view) = &self.session else { return };
                let Some(configured) = &view.configured else {
                    return;
                };
                let rollout_path = configured.rollout_path.clone();
                if !rollout_path.exists() {
                    self.banner(Tone::Info, "Nothing to fork yet: send a message first.");
                    return;
                }
                let settings = self.settings_for(&view.cwd.clone(), None);
                let cwd = Some(view.cwd.clone());
                self.send(EngineCommand::OpenSession {
                    start: SessionStart::Fork {
                        rollout_path,
                        before_user_message,
                    },
                    cwd,
                    settings,
                });
            }
            UiCommand::Send => self.send_composer(),
            UiCommand::Interrupt => {
                if self.session.as_ref().is_some_and(SessionView::is_running) {
                    self.submit(Op::Interrupt);
                }
            }
            UiCommand::Answer {
                call_id,
                patch,
                decision,
            } => {
                if let Some(view) = &mut self.session {
                    view.transcript.answer(&call_id, decision.clone());
                }
                self.submit(if patch {
                    Op::PatchApproval { call_id, decision }
                } else {
                    Op::ExecApproval { call_id, decision }
                });
            }
            UiCommand::EditFrom { index } => {
                let Some(view) = &self.session else { return };
                if view.is_running() {
                    return;
                }
                if let Some(Item::User { text, .. }) = view.transcript.items.get(index) {
                    self.view.composer = text.clone();
                    self.view.edit_rollback = Some(view.transcript.user_turns_from(index));
                    self.view.focus_composer = true;
                }
            }
            UiCommand::Retry => {
                let Some(view) = &self.session else { return };
                let Some(items) = view.last_input.clone() else {
                    return;
                };
                self.submit(Op::Rollback { num_turns: 1 });
                self.start_turn(items);
            }
            UiCommand::Copy(text) => ctx.copy_text(text),
            UiCommand::SetApproval(approval) => {
                if let Some(view) = &mut self.session {
                    let policy = self
                        .prefs
                        .folder_policies
                        .entry(view.cwd.clone())
                        .or_default();
                    policy.approval = approval;
                    view.pending_overrides.approval_policy = approval;
                }
            }
            UiCommand::SetSandbox(mode) => {
                if let Some(view) = &mut self.session {
                    let policy = self
                        .prefs
                        .folder_policies
                        .entry(view.cwd.clone())
                        .or_default();
                    policy.sandbox = mode;
                    let current = view.configured.as_ref().map(|c| &c.sandbox_policy);
                    view.pending_overrides.sandbox_policy =
                        mode.map(|mode| sandbox_policy(mode, current));
                }
            }
            UiCommand::PickModel(model) => {
                if let Some(view) = &mut self.session {
                    view.model_override = Some(model);
                }
            }
            UiCommand::PickProfile(id) => self.prefs.last_profile = Some(id),
            UiCommand::OpenSettings => {
                self.view.settings_open = true;
                self.send(EngineCommand::LoadProviders);
            }
            UiCommand::OpenSettingsAt(tab) => {
                self.view.settings_tab = tab;
                self.view.settings_open = true;
                self.send(EngineCommand::LoadProviders);
            }
            UiCommand::ConnectShared(server) => {
                self.prefs.shared_server = Some(server.clone());
                self.shared.status = None;
                self.shared_command(SharedCommand::Connect(server.server()));
            }
            UiCommand::DisconnectShared => {
                self.prefs.shared_server = None;
                self.shared.status = None;
                self.shared_command(SharedCommand::Disconnect);
            }
            UiCommand::SignIn { device_code } => {
                self.shared_command(SharedCommand::SignIn { device_code });
            }
            UiCommand::SignOut => self.shared_command(SharedCommand::SignOut),
            // Connecting again also recovers from a server or sign-in service that was
            // unreachable when the window opened.
            UiCommand::RefreshShared => {
                if let Some(server) = self.prefs.shared_server.clone() {
                    self.shared_command(SharedCommand::Connect(server.server()));
                }
            }
            UiCommand::CreateSharedWorkspace(name) => {
                self.view.new_workspace.clear();
                self.shared_command(SharedCommand::CreateWorkspace { name });
            }
            UiCommand::CloseSettings => self.view.settings_open = false,
            UiCommand::SaveProvider {
                profile,
                api_key,
                make_default,
            } => {
                self.view.provider_form.error = None;
                self.send(EngineCommand::SaveProvider {
                    profile,
                    api_key,
                    make_default,
                });
            }
            UiCommand::RemoveProvider { id } => {
                if self.prefs.last_profile.as_deref() == Some(id.as_str()) {
                    self.prefs.last_profile = None;
                }
                self.send(EngineCommand::RemoveProvider { id });
            }
            UiCommand::FinishOnboarding => {
                self.prefs.onboarded = true;
            }
            UiCommand::SetTheme(choice) => {
                self.prefs.theme = choice;
                theme::install(ctx, choice);
            }
            UiCommand::ToggleSidebar => self.prefs.sidebar_open = !self.prefs.sidebar_open,
            UiCommand::ToggleDetails => self.prefs.details_open = !self.prefs.details_open,
            UiCommand::FocusSearch => {
                self.prefs.sidebar_open = true;
                self.view.focus_search = true;
            }
            UiCommand::RefreshSessions => self.send(EngineCommand::RefreshSessions),
            UiCommand::DismissBanner => self.view.banner = None,
            UiCommand::AttachFiles => match &self.session {
                Some(view) => self.dialogs.pick_files(ctx, view.cwd.clone()),
                None => self.banner(
                    Tone::Info,
                    "Open or start a session first; attachments go to its folder.",
                ),
            },
            UiCommand::AttachPaths(files) => self.attach(files),
            UiCommand::PasteImage(image) => self.attach_pasted(&image),
            UiCommand::RemoveAttachment(index) => {
                if index < self.view.attachments.len() {
                    self.view.attachments.remove(index);
                }
            }
            UiCommand::UseSkill(skill) => {
                self.view.skill = Some(skill);
                self.view.focus_composer = true;
            }
            UiCommand::ClearSkill => self.view.skill = None,
            UiCommand::RefreshSkills => {
                if let Some(view) = &self.session {
                    let cwd = view.cwd.clone();
                    self.send(EngineCommand::File(FileCommand::ListSkills { cwd }));
                }
            }
            UiCommand::OpenArtifact(path) => {
                if let Some(view) = &self.session {
                    let workspace = view.cwd.clone();
                    self.send(EngineCommand::File(FileCommand::Open { workspace, path }));
                }
            }
            UiCommand::RevealArtifact(path) => {
                if let Some(view) = &self.session {
                    let workspace = view.cwd.clone();
                    self.send(EngineCommand::File(FileCommand::Reveal { workspace, path }));
                }
            }
            UiCommand::SaveArtifactAs(path) => {
                let start_in = self
                    .home
                    .as_ref()
                    .map(|home| home.join("Downloads"))
                    .filter(|downloads| downloads.is_dir())
                    .or_else(|| self.home.clone())
                    .unwrap_or_default();
                self.dialogs.save_file(ctx, path, start_in);
            }
        }
    }

    fn shared_command(&mut self, command: SharedCommand) {
        self.shared.busy = self.try_send(EngineCommand::Shared(command));
    }

    /// Sends a pasted image to the engine to be saved as a PNG attachment.
    fn attach_pasted(&mut self, image: &egui::ColorImage) {
        let Some(view) = &self.session else {
            self.banner(
                Tone::Info,
                "Open or start a session first; pasted images go to its folder.",
            );
            return;
        };
        let rgba: Vec<u8> = image
            .pixels
            .iter()
            .flat_map(|pixel| pixel.to_srgba_unmultiplied())
            .collect();
        let (Ok(width), Ok(height)) = (u32::try_from(image.width()), u32::try_from(image.height()))
        else {
            return;
        };
        let workspace = view.cwd.clone();
        if self.try_send(EngineCommand::File(FileCommand::AttachPastedImage {
            workspace,
            name: "pasted-image.png".to_string(),
            width,
            height,
            rgba: rgba.into(),
        })) {
            self.view.attaching += 1;
        }
    }

    fn send_composer(&mut self) {
        let mut text = self.view.composer.trim().to_string();
        if text.is_empty() && self.view.attachments.is_empty() && self.view.skill.is_none() {
            return;
        }
        let Some(view) = &self.session else {
            self.banner(
                Tone::Info,
                "Start a session first: press New session and choose a folder.",
            );
            return;
        };
        if view.is_running() {
            self.banner(
                Tone::Info,
                "The agent is still working. Stop it (Esc) or wait for it to finish.",
            );
            return;
        }
        if let Some(num_turns) = self.view.edit_rollback.take().filter(|turns| *turns > 0) {
            self.submit(Op::Rollback { num_turns });
        }
        if self.view.attaching > 0 {
            self.banner(
                Tone::Info,
                "Attachments are still being prepared; send again in a moment.",
            );
            return;
        }
        let skill = self.view.skill.take();
        if text.is_empty()
            && let Some(skill) = &skill
        {
            // A message must start with the user's words to be shown as theirs.
            text = skill
                .default_prompt
                .clone()
                .unwrap_or_else(|| format!("Use the {} skill.", skill.name));
        }
        let mut items = Vec::new();
        if !text.is_empty() {
            items.push(InputItem::Text { text });
        }
        items.extend(skill.map(|skill| InputItem::Skill {
            name: skill.name,
            path: skill.path,
        }));
        items.extend(
            std::mem::take(&mut self.view.attachments)
                .iter()
                .map(Attachment::input_item),
        );
        self.view.composer.clear();
        self.start_turn(items);
    }

    fn start_turn(&mut self, items: Vec<InputItem>) {
        let Some(view) = &mut self.session else {
            return;
        };
        let mut overrides = std::mem::take(&mut view.pending_overrides);
        overrides.model = view.model_override.clone();
        view.last_input = Some(items.clone());
        view.turn_started = Some(Instant::now());
        self.submit(Op::UserTurn { items, overrides });
    }
}

/// Folds one runtime event into the session view; true when a turn ended.
fn apply_runtime_event(view: &mut SessionView, msg: EventMsg) -> bool {
    match &msg {
        EventMsg::SessionConfigured(configured) => {
            view.transcript = Transcript::from_history(&configured.history);
            view.cwd = configured.cwd.clone();
            view.configured = Some(configured.clone());
            return false;
        }
        EventMsg::TurnStarted { .. } => view.turn_started = Some(Instant::now()),
        EventMsg::TokenCount { info } => view.token_info = Some(*info),
        _ => {}
    }
    view.transcript.apply(&msg);
    let ended = matches!(
        msg,
        EventMsg::TurnComplete { .. } | EventMsg::TurnAborted { .. } | EventMsg::TurnFailed { .. }
    );
    if ended {
        view.turn_started = None;
    }
    ended
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

/// The decision a keyboard shortcut gives an approval.
pub fn decision_for_key(key: egui::Key) -> Option<ReviewDecision> {
    match key {
        egui::Key::Y => Some(ReviewDecision::Accept),
        egui::Key::A => Some(ReviewDecision::AcceptForSession),
        egui::Key::N => Some(ReviewDecision::Decline),
        _ => None,
    }
}

impl eframe::App for DesktopApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, super::prefs::STORAGE_KEY, &self.prefs);
    }
}

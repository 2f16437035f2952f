//! The application: the engine handle, the [`Model`] the views draw from, the panels'
//! own state, and the frame: drain the engine's events and the file dialogs' answers
//! (`events`), let the views draw and collect commands, then apply those commands in
//! one place (`apply`). The UI thread never waits on the engine, the disk or a dialog.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use zspark_core::{Engine, EngineCommand, EngineSetup, MemoryCommand, SessionKey, SharedCommand};

use super::attention::Attention;
use super::commands::Commands;
use super::dialogs::{DialogRunner, FileDialogs};
use super::model::{Model, Tone};
use super::notify::Notifier;
use super::prefs::Prefs;
use super::session::SessionView;
use super::views::Panels;
use super::views::composer::Draft;
use super::{file_input, shortcuts, theme, views};

/// What the app is started with.
pub struct DesktopSetup {
    pub engine: EngineSetup,
    pub prefs: Prefs,
    /// The file dialogs ([`super::NativeDialogs`] in the real app).
    pub dialogs: Arc<dyn FileDialogs>,
    /// The system's notifications ([`super::SystemNotifier`] in the real app).
    pub notifier: Arc<dyn Notifier>,
}

pub struct DesktopApp {
    pub(super) engine: Engine,
    pub(super) dialogs: DialogRunner,
    pub model: Model,
    pub panels: Panels,
    commands: Commands,
    /// The window's context, for what events ask of the window itself.
    pub(super) ctx: egui::Context,
    pub(super) notifier: Arc<dyn Notifier>,
    pub(super) attention: Attention,
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
            model: Model::new(setup.prefs, home),
            panels: Panels::default(),
            commands: Commands::default(),
            ctx: ctx.clone(),
            notifier: setup.notifier,
            attention: Attention::default(),
        };
        app.send(EngineCommand::RefreshSessions);
        app.send(EngineCommand::LoadProviders);
        app.send(EngineCommand::Memory(MemoryCommand::Load));
        if let Some(server) = app.model.prefs.shared_server.clone() {
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
        self.keep_title();
        if self.engine.has_pending_events() {
            ui.ctx().request_repaint();
        }
        if self.model.sessions.values().any(SessionView::is_running) {
            // Elapsed times tick while a turn runs; idle frames cost nothing.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        let shown = self.model.session();
        let approval = shown
            .and_then(|session| session.transcript.pending_approval())
            .map(|approval| (approval.call_id.clone(), approval.is_patch()));
        let running = shown.is_some_and(SessionView::is_running);
        shortcuts::collect(ui.ctx(), approval, running, &mut self.commands);
        file_input::collect(ui.ctx(), &mut self.commands);
        views::draw(&self.model, &mut self.panels, ui, &mut self.commands);
        let commands = self.commands.take();
        if !commands.is_empty() {
            // The next frame shows what the commands changed.
            ui.ctx().request_repaint();
        }
        for command in commands {
            self.apply(ui.ctx(), command);
        }
        self.keep_rooms();
    }

    /// The session shown, if any.
    pub fn shown_session(&self) -> Option<&SessionView> {
        self.model.session()
    }

    /// How many sessions asked for the user (a turn ended or failed, an approval
    /// waits) and have not been looked at since; the window's title shows it.
    pub fn waiting_for_user(&self) -> usize {
        self.attention.count()
    }

    /// The draft of the session shown.
    pub fn shown_draft(&self) -> Option<&Draft> {
        self.panels.composer.draft(self.model.shown?)
    }

    pub(super) fn send(&mut self, command: EngineCommand) {
        self.try_send(command);
    }

    /// Sends `command` to the engine; false (with a banner saying why) when it could
    /// not be queued.
    pub(super) fn try_send(&mut self, command: EngineCommand) -> bool {
        match self.engine.send(command) {
            Ok(()) => true,
            Err(error) => {
                self.model.banner(Tone::Error, error.to_string());
                false
            }
        }
    }

    /// Passes `op` to session `session`.
    pub(super) fn submit(&mut self, session: SessionKey, op: codex_protocol::Op) {
        self.send(EngineCommand::Submit { session, op });
    }

    pub(super) fn shared_command(&mut self, command: SharedCommand) {
        self.model.shared.busy = self.try_send(EngineCommand::Shared(command));
    }
}

impl eframe::App for DesktopApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, super::prefs::STORAGE_KEY, &self.model.prefs);
    }
}

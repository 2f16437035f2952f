//! [`Engine`]: the handle a front-end holds. It owns a small tokio runtime on its own
//! threads and one agent runtime on it, in which any number of sessions stay open at
//! once, each a thread: a turn keeps running while the front-end looks at another
//! session. The front-end sends [`EngineCommand`]s without blocking and drains
//! [`EngineEvent`]s once per frame, and the engine calls the injected waker after
//! every event so a reactive UI repaints only when something happened. Streaming
//! deltas are merged before they are sent, so a fast model does not flood the UI with
//! events. When a turn ends, the files it produced are reported as artifacts.
//!
//! - [`forward`]: the sessions' events on their way out, and the artifact scan.
//! - [`files`]: attachments, artifact actions and skills, off the run loop.
//! - [`mcp`]: the MCP servers of `config.toml`, off the run loop.
//! - [`memory`]: the Memory panel's reads and changes, off the run loop.
//! - [`models`]: the models a session's provider lists, off the run loop.
//! - [`review`]: the review pane's git work and undoing turns, off the run loop.
//! - [`shared`]: the shared-workspace server: sign-in, workspaces.
//! - [`workspace`]: a workspace page: its sessions, members, activity and artifacts,
//!   followed live; a teammate's session read from the server.
//! - [`uploads`]: sharing a session, continuing one here, keeping linked ones in step.

mod files;
mod forward;
mod mcp;
mod memory;
mod models;
mod review;
mod room;
mod shared;
mod uploads;
mod workspace;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codex_core::config::Env;
use codex_core::context::SkillCatalog;
use codex_core::rollout::load_rollout;
use codex_core::{Codex, ConfigOverrides, SessionSource, Submitter, ThreadStart, load_config};
use codex_protocol::{ApprovalPolicy, Event, Op, ReasoningEffort, SandboxMode, ThreadId};
use tokio::sync::{mpsc, oneshot};
use zspark_auth::signin::{OpenBrowser, SecretLocation};

pub use files::FileCommand;
use forward::{Forwarder, TurnClock};
pub use mcp::McpCommand;
pub use memory::MemoryCommand;
pub use models::ModelChoice;
use models::ProviderAccess;
pub use review::{ReviewCommand, ReviewEvent};
pub use room::{Presence, RoomChange, SessionRoom};
pub use shared::SharedCommand;
pub use uploads::{SessionShareCommand, SyncReport, SyncState};
pub use workspace::{SharedSessionRead, WorkspaceCommand, WorkspaceView};

use crate::artifacts::{Artifact, Launcher};
use crate::attachments::Attachment;
use crate::catalogue::SessionCatalogue;
use crate::mcp_servers::McpServerEntry;
use crate::memory::MemoryView;
use crate::providers::{
    ProviderList, ProviderProfile, ProviderStore, ProviderStoreError, SecretBackend,
};
use crate::shared::SharedStatus;

/// Called after each event; a GUI passes `ctx.request_repaint()`.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Commands waiting for the engine; a full queue makes [`Engine::send`] refuse.
const COMMAND_QUEUE_CAPACITY: usize = 64;
/// Events waiting for the front-end.
const EVENT_QUEUE_CAPACITY: usize = 1024;
/// Events handed out per [`Engine::poll`], so one frame stays short.
const EVENTS_PER_POLL: usize = 512;
/// How long closing the engine waits for the sessions to stop their commands.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The number the engine gives each session it opens; events name it.
pub type SessionKey = u64;

/// What the engine needs from the process it runs in.
#[derive(Clone)]
pub struct EngineSetup {
    pub codex_home: PathBuf,
    /// The environment sessions start with (stored API keys are added to it).
    pub env: Env,
    pub secrets: SecretBackend,
    /// Opens artifacts with the system's applications.
    pub launcher: Arc<dyn Launcher>,
    /// Opens the sign-in page of a shared-workspace server's identity provider.
    pub browser: Arc<dyn OpenBrowser>,
}

/// Settings a session starts with; `None` means "as `config.toml` says".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionSettings {
    /// A `[profiles.<id>]` to use (a provider and its model).
    pub profile: Option<String>,
    pub model: Option<String>,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub approval_policy: Option<ApprovalPolicy>,
    pub sandbox_mode: Option<SandboxMode>,
    /// A new session works in a git worktree of its own, on a branch of its own.
    pub worktree: bool,
}

/// How a session begins.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionStart {
    New,
    Resume {
        rollout_path: PathBuf,
    },
    /// A copy of a stored session, cut before turn `before_turn` when given.
    Fork {
        rollout_path: PathBuf,
        before_turn: Option<String>,
    },
}

/// What a front-end asks of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineCommand {
    /// Re-read the local sessions; answered by [`EngineEvent::Sessions`].
    RefreshSessions,
    /// Read the provider profiles; answered by [`EngineEvent::Providers`].
    LoadProviders,
    /// Save a profile (and its key, when given); answered by
    /// [`EngineEvent::ProviderSaved`] or [`EngineEvent::ProviderError`], then
    /// [`EngineEvent::Providers`].
    SaveProvider {
        profile: ProviderProfile,
        api_key: Option<String>,
        make_default: bool,
    },
    RemoveProvider {
        id: String,
    },
    /// Open a session (the ones open stay open). `cwd` defaults to the folder a
    /// resumed session ran in. Answered by [`EngineEvent::SessionOpening`] with the
    /// number the session goes by, then the runtime's events tagged with it, or
    /// [`EngineEvent::SessionFailed`].
    OpenSession {
        start: SessionStart,
        cwd: Option<PathBuf>,
        settings: SessionSettings,
    },
    /// Pass an op (a turn, an interrupt, an approval, a rollback) to session
    /// `session`; [`EngineEvent::Problem`] when it is not open.
    Submit {
        session: SessionKey,
        op: Op,
    },
    /// The models session `session`'s provider lists; answered by
    /// [`EngineEvent::Models`].
    ListModels {
        session: SessionKey,
    },
    /// Close session `session` (its running turn is stopped); answered by
    /// [`EngineEvent::SessionEnded`]. The others keep running.
    CloseSession {
        session: SessionKey,
    },
    /// Attachments, artifacts and skills.
    File(FileCommand),
    /// The shared-workspace server.
    Shared(SharedCommand),
    /// A workspace page: its contents, its live feed, members and artifacts.
    Workspace(WorkspaceCommand),
    /// Sharing a session, continuing one, keeping linked ones in step.
    ShareSession(SessionShareCommand),
    /// The MCP servers of `config.toml`; answered by [`EngineEvent::McpServers`].
    Mcp(McpCommand),
    /// Memories; answered by [`EngineEvent::Memory`].
    Memory(MemoryCommand),
    /// The review pane; answered by [`EngineEvent::Review`].
    Review(ReviewCommand),
}

/// What the engine reports.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "runtime events are nearly every event; boxing them would allocate for each"
)]
pub enum EngineEvent {
    Sessions(SessionCatalogue),
    Providers(Result<ProviderList, String>),
    /// The MCP servers of `config.toml`, by name.
    McpServers(Result<Vec<McpServerEntry>, String>),
    /// Memories, as the Memory panel shows them.
    Memory(Result<MemoryView, String>),
    /// A sign-in to MCP server `server` waits for the user at `url` (opened in the
    /// browser too); the list that follows says how it went.
    McpSignInPage {
        server: String,
        url: String,
    },
    ProviderSaved {
        id: String,
        /// Where the key went, when one was given.
        key_location: Option<SecretLocation>,
    },
    ProviderError(String),
    SessionOpening {
        session: SessionKey,
        cwd: PathBuf,
    },
    /// A sub-agent of session `parent` started: its events come as session
    /// `session`'s (approvals included; answer them there).
    AgentOpened {
        session: SessionKey,
        parent: SessionKey,
        nickname: Option<String>,
        cwd: PathBuf,
    },
    /// The session could not start (no provider, a bad config, a missing folder, a
    /// corrupt rollout, a session open already); the message says what to do.
    SessionFailed {
        session: SessionKey,
        message: String,
    },
    /// An event of session `session`.
    Runtime {
        session: SessionKey,
        event: Event,
    },
    /// Session `session` has closed.
    SessionEnded {
        session: SessionKey,
    },
    /// The files turn `turn_id` created or changed, newest first; sent after the
    /// turn's last runtime event, and only when there are some.
    Artifacts {
        session: SessionKey,
        turn_id: String,
        artifacts: Vec<Artifact>,
    },
    /// Attachments prepared, or why each could not be.
    Attached {
        session: SessionKey,
        results: Vec<Result<Attachment, String>>,
    },
    /// An artifact was saved where the user asked.
    FileSaved {
        destination: PathBuf,
    },
    /// The shared-workspace server's status: who is signed in, the workspaces.
    Shared(SharedStatus),
    /// A workspace, read (again: after each change and each burst of live activity).
    Workspace(Box<WorkspaceView>),
    /// Workspace `workspace_id` could not be read, or the user lost access to it.
    WorkspaceProblem {
        workspace_id: String,
        message: String,
        /// The user is no longer a member (or the workspace was deleted): a view of it
        /// read before that is out of date.
        membership_lost: bool,
    },
    /// Something just happened in a workspace whose page is open.
    WorkspaceActivity {
        workspace_id: String,
        entry: zspark_api::Activity,
    },
    /// A shared session read from the server.
    SharedSessionRead(Box<SharedSessionRead>),
    /// A shared session's room the front-end is present in (see
    /// [`WorkspaceCommand::Present`]): who is here, who drives, the turn they run and
    /// the shared draft, whenever any of it changes.
    Room {
        address: crate::sharing::SharedSessionAddress,
        room: Box<SessionRoom>,
    },
    /// Workspace file `artifact_id`, fetched to show a preview of it (`None`: it has
    /// none, being too large, of a kind without one, or not fetched).
    WorkspaceFilePreview {
        artifact_id: String,
        file: Option<Box<crate::artifacts::Artifact>>,
    },
    /// Where a linked session stands with the server.
    SharedSync(SyncReport),
    /// A shared session was read into the local rollout `rollout_path`: open it in
    /// `folder` to continue. `warnings` say where the folder is not the session's
    /// checkout.
    ContinueReady {
        address: crate::sharing::SharedSessionAddress,
        rollout_path: PathBuf,
        folder: PathBuf,
        warnings: Vec<String>,
    },
    /// A device-code sign-in waits for the user to enter `code` at `address`.
    SignInCode {
        code: String,
        address: String,
    },
    /// The skills sessions in `cwd` can use, and the broken SKILL.md files.
    Skills {
        cwd: PathBuf,
        catalog: SkillCatalog,
    },
    /// The models session `session` can switch to, or why its provider listed none.
    Models {
        session: SessionKey,
        listed: Result<Vec<ModelChoice>, String>,
    },
    /// What the review pane read or did.
    Review(ReviewEvent),
    /// A command could not be carried out.
    Problem(String),
}

/// Why [`Engine::send`] refused a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The queue is full; try again on a later frame.
    Busy,
    /// The engine has stopped.
    Stopped,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Busy => "the engine is busy; try again",
            Self::Stopped => "the engine has stopped; restart zspark",
        })
    }
}

enum Control {
    Command(EngineCommand),
    Quit(oneshot::Sender<()>),
}

/// The running engine.
pub struct Engine {
    commands: mpsc::Sender<Control>,
    events: mpsc::Receiver<EngineEvent>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Engine {
    /// Starts the engine's threads. The waker is called after every event.
    pub fn start(setup: EngineSetup, waker: Waker) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("zspark-engine")
            .enable_all()
            .build()?;
        let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE_CAPACITY);
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        let outbox = Outbox {
            tx: event_tx,
            waker,
        };
        runtime.spawn(run(setup, command_rx, outbox));
        Ok(Self {
            commands: command_tx,
            events: event_rx,
            runtime: Some(runtime),
        })
    }

    /// Queues `command` without blocking.
    pub fn send(&self, command: EngineCommand) -> Result<(), SendError> {
        self.commands
            .try_send(Control::Command(command))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => SendError::Busy,
                mpsc::error::TrySendError::Closed(_) => SendError::Stopped,
            })
    }

    /// The events that arrived since the last call (a bounded number; the waker has
    /// been called for the rest).
    pub fn poll(&mut self) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        while events.len() < EVENTS_PER_POLL {
            match self.events.try_recv() {
                Ok(event) => events.push(event),
                Err(_) => break,
            }
        }
        events
    }

    /// Whether more events are waiting than the last poll handed out.
    pub fn has_pending_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Waits (blocking) up to `timeout` for the next event. For tests and headless
    /// embedders; a GUI uses [`Engine::poll`].
    pub fn wait_event(&mut self, timeout: Duration) -> Option<EngineEvent> {
        let runtime = self.runtime.as_ref()?;
        let events = &mut self.events;
        runtime.block_on(async { tokio::time::timeout(timeout, events.recv()).await.ok()? })
    }
}

impl Drop for Engine {
    /// Stops the open sessions (killing their commands, flushing their rollouts)
    /// before the threads go.
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        let (done_tx, done_rx) = oneshot::channel();
        if self.commands.try_send(Control::Quit(done_tx)).is_ok() {
            runtime.block_on(async {
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, done_rx).await;
            });
        }
        runtime.shutdown_timeout(Duration::from_millis(200));
    }
}

/// Sends events and wakes the front-end.
#[derive(Clone)]
struct Outbox {
    tx: mpsc::Sender<EngineEvent>,
    waker: Waker,
}

impl Outbox {
    async fn send(&self, event: EngineEvent) {
        if self.tx.send(event).await.is_ok() {
            (self.waker)();
        }
    }

    /// Sends from code that cannot wait; dropped when the queue is full.
    fn send_now(&self, event: EngineEvent) {
        if self.tx.try_send(event).is_ok() {
            (self.waker)();
        }
    }

    /// Runs `work` (a settings change, and the settings as they then are) on a
    /// blocking thread; a change that failed is reported as a problem before the
    /// settings. `what` names the work in the message of a task that died.
    fn change_then_report(
        &self,
        what: &'static str,
        work: impl FnOnce() -> (Result<(), String>, EngineEvent) + Send + 'static,
    ) {
        let outbox = self.clone();
        tokio::spawn(async move {
            match tokio::task::spawn_blocking(work).await {
                Ok((changed, report)) => {
                    if let Err(message) = changed {
                        outbox.send(EngineEvent::Problem(message)).await;
                    }
                    outbox.send(report).await;
                }
                Err(error) => {
                    let message = format!("the {what} task failed: {error}");
                    outbox.send(EngineEvent::Problem(message)).await;
                }
            }
        });
    }
}

/// A session the engine holds open.
struct OpenSession {
    thread: ThreadId,
    clock: TurnClock,
    /// Its provider, for listing models; a sub-agent's is not kept.
    provider: Option<ProviderAccess>,
}

async fn run(setup: EngineSetup, mut commands: mpsc::Receiver<Control>, outbox: Outbox) {
    let providers = ProviderStore::new(setup.codex_home.clone(), setup.secrets);
    let (submitter, runtime_events) = Codex::new().into_parts();
    let (children_tx, mut children) = mpsc::unbounded_channel();
    let forwarder = Forwarder::start(runtime_events, outbox.clone(), children_tx);
    let mut sessions: std::collections::HashMap<SessionKey, OpenSession> =
        std::collections::HashMap::new();
    let connection = shared::Connection::default();
    let mut next_number = 0;
    loop {
        let control = tokio::select! {
            control = commands.recv() => control,
            Some(child) = children.recv() => {
                next_number += 1;
                let clock = TurnClock::default();
                outbox
                    .send(EngineEvent::AgentOpened {
                        session: next_number,
                        parent: child.parent,
                        nickname: child.nickname,
                        cwd: child.cwd,
                    })
                    .await;
                forwarder.adopt(child.thread.clone(), next_number, clock.clone()).await;
                let child = OpenSession {
                    thread: child.thread,
                    clock,
                    provider: None,
                };
                sessions.insert(next_number, child);
                continue;
            }
        };
        let Some(control) = control else { break };
        let command = match control {
            Control::Command(command) => command,
            Control::Quit(done) => {
                close_all(&submitter, &forwarder).await;
                let _ = done.send(());
                return;
            }
        };
        match command {
            EngineCommand::RefreshSessions => {
                let codex_home = setup.codex_home.clone();
                let outbox = outbox.clone();
                tokio::spawn(async move {
                    let catalogue =
                        tokio::task::spawn_blocking(move || SessionCatalogue::load(&codex_home))
                            .await
                            .unwrap_or_default();
                    outbox.send(EngineEvent::Sessions(catalogue)).await;
                });
            }
            EngineCommand::LoadProviders => {
                let list = {
                    let env = setup.env.clone();
                    blocking(&providers, move |store| store.list(&env)).await
                };
                outbox.send(EngineEvent::Providers(list)).await;
            }
            EngineCommand::SaveProvider {
                profile,
                api_key,
                make_default,
            } => {
                let id = profile.id.clone();
                let saved = blocking(&providers, move |store| {
                    store.save(&profile, api_key.as_deref(), make_default)
                })
                .await;
                outbox
                    .send(match saved {
                        Ok(key_location) => EngineEvent::ProviderSaved { id, key_location },
                        Err(message) => EngineEvent::ProviderError(message),
                    })
                    .await;
                let list = {
                    let env = setup.env.clone();
                    blocking(&providers, move |store| store.list(&env)).await
                };
                outbox.send(EngineEvent::Providers(list)).await;
            }
            EngineCommand::RemoveProvider { id } => {
                if let Err(message) = blocking(&providers, move |store| store.remove(&id)).await {
                    outbox.send(EngineEvent::ProviderError(message)).await;
                }
                let list = {
                    let env = setup.env.clone();
                    blocking(&providers, move |store| store.list(&env)).await
                };
                outbox.send(EngineEvent::Providers(list)).await;
            }
            EngineCommand::OpenSession {
                start,
                cwd,
                settings,
            } => {
                next_number += 1;
                sessions.retain(|_, open| forwarder.is_open(&open.thread));
                let opened = open(
                    next_number,
                    &setup,
                    &providers,
                    &submitter,
                    &forwarder,
                    start,
                    cwd,
                    settings,
                    &outbox,
                )
                .await;
                if let Some(session) = opened {
                    sessions.insert(next_number, session);
                }
            }
            EngineCommand::Submit { session, op } => {
                let sent = match sessions.get(&session) {
                    Some(open) => {
                        if matches!(op, Op::UserTurn { .. }) {
                            open.clock.start();
                        }
                        submitter.submit(&open.thread, op).await.is_ok()
                    }
                    None => false,
                };
                if !sent {
                    outbox
                        .send(EngineEvent::Problem(
                            "This session is not open any more: start a new session or pick one from the list."
                                .to_string(),
                        ))
                        .await;
                }
            }
            EngineCommand::ListModels { session } => {
                match sessions
                    .get(&session)
                    .and_then(|open| open.provider.clone())
                {
                    Some(provider) => provider.spawn_list(session, &outbox),
                    None => {
                        let listed = Err(
                            "This session's models cannot be listed: it is a sub-agent or no longer open."
                                .to_string(),
                        );
                        outbox.send(EngineEvent::Models { session, listed }).await;
                    }
                }
            }
            EngineCommand::CloseSession { session } => {
                if let Some(open) = sessions.remove(&session)
                    && submitter.submit(&open.thread, Op::Shutdown).await.is_err()
                {
                    // Already gone: say so, so the front-end forgets it too.
                    outbox.send(EngineEvent::SessionEnded { session }).await;
                }
            }
            EngineCommand::File(work) => files::spawn(work, &setup, &outbox),
            EngineCommand::Shared(command) => {
                shared::spawn(command, &connection, &setup, &outbox);
            }
            EngineCommand::Workspace(command) => {
                shared::spawn_workspace(command, &connection, &setup, &outbox);
            }
            EngineCommand::ShareSession(command) => {
                shared::spawn_share(command, &connection, &setup, &outbox);
            }
            EngineCommand::Mcp(command) => mcp::spawn(command, &setup, &outbox),
            EngineCommand::Review(command) => review::spawn(command, &outbox),
            EngineCommand::Memory(command) => memory::spawn(command, &setup, &outbox),
        }
    }
    close_all(&submitter, &forwarder).await;
}

async fn blocking<T: Send + 'static>(
    store: &ProviderStore,
    work: impl FnOnce(&ProviderStore) -> Result<T, ProviderStoreError> + Send + 'static,
) -> Result<T, String> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || work(&store)).await {
        Ok(done) => done.map_err(|error| error.to_string()),
        Err(error) => Err(format!("the provider settings task failed: {error}")),
    }
}

/// Asks every session to shut down and waits (briefly) until they have.
async fn close_all(submitter: &Submitter, forwarder: &Forwarder) {
    submitter.shutdown_all().await;
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, forwarder.all_closed()).await;
}

#[allow(clippy::too_many_arguments, reason = "the pieces one opening needs")]
async fn open(
    number: SessionKey,
    setup: &EngineSetup,
    providers: &ProviderStore,
    submitter: &Submitter,
    forwarder: &Forwarder,
    start: SessionStart,
    cwd: Option<PathBuf>,
    settings: SessionSettings,
    outbox: &Outbox,
) -> Option<OpenSession> {
    let prepared = {
        let setup = setup.clone();
        let providers = providers.clone();
        let start = start.clone();
        tokio::task::spawn_blocking(move || prepare(&setup, &providers, &start, cwd, settings))
            .await
            .unwrap_or_else(|error| Err(format!("preparing the session failed: {error}")))
    };
    let failed = |message: String| EngineEvent::SessionFailed {
        session: number,
        message,
    };
    let (loaded, cwd) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            outbox.send(failed(message)).await;
            return None;
        }
    };
    outbox
        .send(EngineEvent::SessionOpening {
            session: number,
            cwd,
        })
        .await;
    let thread_start = match start {
        SessionStart::New => ThreadStart::new(),
        SessionStart::Resume { rollout_path } => ThreadStart::resume(rollout_path),
        SessionStart::Fork {
            rollout_path,
            before_turn,
        } => ThreadStart::fork(rollout_path, before_turn),
    };
    let clock = TurnClock::default();
    let provider = Some(ProviderAccess::of(&loaded.config));
    // The thread's events wait in the forwarder until it knows whose they are.
    let thread = match submitter.start_thread(loaded, thread_start).await {
        Ok(thread) => thread,
        Err(error) => {
            outbox
                .send(failed(format!("This session cannot be opened: {error}.")))
                .await;
            return None;
        }
    };
    forwarder.adopt(thread.clone(), number, clock.clone()).await;
    Some(OpenSession {
        thread,
        clock,
        provider,
    })
}

/// A new worktree of `folder`'s repository under `$CODEX_HOME/worktrees/`, and the
/// folder in it that corresponds to `folder`.
fn in_own_worktree(
    codex_home: &std::path::Path,
    folder: &std::path::Path,
) -> Result<PathBuf, String> {
    let repo = crate::review::GitRepo::find(folder).ok_or_else(|| {
        format!(
            "{} is not in a git repository, so the session cannot have a worktree of its own. Start it without one, or run `git init` there first.",
            folder.display()
        )
    })?;
    let name = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let worktree = repo
        .add_worktree(&codex_home.join("worktrees"), &name)
        .map_err(|error| format!("The session's worktree could not be made: {error}."))?;
    let inside = folder
        .strip_prefix(repo.root())
        .unwrap_or(std::path::Path::new(""));
    Ok(worktree.join(inside))
}

/// Loads the configuration for a session in `cwd` (or the resumed session's folder).
fn prepare(
    setup: &EngineSetup,
    providers: &ProviderStore,
    start: &SessionStart,
    cwd: Option<PathBuf>,
    settings: SessionSettings,
) -> Result<(codex_core::LoadedConfig, PathBuf), String> {
    let recorded_cwd = match start {
        SessionStart::New => None,
        SessionStart::Resume { rollout_path } | SessionStart::Fork { rollout_path, .. } => {
            let rollout = load_rollout(rollout_path).map_err(|error| {
                format!("This session cannot be opened: {error}. Other sessions are unaffected.")
            })?;
            rollout.cwd
        }
    };
    let cwd = cwd
        .or(recorded_cwd)
        .ok_or_else(|| "Choose a folder for the session to work in.".to_string())?;
    if !cwd.is_dir() {
        return Err(format!(
            "The folder {} does not exist any more. Choose another folder to continue this session in.",
            cwd.display()
        ));
    }
    let cwd = if settings.worktree && *start == SessionStart::New {
        in_own_worktree(&setup.codex_home, &cwd)?
    } else {
        cwd
    };
    let overrides = ConfigOverrides {
        model: settings.model,
        profile: settings.profile,
        approval_policy: settings.approval_policy,
        sandbox_mode: settings.sandbox_mode,
        config_overrides: settings
            .reasoning_effort
            .map(|effort| format!("model_reasoning_effort=\"{}\"", effort.as_str()))
            .into_iter()
            .collect(),
        ..ConfigOverrides::default()
    };
    let env = providers.env_with_keys(&setup.env);
    let loaded = load_config(
        &setup.codex_home,
        &cwd,
        &overrides,
        env,
        SessionSource::Desktop,
    )
    .map_err(|error| format!("{error}. Open Settings > Providers to fix it."))?;
    Ok((loaded, cwd))
}

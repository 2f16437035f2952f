//! [`Codex`]: the runtime handle embedders hold. One runtime runs several threads,
//! each a session with its own history, settings and rollout; a thread may have a
//! parent (a sub-agent). Threads are started with their configuration
//! ([`Submitter::start_thread`]); submissions address one thread; the events of all
//! threads come out of one queue, each naming its thread. Interrupting or closing one
//! thread leaves the others running. Everything runs on the tokio runtime the handle
//! was made on.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use codex_protocol::{Event, EventMsg, Op, Submission, ThreadId, ThreadOrigin};
use tokio::sync::mpsc;

use crate::agents::{AgentControl, AgentSpawn};
use crate::config::LoadedConfig;
use crate::events::{EVENT_QUEUE_CAPACITY, EventSender};
use crate::rollout::{RolloutError, load_rollout};
use crate::session::{Lineage, Origin, Session, SessionError, runner};

/// Submissions waiting for one thread's loop; a full queue makes `submit` wait.
const SUBMISSION_QUEUE_CAPACITY: usize = 64;

/// How a thread begins, and whose child it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadStart {
    pub origin: ThreadOrigin,
    pub parent: Option<ThreadId>,
    /// For a sub-agent: its place in the session tree.
    pub agent: Option<AgentSpawn>,
    /// Write a new thread's rollout file at once, so it can be resumed before its
    /// first turn (otherwise the file appears with the first turn).
    pub record_at_start: bool,
}

impl ThreadStart {
    pub fn new() -> Self {
        Self {
            origin: ThreadOrigin::New,
            parent: None,
            agent: None,
            record_at_start: false,
        }
    }

    pub fn resume(rollout_path: impl Into<std::path::PathBuf>) -> Self {
        Self {
            origin: ThreadOrigin::Resume {
                rollout_path: rollout_path.into(),
            },
            parent: None,
            agent: None,
            record_at_start: false,
        }
    }

    pub fn fork(rollout_path: impl Into<std::path::PathBuf>, before_turn: Option<String>) -> Self {
        Self {
            origin: ThreadOrigin::Fork {
                rollout_path: rollout_path.into(),
                before_turn,
            },
            parent: None,
            agent: None,
            record_at_start: false,
        }
    }

    /// The thread, with its rollout file written before its first turn.
    pub fn recorded_from_start(mut self) -> Self {
        self.record_at_start = true;
        self
    }

    pub fn with_parent(mut self, parent: ThreadId) -> Self {
        self.parent = Some(parent);
        self
    }

    /// A sub-agent of `parent`, placed in the tree as `agent` says.
    pub fn with_agent(mut self, parent: ThreadId, agent: AgentSpawn) -> Self {
        self.parent = Some(parent);
        self.agent = Some(agent);
        self
    }
}

impl Default for ThreadStart {
    fn default() -> Self {
        Self::new()
    }
}

/// A thread could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Rollout(#[from] RolloutError),
    #[error("session {0} is open already in this window; switch to it instead")]
    AlreadyRunning(ThreadId),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("reading the session file failed: {0}")]
    Task(String),
    #[error(transparent)]
    McpServer(#[from] crate::mcp::RequiredServerFailed),
    #[error(transparent)]
    RolloutWrite(#[from] crate::rollout::RolloutWriteError),
}

/// A submission could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error("no thread {0} is running; it was closed or never started")]
    NoSuchThread(ThreadId),
}

/// A thread of the runtime, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInfo {
    pub id: ThreadId,
    pub parent: Option<ThreadId>,
}

struct ThreadHandle {
    submissions: mpsc::Sender<Submission>,
    parent: Option<ThreadId>,
}

/// What the handles and the threads share.
pub(crate) struct Runtime {
    events: mpsc::Sender<Event>,
    threads: Mutex<HashMap<ThreadId, ThreadHandle>>,
    next_submission: AtomicU64,
    agents: Arc<AgentControl>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts threads and sends submissions; cheap to clone and usable from any thread.
#[derive(Clone)]
pub struct Submitter {
    runtime: Arc<Runtime>,
}

impl Submitter {
    pub(crate) fn from_runtime(runtime: Arc<Runtime>) -> Self {
        Self { runtime }
    }

    /// Starts a thread with `loaded` (its configuration and the warnings loading it
    /// gave). Its first events are `SessionConfigured` (carrying, for a resumed or
    /// forked session, the conversation so far as events) and the warnings.
    pub async fn start_thread(
        &self,
        loaded: LoadedConfig,
        start: ThreadStart,
    ) -> Result<ThreadId, StartError> {
        let LoadedConfig { config, warnings } = loaded;
        let new_id = || uuid::Uuid::now_v7().to_string();
        let resumed = matches!(start.origin, ThreadOrigin::Resume { .. });
        let (id, origin) = match start.origin {
            ThreadOrigin::New => (new_id(), Origin::New),
            ThreadOrigin::Resume { rollout_path } => {
                let loaded = read_rollout(rollout_path).await?;
                (loaded.session_id.clone(), Origin::Resumed(loaded))
            }
            ThreadOrigin::Fork {
                rollout_path,
                before_turn,
            } => {
                let source = read_rollout(rollout_path).await?;
                (
                    new_id(),
                    Origin::Forked {
                        source,
                        before_turn,
                    },
                )
            }
        };
        let thread_id = ThreadId(id.clone());
        let (tx, rx) = mpsc::channel(SUBMISSION_QUEUE_CAPACITY);
        match lock(&self.runtime.threads).entry(thread_id.clone()) {
            Entry::Occupied(_) => return Err(StartError::AlreadyRunning(thread_id)),
            Entry::Vacant(slot) => {
                slot.insert(ThreadHandle {
                    submissions: tx,
                    parent: start.parent.clone(),
                });
            }
        }
        let registration = Registration {
            runtime: Arc::downgrade(&self.runtime),
            thread_id: thread_id.clone(),
        };
        let events = EventSender::new(self.runtime.events.clone(), thread_id.clone());
        let sandbox_policy = config.sandbox_policy.clone();
        let as_agent = start
            .agent
            .clone()
            .zip(start.parent.clone())
            .map(|(spawn, parent)| (spawn, parent, config.clone()));
        let lineage = Lineage {
            parent: start.parent,
            agent: start.agent,
            agents: self.runtime.agents.clone(),
        };
        let record_at_start = start.record_at_start;
        let session = Session::create(config, events.clone(), id, lineage, origin).await?;
        if record_at_start {
            session.write_rollout_now().await?;
        }
        if let Some((spawn, parent, config)) = as_agent {
            let rollout_path = session.rollout_path();
            (self.runtime.agents).add(thread_id.clone(), parent, spawn, config, rollout_path);
        }
        if resumed {
            crate::agents::adopt_children(&session).await;
        }
        crate::agents::offer_tools(&session);
        let memory_warning = crate::memories::offer_tools(&session).await;
        if session.agent().is_none() {
            crate::memories::pipeline::spawn_pass(
                session.config().clone(),
                session.id().to_string(),
            );
        }
        let announcements = crate::mcp::startup::start_required(&session).await?;
        events.send("", session.configured_event()).await;
        for announcement in announcements {
            events.send("", announcement).await;
        }
        crate::mcp::startup::start_servers(&session).await;
        let sandbox_warning = session.sandbox().warning(&sandbox_policy);
        for message in warnings
            .into_iter()
            .chain(sandbox_warning)
            .chain(memory_warning)
        {
            events.send("", EventMsg::Warning { message }).await;
        }
        tokio::spawn(runner::run(session, rx, events, registration));
        Ok(thread_id)
    }

    fn submission(
        &self,
        thread: &ThreadId,
        op: Op,
    ) -> Result<(Submission, mpsc::Sender<Submission>), SubmitError> {
        let sender = lock(&self.runtime.threads)
            .get(thread)
            .map(|handle| handle.submissions.clone())
            .ok_or_else(|| SubmitError::NoSuchThread(thread.clone()))?;
        let id = (self.runtime.next_submission.fetch_add(1, Ordering::Relaxed) + 1).to_string();
        Ok((
            Submission {
                id,
                thread_id: thread.clone(),
                op,
            },
            sender,
        ))
    }

    /// Sends `op` to `thread`, waiting if its queue is full; returns the submission id.
    pub async fn submit(&self, thread: &ThreadId, op: Op) -> Result<String, SubmitError> {
        let (submission, sender) = self.submission(thread, op)?;
        let id = submission.id.clone();
        sender
            .send(submission)
            .await
            .map_err(|_| SubmitError::NoSuchThread(thread.clone()))?;
        Ok(id)
    }

    /// Sends `op` without waiting (for threads that must not block, like a GUI's).
    /// Returns `None` when the thread's queue is full.
    pub fn try_submit(&self, thread: &ThreadId, op: Op) -> Result<Option<String>, SubmitError> {
        let (submission, sender) = self.submission(thread, op)?;
        let id = submission.id.clone();
        match sender.try_send(submission) {
            Ok(()) => Ok(Some(id)),
            Err(mpsc::error::TrySendError::Full(_)) => Ok(None),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                Err(SubmitError::NoSuchThread(thread.clone()))
            }
        }
    }

    /// The threads running now.
    pub fn threads(&self) -> Vec<ThreadInfo> {
        let mut threads: Vec<ThreadInfo> = lock(&self.runtime.threads)
            .iter()
            .map(|(id, handle)| ThreadInfo {
                id: id.clone(),
                parent: handle.parent.clone(),
            })
            .collect();
        threads.sort_by(|a, b| a.id.cmp(&b.id));
        threads
    }

    /// Asks every thread to shut down (each answers with `ShutdownComplete`).
    pub async fn shutdown_all(&self) {
        for thread in self.threads() {
            let _ = self.submit(&thread.id, Op::Shutdown).await;
        }
    }
}

async fn read_rollout(
    path: std::path::PathBuf,
) -> Result<crate::rollout::LoadedRollout, StartError> {
    let loaded = tokio::task::spawn_blocking(move || load_rollout(&path))
        .await
        .map_err(|error| StartError::Task(error.to_string()))??;
    if loaded.session_id.is_empty() {
        return Err(RolloutError::NoSessionMeta { path: loaded.path }.into());
    }
    Ok(loaded)
}

/// Takes a thread off the runtime's list when dropped: when its loop ends, however
/// it ends (a shutdown drops it before announcing the end).
pub(crate) struct Registration {
    runtime: Weak<Runtime>,
    thread_id: ThreadId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.upgrade() {
            lock(&runtime.threads).remove(&self.thread_id);
        }
    }
}

/// A runtime and the one queue all its threads' events come out of.
pub struct Codex {
    submitter: Submitter,
    events: mpsc::Receiver<Event>,
}

impl Default for Codex {
    fn default() -> Self {
        Self::new()
    }
}

impl Codex {
    /// A runtime with no thread yet, on the current tokio runtime.
    pub fn new() -> Self {
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        Self {
            submitter: Submitter {
                runtime: Arc::new_cyclic(|runtime| Runtime {
                    events: event_tx,
                    threads: Mutex::new(HashMap::new()),
                    next_submission: AtomicU64::new(0),
                    agents: Arc::new(AgentControl::new(runtime.clone())),
                }),
            },
            events: event_rx,
        }
    }

    pub async fn start_thread(
        &self,
        loaded: LoadedConfig,
        start: ThreadStart,
    ) -> Result<ThreadId, StartError> {
        self.submitter.start_thread(loaded, start).await
    }

    pub async fn submit(&self, thread: &ThreadId, op: Op) -> Result<String, SubmitError> {
        self.submitter.submit(thread, op).await
    }

    pub fn submitter(&self) -> Submitter {
        self.submitter.clone()
    }

    /// The next event of any thread.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_next_event(&mut self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Splits the handle so submissions and events can live on different tasks.
    pub fn into_parts(self) -> (Submitter, mpsc::Receiver<Event>) {
        (self.submitter, self.events)
    }
}

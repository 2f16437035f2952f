//! [`Codex`]: the handle embedders hold. Submissions go in, events come out; the
//! session runs on the tokio runtime the handle was spawned on.

use std::sync::atomic::{AtomicU64, Ordering};

use codex_protocol::{Event, Op, Submission};
use tokio::sync::mpsc;

use crate::config::LoadedConfig;
use crate::events::{EVENT_QUEUE_CAPACITY, EventSender};
use crate::session::runner;

/// Submissions waiting for the session loop; a full queue makes `submit` wait.
const SUBMISSION_QUEUE_CAPACITY: usize = 64;

/// The session loop is gone (it shut down).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClosed;

impl std::fmt::Display for SessionClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the session has shut down")
    }
}

impl std::error::Error for SessionClosed {}

/// Sends submissions; cheap to clone and usable from any thread.
#[derive(Clone)]
pub struct Submitter {
    tx: mpsc::Sender<Submission>,
    next_id: std::sync::Arc<AtomicU64>,
}

impl Submitter {
    fn next_id(&self) -> String {
        (self.next_id.fetch_add(1, Ordering::Relaxed) + 1).to_string()
    }

    /// Sends `op`, waiting if the queue is full; returns the submission id.
    pub async fn submit(&self, op: Op) -> Result<String, SessionClosed> {
        let id = self.next_id();
        self.tx
            .send(Submission { id: id.clone(), op })
            .await
            .map_err(|_| SessionClosed)?;
        Ok(id)
    }

    /// Sends `op` without waiting (for threads that must not block, like a GUI's).
    /// Returns `None` when the queue is full.
    pub fn try_submit(&self, op: Op) -> Result<Option<String>, SessionClosed> {
        let id = self.next_id();
        match self.tx.try_send(Submission { id: id.clone(), op }) {
            Ok(()) => Ok(Some(id)),
            Err(mpsc::error::TrySendError::Full(_)) => Ok(None),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SessionClosed),
        }
    }
}

/// A running session loop.
pub struct Codex {
    submitter: Submitter,
    events: mpsc::Receiver<Event>,
}

impl Codex {
    /// Starts a session loop for `loaded` on the current tokio runtime. The first op
    /// must be `StartSession`, `ResumeSession` or `ForkSession`. Configuration warnings
    /// are delivered as `Warning` events after `SessionConfigured`.
    pub fn spawn(loaded: LoadedConfig) -> Self {
        let LoadedConfig { config, warnings } = loaded;
        let (submission_tx, submission_rx) = mpsc::channel(SUBMISSION_QUEUE_CAPACITY);
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        tokio::spawn(runner::run(
            config,
            submission_rx,
            EventSender::new(event_tx),
            warnings,
        ));
        Self {
            submitter: Submitter {
                tx: submission_tx,
                next_id: std::sync::Arc::new(AtomicU64::new(0)),
            },
            events: event_rx,
        }
    }

    pub async fn submit(&self, op: Op) -> Result<String, SessionClosed> {
        self.submitter.submit(op).await
    }

    pub fn submitter(&self) -> Submitter {
        self.submitter.clone()
    }

    /// The next event; `None` once the session loop has ended.
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

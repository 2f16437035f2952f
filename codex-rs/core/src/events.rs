//! The runtime's side of the event queue: every event a thread emits goes through its
//! [`EventSender`], tagged with the thread and the submission it answers. All threads
//! of a runtime share one queue.

use codex_protocol::{Event, EventMsg, ThreadId};
use tokio::sync::mpsc;

/// Capacity of the event queue; a slow reader slows the runtime down rather than
/// letting the queue grow.
pub const EVENT_QUEUE_CAPACITY: usize = 1024;

#[derive(Clone, Debug)]
pub struct EventSender {
    tx: mpsc::Sender<Event>,
    thread_id: ThreadId,
}

impl EventSender {
    pub fn new(tx: mpsc::Sender<Event>, thread_id: ThreadId) -> Self {
        Self { tx, thread_id }
    }

    /// Sends an event. A front-end that went away is not an error for the runtime.
    pub async fn send(&self, submission_id: &str, msg: EventMsg) {
        let _ = self
            .tx
            .send(Event {
                id: submission_id.to_string(),
                thread_id: self.thread_id.clone(),
                msg,
            })
            .await;
    }
}

//! The runtime's side of the event queue: every event the session emits goes through
//! an [`EventSender`], tagged with the submission it answers.

use codex_protocol::{Event, EventMsg};
use tokio::sync::mpsc;

/// Capacity of the event queue; a slow reader slows the runtime down rather than
/// letting the queue grow.
pub const EVENT_QUEUE_CAPACITY: usize = 1024;

#[derive(Clone, Debug)]
pub struct EventSender {
    tx: mpsc::Sender<Event>,
}

impl EventSender {
    pub fn new(tx: mpsc::Sender<Event>) -> Self {
        Self { tx }
    }

    /// Sends an event. A front-end that went away is not an error for the runtime.
    pub async fn send(&self, submission_id: &str, msg: EventMsg) {
        let _ = self
            .tx
            .send(Event {
                id: submission_id.to_string(),
                msg,
            })
            .await;
    }
}

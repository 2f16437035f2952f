//! A thread's mailbox: what reaches it from the agents of its tree (a first-version
//! child's notice that it finished, a second-version message or a child's final
//! answer) until its conversation takes it, a wake-up for its loop when it has no turn
//! running, and a count the agent tools that wait for news watch.

use std::sync::{Mutex, MutexGuard, PoisonError};

use codex_protocol::{AgentStatus, ResponseItem, ThreadId};
use tokio::sync::{Notify, watch};

/// A child's turn that ended: the status it left, and the turn.
#[derive(Debug, Clone)]
pub(crate) struct Finished {
    pub status: AgentStatus,
    pub turn_id: String,
}

/// A message of the second version on its way to a thread.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub from: ThreadId,
    /// The `agent_message` item.
    pub item: ResponseItem,
    /// It starts a turn of an idle recipient (a task does; a plain message waits).
    pub trigger_turn: bool,
    /// Set for a child's final answer to its parent.
    pub finished: Option<Finished>,
}

/// What reaches a thread through its mailbox.
#[derive(Debug, Clone)]
pub(crate) enum Delivery {
    /// A child of the first version finished a turn nobody waited for.
    Notice {
        child: ThreadId,
        status: AgentStatus,
    },
    Mail(Mail),
}

/// What waits for one thread.
#[derive(Default)]
pub(crate) struct Mailbox {
    deliveries: Mutex<Vec<Delivery>>,
    pub(crate) arrived: Notify,
    waiting: watch::Sender<usize>,
}

impl Mailbox {
    pub(crate) fn put(&self, delivery: Delivery) {
        let mut deliveries = lock(&self.deliveries);
        deliveries.push(delivery);
        self.waiting.send_replace(deliveries.len());
        self.arrived.notify_one();
    }

    pub(crate) fn take(&self) -> Vec<Delivery> {
        let mut deliveries = lock(&self.deliveries);
        self.waiting.send_replace(0);
        std::mem::take(&mut *deliveries)
    }

    /// Whether a task waits (it starts a turn of an idle thread).
    pub(crate) fn holds_task(&self) -> bool {
        lock(&self.deliveries)
            .iter()
            .any(|delivery| matches!(delivery, Delivery::Mail(mail) if mail.trigger_turn))
    }

    /// The senders of what waits, in order of arrival.
    pub(crate) fn senders(&self) -> Vec<ThreadId> {
        lock(&self.deliveries)
            .iter()
            .map(|delivery| match delivery {
                Delivery::Notice { child, .. } => child.clone(),
                Delivery::Mail(mail) => mail.from.clone(),
            })
            .collect()
    }

    /// How many deliveries wait, as it changes.
    pub(crate) fn watch(&self) -> watch::Receiver<usize> {
        self.waiting.subscribe()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

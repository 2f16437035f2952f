//! The runtime's sub-agents: each child thread with its parent, nickname, depth and
//! status (a `watch` channel the parent's tools wait on), and the slots of each session
//! tree. Better than Codex where its users complain: a finished agent gives back its
//! slot once its result has reached the parent (a wait saw it, or it was closed) and
//! stays resumable; closing waits a bounded time; interrupting a parent interrupts its
//! running children. A child whose turn ends leaves a notice in its parent's mailbox;
//! the parent's conversation takes it at its next step, or at once when it is idle.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use codex_protocol::{AgentStatus, Op, ThreadId};
use tokio::sync::{Notify, watch};

use crate::codex::{Runtime, Submitter};
use crate::config::Config;

/// How long closing an agent waits for it to stop before reporting it stopped anyway.
pub const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// What a child thread is, as its parent and its rollout know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSpawn {
    /// The session id of the tree's root thread (written as the child's `session_id`).
    pub root_session_id: String,
    pub depth: u32,
    pub nickname: String,
    pub role: Option<String>,
}

struct Agent {
    parent: ThreadId,
    spawn: AgentSpawn,
    status: watch::Sender<AgentStatus>,
    /// The configuration it was started with, to start it again (`resume_agent`).
    config: Config,
    rollout_path: PathBuf,
    /// Counts against the tree's `max_threads` until its final result was delivered.
    holds_slot: bool,
    /// Its thread was shut down (`close_agent`); `resume_agent` starts it again.
    closed: bool,
}

impl Agent {
    /// An agent that is starting (`open`), or one closed on disk.
    fn new(
        parent: ThreadId,
        spawn: AgentSpawn,
        config: Config,
        rollout_path: PathBuf,
        open: bool,
    ) -> Self {
        let first = if open {
            AgentStatus::PendingInit
        } else {
            AgentStatus::Shutdown
        };
        Self {
            parent,
            spawn,
            status: watch::channel(first).0,
            config,
            rollout_path,
            holds_slot: open,
            closed: !open,
        }
    }
}

/// A sub-agent as its parent's tools see it.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub id: ThreadId,
    pub parent: ThreadId,
    pub spawn: AgentSpawn,
    pub status: AgentStatus,
    pub closed: bool,
}

/// What waits for one parent thread: its children's finished turns, and a wake-up for
/// a parent that has no turn running.
#[derive(Default)]
pub(crate) struct Mailbox {
    notices: Mutex<Vec<(ThreadId, AgentStatus)>>,
    pub(crate) arrived: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sub-agents of one runtime.
pub struct AgentControl {
    runtime: Weak<Runtime>,
    agents: Mutex<HashMap<ThreadId, Agent>>,
    /// The mailbox of each running thread.
    mailboxes: Mutex<HashMap<ThreadId, Arc<Mailbox>>>,
}

impl AgentControl {
    pub(crate) fn new(runtime: Weak<Runtime>) -> Self {
        Self {
            runtime,
            agents: Mutex::new(HashMap::new()),
            mailboxes: Mutex::new(HashMap::new()),
        }
    }

    /// A handle to start threads and submit to them, while the runtime lives.
    pub(crate) fn submitter(&self) -> Option<Submitter> {
        self.runtime.upgrade().map(Submitter::from_runtime)
    }

    /// Slots the tree of `root_session_id` uses now.
    pub fn slots_in_use(&self, root_session_id: &str) -> usize {
        lock(&self.agents)
            .values()
            .filter(|agent| agent.holds_slot && agent.spawn.root_session_id == root_session_id)
            .count()
    }

    /// The nicknames given in the tree of `root_session_id`.
    pub fn nicknames(&self, root_session_id: &str) -> Vec<String> {
        lock(&self.agents)
            .values()
            .filter(|agent| agent.spawn.root_session_id == root_session_id)
            .map(|agent| agent.spawn.nickname.clone())
            .collect()
    }

    /// Records a child that just started.
    pub(crate) fn add(
        &self,
        id: ThreadId,
        parent: ThreadId,
        spawn: AgentSpawn,
        config: Config,
        rollout_path: PathBuf,
    ) {
        let agent = Agent::new(parent, spawn, config, rollout_path, true);
        lock(&self.agents).insert(id, agent);
    }

    /// Records a child found on disk for a resumed parent: closed (it is not running)
    /// until `resume_agent` opens it. A child known already is left as it is.
    pub(crate) fn adopt(
        &self,
        id: ThreadId,
        parent: ThreadId,
        spawn: AgentSpawn,
        config: Config,
        rollout_path: PathBuf,
    ) {
        let agent = Agent::new(parent, spawn, config, rollout_path, false);
        lock(&self.agents).entry(id).or_insert(agent);
    }

    pub fn view(&self, id: &ThreadId) -> Option<AgentView> {
        lock(&self.agents).get(id).map(|agent| AgentView {
            id: id.clone(),
            parent: agent.parent.clone(),
            spawn: agent.spawn.clone(),
            status: agent.status.borrow().clone(),
            closed: agent.closed,
        })
    }

    /// The children of `parent`, open or closed.
    pub fn children(&self, parent: &ThreadId) -> Vec<AgentView> {
        let ids: Vec<ThreadId> = lock(&self.agents)
            .iter()
            .filter(|(_, agent)| agent.parent == *parent)
            .map(|(id, _)| id.clone())
            .collect();
        ids.iter().filter_map(|id| self.view(id)).collect()
    }

    /// The status channel of agent `id`, to wait on.
    pub fn watch(&self, id: &ThreadId) -> Option<watch::Receiver<AgentStatus>> {
        lock(&self.agents)
            .get(id)
            .map(|agent| agent.status.subscribe())
    }

    /// Sets the status of `id` (a thread that is no agent is passed over).
    pub(crate) fn set_status(&self, id: &ThreadId, status: AgentStatus) {
        if let Some(agent) = lock(&self.agents).get_mut(id) {
            if status == AgentStatus::Running {
                agent.holds_slot = true;
            }
            agent.status.send_replace(status);
        }
    }

    /// A turn of `id` ended in `status`: an agent's parent gets a notice (unless the
    /// agent was shut down, which its parent asked for or is itself going through).
    pub(crate) fn turn_ended(&self, id: &ThreadId, status: AgentStatus) {
        self.set_status(id, status.clone());
        if status == AgentStatus::Shutdown {
            return;
        }
        let Some(parent) = lock(&self.agents).get(id).map(|agent| agent.parent.clone()) else {
            return;
        };
        if let Some(mailbox) = lock(&self.mailboxes).get(&parent) {
            lock(&mailbox.notices).push((id.clone(), status));
            mailbox.arrived.notify_one();
        }
    }

    /// The mailbox of thread `id`, open while the thread runs.
    pub(crate) fn open_mailbox(&self, id: &ThreadId) -> Arc<Mailbox> {
        lock(&self.mailboxes).entry(id.clone()).or_default().clone()
    }

    pub(crate) fn close_mailbox(&self, id: &ThreadId) {
        lock(&self.mailboxes).remove(id);
    }

    /// The finished turns of `parent`'s children that have not reached it yet (a
    /// wait that already returned a status delivered it); each frees its slot.
    pub(crate) fn take_notices(&self, parent: &ThreadId) -> Vec<(ThreadId, AgentStatus)> {
        let Some(mailbox) = lock(&self.mailboxes).get(parent).cloned() else {
            return Vec::new();
        };
        let notices = std::mem::take(&mut *lock(&mailbox.notices));
        let mut agents = lock(&self.agents);
        notices
            .into_iter()
            .filter(|(id, status)| {
                agents.get_mut(id).is_some_and(|agent| {
                    let current = *agent.status.borrow() == *status;
                    let undelivered = current && agent.holds_slot && !agent.closed;
                    if undelivered {
                        agent.holds_slot = false;
                    }
                    undelivered
                })
            })
            .collect()
    }

    /// Input was sent to `id`: an agent that had finished is pending again (so a wait
    /// right after does not return the old result) and holds a slot.
    pub(crate) fn expect_turn(&self, id: &ThreadId) {
        if let Some(agent) = lock(&self.agents).get_mut(id)
            && agent.status.borrow().is_final()
        {
            agent.holds_slot = true;
            agent.status.send_replace(AgentStatus::PendingInit);
        }
    }

    /// The parent has seen the final status of `id`: its slot is free again.
    pub fn delivered(&self, id: &ThreadId) {
        if let Some(agent) = lock(&self.agents).get_mut(id)
            && agent.status.borrow().is_final()
        {
            agent.holds_slot = false;
        }
    }

    /// What starting `id` again needs, if it is a closed agent: its configuration,
    /// rollout, parent and place in the tree (starting it records it afresh).
    pub(crate) fn reopening(
        &self,
        id: &ThreadId,
    ) -> Option<(Config, PathBuf, ThreadId, AgentSpawn)> {
        let agents = lock(&self.agents);
        let agent = agents.get(id).filter(|agent| agent.closed)?;
        Some((
            agent.config.clone(),
            agent.rollout_path.clone(),
            agent.parent.clone(),
            agent.spawn.clone(),
        ))
    }

    /// Interrupts the running children of `parent` (and theirs).
    pub(crate) async fn interrupt_children(&self, parent: &ThreadId) {
        let Some(submitter) = self.submitter() else {
            return;
        };
        let mut pending = vec![parent.clone()];
        while let Some(next) = pending.pop() {
            for child in self.children(&next) {
                pending.push(child.id.clone());
                if !child.closed && !child.status.is_final() {
                    let _ = submitter.submit(&child.id, Op::Interrupt).await;
                }
            }
        }
    }

    /// Shuts `id` and its open descendants down, waiting at most [`CLOSE_WAIT`] for
    /// each; returns the status `id` had before.
    pub(crate) async fn close(&self, id: &ThreadId) -> AgentStatus {
        let Some(before) = self.view(id) else {
            return AgentStatus::NotFound;
        };
        for child in self.children(id) {
            if !child.closed {
                Box::pin(self.close(&child.id)).await;
            }
        }
        if !before.closed {
            let receiver = self.watch(id);
            if let Some(submitter) = self.submitter()
                && submitter.submit(id, Op::Shutdown).await.is_ok()
                && let Some(mut receiver) = receiver
            {
                let stopped = receiver.wait_for(|status| *status == AgentStatus::Shutdown);
                let _ = tokio::time::timeout(CLOSE_WAIT, stopped).await;
            }
            if let Some(agent) = lock(&self.agents).get_mut(id) {
                agent.closed = true;
                agent.holds_slot = false;
                agent.status.send_replace(AgentStatus::Shutdown);
            }
        }
        before.status
    }
}

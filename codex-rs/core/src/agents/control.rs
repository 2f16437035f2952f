//! The runtime's sub-agents: each child thread with its parent, nickname, depth and
//! status (a `watch` channel the parent's tools wait on), and the slots of each session
//! tree. Better than Codex where its users complain: a finished agent gives back its
//! slot once its result has reached the parent (a wait saw it, or it was closed) and
//! stays resumable; closing waits a bounded time; interrupting a parent interrupts its
//! running children.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use codex_protocol::{Op, ThreadId};
use tokio::sync::watch;

use super::status::AgentStatus;
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

/// A sub-agent as its parent's tools see it.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub id: ThreadId,
    pub parent: ThreadId,
    pub spawn: AgentSpawn,
    pub status: AgentStatus,
    pub closed: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sub-agents of one runtime.
pub struct AgentControl {
    runtime: Weak<Runtime>,
    agents: Mutex<HashMap<ThreadId, Agent>>,
}

impl AgentControl {
    pub(crate) fn new(runtime: Weak<Runtime>) -> Self {
        Self {
            runtime,
            agents: Mutex::new(HashMap::new()),
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
        let (status, _) = watch::channel(AgentStatus::PendingInit);
        lock(&self.agents).insert(
            id,
            Agent {
                parent,
                spawn,
                status,
                config,
                rollout_path,
                holds_slot: true,
                closed: false,
            },
        );
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

//! The runtime's sub-agents: each child thread with its parent, nickname, depth and
//! status (a `watch` channel the parent's tools wait on), and the slots of each session
//! tree. Better than Codex where its users complain: a finished agent gives back its
//! slot once its result has reached the parent (a wait saw it, or it was closed) and
//! stays resumable; closing waits a bounded time; interrupting a parent interrupts its
//! running children. Each running thread has a mailbox: a child whose turn ends leaves
//! a notice there for its parent (under the second version, a final-answer message),
//! and agents of the second version send each other messages and tasks through it.
//! The thread's conversation takes what arrived at its next step, or at once when it
//! is idle; a task starts a turn.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use codex_protocol::{AgentStatus, Op, ReasoningEffort, ThreadId};
use tokio::sync::watch;

use super::mail::{MailKind, agent_message, final_answer};
use super::mailbox::{Delivery, Finished, Mail, Mailbox};
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
    /// Its task path, for an agent of the second version (`/root/worker_a`).
    pub path: Option<String>,
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
    /// The model and effort it was started with.
    pub model: String,
    pub effort: Option<ReasoningEffort>,
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
    /// Where threads that are no sub-agent (roots) stand.
    root_statuses: Mutex<HashMap<ThreadId, AgentStatus>>,
}

impl AgentControl {
    pub(crate) fn new(runtime: Weak<Runtime>) -> Self {
        Self {
            runtime,
            agents: Mutex::new(HashMap::new()),
            mailboxes: Mutex::new(HashMap::new()),
            root_statuses: Mutex::new(HashMap::new()),
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
            model: agent.config.model.clone(),
            effort: agent.config.model_reasoning_effort,
        })
    }

    /// The agent at task path `path` in the tree of `root_session_id` (`/root` is the
    /// root thread itself).
    pub fn find_path(&self, root_session_id: &str, path: &str) -> Option<ThreadId> {
        if path == super::paths::ROOT_PATH {
            return Some(ThreadId(root_session_id.to_string()));
        }
        lock(&self.agents)
            .iter()
            .find(|(_, agent)| {
                agent.spawn.root_session_id == root_session_id
                    && agent.spawn.path.as_deref() == Some(path)
            })
            .map(|(id, _)| id.clone())
    }

    /// The agent called `nickname` in the tree of `root_session_id`.
    pub fn find_nickname(&self, root_session_id: &str, nickname: &str) -> Option<ThreadId> {
        lock(&self.agents)
            .iter()
            .find(|(_, agent)| {
                agent.spawn.root_session_id == root_session_id && agent.spawn.nickname == nickname
            })
            .map(|(id, _)| id.clone())
    }

    /// The agents of the tree of `root_session_id` that have task paths, with the
    /// root first, as `(path, status)`, by path.
    pub fn tree_paths(&self, root_session_id: &str) -> Vec<(String, AgentStatus)> {
        let root = ThreadId(root_session_id.to_string());
        let root_status = lock(&self.root_statuses)
            .get(&root)
            .cloned()
            .unwrap_or(AgentStatus::Running);
        let mut paths: Vec<(String, AgentStatus)> = lock(&self.agents)
            .values()
            .filter(|agent| agent.spawn.root_session_id == root_session_id)
            .filter_map(|agent| {
                let status = if agent.closed {
                    AgentStatus::Shutdown
                } else {
                    agent.status.borrow().clone()
                };
                Some((agent.spawn.path.clone()?, status))
            })
            .collect();
        paths.sort_by(|a, b| a.0.cmp(&b.0));
        paths.insert(0, (super::paths::ROOT_PATH.to_string(), root_status));
        paths
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

    /// Sets the status of thread `id`.
    pub(crate) fn set_status(&self, id: &ThreadId, status: AgentStatus) {
        match lock(&self.agents).get_mut(id) {
            Some(agent) => {
                if status == AgentStatus::Running {
                    agent.holds_slot = true;
                }
                agent.status.send_replace(status);
            }
            None => {
                lock(&self.root_statuses).insert(id.clone(), status);
            }
        }
    }

    /// Turn `turn_id` of `id` ended in `status`: an agent's parent gets a notice, or
    /// under the second version the agent's final answer (unless the agent was shut
    /// down, which its parent asked for or is itself going through).
    pub(crate) fn turn_ended(&self, id: &ThreadId, status: AgentStatus, turn_id: &str) {
        self.set_status(id, status.clone());
        if status == AgentStatus::Shutdown {
            return;
        }
        let Some((parent, path)) = lock(&self.agents)
            .get(id)
            .map(|agent| (agent.parent.clone(), agent.spawn.path.clone()))
        else {
            return;
        };
        let Some(mailbox) = lock(&self.mailboxes).get(&parent).cloned() else {
            return;
        };
        let delivery = match path {
            Some(path) => {
                let parent_path = path
                    .rsplit_once('/')
                    .map_or(super::paths::ROOT_PATH, |(parent, _)| parent);
                let item = agent_message(
                    MailKind::FinalAnswer,
                    &path,
                    &path,
                    parent_path,
                    &final_answer(&status),
                );
                Delivery::Mail(Mail {
                    from: id.clone(),
                    item,
                    trigger_turn: false,
                    finished: Some(Finished {
                        status,
                        turn_id: turn_id.to_string(),
                    }),
                })
            }
            None => Delivery::Notice {
                child: id.clone(),
                status,
            },
        };
        mailbox.put(delivery);
    }

    /// Puts `mail` in the mailbox of thread `to` (which is made if the thread has not
    /// opened it yet: a child just started).
    pub(crate) fn send_mail(&self, to: &ThreadId, mail: Mail) {
        let mailbox = self.open_mailbox(to);
        mailbox.put(Delivery::Mail(mail));
    }

    /// Whether a task for thread `id` waits in its mailbox.
    pub(crate) fn task_waiting(&self, id: &ThreadId) -> bool {
        lock(&self.mailboxes)
            .get(id)
            .is_some_and(|mailbox| mailbox.holds_task())
    }

    /// Who sent what waits in the mailbox of `id`, and a count to wait on for more.
    pub(crate) fn waiting_mail(&self, id: &ThreadId) -> (Vec<ThreadId>, watch::Receiver<usize>) {
        let mailbox = self.open_mailbox(id);
        (mailbox.senders(), mailbox.watch())
    }

    /// The mailbox of thread `id`, open while the thread runs.
    pub(crate) fn open_mailbox(&self, id: &ThreadId) -> Arc<Mailbox> {
        lock(&self.mailboxes).entry(id.clone()).or_default().clone()
    }

    pub(crate) fn close_mailbox(&self, id: &ThreadId) {
        lock(&self.mailboxes).remove(id);
    }

    /// What reached thread `id` since it last looked: messages, and the finished turns
    /// of its children (a notice a wait already delivered is dropped). A child's
    /// finished turn frees its slot, unless it has started another since.
    pub(crate) fn take_deliveries(&self, id: &ThreadId) -> Vec<Delivery> {
        let Some(mailbox) = lock(&self.mailboxes).get(id).cloned() else {
            return Vec::new();
        };
        let deliveries = mailbox.take();
        let mut agents = lock(&self.agents);
        let mut deliver_result = |child: &ThreadId, status: &AgentStatus| {
            agents.get_mut(child).is_some_and(|agent| {
                let current = *agent.status.borrow() == *status;
                let undelivered = current && agent.holds_slot && !agent.closed;
                if undelivered {
                    agent.holds_slot = false;
                }
                undelivered
            })
        };
        deliveries
            .into_iter()
            .filter(|delivery| match delivery {
                Delivery::Notice { child, status } => deliver_result(child, status),
                Delivery::Mail(mail) => {
                    if let Some(finished) = &mail.finished {
                        deliver_result(&mail.from, &finished.status);
                    }
                    true
                }
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

//! Sub-agents, the Codex way: a model may start child threads of the runtime, each
//! with its own rollout naming its parent, depth, nickname, role and (second version)
//! task path (`roles`, `spawning`) so the Codex CLI lists and resumes it. Two tool
//! sets, as in Codex: the first version's (`v1`, agents addressed by thread id) and,
//! with `features.multi_agent_v2`, the second's (`v2`, agents addressed by task path,
//! `paths`, talking through messages, `mail`). The runtime keeps each child's status,
//! the slots of each session tree and each thread's mailbox (`control`, `mailbox`);
//! the parent's rollout records each call as Codex does (`record`); what reaches a
//! mailbox goes into the conversation (`delivery`). A resumed parent finds its
//! children on disk.

mod calls;
mod control;
mod delivery;
mod mail;
mod mailbox;
mod names;
mod notice;
mod paths;
mod record;
mod roles;
mod spawning;
mod status;
mod v1;
mod v2;

use std::sync::Arc;

pub use codex_protocol::AgentStatus;
pub use control::{AgentControl, AgentSpawn, AgentView, CLOSE_WAIT};
pub(crate) use delivery::deliver;
pub use notice::{NOTIFICATION_TAG, notification};
pub use record::replayed as replayed_call;
pub use roles::{Role, load_roles};
pub(crate) use status::status_after;

use codex_protocol::{ResponseItem, ThreadId};

use crate::config::MultiAgentVersion;
use crate::rollout::child_sessions;
use crate::session::Session;
use paths::ROOT_PATH;

/// Lists the children a resumed `session` started, as its rollouts (zspark's or the
/// Codex CLI's) name them, closed until `resume_agent` opens one with the model its
/// last turn used.
pub(crate) async fn adopt_children(session: &Arc<Session>) {
    let codex_home = session.config().codex_home.clone();
    let parent = session.id().to_string();
    let found = tokio::task::spawn_blocking(move || child_sessions(&codex_home, &parent))
        .await
        .unwrap_or_default();
    let agents = session.agents();
    let root = session.root_session_id().to_string();
    let parent = ThreadId(session.id().to_string());
    for child in found {
        let mut config = session.config().clone();
        if let Some(model) = child.model {
            config.model = model;
        }
        if child.effort.is_some() {
            config.model_reasoning_effort = child.effort;
        }
        let spawn = AgentSpawn {
            root_session_id: root.clone(),
            depth: child.depth,
            nickname: child
                .nickname
                .unwrap_or_else(|| names::pick(&[], &agents.nicknames(&root))),
            role: child.role,
            path: child.agent_path,
        };
        agents.adopt(
            ThreadId(child.id),
            parent.clone(),
            spawn,
            config,
            child.path,
        );
    }
}

/// Whether `session` is offered agent tools: they are on, and it is not as deep in
/// its tree as `[agents] max_depth` allows.
fn tools_offered(session: &Session) -> bool {
    let limits = &session.config().agents;
    let depth = session.agent().map_or(0, |agent| agent.depth);
    limits.enabled && depth < limits.max_depth
}

/// Offers `session` the sub-agent tools of the configured version, if any.
pub(crate) fn offer_tools(session: &Arc<Session>) {
    if !tools_offered(session) {
        return;
    }
    let limits = &session.config().agents;
    let offered = match limits.version {
        MultiAgentVersion::V1 => session.tools().set_namespace(
            v1::NAMESPACE,
            v1::NAMESPACE_DESCRIPTION,
            v1::handlers(&limits.roles),
        ),
        MultiAgentVersion::V2 => session
            .tools()
            .set_namespace(
                &limits.collaboration.namespace,
                v2::NAMESPACE_DESCRIPTION,
                v2::handlers(&limits.roles, &limits.collaboration),
            )
            .and_then(|()| {
                session.tools().set_namespace(
                    v2::EXTRAS_NAMESPACE,
                    v2::EXTRAS_DESCRIPTION,
                    v2::extra_handlers(),
                )
            }),
    };
    debug_assert!(
        offered.is_ok(),
        "the agent tools are functions with distinct names"
    );
}

/// Under the second version, what `session` is told about working in a tree of
/// agents: its own task path, how messages look, and (when it may start agents) the
/// tools and the free slots.
pub(crate) fn team_instructions(session: &Session) -> Option<ResponseItem> {
    let limits = &session.config().agents;
    if !limits.enabled || limits.version != MultiAgentVersion::V2 {
        return None;
    }
    let path = v2::own_path(session);
    let mut text = format!(
        "<collaboration>\nYou are the agent at task path {path} of a tree of agents working for the user. Messages from other agents of the tree reach you as messages whose first lines name their type (NEW_TASK: work for you; MESSAGE: something to know; FINAL_ANSWER: a sub-agent's result), the task and the sender, followed by `Payload:` and the content.\n"
    );
    if tools_offered(session) {
        let used = session.agents().slots_in_use(session.root_session_id());
        let free = limits.max_threads.saturating_sub(used);
        text.push_str(&format!(
            "You can start sub-agents with the `{namespace}` tools (spawn_agent, followup_task, send_message, wait_agent, interrupt_agent, list_agents); {free} of {max} agent slots are free now. A sub-agent's final answer comes to you as a message; wait_agent waits for one.\n",
            namespace = limits.collaboration.namespace,
            max = limits.max_threads,
        ));
    }
    if let Some((parent, _)) = path.rsplit_once('/').filter(|_| path != ROOT_PATH) {
        text.push_str(&format!(
            "When your task is done, end your turn with your answer: it goes to {parent} as your final answer.\n"
        ));
    }
    text.push_str("</collaboration>");
    Some(ResponseItem::developer_text(text))
}

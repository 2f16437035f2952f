//! Sub-agents, the Codex way: a model may start child threads of the runtime
//! (`tools`, Codex's first multi-agent version), each with its own rollout naming its
//! parent, depth, nickname and role (`roles`) so the Codex CLI lists and resumes it;
//! the runtime keeps
//! each child's status and the slots of each session tree (`control`), and the parent's
//! rollout records each call as Codex does (`record`); a child that finishes unwaited
//! for tells its parent (`notice`). A resumed parent finds its children on disk.

mod control;
mod names;
mod notice;
mod record;
mod roles;
mod status;
mod tools;

use std::sync::Arc;

pub use codex_protocol::AgentStatus;
pub use control::{AgentControl, AgentSpawn, AgentView, CLOSE_WAIT};
pub use notice::{NOTIFICATION_TAG, notification};
pub use record::replayed as replayed_call;
pub use roles::{Role, load_roles};
pub(crate) use status::status_after;
pub use tools::NAMESPACE;

use codex_protocol::ThreadId;

use crate::rollout::child_sessions;
use crate::session::Session;

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

/// Offers `session` the sub-agent tools, unless they are switched off or the session
/// is as deep in its tree as `[agents] max_depth` allows.
pub(crate) fn offer_tools(session: &Arc<Session>) {
    let limits = &session.config().agents;
    let depth = session.agent().map_or(0, |agent| agent.depth);
    if !limits.enabled || depth >= limits.max_depth {
        return;
    }
    let offered = session.tools().set_namespace(
        tools::NAMESPACE,
        tools::NAMESPACE_DESCRIPTION,
        tools::handlers(&limits.roles),
    );
    debug_assert!(
        offered.is_ok(),
        "the agent tools are functions with distinct names"
    );
}

//! Sub-agents, the Codex way: a model may start child threads of the runtime
//! (`tools`, Codex's first multi-agent version), each with its own rollout naming its
//! parent, depth, nickname and role (`roles`) so the Codex CLI lists and resumes it;
//! the runtime keeps
//! each child's status and the slots of each session tree (`control`), and the parent's
//! rollout records each call as Codex does (`record`).

mod control;
mod names;
mod record;
mod roles;
mod status;
mod tools;

use std::sync::Arc;

pub use control::{AgentControl, AgentSpawn, AgentView, CLOSE_WAIT};
pub use roles::{Role, load_roles};
pub use status::AgentStatus;
pub use tools::NAMESPACE;

use crate::session::Session;

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

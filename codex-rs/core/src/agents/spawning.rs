//! Starting a child thread for an agent tool of either version: the role it is
//! started as (its pinned model and effort, a narrower sandbox, its instructions),
//! the model and effort asked for or the `[agents]` defaults, a nickname not yet used
//! in the tree, the slot it takes, and a conversation of its own or a copy of the
//! parent's.

use codex_protocol::{ReasoningEffort, SandboxMode, SandboxPolicy, ThreadId};

use super::control::AgentSpawn;
use super::names;
use super::roles::Role;
use crate::codex::{Submitter, ThreadStart};
use crate::config::LoadedConfig;
use crate::session::Session;

/// What the model asked for.
pub(super) struct ChildRequest {
    pub agent_type: Option<String>,
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
    /// Give the child the parent's conversation so far.
    pub fork: bool,
    /// Its task path (second version).
    pub path: Option<String>,
}

/// A child that started, with no turn yet.
pub(super) struct Child {
    pub id: ThreadId,
    pub spawn: AgentSpawn,
    pub model: String,
    pub effort: Option<ReasoningEffort>,
    pub submitter: Submitter,
}

/// The role `name` names among `roles`, or why there is none.
fn role_named(roles: &[Role], name: &str) -> Result<Role, String> {
    roles
        .iter()
        .find(|role| role.name == name)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = roles.iter().map(|role| role.name.as_str()).collect();
            format!(
                "unknown agent_type `{name}`; use one of {}",
                known.join(", ")
            )
        })
}

/// Starts a child of `session` as `request` asks, or says why it cannot
/// (`agent thread limit reached` when the tree's slots are taken).
pub(super) async fn start_child(
    session: &Session,
    roles: &[Role],
    request: ChildRequest,
) -> Result<Child, String> {
    let role = request
        .agent_type
        .as_deref()
        .map(|name| role_named(roles, name))
        .transpose()?;
    let agents = session.agents().clone();
    let limits = &session.config().agents;
    let root = session.root_session_id().to_string();
    if agents.slots_in_use(&root) >= limits.max_threads {
        return Err("agent thread limit reached".to_string());
    }
    let submitter = agents.submitter().ok_or("the runtime is shutting down")?;
    let (parent_model, parent_effort) = session.model_settings();
    let mut config = session.config().clone();
    let pinned = role.as_ref();
    config.model = pinned
        .and_then(|role| role.model.clone())
        .or(request.model)
        .or_else(|| limits.default_model.clone())
        .unwrap_or(parent_model);
    config.model_reasoning_effort = pinned
        .and_then(|role| role.effort)
        .or(request.effort)
        .or(limits.default_effort)
        .or(parent_effort);
    if let Some(role) = pinned {
        if let Some(mode) = role.sandbox_mode {
            config.sandbox_policy = narrowed(&config.sandbox_policy, mode);
        }
        if let Some(instructions) = &role.developer_instructions {
            config.developer_instructions = Some(match config.developer_instructions.take() {
                Some(existing) => format!("{existing}\n\n{instructions}"),
                None => instructions.clone(),
            });
        }
    }
    let spawn = AgentSpawn {
        root_session_id: root.clone(),
        depth: session.agent().map_or(0, |agent| agent.depth) + 1,
        nickname: names::pick(
            pinned.map_or(&[][..], |role| &role.nickname_candidates),
            &agents.nicknames(&root),
        ),
        role: role.as_ref().map(|role| role.name.clone()),
        path: request.path,
    };
    let start = if request.fork {
        session.flush_rollout().await;
        ThreadStart::fork(session.rollout_path(), None)
    } else {
        ThreadStart::new()
    }
    .with_agent(ThreadId(session.id().to_string()), spawn.clone());
    let (model, effort) = (config.model.clone(), config.model_reasoning_effort);
    let loaded = LoadedConfig {
        config,
        warnings: Vec::new(),
    };
    let id = submitter
        .start_thread(loaded, start)
        .await
        .map_err(|error| error.to_string())?;
    Ok(Child {
        id,
        spawn,
        model,
        effort,
        submitter,
    })
}

/// The sandbox a role's `sandbox_mode` gives a child of a parent sandboxed as `parent`:
/// a role may narrow what the parent may do, never widen it.
fn narrowed(parent: &SandboxPolicy, mode: SandboxMode) -> SandboxPolicy {
    match (mode, parent) {
        (SandboxMode::ReadOnly, _) => SandboxPolicy::ReadOnly,
        (SandboxMode::WorkspaceWrite, SandboxPolicy::DangerFullAccess) => {
            SandboxPolicy::WorkspaceWrite {
                writable_roots: Vec::new(),
                network_access: false,
                exclude_tmpdir_env_var: false,
                exclude_slash_tmp: false,
            }
        }
        _ => parent.clone(),
    }
}

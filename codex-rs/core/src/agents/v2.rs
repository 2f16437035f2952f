//! The sub-agent tools of Codex's second multi-agent version, in namespace
//! `collaboration` (or `features.multi_agent_v2.tool_namespace`) with Codex's names,
//! parameters and outputs: `spawn_agent`, `send_message`, `followup_task`,
//! `wait_agent`, `interrupt_agent` and `list_agents`. Agents are addressed by task
//! path and talk through mailboxes; a child's final answer reaches its parent as a
//! message. Better than Codex where its users complain: `agent_type` and `model` are
//! always offered, a wait says which agents sent news and where they stand, and
//! zspark's own namespace (`zspark_agents`) adds `close_agent`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use codex_protocol::{AgentStatus, CollabAgentRef, Op, ReasoningEffort, ThreadId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::calls::{Done, function, run};
use super::mail::{MailKind, agent_message};
use super::mailbox::Mail;
use super::paths::{self, ROOT_PATH};
use super::record::{Activity, ActivityKind, CollabCall, record_activity};
use super::roles::Role;
use super::spawning::{ChildRequest, start_child};
use crate::codex::ThreadStart;
use crate::config::{CollaborationConfig, LoadedConfig};
use crate::session::Session;
use crate::tools::spec::ToolSpec;
use crate::tools::{ToolFuture, ToolHandler, ToolInvocation};

/// What the namespace is for, as the model is told.
pub const NAMESPACE_DESCRIPTION: &str = "Work as a team of agents: start sub-agents on tasks of their own (each has a task path such as /root/worker_a), send them messages and follow-up tasks, wait for news, interrupt them and list them. Only delegate when the user or the project's instructions ask for it.";

/// zspark's namespace for what Codex's second version lacks.
pub const EXTRAS_NAMESPACE: &str = "zspark_agents";
pub const EXTRAS_DESCRIPTION: &str = "zspark's additions to the collaboration tools: close a sub-agent you no longer need, so its slot is free.";

/// The handlers of the namespace, in the order they are offered.
pub fn handlers(roles: &[Role], settings: &CollaborationConfig) -> Vec<Arc<dyn ToolHandler>> {
    vec![
        Arc::new(SpawnAgent {
            roles: roles.to_vec(),
        }),
        Arc::new(SendMessage),
        Arc::new(FollowupTask),
        Arc::new(WaitAgent {
            settings: settings.clone(),
        }),
        Arc::new(InterruptAgent),
        Arc::new(ListAgents),
    ]
}

/// The handlers of zspark's namespace.
pub fn extra_handlers() -> Vec<Arc<dyn ToolHandler>> {
    vec![Arc::new(CloseAgent)]
}

/// The task path of the agent `session` is (the root's when it is none).
pub fn own_path(session: &Session) -> String {
    session
        .agent()
        .and_then(|agent| agent.path.clone())
        .unwrap_or_else(|| ROOT_PATH.to_string())
}

/// An agent of the tree a call named.
struct Target {
    id: ThreadId,
    path: String,
    /// It is a sub-agent (not the root), and open.
    open: bool,
}

/// The agent of the caller's tree that `text` names: a task path, a name below the
/// caller, or (zspark's addition) a nickname.
fn target(invocation: &ToolInvocation, text: &str) -> Result<Target, String> {
    let session = &invocation.session;
    let agents = session.agents();
    let root = session.root_session_id();
    let path = paths::resolve(&own_path(session), text);
    let found = agents
        .find_path(root, &path)
        .or_else(|| agents.find_nickname(root, text));
    let Some(id) = found else {
        return Err(format!(
            "no agent at {path}; list_agents shows the agents of this tree"
        ));
    };
    if id.0 == session.id() {
        return Err(format!("{path} is you; name another agent"));
    }
    let view = agents.view(&id);
    Ok(Target {
        path: view
            .as_ref()
            .and_then(|agent| agent.spawn.path.clone())
            .unwrap_or(path),
        open: view.is_some_and(|agent| !agent.closed),
        id,
    })
}

/// Whether `text` names the root (which only `send_message` may address).
fn names_root(invocation: &ToolInvocation, text: &str) -> bool {
    paths::resolve(&own_path(&invocation.session), text) == ROOT_PATH
}

/// The agent at `target` as the record names it.
fn agent_ref(session: &Session, target: &Target) -> CollabAgentRef {
    let spawn = session.agents().view(&target.id).map(|agent| agent.spawn);
    CollabAgentRef {
        thread_id: target.id.0.clone(),
        nickname: spawn
            .as_ref()
            .map_or_else(|| target.path.clone(), |spawn| spawn.nickname.clone()),
        role: spawn.and_then(|spawn| spawn.role),
    }
}

/// Sends a message of `kind` with `payload` from the caller to `target`.
fn send(invocation: &ToolInvocation, target: &Target, kind: MailKind, payload: &str) {
    let session = &invocation.session;
    let item = agent_message(
        kind,
        &target.path,
        &own_path(session),
        &target.path,
        payload,
    );
    session.agents().send_mail(
        &target.id,
        Mail {
            from: ThreadId(session.id().to_string()),
            item,
            trigger_turn: kind == MailKind::NewTask,
            finished: None,
        },
    );
}

/// Records `kind` of activity for `target` in the caller's rollout.
async fn record(
    invocation: &ToolInvocation,
    target: &Target,
    kind: ActivityKind,
    prompt: Option<String>,
) {
    let session = &invocation.session;
    let view = session.agents().view(&target.id);
    let activity = Activity {
        kind,
        agent: agent_ref(session, target),
        path: target.path.clone(),
        model: view.as_ref().map(|agent| agent.model.clone()),
        effort: view.as_ref().and_then(|agent| agent.effort),
        prompt,
        status: view.map_or(AgentStatus::NotFound, |agent| agent.status),
    };
    record_activity(
        session,
        &activity,
        &invocation.call_id,
        &invocation.turn.turn_id,
        &invocation.turn.submission_id,
    )
    .await;
}

fn message_property() -> Value {
    json!({"type": "string", "description": "What to tell the agent, in plain text."})
}

fn target_property() -> Value {
    json!({"type": "string", "description": "The agent's task path (such as /root/worker_a), or a name below yours."})
}

/// `spawn_agent`.
struct SpawnAgent {
    roles: Vec<Role>,
}

#[derive(Debug, Deserialize)]
struct SpawnArguments {
    task_name: String,
    message: String,
    fork_turns: Option<String>,
    model: Option<String>,
    reasoning_effort: Option<ReasoningEffort>,
    agent_type: Option<String>,
}

impl ToolHandler for SpawnAgent {
    fn spec(&self) -> ToolSpec {
        let listed: Vec<String> = self.roles.iter().map(Role::summary).collect();
        function(
            "spawn_agent",
            "Start a sub-agent on a task. Its task path is yours followed by task_name; it works on its own in the same folder with your sandbox and approval settings, and its final answer comes back to you as a message. Returns its task_name (the full path).",
            json!({
                "task_name": {"type": "string", "description": "A short name for the task: lowercase letters, digits and _."},
                "message": {"type": "string", "description": "The task, in plain text."},
                "fork_turns": {"type": "string", "enum": ["all", "none"], "description": "all (default): the agent starts with this conversation so far; none: with the task only."},
                "model": {"type": "string", "description": "A model for the agent; omit to use yours."},
                "reasoning_effort": {"type": "string", "enum": ["minimal", "low", "medium", "high", "xhigh"], "description": "Reasoning effort for the agent; omit to use yours."},
                "agent_type": {
                    "type": "string",
                    "enum": self.roles.iter().map(|role| role.name.clone()).collect::<Vec<_>>(),
                    "description": format!("The role to start the agent as (default when omitted). Roles: {}.", listed.join("; ")),
                }
            }),
            &["task_name", "message"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        let roles = self.roles.clone();
        Box::pin(run(
            invocation,
            "spawn_agent",
            "collab spawn failed: ",
            move |invocation, arguments| spawn(invocation, arguments, roles),
        ))
    }
}

async fn spawn(invocation: ToolInvocation, arguments: SpawnArguments, roles: Vec<Role>) -> Done {
    let session = &invocation.session;
    paths::check_task_name(&arguments.task_name)?;
    if arguments.message.trim().is_empty() {
        return Err("give the agent something to do in `message`".to_string());
    }
    let fork = match arguments.fork_turns.as_deref() {
        None | Some("all") => true,
        Some("none") => false,
        Some(other) => return Err(format!("fork_turns is `all` or `none`, not `{other}`")),
    };
    let path = paths::child_path(&own_path(session), &arguments.task_name);
    if session
        .agents()
        .find_path(session.root_session_id(), &path)
        .is_some()
    {
        return Err(format!(
            "{path} is taken; pick another task_name, or give that agent a followup_task"
        ));
    }
    let request = ChildRequest {
        agent_type: arguments.agent_type,
        model: arguments.model,
        effort: arguments.reasoning_effort,
        fork,
        path: Some(path.clone()),
    };
    let child = start_child(session, &roles, request).await?;
    let target = Target {
        id: child.id.clone(),
        path: path.clone(),
        open: true,
    };
    send(&invocation, &target, MailKind::NewTask, &arguments.message);
    record(
        &invocation,
        &target,
        ActivityKind::Started,
        Some(arguments.message),
    )
    .await;
    Ok((
        json!({"task_name": path, "nickname": child.spawn.nickname}),
        None,
    ))
}

/// `send_message`.
struct SendMessage;

#[derive(Debug, Deserialize)]
struct MessageArguments {
    target: String,
    message: String,
}

impl ToolHandler for SendMessage {
    fn spec(&self) -> ToolSpec {
        function(
            "send_message",
            "Tell another agent of the tree something (the root too). It reads the message at its next step; the message does not start a turn of an idle agent.",
            json!({"target": target_property(), "message": message_property()}),
            &["target", "message"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "send_message", "", send_message))
    }
}

async fn send_message(invocation: ToolInvocation, arguments: MessageArguments) -> Done {
    let target = target(&invocation, &arguments.target)?;
    let is_root = target.path == ROOT_PATH;
    if !is_root && !target.open {
        return Err(format!(
            "{} is closed; give it a followup_task to open it again",
            target.path
        ));
    }
    send(&invocation, &target, MailKind::Message, &arguments.message);
    let mut call = CollabCall::new("send_message");
    call.prompt = Some(arguments.message);
    call.receivers.push(agent_ref(&invocation.session, &target));
    Ok((Value::String(String::new()), Some(call)))
}

/// `followup_task`.
struct FollowupTask;

impl ToolHandler for FollowupTask {
    fn spec(&self) -> ToolSpec {
        function(
            "followup_task",
            "Give a sub-agent another task. An idle agent starts on it at once (a closed one is opened again); a busy one takes it at its next step. Its final answer comes back to you as a message.",
            json!({"target": target_property(), "message": message_property()}),
            &["target", "message"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "followup_task", "", followup))
    }
}

async fn followup(invocation: ToolInvocation, arguments: MessageArguments) -> Done {
    if names_root(&invocation, &arguments.target) {
        return Err(
            "followup_task gives work to a sub-agent; to tell /root something, use send_message"
                .to_string(),
        );
    }
    let target = target(&invocation, &arguments.target)?;
    let agents = invocation.session.agents().clone();
    if !target.open
        && let Some((config, rollout, parent, spawn)) = agents.reopening(&target.id)
    {
        let submitter = agents.submitter().ok_or("the runtime is shutting down")?;
        let loaded = LoadedConfig {
            config,
            warnings: Vec::new(),
        };
        submitter
            .start_thread(
                loaded,
                ThreadStart::resume(rollout).with_agent(parent, spawn),
            )
            .await
            .map_err(|error| format!("{} could not be opened again: {error}", target.path))?;
    }
    agents.expect_turn(&target.id);
    send(&invocation, &target, MailKind::NewTask, &arguments.message);
    record(
        &invocation,
        &target,
        ActivityKind::Interacted,
        Some(arguments.message),
    )
    .await;
    Ok((Value::String(String::new()), None))
}

/// `wait_agent`.
struct WaitAgent {
    settings: CollaborationConfig,
}

#[derive(Debug, Deserialize)]
struct WaitArguments {
    timeout_ms: Option<u64>,
}

impl ToolHandler for WaitAgent {
    fn spec(&self) -> ToolSpec {
        let settings = &self.settings;
        function(
            "wait_agent",
            "Wait until a message reaches you from another agent (a sub-agent's final answer, or news it sent). Returns who sent what and where they stand; the messages themselves are then in your conversation. Times out with timed_out: true.",
            json!({
                "timeout_ms": {"type": "number", "description": format!(
                    "How long to wait, {} to {} ms ({} when omitted).",
                    settings.min_wait_ms, settings.max_wait_ms, settings.default_wait_ms
                )}
            }),
            &[],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        let settings = self.settings.clone();
        Box::pin(run(invocation, "wait", "", move |invocation, arguments| {
            wait(invocation, arguments, settings)
        }))
    }
}

async fn wait(
    invocation: ToolInvocation,
    arguments: WaitArguments,
    settings: CollaborationConfig,
) -> Done {
    let session = &invocation.session;
    let agents = session.agents();
    let me = ThreadId(session.id().to_string());
    let timeout = Duration::from_millis(
        arguments
            .timeout_ms
            .unwrap_or(settings.default_wait_ms)
            .clamp(settings.min_wait_ms, settings.max_wait_ms),
    );
    let (_, mut waiting) = agents.waiting_mail(&me);
    let arrived = waiting.wait_for(|count| *count > 0);
    let _ = tokio::time::timeout(timeout, arrived).await;
    let (senders, _) = agents.waiting_mail(&me);
    let mut call = CollabCall::new("wait");
    if senders.is_empty() {
        return Ok((
            json!({"message": "Wait timed out.", "timed_out": true}),
            Some(call),
        ));
    }
    let mut seen = Vec::new();
    let mut changed = Vec::new();
    let mut states = BTreeMap::new();
    for sender in senders {
        if seen.contains(&sender) {
            continue;
        }
        seen.push(sender.clone());
        let (path, status) = match agents.view(&sender) {
            Some(agent) => (
                agent.spawn.path.clone().unwrap_or_default(),
                agent.status.clone(),
            ),
            None => (ROOT_PATH.to_string(), AgentStatus::Running),
        };
        let target = Target {
            id: sender.clone(),
            path: path.clone(),
            open: true,
        };
        call.receivers.push(agent_ref(session, &target));
        states.insert(sender.0.clone(), status.clone());
        changed.push(json!({"agent_name": path, "agent_status": status}));
    }
    call.states = states;
    let names: Vec<&str> = changed
        .iter()
        .filter_map(|agent| agent["agent_name"].as_str())
        .collect();
    let message = format!(
        "New messages from {}; they are in your conversation now.",
        names.join(", ")
    );
    Ok((
        json!({"message": message, "timed_out": false, "agents": changed}),
        Some(call),
    ))
}

/// `interrupt_agent`.
struct InterruptAgent;

#[derive(Debug, Deserialize)]
struct TargetArguments {
    target: String,
}

impl ToolHandler for InterruptAgent {
    fn spec(&self) -> ToolSpec {
        function(
            "interrupt_agent",
            "Stop what a sub-agent is doing now. It stays open and can be given a followup_task. Returns where it stood before.",
            json!({"target": target_property()}),
            &["target"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "interrupt_agent", "", interrupt))
    }
}

async fn interrupt(invocation: ToolInvocation, arguments: TargetArguments) -> Done {
    if names_root(&invocation, &arguments.target) {
        return Err("interrupt_agent stops sub-agents; /root is not one".to_string());
    }
    let target = target(&invocation, &arguments.target)?;
    let agents = invocation.session.agents().clone();
    let previous = agents
        .view(&target.id)
        .map_or(AgentStatus::NotFound, |agent| agent.status);
    if target.open
        && !previous.is_final()
        && let Some(submitter) = agents.submitter()
    {
        let _ = submitter.submit(&target.id, Op::Interrupt).await;
    }
    record(&invocation, &target, ActivityKind::Interrupted, None).await;
    Ok((json!({"previous_status": previous}), None))
}

/// `list_agents`.
struct ListAgents;

#[derive(Debug, Deserialize)]
struct ListArguments {
    path_prefix: Option<String>,
}

impl ToolHandler for ListAgents {
    fn spec(&self) -> ToolSpec {
        function(
            "list_agents",
            "List the agents of this tree with where each stands.",
            json!({"path_prefix": {"type": "string", "description": "Only the agents at or below this task path (no trailing /)."}}),
            &[],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "list_agents", "", list))
    }
}

async fn list(invocation: ToolInvocation, arguments: ListArguments) -> Done {
    let session = &invocation.session;
    let prefix = arguments
        .path_prefix
        .unwrap_or_else(|| ROOT_PATH.to_string());
    let agents: Vec<Value> = session
        .agents()
        .tree_paths(session.root_session_id())
        .into_iter()
        .filter(|(path, _)| paths::is_under(path, &prefix))
        .map(|(path, status)| json!({"agent_name": path, "agent_status": status}))
        .collect();
    Ok((json!({"agents": agents}), None))
}

/// `close_agent` (zspark's namespace).
struct CloseAgent;

impl ToolHandler for CloseAgent {
    fn spec(&self) -> ToolSpec {
        function(
            "close_agent",
            "Close a sub-agent and the agents it started, so their slots are free. A followup_task opens it again.",
            json!({"target": target_property()}),
            &["target"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "close_agent", "", close))
    }
}

async fn close(invocation: ToolInvocation, arguments: TargetArguments) -> Done {
    if names_root(&invocation, &arguments.target) {
        return Err("close_agent closes sub-agents; /root is not one".to_string());
    }
    let target = target(&invocation, &arguments.target)?;
    let previous = invocation.session.agents().close(&target.id).await;
    let mut call = CollabCall::new("close_agent");
    call.receivers.push(agent_ref(&invocation.session, &target));
    call.states
        .insert(target.id.0.clone(), AgentStatus::Shutdown);
    Ok((json!({"previous_status": previous}), Some(call)))
}

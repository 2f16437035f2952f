//! The sub-agent tools of Codex's first multi-agent version, in namespace
//! `multi_agent_v1` with Codex's names, parameters and outputs: `spawn_agent`,
//! `send_input`, `resume_agent`, `wait_agent` and `close_agent`. A failed call answers
//! the model with the reason (Codex's wording where it has one); the parent goes on.

use std::sync::Arc;
use std::time::Duration;

use codex_protocol::{
    AgentStatus, CollabAgentRef, InputItem, Op, ReasoningEffort, SandboxMode, SandboxPolicy,
    ThreadId, ToolOutput, TurnOverrides,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::control::AgentSpawn;
use super::names;
use super::record::{CollabCall, record};
use super::roles::Role;
use crate::codex::ThreadStart;
use crate::config::LoadedConfig;
use crate::tools::spec::{FunctionTool, ToolSpec};
use crate::tools::{ToolFuture, ToolHandler, ToolInvocation, TurnCancelled};

/// The namespace the tools are offered in.
pub const NAMESPACE: &str = "multi_agent_v1";
/// What the namespace is for, as the model is told.
pub const NAMESPACE_DESCRIPTION: &str = "Start sub-agents (threads of their own) for parts of a task, talk to them, wait for their results and close them. Only delegate when the user or the project's instructions ask for it.";

const WAIT_DEFAULT_MS: u64 = 30_000;
const WAIT_MIN_MS: u64 = 10_000;
const WAIT_MAX_MS: u64 = 3_600_000;

/// The handlers, in the order they are offered; `roles` are what `agent_type` may name.
pub fn handlers(roles: &[Role]) -> Vec<Arc<dyn ToolHandler>> {
    vec![
        Arc::new(SpawnAgent {
            roles: roles.to_vec(),
        }),
        Arc::new(SendInput),
        Arc::new(ResumeAgent),
        Arc::new(WaitAgent),
        Arc::new(CloseAgent),
    ]
}

/// A function tool whose parameters admit nothing else (`additionalProperties: false`).
fn function(name: &str, description: &str, properties: Value, required: &[&str]) -> ToolSpec {
    let mut tool = FunctionTool::new(name, description, properties, required);
    tool.parameters["additionalProperties"] = Value::Bool(false);
    ToolSpec::Function(tool)
}

fn input_items_schema() -> Value {
    json!({
        "type": "array",
        "description": "Structured input instead of `message`: text, images and files.",
        "items": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["text", "image", "local_image", "audio", "local_audio", "skill", "mention"]},
                "text": {"type": "string"},
                "image_url": {"type": "string"},
                "audio_url": {"type": "string"},
                "path": {"type": "string"},
                "name": {"type": "string"}
            },
            "required": ["type"],
            "additionalProperties": false
        }
    })
}

/// One element of `items`.
#[derive(Debug, Deserialize)]
struct ItemArgument {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    image_url: Option<String>,
    path: Option<String>,
    name: Option<String>,
}

impl ItemArgument {
    fn into_input(self) -> Result<InputItem, String> {
        let missing =
            |field: &str| format!("an input item of type `{}` needs `{field}`", self.kind);
        Ok(match self.kind.as_str() {
            "text" => InputItem::Text {
                text: self.text.clone().ok_or_else(|| missing("text"))?,
            },
            "image" => InputItem::Image {
                image_url: self.image_url.clone().ok_or_else(|| missing("image_url"))?,
            },
            "local_image" => InputItem::LocalImage {
                path: self.path.clone().ok_or_else(|| missing("path"))?.into(),
            },
            "mention" => InputItem::FileReference {
                path: self.path.clone().ok_or_else(|| missing("path"))?.into(),
            },
            "skill" => InputItem::Skill {
                name: self.name.clone().ok_or_else(|| missing("name"))?,
                path: self.path.clone().ok_or_else(|| missing("path"))?.into(),
            },
            other => {
                return Err(format!(
                    "input items of type `{other}` are not supported; send text, image, local_image, mention or skill"
                ));
            }
        })
    }
}

/// The input a `message` or `items` argument gives, or why there is none.
fn input_of(
    message: Option<String>,
    items: Option<Vec<ItemArgument>>,
) -> Result<Vec<InputItem>, String> {
    let mut input = Vec::new();
    if let Some(text) = message.filter(|text| !text.trim().is_empty()) {
        input.push(InputItem::Text { text });
    }
    for item in items.into_iter().flatten() {
        input.push(item.into_input()?);
    }
    if input.is_empty() {
        return Err("give the agent something to do: `message` or `items`".to_string());
    }
    Ok(input)
}

/// The child of this session the model named: by the `agent_id` spawn_agent returned
/// or (zspark's addition; models often use them) by its nickname.
fn agent_id(invocation: &ToolInvocation, text: &str) -> Result<ThreadId, String> {
    let session = &invocation.session;
    let children = session
        .agents()
        .children(&ThreadId(session.id().to_string()));
    if let Some(child) = children.iter().find(|child| child.spawn.nickname == text) {
        return Ok(child.id.clone());
    }
    if uuid::Uuid::parse_str(text).is_err() {
        return Err(format!(
            "invalid agent id {text}: use the agent_id spawn_agent returned, or the agent's nickname"
        ));
    }
    children
        .into_iter()
        .find(|child| child.id.0 == text)
        .map(|child| child.id)
        .ok_or_else(|| format!("agent with id {text} not found"))
}

/// What a call did: its output for the model and what the rollout records.
type Done = Result<(Value, CollabCall), String>;

/// Parses the arguments and runs `operation`, then records the call and answers the
/// model (a refusal prefixed with `prefix`).
async fn run<T, F, Fut>(
    invocation: ToolInvocation,
    tool: &'static str,
    prefix: &str,
    operation: F,
) -> Result<ToolOutput, TurnCancelled>
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(ToolInvocation, T) -> Fut,
    Fut: Future<Output = Done>,
{
    let done = match invocation.arguments::<T>() {
        Ok(arguments) => operation(invocation.clone(), arguments).await,
        Err(error) => Err(error.to_string()),
    };
    let (text, call) = match done {
        Ok((value, call)) => (value.to_string(), call),
        Err(message) => {
            let mut call = CollabCall::new(tool);
            call.failed = true;
            (format!("{prefix}{message}"), call)
        }
    };
    record(&invocation, &call).await;
    Ok(ToolOutput::Text(text))
}

/// The agent `id` as a receiver of a call: its id, nickname and role.
fn receiver(invocation: &ToolInvocation, id: &ThreadId) -> CollabAgentRef {
    let spawn = invocation
        .session
        .agents()
        .view(id)
        .map(|agent| agent.spawn);
    CollabAgentRef {
        thread_id: id.0.clone(),
        nickname: spawn
            .as_ref()
            .map(|spawn| spawn.nickname.clone())
            .unwrap_or_default(),
        role: spawn.and_then(|spawn| spawn.role),
    }
}

/// The text of an input, for the record.
fn prompt_of(items: &[InputItem]) -> Option<String> {
    let text: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            InputItem::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    (!text.is_empty()).then(|| text.join("\n"))
}

/// `spawn_agent`.
struct SpawnAgent {
    roles: Vec<Role>,
}

#[derive(Debug, Deserialize)]
struct SpawnArguments {
    message: Option<String>,
    items: Option<Vec<ItemArgument>>,
    model: Option<String>,
    reasoning_effort: Option<ReasoningEffort>,
    #[serde(default)]
    fork_context: bool,
    agent_type: Option<String>,
}

impl ToolHandler for SpawnAgent {
    fn spec(&self) -> ToolSpec {
        let mut properties = json!({
            "message": {"type": "string", "description": "The task, in plain text."},
            "items": input_items_schema(),
            "model": {"type": "string", "description": "A model for the agent; omit to use yours."},
            "reasoning_effort": {"type": "string", "enum": ["minimal", "low", "medium", "high", "xhigh"], "description": "Reasoning effort for the agent; omit to use yours."},
            "fork_context": {"type": "boolean", "description": "Give the agent this conversation so far, not only the task."}
        });
        // As under Codex, roles are offered when the user has defined some.
        if self.roles.iter().any(|role| role.user_defined) {
            let listed: Vec<String> = self.roles.iter().map(Role::summary).collect();
            properties["agent_type"] = json!({
                "type": "string",
                "enum": self.roles.iter().map(|role| role.name.clone()).collect::<Vec<_>>(),
                "description": format!("The role to start the agent as (default when omitted). Roles: {}.", listed.join("; ")),
            });
        }
        function(
            "spawn_agent",
            "Start a sub-agent on a task. It works on its own in the same folder, with your sandbox and approval settings, and starts with only the task unless fork_context is true. Returns its agent_id and nickname; its slot is used until its result has reached you (wait_agent) or it is closed.",
            properties,
            &[],
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
    let role = match &arguments.agent_type {
        Some(name) => Some(
            roles
                .iter()
                .find(|role| role.name == *name)
                .cloned()
                .ok_or_else(|| {
                    let known: Vec<&str> = roles.iter().map(|role| role.name.as_str()).collect();
                    format!(
                        "unknown agent_type `{name}`; use one of {}",
                        known.join(", ")
                    )
                })?,
        ),
        None => None,
    };
    let agents = session.agents().clone();
    let limits = &session.config().agents;
    let root = session.root_session_id().to_string();
    if agents.slots_in_use(&root) >= limits.max_threads {
        return Err("agent thread limit reached".to_string());
    }
    let input = input_of(arguments.message, arguments.items)?;
    let submitter = agents.submitter().ok_or("the runtime is shutting down")?;
    let (parent_model, parent_effort) = session.model_settings();
    let mut config = session.config().clone();
    let pinned = role.as_ref();
    config.model = pinned
        .and_then(|role| role.model.clone())
        .or(arguments.model)
        .or_else(|| limits.default_model.clone())
        .unwrap_or(parent_model);
    config.model_reasoning_effort = pinned
        .and_then(|role| role.effort)
        .or(arguments.reasoning_effort)
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
    let parent = ThreadId(session.id().to_string());
    let spawn = AgentSpawn {
        root_session_id: root.clone(),
        depth: session.agent().map_or(0, |agent| agent.depth) + 1,
        nickname: names::pick(
            pinned.map_or(&[][..], |role| &role.nickname_candidates),
            &agents.nicknames(&root),
        ),
        role: role.as_ref().map(|role| role.name.clone()),
    };
    let start = if arguments.fork_context {
        session.flush_rollout().await;
        ThreadStart::fork(session.rollout_path(), None)
    } else {
        ThreadStart::new()
    }
    .with_agent(parent, spawn.clone());
    let mut call = CollabCall::new("spawn_agent");
    call.prompt = prompt_of(&input);
    call.model = Some(config.model.clone());
    call.effort = config.model_reasoning_effort;
    let loaded = LoadedConfig {
        config,
        warnings: Vec::new(),
    };
    let child = submitter
        .start_thread(loaded, start)
        .await
        .map_err(|error| error.to_string())?;
    submitter
        .submit(
            &child,
            Op::UserTurn {
                items: input,
                overrides: TurnOverrides::default(),
            },
        )
        .await
        .map_err(|error| error.to_string())?;
    call.receivers.push(CollabAgentRef {
        thread_id: child.0.clone(),
        nickname: spawn.nickname.clone(),
        role: spawn.role.clone(),
    });
    call.states
        .insert(child.0.clone(), AgentStatus::PendingInit);
    Ok((
        json!({"agent_id": child.0, "nickname": spawn.nickname}),
        call,
    ))
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

/// `send_input`.
struct SendInput;

#[derive(Debug, Deserialize)]
struct SendArguments {
    target: String,
    message: Option<String>,
    items: Option<Vec<ItemArgument>>,
    #[serde(default)]
    interrupt: bool,
}

impl ToolHandler for SendInput {
    fn spec(&self) -> ToolSpec {
        function(
            "send_input",
            "Give a sub-agent more to do. The input waits until its current turn ends, unless interrupt is true, which stops that turn first.",
            json!({
                "target": {"type": "string", "description": "The agent_id (or nickname)."},
                "message": {"type": "string"},
                "items": input_items_schema(),
                "interrupt": {"type": "boolean", "description": "Stop what the agent is doing and give it this instead."}
            }),
            &["target"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "send_input", "", send))
    }
}

async fn send(invocation: ToolInvocation, arguments: SendArguments) -> Done {
    let id = agent_id(&invocation, &arguments.target)?;
    let agents = invocation.session.agents();
    if agents.view(&id).is_some_and(|agent| agent.closed) {
        return Err(format!(
            "agent {} is closed; resume it with resume_agent first",
            id.0
        ));
    }
    let items = input_of(arguments.message, arguments.items)?;
    let submitter = agents.submitter().ok_or("the runtime is shutting down")?;
    if arguments.interrupt {
        let _ = submitter.submit(&id, Op::Interrupt).await;
    }
    let mut call = CollabCall::new("send_input");
    call.prompt = prompt_of(&items);
    call.receivers.push(receiver(&invocation, &id));
    agents.expect_turn(&id);
    let submission = submitter
        .submit(
            &id,
            Op::UserTurn {
                items,
                overrides: TurnOverrides::default(),
            },
        )
        .await
        .map_err(|error| error.to_string())?;
    Ok((json!({"submission_id": submission}), call))
}

/// `resume_agent`.
struct ResumeAgent;

#[derive(Debug, Deserialize)]
struct ResumeArguments {
    id: String,
}

impl ToolHandler for ResumeAgent {
    fn spec(&self) -> ToolSpec {
        function(
            "resume_agent",
            "Open a closed sub-agent again, with its conversation, so it can take send_input and wait_agent.",
            json!({"id": {"type": "string", "description": "The agent_id (or nickname)."}}),
            &["id"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "resume_agent", "", resume))
    }
}

async fn resume(invocation: ToolInvocation, arguments: ResumeArguments) -> Done {
    let id = agent_id(&invocation, &arguments.id)?;
    let agents = invocation.session.agents().clone();
    let mut call = CollabCall::new("resume_agent");
    call.receivers.push(receiver(&invocation, &id));
    if let Some((config, path, parent, spawn)) = agents.reopening(&id) {
        let submitter = agents.submitter().ok_or("the runtime is shutting down")?;
        let loaded = LoadedConfig {
            config,
            warnings: Vec::new(),
        };
        submitter
            .start_thread(loaded, ThreadStart::resume(path).with_agent(parent, spawn))
            .await
            .map_err(|error| format!("agent {} could not be opened again: {error}", id.0))?;
    }
    let status = agents.view(&id).map(|agent| agent.status);
    if let Some(status) = &status {
        call.states.insert(id.0.clone(), status.clone());
    }
    Ok((json!({"status": status}), call))
}

/// `wait_agent`.
struct WaitAgent;

#[derive(Debug, Deserialize)]
struct WaitArguments {
    targets: Vec<String>,
    timeout_ms: Option<u64>,
}

impl ToolHandler for WaitAgent {
    fn spec(&self) -> ToolSpec {
        function(
            "wait_agent",
            "Wait until one of the given sub-agents finishes its turn, and get its result. Returns the finished agents' statuses, or timed_out: true when none finished in time.",
            json!({
                "targets": {"type": "array", "items": {"type": "string"}, "description": "agent_ids (or nicknames) to wait for; the first to finish ends the wait."},
                "timeout_ms": {"type": "number", "description": "How long to wait, 10000 to 3600000 ms (30000 when omitted)."}
            }),
            &["targets"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "wait", "", wait))
    }
}

async fn wait(invocation: ToolInvocation, arguments: WaitArguments) -> Done {
    if arguments.targets.is_empty() {
        return Err("name at least one agent_id in targets".to_string());
    }
    let ids = arguments
        .targets
        .iter()
        .map(|target| agent_id(&invocation, target))
        .collect::<Result<Vec<_>, _>>()?;
    let agents = invocation.session.agents();
    let timeout = Duration::from_millis(
        arguments
            .timeout_ms
            .unwrap_or(WAIT_DEFAULT_MS)
            .clamp(WAIT_MIN_MS, WAIT_MAX_MS),
    );
    let mut receivers = ids
        .iter()
        .filter_map(|id| agents.watch(id).map(|receiver| (id.clone(), receiver)))
        .collect::<Vec<_>>();
    let any_final = futures::future::select_all(receivers.iter_mut().map(|(_, receiver)| {
        Box::pin(async move {
            let _ = receiver.wait_for(AgentStatus::is_final).await;
        })
    }));
    let timed_out = tokio::time::timeout(timeout, any_final).await.is_err();
    let mut call = CollabCall::new("wait");
    let mut finished = std::collections::BTreeMap::new();
    for id in &ids {
        call.receivers.push(receiver(&invocation, id));
        if let Some(agent) = agents.view(id).filter(|agent| agent.status.is_final()) {
            agents.delivered(id);
            finished.insert(id.0.clone(), agent.status);
        }
    }
    call.states = finished.clone();
    let timed_out = timed_out && finished.is_empty();
    Ok((json!({"status": finished, "timed_out": timed_out}), call))
}

/// `close_agent`.
struct CloseAgent;

#[derive(Debug, Deserialize)]
struct CloseArguments {
    target: String,
}

impl ToolHandler for CloseAgent {
    fn spec(&self) -> ToolSpec {
        function(
            "close_agent",
            "Close a sub-agent and the agents it started; its slot is free again. It can be opened again with resume_agent.",
            json!({"target": {"type": "string", "description": "The agent_id (or nickname)."}}),
            &["target"],
        )
    }

    fn handle(&self, invocation: ToolInvocation) -> ToolFuture {
        Box::pin(run(invocation, "close_agent", "", close))
    }
}

async fn close(invocation: ToolInvocation, arguments: CloseArguments) -> Done {
    let id = agent_id(&invocation, &arguments.target)?;
    let previous = invocation.session.agents().close(&id).await;
    let mut call = CollabCall::new("close_agent");
    call.receivers.push(receiver(&invocation, &id));
    call.states.insert(id.0.clone(), AgentStatus::Shutdown);
    Ok((json!({"previous_status": previous}), call))
}

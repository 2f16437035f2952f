//! The sub-agent tools of Codex's first multi-agent version, in namespace
//! `multi_agent_v1` with Codex's names, parameters and outputs: `spawn_agent`,
//! `send_input`, `resume_agent`, `wait_agent` and `close_agent`. A failed call answers
//! the model with the reason (Codex's wording where it has one); the parent goes on.

use std::sync::Arc;
use std::time::Duration;

use codex_protocol::{
    AgentStatus, CollabAgentRef, InputItem, Op, ReasoningEffort, ThreadId, TurnOverrides,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::calls::{Done, function, prompt_of, receiver, run};
use super::record::CollabCall;
use super::roles::Role;
use super::spawning::{ChildRequest, start_child};
use crate::codex::ThreadStart;
use crate::config::LoadedConfig;
use crate::tools::spec::ToolSpec;
use crate::tools::{ToolFuture, ToolHandler, ToolInvocation};

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
    let input = input_of(arguments.message, arguments.items)?;
    let request = ChildRequest {
        agent_type: arguments.agent_type,
        model: arguments.model,
        effort: arguments.reasoning_effort,
        fork: arguments.fork_context,
        path: None,
    };
    let child = start_child(&invocation.session, &roles, request).await?;
    let mut call = CollabCall::new("spawn_agent");
    call.prompt = prompt_of(&input);
    call.model = Some(child.model.clone());
    call.effort = child.effort;
    child
        .submitter
        .submit(
            &child.id,
            Op::UserTurn {
                items: input,
                overrides: TurnOverrides::default(),
            },
        )
        .await
        .map_err(|error| error.to_string())?;
    call.receivers.push(CollabAgentRef {
        thread_id: child.id.0.clone(),
        nickname: child.spawn.nickname.clone(),
        role: child.spawn.role.clone(),
    });
    call.states
        .insert(child.id.0.clone(), AgentStatus::PendingInit);
    Ok((
        json!({"agent_id": child.id.0, "nickname": child.spawn.nickname}),
        Some(call),
    ))
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
    Ok((json!({"submission_id": submission}), Some(call)))
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
    Ok((json!({"status": status}), Some(call)))
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
    Ok((
        json!({"status": finished, "timed_out": timed_out}),
        Some(call),
    ))
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
    Ok((json!({"previous_status": previous}), Some(call)))
}

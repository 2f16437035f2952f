//! Sub-agent tool calls in the parent's rollout, the Codex way: after each call an
//! `event_msg` line of type `item_completed` holding a `CollabAgentToolCall` item
//! (the tool, who sent it, which agents it reached with their nicknames, the prompt,
//! model and effort of a spawn, and the agents' states), so the Codex CLI shows the
//! calls when it resumes a zspark session. Under the second version, starting an
//! agent, giving it a follow-up task, interrupting it and its finishing are
//! `SubAgentActivity` items instead ([`Activity`]). Front-ends get each as a
//! [`CollabToolCallEvent`], live and, from the recorded item ([`replayed`]), when a
//! session of either program is resumed.

use std::collections::BTreeMap;

use codex_protocol::{AgentStatus, CollabAgentRef, CollabToolCallEvent, EventMsg, ReasoningEffort};
use serde_json::{Value, json};

use crate::session::Session;
use crate::tools::ToolInvocation;

/// One finished sub-agent tool call.
#[derive(Debug, Default)]
pub struct CollabCall {
    /// Codex's name for the tool in rollouts (`spawn_agent`, `wait`, `close_agent`, ...).
    pub tool: &'static str,
    /// The agents the call reached.
    pub receivers: Vec<CollabAgentRef>,
    pub prompt: Option<String>,
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
    /// Agent id -> its status after the call.
    pub states: BTreeMap<String, AgentStatus>,
    pub failed: bool,
}

impl CollabCall {
    pub fn new(tool: &'static str) -> Self {
        Self {
            tool,
            ..Self::default()
        }
    }

    /// The `event_msg` payload of this call `call_id` by thread `sender` in turn `turn_id`.
    pub fn item_completed(&self, call_id: &str, sender: &str, turn_id: &str, at_ms: i64) -> Value {
        let item = json!({
            "type": "CollabAgentToolCall",
            "id": call_id,
            "tool": self.tool,
            "status": if self.failed { "failed" } else { "completed" },
            "sender_thread_id": sender,
            "receiver_thread_ids": self.receivers.iter().map(|agent| &agent.thread_id).collect::<Vec<_>>(),
            "receiver_agents": self.receivers.iter().map(|agent| json!({
                "thread_id": agent.thread_id,
                "agent_nickname": agent.nickname,
            })).collect::<Vec<_>>(),
            "prompt": self.prompt,
            "model": self.model,
            "reasoning_effort": self.effort,
            "agents_states": self.states,
        });
        json!({
            "type": "item_completed",
            "thread_id": sender,
            "turn_id": turn_id,
            "item": item,
            "started_at_ms": at_ms,
            "completed_at_ms": at_ms,
        })
    }

    /// The event front-ends get for this call `call_id` by thread `sender`.
    pub fn event(&self, call_id: &str, sender: &str) -> CollabToolCallEvent {
        CollabToolCallEvent {
            call_id: call_id.to_string(),
            tool: self.tool.to_string(),
            success: !self.failed,
            sender_thread_id: sender.to_string(),
            receivers: self.receivers.clone(),
            prompt: self.prompt.clone(),
            model: self.model.clone(),
            reasoning_effort: self.effort,
            agents_states: self.states.clone(),
        }
    }
}

/// What happened to an agent of the second version, as its parent records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Started,
    Interacted,
    Interrupted,
    Completed,
}

impl ActivityKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Interacted => "interacted",
            Self::Interrupted => "interrupted",
            Self::Completed => "completed",
        }
    }

    fn parse(kind: &str) -> Option<Self> {
        [
            Self::Started,
            Self::Interacted,
            Self::Interrupted,
            Self::Completed,
        ]
        .into_iter()
        .find(|known| known.as_str() == kind)
    }

    /// The tool name front-ends are given for it.
    fn tool(self) -> &'static str {
        match self {
            Self::Started => "spawn_agent",
            Self::Interacted => "followup_task",
            Self::Interrupted => "interrupt_agent",
            Self::Completed => "agent_finished",
        }
    }
}

/// A `SubAgentActivity` of one agent.
#[derive(Debug, Clone)]
pub struct Activity {
    pub kind: ActivityKind,
    pub agent: CollabAgentRef,
    pub path: String,
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
    /// The task given (front-ends only; Codex does not record it).
    pub prompt: Option<String>,
    /// Where the agent stands after it.
    pub status: AgentStatus,
}

impl Activity {
    /// The `event_msg` payload of this activity `id` in thread `sender`'s turn `turn_id`.
    pub fn item_completed(&self, id: &str, sender: &str, turn_id: &str, at_ms: i64) -> Value {
        json!({
            "type": "item_completed",
            "thread_id": sender,
            "turn_id": turn_id,
            "item": {
                "type": "SubAgentActivity",
                "id": id,
                "kind": self.kind.as_str(),
                "agent_thread_id": self.agent.thread_id,
                "agent_path": self.path,
                "model": self.model,
                "reasoning_effort": self.effort,
            },
            "started_at_ms": at_ms,
            "completed_at_ms": at_ms,
        })
    }

    /// The event front-ends get for this activity `id` in thread `sender`.
    pub fn event(&self, id: &str, sender: &str) -> CollabToolCallEvent {
        CollabToolCallEvent {
            call_id: id.to_string(),
            tool: self.kind.tool().to_string(),
            success: true,
            sender_thread_id: sender.to_string(),
            receivers: vec![self.agent.clone()],
            prompt: self.prompt.clone(),
            model: self.model.clone(),
            reasoning_effort: self.effort,
            agents_states: BTreeMap::from([(self.agent.thread_id.clone(), self.status.clone())]),
        }
    }
}

/// Records `activity` (`id`: the call's, or the child's finished turn's) in the rollout
/// of `session`, in its turn `turn_id`, and tells front-ends (as `submission_id`).
pub async fn record_activity(
    session: &Session,
    activity: &Activity,
    id: &str,
    turn_id: &str,
    submission_id: &str,
) {
    let payload = activity.item_completed(
        id,
        session.id(),
        turn_id,
        chrono::Utc::now().timestamp_millis(),
    );
    session.record_event_msg(payload).await;
    let event = EventMsg::CollabToolCall(activity.event(id, session.id()));
    session.events().send(submission_id, event).await;
}

/// Records `call` in the rollout of the invocation's session and tells front-ends.
pub async fn record(invocation: &ToolInvocation, call: &CollabCall) {
    let session = &invocation.session;
    let payload = call.item_completed(
        &invocation.call_id,
        session.id(),
        &invocation.turn.turn_id,
        chrono::Utc::now().timestamp_millis(),
    );
    session.record_event_msg(payload).await;
    let event = EventMsg::CollabToolCall(call.event(&invocation.call_id, session.id()));
    session
        .events()
        .send(&invocation.turn.submission_id, event)
        .await;
}

/// The call event of an `item_completed` payload holding a `CollabAgentToolCall`
/// (zspark's or Codex's); `None` for any other item. Roles are not recorded, so a
/// replayed receiver has none.
pub fn replayed(payload: &Value) -> Option<EventMsg> {
    let item = payload.get("item")?;
    let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
    match item.get("type").and_then(Value::as_str) {
        Some("CollabAgentToolCall") => {}
        Some("SubAgentActivity") => {
            let kind = ActivityKind::parse(&text("kind")?)?;
            let path = text("agent_path").unwrap_or_default();
            let activity = Activity {
                kind,
                agent: CollabAgentRef {
                    thread_id: text("agent_thread_id")?,
                    nickname: path.rsplit('/').next().unwrap_or_default().to_string(),
                    role: None,
                },
                path,
                model: text("model"),
                effort: item
                    .get("reasoning_effort")
                    .cloned()
                    .and_then(|effort| serde_json::from_value(effort).ok()),
                prompt: None,
                status: match kind {
                    ActivityKind::Started | ActivityKind::Interacted => AgentStatus::PendingInit,
                    ActivityKind::Interrupted => AgentStatus::Interrupted,
                    ActivityKind::Completed => AgentStatus::Completed(None),
                },
            };
            let sender = payload.get("thread_id").and_then(Value::as_str);
            return Some(EventMsg::CollabToolCall(
                activity.event(&text("id").unwrap_or_default(), sender.unwrap_or_default()),
            ));
        }
        _ => return None,
    }
    let receivers = item
        .get("receiver_agents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|agent| {
            Some(CollabAgentRef {
                thread_id: agent.get("thread_id")?.as_str()?.to_string(),
                nickname: agent
                    .get("agent_nickname")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                role: None,
            })
        })
        .collect();
    let agents_states = item
        .get("agents_states")
        .cloned()
        .and_then(|states| serde_json::from_value(states).ok())
        .unwrap_or_default();
    Some(EventMsg::CollabToolCall(CollabToolCallEvent {
        call_id: text("id").unwrap_or_default(),
        tool: text("tool").unwrap_or_default(),
        success: text("status").as_deref() != Some("failed"),
        sender_thread_id: text("sender_thread_id").unwrap_or_default(),
        receivers,
        prompt: text("prompt"),
        model: text("model"),
        reasoning_effort: item
            .get("reasoning_effort")
            .cloned()
            .and_then(|effort| serde_json::from_value(effort).ok()),
        agents_states,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spawn_is_recorded_with_its_agent_and_state() {
        let mut call = CollabCall::new("spawn_agent");
        call.receivers.push(CollabAgentRef {
            thread_id: "child-1".into(),
            nickname: "Noether".into(),
            role: None,
        });
        call.prompt = Some("say hi".into());
        call.model = Some("gpt-5.4".into());
        call.states
            .insert("child-1".into(), AgentStatus::PendingInit);
        let payload = call.item_completed("call_1", "parent-1", "turn-1", 5);
        assert_eq!(payload["type"], "item_completed");
        let item = &payload["item"];
        assert_eq!(item["type"], "CollabAgentToolCall");
        assert_eq!(item["status"], "completed");
        assert_eq!(item["receiver_thread_ids"], json!(["child-1"]));
        assert_eq!(
            item["receiver_agents"],
            json!([{"thread_id": "child-1", "agent_nickname": "Noether"}])
        );
        assert_eq!(item["agents_states"], json!({"child-1": "pending_init"}));
        assert_eq!(
            replayed(&payload),
            Some(EventMsg::CollabToolCall(call.event("call_1", "parent-1"))),
            "the recorded call reads back as the live event"
        );
        assert_eq!(replayed(&json!({"item": {"type": "McpToolCall"}})), None);

        let started = Activity {
            kind: ActivityKind::Started,
            agent: CollabAgentRef {
                thread_id: "child-2".into(),
                nickname: "worker_a".into(),
                role: None,
            },
            path: "/root/worker_a".into(),
            model: Some("gpt-5.4".into()),
            effort: None,
            prompt: None,
            status: AgentStatus::PendingInit,
        };
        let payload = started.item_completed("call_2", "parent-1", "turn-1", 5);
        assert_eq!(
            payload["item"],
            json!({"type": "SubAgentActivity", "id": "call_2", "kind": "started",
                   "agent_thread_id": "child-2", "agent_path": "/root/worker_a",
                   "model": "gpt-5.4", "reasoning_effort": null})
        );
        assert_eq!(
            replayed(&payload),
            Some(EventMsg::CollabToolCall(
                started.event("call_2", "parent-1")
            )),
            "a recorded activity reads back as its live event"
        );
        let event = call.event("call_1", "parent-1");
        assert_eq!(
            (
                event.tool.as_str(),
                event.success,
                event.receivers[0].nickname.as_str()
            ),
            ("spawn_agent", true, "Noether")
        );
    }
}

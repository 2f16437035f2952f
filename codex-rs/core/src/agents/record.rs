//! Sub-agent tool calls in the parent's rollout, the Codex way: after each call an
//! `event_msg` line of type `item_completed` holding a `CollabAgentToolCall` item
//! (the tool, who sent it, which agents it reached with their nicknames, the prompt,
//! model and effort of a spawn, and the agents' states), so the Codex CLI shows the
//! calls when it resumes a zspark session.

use codex_protocol::ReasoningEffort;
use serde_json::{Map, Value, json};

use crate::tools::ToolInvocation;

/// One finished sub-agent tool call.
#[derive(Debug, Default)]
pub struct CollabCall {
    /// Codex's name for the tool in rollouts (`spawn_agent`, `wait`, `close_agent`, ...).
    pub tool: &'static str,
    /// The agents the call reached: thread id and nickname.
    pub receivers: Vec<(String, String)>,
    pub prompt: Option<String>,
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
    /// Agent id -> its status after the call.
    pub states: Map<String, Value>,
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
            "receiver_thread_ids": self.receivers.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "receiver_agents": self.receivers.iter().map(|(id, nickname)| json!({
                "thread_id": id,
                "agent_nickname": nickname,
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
}

/// Records `call` in the rollout of the invocation's session.
pub async fn record(invocation: &ToolInvocation, call: &CollabCall) {
    let payload = call.item_completed(
        &invocation.call_id,
        invocation.session.id(),
        &invocation.turn.turn_id,
        chrono::Utc::now().timestamp_millis(),
    );
    invocation.session.record_event_msg(payload).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spawn_is_recorded_with_its_agent_and_state() {
        let mut call = CollabCall::new("spawn_agent");
        call.receivers.push(("child-1".into(), "Noether".into()));
        call.prompt = Some("say hi".into());
        call.model = Some("gpt-5.4".into());
        call.states.insert("child-1".into(), json!("pending_init"));
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
    }
}

//! Messages between the agents of a tree under Codex's second multi-agent version:
//! `agent_message` items with a four-line header (type, task, sender, `Payload:`) and
//! the payload. A new task (a spawn's or a follow-up) and a plain message carry the
//! payload as Codex's `encrypted_content` part (plain text here, as Codex writes it
//! for providers that do not encrypt); a child's final answer carries it inline (its
//! last message, or what ended its turn).

use codex_protocol::{AgentMessagePart, AgentStatus, ResponseItem};

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// Work for the recipient: it starts a turn.
    NewTask,
    /// Something to know; it waits for the recipient's next turn.
    Message,
    /// A child's answer when its turn ended, to its parent.
    FinalAnswer,
}

impl MailKind {
    fn header_name(self) -> &'static str {
        match self {
            Self::NewTask => "NEW_TASK",
            Self::Message => "MESSAGE",
            Self::FinalAnswer => "FINAL_ANSWER",
        }
    }
}

/// The message of `kind` from the agent at `sender` to the one at `recipient` about
/// task `task` (the path of the agent doing it).
pub fn agent_message(
    kind: MailKind,
    task: &str,
    sender: &str,
    recipient: &str,
    payload: &str,
) -> ResponseItem {
    let header = format!(
        "Message Type: {}\nTask name: {task}\nSender: {sender}\nPayload:\n",
        kind.header_name()
    );
    let content = match kind {
        MailKind::FinalAnswer => vec![AgentMessagePart::InputText {
            text: format!("{header}{payload}"),
        }],
        MailKind::NewTask | MailKind::Message => vec![
            AgentMessagePart::InputText { text: header },
            AgentMessagePart::EncryptedContent {
                encrypted_content: payload.to_string(),
            },
        ],
    };
    ResponseItem::AgentMessage {
        id: format!("amsg_{}", uuid::Uuid::now_v7().simple()),
        author: sender.to_string(),
        recipient: recipient.to_string(),
        content,
    }
}

/// The payload of the final answer an agent's turn that ended in `status` sends.
pub fn final_answer(status: &AgentStatus) -> String {
    match status {
        AgentStatus::Completed(Some(message)) => message.clone(),
        AgentStatus::Completed(None) => "(The task ended without an answer.)".to_string(),
        AgentStatus::Errored(reason) => format!("(The task failed: {reason})"),
        AgentStatus::Interrupted => "(The task was interrupted.)".to_string(),
        other => format!("(The task ended: {other:?})"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_task_carries_the_header_then_the_payload() {
        let item = agent_message(
            MailKind::NewTask,
            "/root/worker_a",
            "/root",
            "/root/worker_a",
            "count the files",
        );
        let value = serde_json::to_value(&item).unwrap();
        assert_eq!(value["type"], "agent_message");
        assert!(value["id"].as_str().unwrap().starts_with("amsg_"));
        assert_eq!(
            value["content"],
            json!([
                {"type": "input_text", "text": "Message Type: NEW_TASK\nTask name: /root/worker_a\nSender: /root\nPayload:\n"},
                {"type": "encrypted_content", "encrypted_content": "count the files"}
            ])
        );
        let answer = agent_message(
            MailKind::FinalAnswer,
            "/root/worker_a",
            "/root/worker_a",
            "/root",
            "12 files",
        );
        assert_eq!(
            answer.agent_message_text().unwrap(),
            "Message Type: FINAL_ANSWER\nTask name: /root/worker_a\nSender: /root/worker_a\nPayload:\n12 files"
        );
    }
}

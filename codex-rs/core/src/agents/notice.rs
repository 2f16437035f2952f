//! How a parent learns that a sub-agent finished without waiting for it: as under
//! Codex's first multi-agent version, a user-role message holding a
//! `<subagent_notification>` tag around JSON with the child's thread id (`agent_path`)
//! and its status.

use codex_protocol::{AgentStatus, ResponseItem, ThreadId};
use serde_json::json;

/// The tag the message starts with (conversation readers tell it from the user's words).
pub const NOTIFICATION_TAG: &str = "<subagent_notification>";

/// The message telling a parent that `child` reached `status`.
pub fn notification(child: &ThreadId, status: &AgentStatus) -> ResponseItem {
    let body = json!({"agent_path": child.0, "status": status});
    ResponseItem::user_text(format!(
        "{NOTIFICATION_TAG}\n{body}\n</subagent_notification>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_carries_the_child_and_its_status_as_json() {
        let item = notification(
            &ThreadId("child-1".into()),
            &AgentStatus::Completed(Some("found it".into())),
        );
        let text = item.message_text().unwrap();
        let inner = text
            .strip_prefix(NOTIFICATION_TAG)
            .and_then(|rest| rest.strip_suffix("</subagent_notification>"))
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(inner.trim()).unwrap();
        assert_eq!(
            value,
            json!({"agent_path": "child-1", "status": {"completed": "found it"}})
        );
    }
}

//! What reached a thread through its mailbox goes into its conversation: a finished
//! child's notice (first version) as a `<subagent_notification>` message; a message of
//! the second version as Codex records it, an `inter_agent_communication_metadata`
//! line then the `agent_message` item, and, for a child's final answer, a
//! `SubAgentActivity` of kind `completed`. Front-ends are told of each.

use codex_protocol::{AgentMailEvent, CollabAgentRef, EventMsg, ResponseItem, ThreadId};

use super::mailbox::{Delivery, Mail};
use super::notice::notification;
use super::record::{Activity, ActivityKind, record_activity};
use crate::session::Session;

/// Brings what waits in the mailbox of `session` into its conversation, in its turn
/// running (or its last one); events go out as `submission_id`.
pub(crate) async fn deliver(session: &Session, submission_id: &str) {
    let deliveries = session
        .agents()
        .take_deliveries(&ThreadId(session.id().to_string()));
    let turn_id = session.last_turn_id();
    for delivery in deliveries {
        match delivery {
            Delivery::Notice { child, status } => {
                session.record_items(&[notification(&child, &status)]).await;
            }
            Delivery::Mail(mail) => deliver_mail(session, mail, &turn_id, submission_id).await,
        }
    }
}

async fn deliver_mail(session: &Session, mail: Mail, turn_id: &str, submission_id: &str) {
    session.record_mail_metadata(mail.trigger_turn).await;
    session.record_items(std::slice::from_ref(&mail.item)).await;
    if let ResponseItem::AgentMessage {
        author, recipient, ..
    } = &mail.item
    {
        let text = mail.item.agent_message_text().unwrap_or_default();
        let event = AgentMailEvent::from_text(author, recipient, &text);
        session
            .events()
            .send(submission_id, EventMsg::AgentMail(event))
            .await;
    }
    let Some(finished) = mail.finished else {
        return;
    };
    let Some(child) = session.agents().view(&mail.from) else {
        return;
    };
    let activity = Activity {
        kind: ActivityKind::Completed,
        agent: CollabAgentRef {
            thread_id: child.id.0.clone(),
            nickname: child.spawn.nickname.clone(),
            role: child.spawn.role.clone(),
        },
        path: child.spawn.path.clone().unwrap_or_default(),
        model: Some(child.model.clone()),
        effort: child.effort,
        prompt: None,
        status: finished.status,
    };
    let id = format!("subagent-completed-{}", finished.turn_id);
    record_activity(session, &activity, &id, turn_id, submission_id).await;
}

//! Sub-agents in their parent's conversation: a spawn shows one card per agent
//! (nickname, role, model, where it stands, its last message) with Open <nickname>,
//! which shows the agent's own conversation, and Stop <nickname>, which interrupts its
//! turn; the other agent
//! calls (send, wait, resume, close, follow-up, interrupt) show as one line each. An
//! agent whose session is open is shown live; otherwise as the parent's calls last
//! reported it. A message between agents (a task, news, a final answer) shows as a
//! card with its sender and what it says.

use codex_protocol::{AgentMailEvent, AgentStatus, CollabAgentRef, CollabToolCallEvent};
use egui::RichText;
use zspark_core::{SessionKey, Transcript};

use super::super::commands::{Commands, SessionCommand};
use super::super::model::Model;
use super::super::session::SessionStatus;
use super::super::theme;

/// Characters of an agent's last message shown on its card.
const MESSAGE_PREVIEW: usize = 240;
/// Characters of a message between agents shown on its card.
const MAIL_PREVIEW: usize = 1200;

/// A sub-agent of the shown session whose own session is open in the window.
#[derive(Debug, Clone)]
pub struct LiveAgent {
    pub key: SessionKey,
    pub thread_id: String,
    pub status: SessionStatus,
    pub model: Option<String>,
    pub last_message: Option<String>,
}

/// The open sub-agents of session `parent`.
pub fn live_agents(model: &Model, parent: SessionKey) -> Vec<LiveAgent> {
    model
        .sessions
        .values()
        .filter(|view| view.parent == Some(parent))
        .filter_map(|view| {
            let configured = view.configured.as_ref()?;
            Some(LiveAgent {
                key: view.number,
                thread_id: configured.session_id.clone(),
                status: view.status(),
                model: view.model().map(str::to_string),
                last_message: view.transcript.last_agent_message().map(str::to_string),
            })
        })
        .collect()
}

/// Draws one sub-agent call.
pub fn call(
    ui: &mut egui::Ui,
    call: &CollabToolCallEvent,
    transcript: &Transcript,
    live: &[LiveAgent],
    out: &mut Commands,
) {
    if !call.success {
        ui.label(theme::muted(format!(
            "{} {} was refused (the agent was told why)",
            theme::icon::FAILED,
            tool_label(&call.tool)
        )));
        return;
    }
    if call.tool != "spawn_agent" {
        ui.label(theme::muted(summary_line(call)));
        return;
    }
    for agent in &call.receivers {
        let open = live.iter().find(|live| live.thread_id == agent.thread_id);
        card(ui, call, agent, open, transcript, out);
    }
}

fn card(
    ui: &mut egui::Ui,
    call: &CollabToolCallEvent,
    agent: &CollabAgentRef,
    open: Option<&LiveAgent>,
    transcript: &Transcript,
    out: &mut Commands,
) {
    theme::card(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(&agent.nickname).strong());
            ui.label(theme::muted("sub-agent"));
            if let Some(role) = &agent.role {
                ui.label(theme::muted(format!("· {role}")));
            }
            let model = open
                .and_then(|open| open.model.clone())
                .or_else(|| call.model.clone());
            if let Some(model) = model {
                ui.label(theme::muted(format!("· {model}")));
            }
        });
        let reported = transcript.agent_state(&agent.thread_id);
        let (status, colour) = match open {
            Some(open) => (open.status.label().to_string(), live_colour(open.status)),
            None => reported.map_or(("Pending".to_string(), theme::ACCENT), |state| {
                (state_label(state).to_string(), state_colour(state))
            }),
        };
        ui.colored_label(colour, status);
        let message = open
            .and_then(|open| open.last_message.clone())
            .or_else(|| reported.and_then(AgentStatus::message).map(str::to_string));
        if let Some(message) = message {
            ui.label(preview(&message));
        } else if let Some(prompt) = &call.prompt {
            ui.label(theme::muted(format!("Task: {}", preview(prompt))));
        }
        ui.horizontal(|ui| match open {
            Some(open) => {
                if ui.button(format!("Open {}", agent.nickname)).clicked() {
                    out.push(SessionCommand::Show(open.key));
                }
                let running = matches!(
                    open.status,
                    SessionStatus::Working | SessionStatus::WaitingForApproval
                );
                let stop = format!("Stop {}", agent.nickname);
                if running && theme::danger_button(ui, &stop).clicked() {
                    out.push(SessionCommand::StopAgent(open.key));
                }
            }
            None => {
                ui.label(theme::muted("Not open in this window"));
            }
        });
    });
}

/// A message from another agent of the tree.
pub fn mail(ui: &mut egui::Ui, mail: &AgentMailEvent) {
    theme::card(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(mail_title(mail)).strong());
            ui.label(theme::muted(format!("to {}", mail.recipient)));
        });
        ui.label(preview_of(&mail.payload, MAIL_PREVIEW));
    });
}

/// "Task from /root", "Final answer from /root/worker_a", and the like.
pub fn mail_title(mail: &AgentMailEvent) -> String {
    let kind = match mail.message_type.as_str() {
        "NEW_TASK" => "Task",
        "FINAL_ANSWER" => "Final answer",
        _ => "Message",
    };
    format!("{kind} from {}", mail.author)
}

/// "Waited for Hooke: completed", and the like.
fn summary_line(call: &CollabToolCallEvent) -> String {
    let names: Vec<&str> = call
        .receivers
        .iter()
        .map(|agent| agent.nickname.as_str())
        .collect();
    let names = names.join(", ");
    let one = call.receivers.len() == 1;
    let states: Vec<String> = call
        .receivers
        .iter()
        .filter_map(|agent| {
            let state = state_label(call.agents_states.get(&agent.thread_id)?);
            Some(if one {
                state.to_string()
            } else {
                format!("{} {state}", agent.nickname)
            })
        })
        .collect();
    match call.tool.as_str() {
        "send_input" => format!("Sent {names} more to do"),
        "resume_agent" => format!("Opened {names} again"),
        "close_agent" => format!("Closed {names}"),
        "wait" if call.receivers.is_empty() => {
            "Waited for the other agents: no news in time".to_string()
        }
        "wait" if states.is_empty() => format!("Waited for {names}: none finished in time"),
        "send_message" => format!("Sent {names} a message"),
        "followup_task" => format!("Gave {names} another task"),
        "interrupt_agent" => format!("Interrupted {names}"),
        "agent_finished" if states.is_empty() => format!("{names} finished"),
        "agent_finished" => format!("{names}: {}", states.join(", ")),
        "wait" => format!("Waited for {names}: {}", states.join(", ")),
        other => format!("{} {names}", tool_label(other)),
    }
}

fn tool_label(tool: &str) -> &str {
    match tool {
        "spawn_agent" => "Starting a sub-agent",
        "send_input" => "Sending to a sub-agent",
        "resume_agent" => "Opening a sub-agent again",
        "wait" => "Waiting for sub-agents",
        "close_agent" => "Closing a sub-agent",
        "send_message" => "Sending a message",
        "followup_task" => "Giving a sub-agent another task",
        "interrupt_agent" => "Interrupting a sub-agent",
        other => other,
    }
}

fn state_label(state: &AgentStatus) -> &'static str {
    match state {
        AgentStatus::PendingInit => "starting",
        AgentStatus::Running => "working",
        AgentStatus::Interrupted => "stopped",
        AgentStatus::Completed(_) => "finished",
        AgentStatus::Errored(_) => "failed",
        AgentStatus::Shutdown => "closed",
        AgentStatus::NotFound => "not found",
    }
}

fn state_colour(state: &AgentStatus) -> egui::Color32 {
    match state {
        AgentStatus::Completed(_) => theme::SUCCESS,
        AgentStatus::Errored(_) => theme::DANGER,
        AgentStatus::Interrupted | AgentStatus::Shutdown | AgentStatus::NotFound => theme::WARNING,
        AgentStatus::PendingInit | AgentStatus::Running => theme::ACCENT,
    }
}

fn live_colour(status: SessionStatus) -> egui::Color32 {
    match status {
        SessionStatus::Finished => theme::SUCCESS,
        SessionStatus::Failed => theme::DANGER,
        SessionStatus::Stopped | SessionStatus::WaitingForApproval => theme::WARNING,
        SessionStatus::Opening | SessionStatus::Ready | SessionStatus::Working => theme::ACCENT,
    }
}

fn preview(text: &str) -> String {
    preview_of(text, MESSAGE_PREVIEW)
}

/// The first `limit` characters of `text`, trimmed.
fn preview_of(text: &str, limit: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(tool: &str, states: &[(&str, AgentStatus)]) -> CollabToolCallEvent {
        CollabToolCallEvent {
            call_id: "c".into(),
            tool: tool.into(),
            success: true,
            sender_thread_id: "p".into(),
            receivers: vec![CollabAgentRef {
                thread_id: "a".into(),
                nickname: "Hooke".into(),
                role: None,
            }],
            prompt: None,
            model: None,
            reasoning_effort: None,
            agents_states: states
                .iter()
                .map(|(id, state)| (id.to_string(), state.clone()))
                .collect(),
        }
    }

    #[test]
    fn other_calls_read_as_one_line() {
        let done = AgentStatus::Completed(Some("x".into()));
        assert_eq!(
            summary_line(&call("wait", &[("a", done)])),
            "Waited for Hooke: finished"
        );
        assert_eq!(
            summary_line(&call("wait", &[])),
            "Waited for Hooke: none finished in time"
        );
        assert_eq!(summary_line(&call("close_agent", &[])), "Closed Hooke");
    }

    #[test]
    fn long_messages_are_cut_on_a_character() {
        let long = "é".repeat(MESSAGE_PREVIEW + 5);
        let shown = preview(&long);
        assert_eq!(shown.chars().count(), MESSAGE_PREVIEW + 1);
        assert!(shown.ends_with('…'));
    }
}

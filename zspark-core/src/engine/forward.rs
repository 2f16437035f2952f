//! Passing a session's events to the front-end: runs of streaming deltas are merged
//! into one event, and when a turn ends the session's folder is scanned for the files
//! the turn created or changed, reported as [`EngineEvent::Artifacts`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use codex_protocol::{Event, EventMsg};
use tokio::sync::{mpsc, oneshot};

use super::{EngineEvent, Outbox};
use crate::artifacts;

/// When the session's running turn was submitted; the engine sets it as it passes a
/// turn on, the forwarder takes it when the turn ends.
#[derive(Debug, Clone, Default)]
pub(super) struct TurnClock(Arc<Mutex<Option<SystemTime>>>);

impl TurnClock {
    /// Notes that a turn starts now, unless one is already timed.
    pub(super) fn start(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(SystemTime::now);
    }

    fn take(&self) -> Option<SystemTime> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Passes a session's events on, merging runs of streaming deltas.
pub(super) async fn forward(
    number: u64,
    mut events: mpsc::Receiver<Event>,
    outbox: Outbox,
    clock: TurnClock,
    ended: oneshot::Sender<()>,
) {
    let mut held: Option<Event> = None;
    let mut cwd: Option<PathBuf> = None;
    loop {
        let mut event = match held.take() {
            Some(event) => event,
            None => match events.recv().await {
                Some(event) => event,
                None => break,
            },
        };
        while let Ok(next) = events.try_recv() {
            if let Some(next) = merge_delta(&mut event, next) {
                held = Some(next);
                break;
            }
        }
        match &event.msg {
            EventMsg::SessionConfigured(configured) => cwd = Some(configured.cwd.clone()),
            EventMsg::TurnStarted { .. } => clock.start(),
            _ => {}
        }
        let ended_turn = match &event.msg {
            EventMsg::TurnComplete { turn_id, .. }
            | EventMsg::TurnAborted { turn_id, .. }
            | EventMsg::TurnFailed { turn_id, .. } => Some(turn_id.clone()),
            _ => None,
        };
        outbox
            .send(EngineEvent::Runtime {
                session: number,
                event,
            })
            .await;
        if let Some(turn_id) = ended_turn
            && let Some(since) = clock.take()
            && let Some(cwd) = &cwd
        {
            report_artifacts(number, turn_id, cwd.clone(), since, &outbox).await;
        }
    }
    outbox
        .send(EngineEvent::SessionEnded { session: number })
        .await;
    let _ = ended.send(());
}

/// Scans `cwd` for files changed since `since` and reports them, if any.
async fn report_artifacts(
    session: u64,
    turn_id: String,
    cwd: PathBuf,
    since: SystemTime,
    outbox: &Outbox,
) {
    let found = tokio::task::spawn_blocking(move || artifacts::changed_since(&cwd, since))
        .await
        .unwrap_or_default();
    if !found.is_empty() {
        outbox
            .send(EngineEvent::Artifacts {
                session,
                turn_id,
                artifacts: found,
            })
            .await;
    }
}

/// Appends `next` to `event` when both are deltas of the same stream; otherwise gives
/// `next` back.
fn merge_delta(event: &mut Event, next: Event) -> Option<Event> {
    if event.id != next.id {
        return Some(next);
    }
    match (&mut event.msg, next.msg) {
        (EventMsg::AgentMessageDelta { delta }, EventMsg::AgentMessageDelta { delta: more })
        | (
            EventMsg::AgentReasoningDelta { delta },
            EventMsg::AgentReasoningDelta { delta: more },
        ) => {
            delta.push_str(&more);
            None
        }
        (
            EventMsg::ExecCommandOutputDelta {
                call_id,
                stream,
                chunk,
            },
            EventMsg::ExecCommandOutputDelta {
                call_id: next_call,
                stream: next_stream,
                chunk: more,
            },
        ) if *call_id == next_call && *stream == next_stream => {
            chunk.push_str(&more);
            None
        }
        (_, msg) => Some(Event { id: next.id, msg }),
    }
}

#[cfg(test)]
mod tests {
    use codex_protocol::OutputStream;

    use super::*;

    fn event(msg: EventMsg) -> Event {
        Event {
            id: "1".into(),
            msg,
        }
    }

    #[test]
    fn deltas_of_one_stream_merge_and_others_do_not() {
        let mut first = event(EventMsg::AgentMessageDelta {
            delta: "Hel".into(),
        });
        assert!(
            merge_delta(
                &mut first,
                event(EventMsg::AgentMessageDelta { delta: "lo".into() })
            )
            .is_none()
        );
        assert_eq!(
            first.msg,
            EventMsg::AgentMessageDelta {
                delta: "Hello".into()
            }
        );

        let reasoning = event(EventMsg::AgentReasoningDelta { delta: "x".into() });
        assert_eq!(merge_delta(&mut first, reasoning.clone()), Some(reasoning));

        let output = |call: &str, chunk: &str| {
            event(EventMsg::ExecCommandOutputDelta {
                call_id: call.into(),
                stream: OutputStream::Stdout,
                chunk: chunk.into(),
            })
        };
        let mut out = output("a", "1");
        assert!(merge_delta(&mut out, output("a", "2")).is_none());
        assert_eq!(out, output("a", "12"));
        assert_eq!(
            merge_delta(&mut out, output("b", "3")),
            Some(output("b", "3"))
        );
    }
}

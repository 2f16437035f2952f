//! Passing the sessions' events to the front-end, each under the number of its
//! session: runs of streaming deltas are merged into one event, and when a turn ends
//! the session's folder is scanned for the files the turn created or changed, reported
//! as [`EngineEvent::Artifacts`]. A sub-agent started by an open session is announced
//! to the engine ([`ChildThread`]), which gives it a number of its own.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use codex_protocol::{Event, EventMsg, ThreadId};
use tokio::sync::{mpsc, watch};

use super::{EngineEvent, Outbox, SessionKey};
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

/// A thread the forwarder knows: the session number its events go out under.
struct Adopted {
    number: SessionKey,
    clock: TurnClock,
    cwd: Option<PathBuf>,
}

/// A sub-agent thread that started under an adopted session, waiting to be adopted
/// itself (its events are held until then).
#[derive(Debug, Clone)]
pub(super) struct ChildThread {
    pub thread: ThreadId,
    pub parent: SessionKey,
    pub nickname: Option<String>,
    pub cwd: PathBuf,
}

/// Hands the runtime's events to the front-end, each under its session's number.
pub(super) struct Forwarder {
    adopt: mpsc::Sender<(ThreadId, SessionKey, TurnClock)>,
    open: Arc<Mutex<HashSet<ThreadId>>>,
    open_count: watch::Receiver<usize>,
}

impl Forwarder {
    /// Starts passing on `events`; sub-agents of adopted sessions are announced on
    /// `children`.
    pub(super) fn start(
        events: mpsc::Receiver<Event>,
        outbox: Outbox,
        children: mpsc::UnboundedSender<ChildThread>,
    ) -> Self {
        let (adopt_tx, adopt_rx) = mpsc::channel(16);
        let open = Arc::new(Mutex::new(HashSet::new()));
        let (count_tx, count_rx) = watch::channel(0);
        let passing = Passing {
            outbox,
            open: open.clone(),
            open_count: count_tx,
            children,
        };
        tokio::spawn(forward(events, adopt_rx, passing));
        Self {
            adopt: adopt_tx,
            open,
            open_count: count_rx,
        }
    }

    /// From now on `thread`'s events (those that came before included) go out as
    /// session `number`'s; `clock` times its turns for the artifact scan.
    pub(super) async fn adopt(&self, thread: ThreadId, number: SessionKey, clock: TurnClock) {
        lock(&self.open).insert(thread.clone());
        let _ = self.adopt.send((thread, number, clock)).await;
    }

    /// Whether `thread` has not ended yet.
    pub(super) fn is_open(&self, thread: &ThreadId) -> bool {
        lock(&self.open).contains(thread)
    }

    /// Waits until every adopted thread has ended.
    pub(super) async fn all_closed(&self) {
        let mut count = self.open_count.clone();
        let _ = count.wait_for(|open| *open == 0).await;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where the forwarder passes events and what it tells the engine.
struct Passing {
    outbox: Outbox,
    open: Arc<Mutex<HashSet<ThreadId>>>,
    open_count: watch::Sender<usize>,
    children: mpsc::UnboundedSender<ChildThread>,
}

/// Passes events on, merging runs of streaming deltas; holds a thread's events until
/// it is adopted, and announces a sub-agent of an adopted session when it starts.
async fn forward(
    mut events: mpsc::Receiver<Event>,
    mut adoptions: mpsc::Receiver<(ThreadId, SessionKey, TurnClock)>,
    passing: Passing,
) {
    let mut adopted: HashMap<ThreadId, Adopted> = HashMap::new();
    let mut waiting: HashMap<ThreadId, Vec<Event>> = HashMap::new();
    let mut held: Option<Event> = None;
    loop {
        let mut event = match held.take() {
            Some(event) => event,
            None => tokio::select! {
                adoption = adoptions.recv() => {
                    let Some((thread, number, clock)) = adoption else { return };
                    adopted.insert(thread.clone(), Adopted { number, clock, cwd: None });
                    passing.open_count.send_replace(adopted.len());
                    for event in waiting.remove(&thread).unwrap_or_default() {
                        pass(event, &mut adopted, &passing).await;
                    }
                    continue;
                }
                event = events.recv() => match event {
                    Some(event) => event,
                    None => return,
                },
            },
        };
        while let Ok(next) = events.try_recv() {
            if let Some(next) = merge_delta(&mut event, next) {
                held = Some(next);
                break;
            }
        }
        if adopted.contains_key(&event.thread_id) {
            pass(event, &mut adopted, &passing).await;
            continue;
        }
        if let EventMsg::SessionConfigured(configured) = &event.msg
            && let Some(parent) = configured
                .parent_thread_id
                .as_ref()
                .and_then(|parent| adopted.get(parent))
        {
            let _ = passing.children.send(ChildThread {
                thread: event.thread_id.clone(),
                parent: parent.number,
                nickname: configured.agent_nickname.clone(),
                cwd: configured.cwd.clone(),
            });
        }
        waiting
            .entry(event.thread_id.clone())
            .or_default()
            .push(event);
    }
}

/// Sends one event of an adopted thread, then the artifacts of a turn that ended, or
/// the end of a session that shut down.
async fn pass(event: Event, adopted: &mut HashMap<ThreadId, Adopted>, passing: &Passing) {
    let Passing {
        outbox,
        open,
        open_count,
        ..
    } = passing;
    let Some(thread) = adopted.get_mut(&event.thread_id) else {
        return;
    };
    let number = thread.number;
    match &event.msg {
        EventMsg::SessionConfigured(configured) => thread.cwd = Some(configured.cwd.clone()),
        EventMsg::TurnStarted { .. } => thread.clock.start(),
        _ => {}
    }
    let ended_turn = match &event.msg {
        EventMsg::TurnComplete { turn_id, .. }
        | EventMsg::TurnAborted { turn_id, .. }
        | EventMsg::TurnFailed { turn_id, .. } => Some(turn_id.clone()),
        _ => None,
    };
    let since = ended_turn.as_ref().and_then(|_| thread.clock.take());
    let cwd = thread.cwd.clone();
    let shut_down = event.msg == EventMsg::ShutdownComplete;
    let thread_id = event.thread_id.clone();
    outbox
        .send(EngineEvent::Runtime {
            session: number,
            event,
        })
        .await;
    if let (Some(turn_id), Some(since), Some(cwd)) = (ended_turn, since, cwd) {
        report_artifacts(number, turn_id, cwd, since, outbox).await;
    }
    if shut_down {
        adopted.remove(&thread_id);
        lock(open).remove(&thread_id);
        open_count.send_replace(adopted.len());
        outbox
            .send(EngineEvent::SessionEnded { session: number })
            .await;
    }
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

/// Appends `next` to `event` when both are deltas of the same stream of the same
/// thread; otherwise gives `next` back.
fn merge_delta(event: &mut Event, next: Event) -> Option<Event> {
    if event.id != next.id || event.thread_id != next.thread_id {
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
        (_, msg) => Some(Event {
            id: next.id,
            thread_id: next.thread_id,
            msg,
        }),
    }
}

#[cfg(test)]
mod tests {
    use codex_protocol::OutputStream;

    use super::*;

    fn event(msg: EventMsg) -> Event {
        Event {
            id: "1".into(),
            thread_id: "t".into(),
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
        let mut other_thread = output("a", "4");
        other_thread.thread_id = "u".into();
        assert_eq!(
            merge_delta(&mut out, other_thread.clone()),
            Some(other_thread),
            "threads' streams never merge"
        );
    }
}

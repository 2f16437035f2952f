//! A thread's loop: reads its submissions, starts turns (one at a time; later ones
//! wait), and answers approvals, interrupts, rollbacks and shutdown while a turn runs.
//! A sub-agent's status follows its turns; interrupting a thread interrupts its
//! sub-agents too. What reaches an idle thread's mailbox (finished sub-agents,
//! messages from agents of its tree) goes into its conversation at once, and a task
//! among it starts a turn (a running turn takes the mailbox at its next step).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use codex_protocol::{AbortReason, EventMsg, Op, Submission, ThreadId, TurnOverrides};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Session;
use super::turn::{TurnInput, run_turn};
use crate::agents::{AgentStatus, status_after};
use crate::codex::Registration;
use crate::events::EventSender;

struct RunningTurn {
    cancel: CancellationToken,
    reason: Arc<Mutex<AbortReason>>,
    handle: JoinHandle<()>,
}

impl RunningTurn {
    fn stop(&self, reason: AbortReason) {
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner) = reason;
        self.cancel.cancel();
    }
}

struct QueuedTurn {
    submission_id: String,
    input: TurnInput,
    overrides: TurnOverrides,
}

/// Runs thread `session` until a `Shutdown` op or until its submission queue closes.
pub async fn run(
    session: Arc<Session>,
    mut submissions: mpsc::Receiver<Submission>,
    events: EventSender,
    registration: Registration,
) {
    let mut running: Option<RunningTurn> = None;
    let mut queued: VecDeque<QueuedTurn> = VecDeque::new();
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let thread = ThreadId(session.id().to_string());
    let mailbox = session.agents().open_mailbox(&thread);

    loop {
        tokio::select! {
            () = mailbox.arrived.notified(), if running.is_none() => {
                if session.agents().task_waiting(&thread) {
                    let turn = QueuedTurn { submission_id: String::new(), input: TurnInput::AgentMail, overrides: TurnOverrides::default() };
                    running = Some(start_turn(session.clone(), turn, done_tx.clone()));
                } else {
                    crate::agents::deliver(&session, "").await;
                }
            }
            Some(()) = done_rx.recv() => {
                running = None;
                // Input steered in as the turn ended starts the next one.
                for items in session.take_steered().into_iter().rev() {
                    queued.push_front(QueuedTurn { submission_id: String::new(), input: TurnInput::User(items), overrides: TurnOverrides::default() });
                }
                if let Some(next) = queued.pop_front() {
                    running = Some(start_turn(session.clone(), next, done_tx.clone()));
                }
            }
            submission = submissions.recv() => {
                let Some(Submission { id, op, .. }) = submission else {
                    shutdown(&session, running.take(), &events, registration, None).await;
                    return;
                };
                match op {
                    Op::UserTurn { items, overrides } => {
                        let turn = QueuedTurn { submission_id: id, input: TurnInput::User(items), overrides };
                        if running.is_some() {
                            queued.push_back(turn);
                        } else {
                            running = Some(start_turn(session.clone(), turn, done_tx.clone()));
                        }
                    }
                    Op::Compact => {
                        let turn = QueuedTurn { submission_id: id, input: TurnInput::Compact, overrides: TurnOverrides::default() };
                        if running.is_some() {
                            queued.push_back(turn);
                        } else {
                            running = Some(start_turn(session.clone(), turn, done_tx.clone()));
                        }
                    }
                    Op::ListSkills => {
                        let catalog = session.skills().clone();
                        events.send(&id, EventMsg::SkillsList { skills: catalog.skills, errors: catalog.errors, plugins: catalog.plugins }).await;
                    }
                    Op::Interrupt => {
                        queued.clear();
                        if let Some(turn) = &running {
                            turn.stop(AbortReason::Interrupted);
                        }
                        let agents = session.agents().clone();
                        let parent = ThreadId(session.id().to_string());
                        tokio::spawn(async move { agents.interrupt_children(&parent).await });
                    }
                    Op::ExecApproval { call_id, decision } | Op::PatchApproval { call_id, decision } => {
                        if !session.approvals().resolve(&call_id, decision) {
                            events.send(&id, EventMsg::Warning {
                                message: format!("no approval request `{call_id}` is waiting; it was already answered or its turn ended"),
                            }).await;
                        }
                    }
                    Op::Steer { items } => {
                        if running.is_some() {
                            session.steer(items);
                        } else {
                            events.send(&id, EventMsg::Error {
                                message: "no active turn to steer; start a turn instead".to_string(),
                                will_retry: None,
                            }).await;
                        }
                    }
                    Op::Rollback { from_turn } => {
                        let answer = if running.is_some() {
                            EventMsg::Error {
                                message: "cannot roll back while a turn runs; interrupt it first".to_string(),
                                will_retry: None,
                            }
                        } else {
                            match session.rollback(&from_turn).await {
                                Ok(num_turns) => EventMsg::ThreadRolledBack { from_turn, num_turns },
                                Err(error) => EventMsg::Error { message: error.to_string(), will_retry: None },
                            }
                        };
                        events.send(&id, answer).await;
                    }
                    Op::Shutdown => {
                        shutdown(&session, running.take(), &events, registration, Some(&id)).await;
                        return;
                    }
                }
            }
        }
    }
}

fn start_turn(session: Arc<Session>, turn: QueuedTurn, done: mpsc::Sender<()>) -> RunningTurn {
    let cancel = CancellationToken::new();
    let reason = Arc::new(Mutex::new(AbortReason::Interrupted));
    let handle = tokio::spawn({
        let cancel = cancel.clone();
        let reason = reason.clone();
        async move {
            let thread = ThreadId(session.id().to_string());
            session.agents().set_status(&thread, AgentStatus::Running);
            let context = session.begin_turn(&turn.submission_id, turn.overrides);
            let turn_id = context.turn_id.clone();
            let outcome = run_turn(&session, context, turn.input, cancel, || {
                *reason.lock().unwrap_or_else(PoisonError::into_inner)
            })
            .await;
            session
                .agents()
                .turn_ended(&thread, status_after(&outcome), &turn_id);
            let _ = done.send(()).await;
        }
    });
    RunningTurn {
        cancel,
        reason,
        handle,
    }
}

/// Stops the running turn, ends the session, takes the thread off the runtime's list
/// and then announces the end (so no submission reaches a thread that said it ended).
async fn shutdown(
    session: &Session,
    running: Option<RunningTurn>,
    events: &EventSender,
    registration: Registration,
    id: Option<&str>,
) {
    if let Some(turn) = running {
        turn.stop(AbortReason::Shutdown);
        let _ = turn.handle.await;
    }
    if let Err(error) = session.shutdown().await
        && let Some(id) = id
    {
        let message = error.to_string();
        events.send(id, EventMsg::Warning { message }).await;
    }
    drop(registration);
    let thread = ThreadId(session.id().to_string());
    session.agents().close_mailbox(&thread);
    session.agents().set_status(&thread, AgentStatus::Shutdown);
    if let Some(id) = id {
        events.send(id, EventMsg::ShutdownComplete).await;
    }
}

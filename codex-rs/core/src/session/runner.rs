//! The session loop: reads submissions, creates the session, starts turns (one at a
//! time; later ones wait), and answers approvals, interrupts and shutdown while a turn
//! runs.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use codex_protocol::{AbortReason, EventMsg, Op, Submission, TurnOverrides};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::turn::{TurnInput, run_turn};
use super::{Origin, Session};
use crate::config::Config;
use crate::context::{SkillRoots, discover_skills};
use crate::events::EventSender;
use crate::rollout::load_rollout;

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

/// Runs until a `Shutdown` op or until the submission queue closes.
pub async fn run(
    config: Config,
    mut submissions: mpsc::Receiver<Submission>,
    events: EventSender,
    warnings: Vec<String>,
) {
    let mut session: Option<Arc<Session>> = None;
    let mut running: Option<RunningTurn> = None;
    let mut queued: VecDeque<QueuedTurn> = VecDeque::new();
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let mut pending_warnings = Some(warnings);

    loop {
        tokio::select! {
            Some(()) = done_rx.recv() => {
                running = None;
                if let (Some(session), Some(next)) = (&session, queued.pop_front()) {
                    running = Some(start_turn(session.clone(), next, done_tx.clone()));
                }
            }
            submission = submissions.recv() => {
                let Some(Submission { id, op }) = submission else {
                    shutdown(session.as_deref(), running.take(), &events, None).await;
                    return;
                };
                match op {
                    Op::StartSession | Op::ResumeSession { .. } | Op::ForkSession { .. } => {
                        if session.is_some() {
                            events.send(&id, EventMsg::Error {
                                message: "this handle already runs a session; start another handle for another session".to_string(),
                                will_retry: None,
                            }).await;
                            continue;
                        }
                        match open_session(&config, &events, op).await {
                            Ok(created) => {
                                events.send(&id, created.configured_event()).await;
                                let sandbox_warning = created.sandbox().warning(&config.sandbox_policy);
                                for message in pending_warnings.take().unwrap_or_default().into_iter().chain(sandbox_warning) {
                                    events.send(&id, EventMsg::Warning { message }).await;
                                }
                                session = Some(created);
                            }
                            Err(message) => events.send(&id, EventMsg::Error { message, will_retry: None }).await,
                        }
                    }
                    Op::UserTurn { items, overrides } => {
                        let Some(active) = &session else {
                            events.send(&id, EventMsg::Error {
                                message: "no session yet: send StartSession (or ResumeSession) first".to_string(),
                                will_retry: None,
                            }).await;
                            continue;
                        };
                        let turn = QueuedTurn { submission_id: id, input: TurnInput::User(items), overrides };
                        if running.is_some() {
                            queued.push_back(turn);
                        } else {
                            running = Some(start_turn(active.clone(), turn, done_tx.clone()));
                        }
                    }
                    Op::Compact => {
                        let Some(active) = &session else {
                            events.send(&id, EventMsg::Error {
                                message: "no session to compact".to_string(),
                                will_retry: None,
                            }).await;
                            continue;
                        };
                        let turn = QueuedTurn { submission_id: id, input: TurnInput::Compact, overrides: TurnOverrides::default() };
                        if running.is_some() {
                            queued.push_back(turn);
                        } else {
                            running = Some(start_turn(active.clone(), turn, done_tx.clone()));
                        }
                    }
                    Op::ListSkills => {
                        let catalog = match &session {
                            Some(active) => active.skills().clone(),
                            None => {
                                let roots = SkillRoots::standard(&config.codex_home, config.home_dir().as_deref(), &config.cwd);
                                tokio::task::spawn_blocking(move || discover_skills(&roots)).await.unwrap_or_default()
                            }
                        };
                        events.send(&id, EventMsg::SkillsList { skills: catalog.skills, errors: catalog.errors, plugins: catalog.plugins }).await;
                    }
                    Op::Interrupt => {
                        queued.clear();
                        if let Some(turn) = &running {
                            turn.stop(AbortReason::Interrupted);
                        }
                    }
                    Op::ExecApproval { call_id, decision } | Op::PatchApproval { call_id, decision } => {
                        let delivered = session.as_ref().is_some_and(|s| s.approvals().resolve(&call_id, decision));
                        if !delivered {
                            events.send(&id, EventMsg::Warning {
                                message: format!("no approval request `{call_id}` is waiting; it was already answered or its turn ended"),
                            }).await;
                        }
                    }
                    Op::Rollback { num_turns } => match (&session, &running) {
                        (Some(active), None) => {
                            let history = active.rollback(num_turns).await;
                            events.send(&id, EventMsg::ThreadRolledBack { num_turns, history }).await;
                        }
                        (None, _) => events.send(&id, EventMsg::Error {
                            message: "no session to roll back".to_string(),
                            will_retry: None,
                        }).await,
                        (Some(_), Some(_)) => events.send(&id, EventMsg::Error {
                            message: "cannot roll back while a turn runs; interrupt it first".to_string(),
                            will_retry: None,
                        }).await,
                    },
                    Op::Shutdown => {
                        shutdown(session.as_deref(), running.take(), &events, Some(&id)).await;
                        return;
                    }
                }
            }
        }
    }
}

async fn open_session(
    config: &Config,
    events: &EventSender,
    op: Op,
) -> Result<Arc<Session>, String> {
    let origin = match op {
        Op::ResumeSession { rollout_path } => {
            Origin::Resumed(load_rollout(&rollout_path).map_err(|e| e.to_string())?)
        }
        Op::ForkSession {
            rollout_path,
            before_user_message,
        } => Origin::Forked {
            source: load_rollout(&rollout_path).map_err(|e| e.to_string())?,
            before_user_message,
        },
        _ => Origin::New,
    };
    Session::create(config.clone(), events.clone(), origin)
        .await
        .map_err(|error| error.to_string())
}

fn start_turn(session: Arc<Session>, turn: QueuedTurn, done: mpsc::Sender<()>) -> RunningTurn {
    let cancel = CancellationToken::new();
    let reason = Arc::new(Mutex::new(AbortReason::Interrupted));
    let handle = tokio::spawn({
        let cancel = cancel.clone();
        let reason = reason.clone();
        async move {
            let context = session.begin_turn(&turn.submission_id, turn.overrides);
            run_turn(&session, context, turn.input, cancel, || {
                *reason.lock().unwrap_or_else(PoisonError::into_inner)
            })
            .await;
            let _ = done.send(()).await;
        }
    });
    RunningTurn {
        cancel,
        reason,
        handle,
    }
}

async fn shutdown(
    session: Option<&Session>,
    running: Option<RunningTurn>,
    events: &EventSender,
    id: Option<&str>,
) {
    if let Some(turn) = running {
        turn.stop(AbortReason::Shutdown);
        let _ = turn.handle.await;
    }
    if let Some(session) = session
        && let Err(message) = session.shutdown().await
        && let Some(id) = id
    {
        events.send(id, EventMsg::Warning { message }).await;
    }
    if let Some(id) = id {
        events.send(id, EventMsg::ShutdownComplete).await;
    }
}

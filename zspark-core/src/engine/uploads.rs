//! Keeping shared sessions in step with the server from the desktop: sharing a local
//! session, making a teammate's ready to continue here, and, for every linked session
//! the window has open, sending what its rollout gained each time the front-end says
//! it changed. Each linked session has one sender task, so its appends go one at a
//! time and in order; nudges that come while it sends are folded into one more pass.
//! A server that cannot be reached is tried again after a growing wait (the rollout is
//! the queue, so nothing is lost meanwhile), and the window is told how many records
//! wait.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

use super::{EngineEvent, EngineSetup, Outbox};
use crate::shared::{SharedClient, SharedError};
use crate::sharing::{
    SharedLink, SharedSessionAddress, SharingError, Uploaded, continue_here, send_changed_files,
    share, upload,
};

/// The longest wait between two tries to reach the server again.
const RETRY_MAX: Duration = Duration::from_secs(60);

/// Where a linked session stands with the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    Sending,
    /// The server holds every record.
    UpToDate,
    /// The server cannot be reached; sending is tried again.
    Waiting(String),
    /// The server refused; the message says what to do.
    Failed(String),
}

/// A linked session's state, for the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The local session (its rollout's id).
    pub local_session_id: String,
    pub rollout_path: PathBuf,
    /// The shared session the link now follows.
    pub address: SharedSessionAddress,
    /// Records of the rollout the server does not hold yet.
    pub pending: u64,
    pub state: SyncState,
    /// Set when a turn that ran in parallel with a teammate's went to this fork.
    pub forked: bool,
}

/// What a front-end asks of shared sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionShareCommand {
    /// Share the local session recorded at `rollout_path` to `workspace_id`; files
    /// its turns produce in `folder` go with it.
    Share {
        rollout_path: PathBuf,
        workspace_id: String,
        folder: PathBuf,
    },
    /// Read the shared session into a local rollout to resume in `folder`
    /// ([`EngineEvent::ContinueReady`]).
    ContinueHere {
        address: SharedSessionAddress,
        folder: PathBuf,
    },
    /// Local session `local_session_id` changed (working in `folder`): send what is
    /// new, when it is linked.
    Changed {
        local_session_id: String,
        folder: PathBuf,
    },
}

/// The sender task of each linked session, by local session id.
#[derive(Default)]
pub(super) struct Senders(std::sync::Mutex<HashMap<String, Sender>>);

/// A sender task and the way to nudge it.
struct Sender {
    nudge: Arc<Notify>,
    task: tokio::task::AbortHandle,
}

impl Senders {
    /// Nudges the session's sender, starting one when it has none.
    fn nudge(
        &self,
        local_session_id: &str,
        folder: Option<PathBuf>,
        client: &Arc<SharedClient>,
        setup: &EngineSetup,
        outbox: &Outbox,
    ) {
        let mut senders = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        let sender = senders
            .entry(local_session_id.to_string())
            .or_insert_with(|| {
                let nudge = Arc::new(Notify::new());
                let task = tokio::spawn(keep_in_step(
                    local_session_id.to_string(),
                    folder,
                    client.clone(),
                    setup.codex_home.clone(),
                    outbox.clone(),
                    nudge.clone(),
                ));
                Sender {
                    nudge,
                    task: task.abort_handle(),
                }
            });
        sender.nudge.notify_one();
    }

    /// Stops every sender (the server or the sign-in changed); what they had not
    /// sent stays queued in the rollouts.
    pub(super) fn stop_all(&self) {
        let mut senders = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        for (_, sender) in senders.drain() {
            sender.task.abort();
        }
    }

    /// Starts senders for the links to `client`'s server that have records waiting
    /// (a window closed, or a server away, before they went).
    pub(super) fn resume_waiting(
        &self,
        client: &Arc<SharedClient>,
        setup: &EngineSetup,
        outbox: &Outbox,
    ) {
        for link in SharedLink::all(&setup.codex_home) {
            if link.server == client.url() && link.pending_lines() > 0 {
                self.nudge(&link.local_session_id, None, client, setup, outbox);
            }
        }
    }
}

/// Carries out `command` with `client`.
pub(super) fn spawn(
    command: SessionShareCommand,
    client: Arc<SharedClient>,
    senders: &Arc<Senders>,
    setup: &EngineSetup,
    outbox: &Outbox,
) {
    let (senders, setup, outbox) = (senders.clone(), setup.clone(), outbox.clone());
    match command {
        SessionShareCommand::Changed {
            local_session_id,
            folder,
        } => {
            if matches!(
                SharedLink::load(&setup.codex_home, &local_session_id),
                Ok(Some(_))
            ) {
                senders.nudge(&local_session_id, Some(folder), &client, &setup, &outbox);
            }
        }
        SessionShareCommand::Share {
            rollout_path,
            workspace_id,
            folder,
        } => {
            tokio::spawn(async move {
                match share(&client, &setup.codex_home, &rollout_path, &workspace_id).await {
                    Ok((link, uploaded)) => {
                        let forked = matches!(uploaded, Uploaded::Forked { .. });
                        outbox
                            .send(report(&link, SyncState::UpToDate, forked))
                            .await;
                        senders.nudge(
                            &link.local_session_id,
                            Some(folder),
                            &client,
                            &setup,
                            &outbox,
                        );
                    }
                    Err(problem) => {
                        let message = format!("The session was not shared: {problem}");
                        outbox.send(EngineEvent::Problem(message)).await;
                    }
                }
            });
        }
        SessionShareCommand::ContinueHere { address, folder } => {
            tokio::spawn(async move {
                let event = match continue_here(&client, &setup.codex_home, &address, &folder).await
                {
                    Ok(continuing) => {
                        senders.nudge(
                            &continuing.link.local_session_id,
                            Some(folder.clone()),
                            &client,
                            &setup,
                            &outbox,
                        );
                        EngineEvent::ContinueReady {
                            address,
                            rollout_path: continuing.link.rollout_path,
                            folder,
                            warnings: continuing.warnings,
                        }
                    }
                    Err(problem) => EngineEvent::Problem(format!(
                        "The session cannot be continued here: {problem}"
                    )),
                };
                outbox.send(event).await;
            });
        }
    }
}

fn report(link: &SharedLink, state: SyncState, forked: bool) -> EngineEvent {
    EngineEvent::SharedSync(SyncReport {
        local_session_id: link.local_session_id.clone(),
        rollout_path: link.rollout_path.clone(),
        address: link.address(),
        pending: link.pending_lines(),
        state,
        forked,
    })
}

/// One linked session's sender: each nudge sends what is new; files changed in
/// `folder` since the sender started go to the workspace's artifacts after.
async fn keep_in_step(
    local_session_id: String,
    folder: Option<PathBuf>,
    client: Arc<SharedClient>,
    codex_home: PathBuf,
    outbox: Outbox,
    nudge: Arc<Notify>,
) {
    let since = SystemTime::now();
    let mut forked = false;
    loop {
        nudge.notified().await;
        let mut wait = Duration::from_secs(1);
        loop {
            let Ok(Some(mut link)) = SharedLink::load(&codex_home, &local_session_id) else {
                return;
            };
            outbox.send(report(&link, SyncState::Sending, forked)).await;
            match send_once(&client, &codex_home, &mut link, folder.as_deref(), since).await {
                Ok(uploaded) => {
                    forked |= matches!(uploaded, Uploaded::Forked { .. });
                    // Lines written while this pass sent go in another.
                    if link.pending_lines() > 0 {
                        continue;
                    }
                    outbox
                        .send(report(&link, SyncState::UpToDate, forked))
                        .await;
                    break;
                }
                Err(SharingError::Server(problem @ SharedError::Unreachable { .. })) => {
                    let state = SyncState::Waiting(format!(
                        "{problem} Nothing is lost: it is sent when the server is back."
                    ));
                    outbox.send(report(&link, state, forked)).await;
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = nudge.notified() => {}
                    }
                    wait = (wait * 2).min(RETRY_MAX);
                }
                Err(problem) => {
                    let state = SyncState::Failed(problem.to_string());
                    outbox.send(report(&link, state, forked)).await;
                    break;
                }
            }
        }
    }
}

async fn send_once(
    client: &SharedClient,
    codex_home: &Path,
    link: &mut SharedLink,
    folder: Option<&Path>,
    since: SystemTime,
) -> Result<Uploaded, SharingError> {
    let uploaded = upload(client, codex_home, link).await?;
    if let Some(folder) = folder {
        send_changed_files(client, codex_home, link, folder, since).await?;
    }
    Ok(uploaded)
}

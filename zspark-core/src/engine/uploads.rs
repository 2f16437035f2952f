//! Keeping shared sessions in step with the server from the desktop: sharing a local
//! session, making a teammate's ready to continue here, and, for every linked session
//! the window has open, sending what its rollout gained each time the front-end says
//! it changed. Each linked session has one sender task, so its appends go one at a
//! time and in order; nudges that come while it sends are folded into one more pass.
//! A server that cannot be reached is tried again after a growing wait (the rollout is
//! the queue, so nothing is lost meanwhile), and the window is told how many records
//! wait and where each of the session's files stands. Removing a file from the
//! workspace goes through the same task, so one task at a time writes a link. When a
//! turn ends, the room's lease is given back only once a pass that began after the
//! turn ended has sent everything: a teammate who takes over then reads the whole
//! turn from the server.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

use super::room::{RoomChange, Rooms};
use super::{EngineEvent, EngineSetup, Outbox};
use crate::shared::{SharedClient, SharedError};
use crate::sharing::{
    SentFile, SharedLink, SharedSessionAddress, SharingError, Uploaded, continue_here,
    remove_sent_file, send_changed_files, share, upload,
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
    /// The files the session's turns produced that the link dealt with, and what
    /// became of each.
    pub files: Vec<SentFile>,
    /// The file being sent now.
    pub sending_file: Option<PathBuf>,
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
    /// new, when it is linked. After a turn ended (`turn_ended`), the room's lease is
    /// given back once all of it is sent.
    Changed {
        local_session_id: String,
        folder: PathBuf,
        turn_ended: bool,
    },
    /// Remove the file at `path`, which linked session `local_session_id` sent, from
    /// the workspace's artifacts; it is not sent again until it changes.
    RemoveFile {
        local_session_id: String,
        path: PathBuf,
    },
}

/// The sender task of each linked session, by local session id, and the rooms whose
/// leases they give back.
pub(super) struct Senders {
    running: Mutex<HashMap<String, Sender>>,
    rooms: Arc<Rooms>,
}

/// A sender task and the way to nudge it.
struct Sender {
    inbox: Arc<Inbox>,
    task: tokio::task::AbortHandle,
}

/// What a sender task is told between passes.
#[derive(Default)]
struct Inbox {
    nudge: Notify,
    /// The folder the session works in, once a front-end said (files are sent from
    /// it).
    folder: Mutex<Option<PathBuf>>,
    /// Files to remove from the workspace.
    removals: Mutex<Vec<PathBuf>>,
    /// A turn ended: give the lease back once what it recorded is sent.
    release_lease: AtomicBool,
}

impl Senders {
    pub(super) fn new(rooms: Arc<Rooms>) -> Self {
        Self {
            running: Mutex::default(),
            rooms,
        }
    }

    /// Nudges the session's sender, starting one when it has none; `folder` is where
    /// the session works, when known.
    fn nudge(
        &self,
        local_session_id: &str,
        folder: Option<PathBuf>,
        client: &Arc<SharedClient>,
        setup: &EngineSetup,
        outbox: &Outbox,
    ) {
        let inbox = self.inbox(local_session_id, client, setup, outbox);
        if let Some(folder) = folder {
            *lock(&inbox.folder) = Some(folder);
        }
        inbox.nudge.notify_one();
    }

    /// Nudges the session's sender after a turn ended: the lease goes back once the
    /// turn is on the server.
    fn turn_ended(
        &self,
        local_session_id: &str,
        folder: PathBuf,
        client: &Arc<SharedClient>,
        setup: &EngineSetup,
        outbox: &Outbox,
    ) {
        let inbox = self.inbox(local_session_id, client, setup, outbox);
        inbox.release_lease.store(true, Ordering::SeqCst);
        self.nudge(local_session_id, Some(folder), client, setup, outbox);
    }

    /// Asks the session's sender to remove the file at `path` from the workspace.
    fn remove_file(
        &self,
        local_session_id: &str,
        path: PathBuf,
        client: &Arc<SharedClient>,
        setup: &EngineSetup,
        outbox: &Outbox,
    ) {
        let inbox = self.inbox(local_session_id, client, setup, outbox);
        lock(&inbox.removals).push(path);
        inbox.nudge.notify_one();
    }

    /// The inbox of the session's sender, starting one when it has none (or its task
    /// ended: the session was not linked when it looked).
    fn inbox(
        &self,
        local_session_id: &str,
        client: &Arc<SharedClient>,
        setup: &EngineSetup,
        outbox: &Outbox,
    ) -> Arc<Inbox> {
        let mut senders = lock(&self.running);
        senders.retain(|_, sender| !sender.task.is_finished());
        let sender = senders
            .entry(local_session_id.to_string())
            .or_insert_with(|| {
                let inbox = Arc::new(Inbox::default());
                let task = tokio::spawn(keep_in_step(
                    local_session_id.to_string(),
                    client.clone(),
                    setup.codex_home.clone(),
                    (outbox.clone(), self.rooms.clone()),
                    inbox.clone(),
                ));
                Sender {
                    inbox,
                    task: task.abort_handle(),
                }
            });
        sender.inbox.clone()
    }

    /// Stops every sender (the server or the sign-in changed); what they had not
    /// sent stays queued in the rollouts.
    pub(super) fn stop_all(&self) {
        let mut senders = lock(&self.running);
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
            turn_ended,
        } => {
            if matches!(
                SharedLink::load(&setup.codex_home, &local_session_id),
                Ok(Some(_))
            ) {
                if turn_ended {
                    senders.turn_ended(&local_session_id, folder, &client, &setup, &outbox);
                } else {
                    senders.nudge(&local_session_id, Some(folder), &client, &setup, &outbox);
                }
            }
        }
        SessionShareCommand::RemoveFile {
            local_session_id,
            path,
        } => senders.remove_file(&local_session_id, path, &client, &setup, &outbox),
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
    EngineEvent::SharedSync(sync_report(link, state, forked))
}

fn sync_report(link: &SharedLink, state: SyncState, forked: bool) -> SyncReport {
    SyncReport {
        local_session_id: link.local_session_id.clone(),
        rollout_path: link.rollout_path.clone(),
        address: link.address(),
        pending: link.pending_lines(),
        state,
        forked,
        files: link.files.clone(),
        sending_file: None,
    }
}

/// One linked session's sender: each nudge carries out the removals asked for and
/// sends what is new; files changed in the session's folder since the sender started
/// go to the workspace's artifacts after. A lease asked to be given back is, after
/// the first pass that began after the asking and sent everything (or failed for
/// good: nothing more would come).
async fn keep_in_step(
    local_session_id: String,
    client: Arc<SharedClient>,
    codex_home: PathBuf,
    (outbox, rooms): (Outbox, Arc<Rooms>),
    inbox: Arc<Inbox>,
) {
    let since = SystemTime::now();
    let mut forked = false;
    let mut releasing = false;
    loop {
        inbox.nudge.notified().await;
        let mut wait = Duration::from_secs(1);
        loop {
            let Ok(Some(mut link)) = SharedLink::load(&codex_home, &local_session_id) else {
                return;
            };
            releasing |= inbox.release_lease.swap(false, Ordering::SeqCst);
            outbox.send(report(&link, SyncState::Sending, forked)).await;
            let folder = lock(&inbox.folder).clone();
            let passed = async {
                remove_asked(&client, &codex_home, &mut link, &inbox, &outbox).await?;
                send_once(
                    &client,
                    &codex_home,
                    &mut link,
                    folder.as_deref(),
                    since,
                    forked,
                    &outbox,
                )
                .await
            };
            match passed.await {
                Ok(uploaded) => {
                    forked |= matches!(uploaded, Uploaded::Forked { .. });
                    // Lines written (or removals asked for) while this pass sent go in
                    // another.
                    if link.pending_lines() > 0 || !lock(&inbox.removals).is_empty() {
                        continue;
                    }
                    outbox
                        .send(report(&link, SyncState::UpToDate, forked))
                        .await;
                    if std::mem::take(&mut releasing) {
                        rooms.change(&link.address(), RoomChange::Release);
                    }
                    break;
                }
                Err(SharingError::Server(problem @ SharedError::Unreachable { .. })) => {
                    let state = SyncState::Waiting(format!(
                        "{problem} Nothing is lost: it is sent when the server is back."
                    ));
                    outbox.send(report(&link, state, forked)).await;
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = inbox.nudge.notified() => {}
                    }
                    wait = (wait * 2).min(RETRY_MAX);
                }
                Err(problem) => {
                    let state = SyncState::Failed(problem.to_string());
                    outbox.send(report(&link, state, forked)).await;
                    if std::mem::take(&mut releasing) {
                        rooms.change(&link.address(), RoomChange::Release);
                    }
                    break;
                }
            }
        }
    }
}

/// Removes the files the inbox asks to from the workspace. One the server cannot be
/// reached for stays asked; one it refuses is reported and dropped.
async fn remove_asked(
    client: &SharedClient,
    codex_home: &Path,
    link: &mut SharedLink,
    inbox: &Inbox,
    outbox: &Outbox,
) -> Result<(), SharingError> {
    let asked = std::mem::take(&mut *lock(&inbox.removals));
    for (done, path) in asked.iter().enumerate() {
        match remove_sent_file(client, codex_home, link, path).await {
            Ok(()) => {}
            Err(problem @ SharingError::Server(SharedError::Unreachable { .. })) => {
                lock(&inbox.removals).splice(0..0, asked[done..].iter().cloned());
                return Err(problem);
            }
            Err(problem) => {
                let message = format!(
                    "{} was not removed from the workspace: {problem}",
                    path.display()
                );
                outbox.send(EngineEvent::Problem(message)).await;
            }
        }
    }
    Ok(())
}

/// Appends what the rollout gained, then sends the files changed in `folder`, telling
/// the window of each file as it goes.
async fn send_once(
    client: &SharedClient,
    codex_home: &Path,
    link: &mut SharedLink,
    folder: Option<&Path>,
    since: SystemTime,
    forked: bool,
    outbox: &Outbox,
) -> Result<Uploaded, SharingError> {
    let uploaded = upload(client, codex_home, link).await?;
    if let Some(folder) = folder {
        let forked = forked || matches!(uploaded, Uploaded::Forked { .. });
        let mut progress = |link: &SharedLink, sending: Option<&Path>| {
            let sync = SyncReport {
                sending_file: sending.map(Path::to_path_buf),
                ..sync_report(link, SyncState::Sending, forked)
            };
            outbox.send_now(EngineEvent::SharedSync(sync));
        };
        send_changed_files(client, codex_home, link, folder, since, &mut progress).await?;
    }
    Ok(uploaded)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

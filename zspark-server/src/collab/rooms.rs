//! This instance's open documents: one task per document that has connections here,
//! owning its [`Room`] and driving it with the connections' frames, the hub's messages
//! and a clock. The task loads the document when the first connection joins (lazily),
//! stores what this instance's clients wrote as coalesced updates (a flush
//! [`FLUSH_QUIET`] after the last edit, at most [`FLUSH_AT_MOST`] after the first),
//! compacts when the rows pile up, and flushes and leaves memory when the last
//! connection goes. At shutdown every document is flushed and its connections are
//! closed with [`Cutoff::Restarting`], so the clients reconnect to another instance.
//!
//! A connection gets its frames through a queue bounded to [`MAX_QUEUED_BYTES`]; one
//! that does not keep up is cut off ([`Cutoff::TooSlow`]) instead of being buffered
//! without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

use super::room::{ConnectionId, Cutoff, Limits, Output, Room};
use super::store;
use crate::db::Db;
use crate::hub::{Hub, HubEvent, Subscription};

/// Commands waiting for a document's task at most; senders wait beyond that.
const COMMAND_CAPACITY: usize = 1024;
/// Bytes waiting for one connection at most before it is cut off.
const MAX_QUEUED_BYTES: usize = 8 * 1024 * 1024;
/// Frames waiting for one connection at most (however small) before it is cut off.
const OUTBOUND_CAPACITY: usize = 4096;
/// A flush waits this long after the last edit…
const FLUSH_QUIET: Duration = Duration::from_secs(2);
/// …but no longer than this after the first unsaved one.
const FLUSH_AT_MOST: Duration = Duration::from_secs(10);
/// How often a document's task looks at presence expiry and pending flushes.
const TICK: Duration = Duration::from_millis(500);

/// Why a connection could not join.
#[derive(Debug, thiserror::Error)]
#[error("the document is busy; try again in a moment")]
pub struct RoomBusy;

/// A connection's end of its document.
pub struct Joined {
    connection: ConnectionId,
    commands: mpsc::Sender<Command>,
    /// Frames for the client; closed when the connection is cut off (see `cutoff`).
    outbound: mpsc::Receiver<Bytes>,
    queued: Arc<AtomicUsize>,
    cutoff: Arc<OnceLock<Cutoff>>,
}

impl Joined {
    /// A frame for the client that is already waiting, if any.
    pub fn try_next_frame(&mut self) -> Option<Bytes> {
        let frame = self.outbound.try_recv().ok()?;
        self.queued.fetch_sub(frame.len(), Ordering::Relaxed);
        Some(frame)
    }

    /// The next frame for the client; `None` once the connection is cut off.
    pub async fn next_frame(&mut self) -> Option<Bytes> {
        let frame = self.outbound.recv().await?;
        self.queued.fetch_sub(frame.len(), Ordering::Relaxed);
        Some(frame)
    }

    /// Hands a frame from the client to the document (waiting when it is busy).
    pub async fn send(&self, frame: Bytes) -> bool {
        self.commands
            .send(Command::Frame {
                connection: self.connection,
                frame,
            })
            .await
            .is_ok()
    }

    pub async fn set_can_write(&self, can_write: bool) {
        let _ = self
            .commands
            .send(Command::SetCanWrite {
                connection: self.connection,
                can_write,
            })
            .await;
    }

    /// Why the document cut this connection off, once `outbound` has closed.
    pub fn cutoff(&self) -> Option<Cutoff> {
        self.cutoff.get().cloned()
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        let leave = Command::Leave {
            connection: self.connection,
        };
        if let Err(mpsc::error::TrySendError::Full(leave)) = self.commands.try_send(leave) {
            let commands = self.commands.clone();
            tokio::spawn(async move { commands.send(leave).await });
        }
    }
}

enum Command {
    Join {
        connection: ConnectionId,
        can_write: bool,
        link: Link,
    },
    Frame {
        connection: ConnectionId,
        frame: Bytes,
    },
    SetCanWrite {
        connection: ConnectionId,
        can_write: bool,
    },
    Leave {
        connection: ConnectionId,
    },
    /// Flush, disconnect everyone, and stop.
    Close(oneshot::Sender<()>),
}

/// The document task's end of a connection.
struct Link {
    outbound: mpsc::Sender<Bytes>,
    queued: Arc<AtomicUsize>,
    cutoff: Arc<OnceLock<Cutoff>>,
}

impl Link {
    /// Queues `frame`; `false` when the connection has too much waiting. A frame
    /// bigger than the limit (a large document's step 2) goes when nothing waits.
    fn offer(&self, frame: Bytes) -> bool {
        let size = frame.len();
        let queued = self.queued.load(Ordering::Relaxed);
        if queued > 0 && queued.saturating_add(size) > MAX_QUEUED_BYTES {
            return false;
        }
        self.queued.fetch_add(size, Ordering::Relaxed);
        if self.outbound.try_send(frame).is_err() {
            self.queued.fetch_sub(size, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// The open documents of this instance.
pub struct DocRooms {
    rooms: Mutex<HashMap<String, mpsc::Sender<Command>>>,
    /// Every document task, also those storing their document on their way out.
    tasks: TaskTracker,
    next_connection: AtomicU64,
    limits: Limits,
}

impl DocRooms {
    pub fn new(limits: Limits) -> Self {
        Self {
            rooms: Mutex::default(),
            tasks: TaskTracker::new(),
            next_connection: AtomicU64::new(1),
            limits,
        }
    }

    /// Joins the document of `session_id`, opening it if this instance has not.
    pub fn join(
        self: &Arc<Self>,
        db: &Db,
        hub: &Hub,
        session_id: &str,
        can_write: bool,
    ) -> Result<Joined, RoomBusy> {
        let connection = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (outbound_sender, outbound) = mpsc::channel(OUTBOUND_CAPACITY);
        let cutoff = Arc::new(OnceLock::new());
        let queued = Arc::new(AtomicUsize::new(0));
        let join = Command::Join {
            connection,
            can_write,
            link: Link {
                outbound: outbound_sender,
                queued: queued.clone(),
                cutoff: cutoff.clone(),
            },
        };
        // The map stays locked while the join is queued, so a task that finds its
        // queue empty under the same lock can close the document safely.
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        let commands = match rooms.get(session_id) {
            Some(commands) if !commands.is_closed() => commands.clone(),
            _ => {
                let (commands, receiver) = mpsc::channel(COMMAND_CAPACITY);
                let task = DocumentTask {
                    rooms: self.clone(),
                    db: db.clone(),
                    session_id: session_id.to_string(),
                    links: HashMap::new(),
                    pending: Vec::new(),
                    first_pending: None,
                    last_pending: None,
                    closing: None,
                };
                // Subscribed now, so nothing published while the document loads is missed.
                let subscription = hub.subscribe(&room_of(session_id));
                self.tasks
                    .spawn(task.run(receiver, subscription, self.limits));
                rooms.insert(session_id.to_string(), commands.clone());
                commands
            }
        };
        commands.try_send(join).map_err(|_| RoomBusy)?;
        Ok(Joined {
            connection,
            commands,
            outbound,
            queued,
            cutoff,
        })
    }

    /// Stores every open document's unsaved updates and closes its connections (at
    /// shutdown).
    pub async fn close_all(&self) {
        let tasks: Vec<mpsc::Sender<Command>> = self
            .rooms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for commands in tasks {
            let (done, closed) = oneshot::channel();
            if commands.send(Command::Close(done)).await.is_ok() {
                let _ = closed.await;
            }
        }
        // Documents whose last client had just left are still being stored.
        self.tasks.close();
        self.tasks.wait().await;
    }
}

fn room_of(session_id: &str) -> String {
    format!("doc/{session_id}")
}

struct DocumentTask {
    rooms: Arc<DocRooms>,
    db: Db,
    session_id: String,
    links: HashMap<ConnectionId, Link>,
    /// What this instance's clients wrote since the last flush.
    pending: Vec<Vec<u8>>,
    first_pending: Option<Instant>,
    last_pending: Option<Instant>,
    /// Told once the document closed at shutdown.
    closing: Option<oneshot::Sender<()>>,
}

impl DocumentTask {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut subscription: Subscription,
        limits: Limits,
    ) {
        let Some(mut room) = self.load(limits).await else {
            self.refuse_everyone(&mut commands);
            return;
        };
        subscription.publish(room.hello()).await;
        let mut ticks = tokio::time::interval(TICK);
        loop {
            let outputs = tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.handle(&mut room, command).await,
                    None => Vec::new(),
                },
                event = subscription.recv() => match event {
                    HubEvent::Message(frame) => room.receive_from_hub(&frame, Instant::now()),
                    HubEvent::Resync => vec![Output::Hub(room.hello())],
                },
                _ = ticks.tick() => {
                    self.flush_if_due().await;
                    room.expire_presence(Instant::now())
                }
            };
            self.carry_out(&mut room, outputs, &subscription).await;
            if let Some(closing) = self.closing.take() {
                self.forget();
                let _ = closing.send(());
                return;
            }
            if room.connection_count() == 0 && self.close_if_unused(&mut commands) {
                self.store_everything(&room).await;
                return;
            }
        }
    }

    /// Loads the stored document; `None` when the database does not answer.
    async fn load(&self, limits: Limits) -> Option<Room> {
        match store::load(&self.db, &self.session_id).await {
            Ok(updates) => {
                let (room, unreadable) = Room::load(updates.iter().map(Vec::as_slice), limits);
                if unreadable > 0 {
                    tracing::warn!(
                        session = self.session_id,
                        unreadable,
                        "stored document updates that cannot be read were skipped"
                    );
                }
                Some(room)
            }
            Err(error) => {
                tracing::warn!(%error, session = self.session_id, "cannot load a shared session's document");
                None
            }
        }
    }

    /// The document could not load: every connection waiting for it is told so, and
    /// the document is forgotten so the next join tries again.
    fn refuse_everyone(&self, commands: &mut mpsc::Receiver<Command>) {
        self.forget();
        commands.close();
        while let Ok(command) = commands.try_recv() {
            match command {
                Command::Join { link, .. } => {
                    let _ = link.cutoff.set(Cutoff::Unavailable);
                }
                Command::Close(done) => {
                    let _ = done.send(());
                }
                _ => {}
            }
        }
    }

    async fn handle(&mut self, room: &mut Room, command: Command) -> Vec<Output> {
        match command {
            Command::Join {
                connection,
                can_write,
                link,
            } => {
                self.links.insert(connection, link);
                room.join(connection, can_write)
            }
            Command::Frame { connection, frame } => {
                room.receive(connection, &frame, Instant::now())
            }
            Command::SetCanWrite {
                connection,
                can_write,
            } => {
                room.set_can_write(connection, can_write);
                Vec::new()
            }
            Command::Leave { connection } => {
                self.links.remove(&connection);
                room.leave(connection)
            }
            Command::Close(done) => {
                self.store_everything(room).await;
                let everyone: Vec<ConnectionId> = self.links.keys().copied().collect();
                let mut out = Vec::new();
                for connection in everyone {
                    out.extend(self.cut_off(room, connection, Cutoff::Restarting));
                }
                self.closing = Some(done);
                out
            }
        }
    }

    async fn carry_out(&mut self, room: &mut Room, outputs: Vec<Output>, hub: &Subscription) {
        let mut queue = std::collections::VecDeque::from(outputs);
        while let Some(output) = queue.pop_front() {
            match output {
                Output::To(connection, frame) => {
                    if let Some(link) = self.links.get(&connection)
                        && !link.offer(frame)
                    {
                        queue.extend(self.cut_off(room, connection, Cutoff::TooSlow));
                    }
                }
                Output::ToAll { except, frame } => {
                    let slow: Vec<ConnectionId> = self
                        .links
                        .iter()
                        .filter(|(connection, _)| Some(**connection) != except)
                        .filter(|(_, link)| !link.offer(frame.clone()))
                        .map(|(connection, _)| *connection)
                        .collect();
                    for connection in slow {
                        queue.extend(self.cut_off(room, connection, Cutoff::TooSlow));
                    }
                }
                Output::Hub(frame) => hub.publish(frame).await,
                Output::Store(update) => {
                    let now = Instant::now();
                    self.first_pending.get_or_insert(now);
                    self.last_pending = Some(now);
                    self.pending.push(update);
                }
                Output::Close(connection, cutoff) => {
                    queue.extend(self.cut_off(room, connection, cutoff));
                }
            }
        }
    }

    /// Ends a connection: its queue closes after what is in it, and it learns why.
    fn cut_off(
        &mut self,
        room: &mut Room,
        connection: ConnectionId,
        cutoff: Cutoff,
    ) -> Vec<Output> {
        match self.links.remove(&connection) {
            Some(link) => {
                let _ = link.cutoff.set(cutoff);
                room.leave(connection)
            }
            None => Vec::new(),
        }
    }

    async fn flush_if_due(&mut self) {
        let (Some(first), Some(last)) = (self.first_pending, self.last_pending) else {
            return;
        };
        if last.elapsed() >= FLUSH_QUIET || first.elapsed() >= FLUSH_AT_MOST {
            self.flush().await;
        }
    }

    /// Before the document leaves memory: stores this instance's unsaved updates, then
    /// whatever else it holds that the database lacks. An update relayed from another
    /// instance is stored by that instance, unless it died before its flush; then the
    /// last instance holding the document stores it here.
    async fn store_everything(&mut self, room: &Room) {
        self.flush().await;
        match store::stored_state_vector(&self.db, &self.session_id).await {
            Ok(stored) => {
                if let Some(missing) = room.missing_from(&stored)
                    && let Err(error) = store::append(&self.db, &self.session_id, &missing).await
                {
                    tracing::warn!(%error, session = self.session_id, "cannot store what the document holds beyond the database");
                }
            }
            Err(error) => {
                tracing::warn!(%error, session = self.session_id, "cannot compare the document with the database");
            }
        }
    }

    /// Stores the unsaved updates as one; on failure they stay for the next try.
    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let merged = match yrs::merge_updates_v1(&self.pending) {
            Ok(merged) => merged,
            Err(error) => {
                // Every one of them was applied, so they are readable; never expected.
                tracing::error!(%error, session = self.session_id, "cannot merge document updates");
                return;
            }
        };
        match store::append(&self.db, &self.session_id, &merged).await {
            Ok(rows) => {
                self.pending.clear();
                self.first_pending = None;
                self.last_pending = None;
                if rows >= store::COMPACT_AT
                    && let Err(error) = store::compact(&self.db, &self.session_id).await
                {
                    tracing::warn!(%error, session = self.session_id, "cannot compact a document");
                }
            }
            Err(error) => {
                tracing::warn!(%error, session = self.session_id, "cannot store document updates; trying again");
            }
        }
    }

    /// Forgets the document when no join is waiting; `false` when one is.
    fn close_if_unused(&self, commands: &mut mpsc::Receiver<Command>) -> bool {
        let mut rooms = self
            .rooms
            .rooms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !commands.is_empty() {
            return false;
        }
        rooms.remove(&self.session_id);
        commands.close();
        true
    }

    fn forget(&self) {
        self.rooms
            .rooms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> (Link, mpsc::Receiver<Bytes>) {
        let (outbound, receiver) = mpsc::channel(OUTBOUND_CAPACITY);
        let link = Link {
            outbound,
            queued: Arc::default(),
            cutoff: Arc::default(),
        };
        (link, receiver)
    }

    #[test]
    fn a_connection_queues_up_to_its_byte_limit() {
        let (link, mut receiver) = link();
        let quarter = Bytes::from(vec![0; MAX_QUEUED_BYTES / 4]);
        for _ in 0..4 {
            assert!(link.offer(quarter.clone()));
        }
        assert!(
            !link.offer(Bytes::from_static(b"one more")),
            "the client does not read: cut off"
        );
        // As the connection takes frames, room frees up.
        let taken = receiver.try_recv().unwrap();
        link.queued.fetch_sub(taken.len(), Ordering::Relaxed);
        assert!(link.offer(Bytes::from_static(b"one more")));
    }

    #[test]
    fn a_frame_larger_than_the_limit_goes_when_nothing_waits() {
        let (link, _receiver) = link();
        assert!(
            link.offer(Bytes::from(vec![0; MAX_QUEUED_BYTES * 2])),
            "a big document's step 2"
        );
        assert!(!link.offer(Bytes::from_static(b"next")));
    }
}

//! The workspace activity feed on the hub: a change that records activity announces
//! itself after its transaction commits ([`announce`]), on the hub room
//! `activity/<workspace id>`. Each instance keeps one feed room per workspace that has
//! live sockets here; on an announcement it reads the new entries from the database
//! once and hands them to all of its sockets. Nothing polls: an idle workspace costs
//! no queries, and a thousand sockets on one workspace cost one query per change.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use tokio::sync::{Mutex, broadcast};
use tokio::task::AbortHandle;

use crate::hub::{HubEvent, Subscription};
use crate::routes::activity::{Activity, entries_after, newest_entry_id};
use crate::state::AppState;

/// Entries read per query at most.
const BATCH: i64 = 200;
/// Events a socket may fall behind before it catches up from the database itself.
const SOCKET_BACKLOG: usize = 256;

/// What changed in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// New activity entries.
    Activity,
    /// Members changed (or the workspace went): sockets check their membership, and
    /// the change's entries follow as for [`Change::Activity`].
    Members,
}

impl Change {
    fn as_bytes(self) -> &'static [u8] {
        match self {
            Self::Activity => b"activity",
            Self::Members => b"members",
        }
    }
}

/// What a socket of the feed receives.
#[derive(Debug, Clone)]
pub enum FeedEvent {
    /// Entries recorded since the last ones, oldest first.
    Entries(Arc<[Activity]>),
    /// Membership may have changed: check the caller's.
    Members,
}

/// Tells every instance's feed that `workspace_id` changed; call after the change's
/// transaction committed.
pub async fn announce(state: &AppState, workspace_id: &str, change: Change) {
    state
        .hub
        .publish(
            &room_of(workspace_id),
            Bytes::from_static(change.as_bytes()),
        )
        .await;
}

/// The feed rooms of this instance, one per workspace with live sockets.
#[derive(Default)]
pub struct FeedRooms {
    rooms: Mutex<HashMap<String, Weak<FeedRoom>>>,
}

/// One workspace's feed on this instance; it stops when its last socket lets go.
pub struct FeedRoom {
    sender: broadcast::Sender<FeedEvent>,
    task: AbortHandle,
}

impl Drop for FeedRoom {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FeedRoom {
    pub fn subscribe(&self) -> broadcast::Receiver<FeedEvent> {
        self.sender.subscribe()
    }
}

impl FeedRooms {
    /// The feed room of `workspace_id`, started if this instance has none. Entries
    /// committed before this returns are in the database for the caller's catch-up
    /// read; later ones come through the room.
    pub async fn join(
        &self,
        state: &AppState,
        workspace_id: &str,
    ) -> Result<Arc<FeedRoom>, sqlx::Error> {
        let mut rooms = self.rooms.lock().await;
        if let Some(room) = rooms.get(workspace_id).and_then(Weak::upgrade) {
            return Ok(room);
        }
        // Subscribed before the cursor is read, so no announcement falls in between.
        let subscription = state.hub.subscribe(&room_of(workspace_id));
        let after = newest_entry_id(state, workspace_id).await?;
        let (sender, _) = broadcast::channel(SOCKET_BACKLOG);
        let reader = RoomReader {
            state: state.clone(),
            workspace_id: workspace_id.to_string(),
            after,
            sender: sender.clone(),
        };
        let task = tokio::spawn(reader.run(subscription)).abort_handle();
        let room = Arc::new(FeedRoom { sender, task });
        rooms.retain(|_, room| room.strong_count() > 0);
        rooms.insert(workspace_id.to_string(), Arc::downgrade(&room));
        Ok(room)
    }
}

/// Reads a workspace's new entries once per announcement for all local sockets.
struct RoomReader {
    state: AppState,
    workspace_id: String,
    /// The newest entry handed out.
    after: String,
    sender: broadcast::Sender<FeedEvent>,
}

impl RoomReader {
    async fn run(mut self, mut subscription: Subscription) {
        loop {
            let members_changed = match subscription.recv().await {
                HubEvent::Message(message) => message.as_ref() == Change::Members.as_bytes(),
                // Announcements may have been missed, membership ones among them.
                HubEvent::Resync => true,
            };
            // Membership first: a removed member does not get the entries after it.
            if members_changed {
                let _ = self.sender.send(FeedEvent::Members);
            }
            self.hand_out_new_entries().await;
        }
    }

    async fn hand_out_new_entries(&mut self) {
        loop {
            let entries = match entries_after(&self.state, &self.workspace_id, &self.after, BATCH)
                .await
            {
                Ok(entries) => entries,
                Err(error) => {
                    // The cursor stays: the next announcement reads them.
                    tracing::warn!(%error, workspace = self.workspace_id, "cannot read new activity");
                    return;
                }
            };
            let Some(last) = entries.last() else { return };
            self.after.clone_from(&last.id);
            let full = entries.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
            let _ = self.sender.send(FeedEvent::Entries(entries.into()));
            if !full {
                return;
            }
        }
    }
}

fn room_of(workspace_id: &str) -> String {
    format!("activity/{workspace_id}")
}

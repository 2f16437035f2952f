//! A shared session's room, as the engine takes part in it: while the front-end shows
//! or holds a shared session, the engine keeps its live document open (`crate::sharing`
//! `document`) and announces the user there (their name and what they do: reading,
//! viewing, running a turn). The document also carries what the people in the room do
//! together: the turn lease (one person drives the agent at a time; the others can ask
//! to take over), the driver's running turn as its events stream out, and the shared
//! composer draft. Whenever any of it changes, the front-end gets the whole room as
//! [`EngineEvent::Room`]. Rooms can also be watched without being present (the
//! sidebar's shared sessions, to show who is in each): the user is then not announced.
//!
//! The lease is advisory, on a CRDT map: two people taking it at the same instant
//! both start (the server keeps both turns, the later as a fork), and both see the
//! same single driver a moment later. A holder who leaves (or whose desktop stops)
//! holds it no longer, since only a present driver counts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use codex_protocol::EventMsg;
use serde::{Deserialize, Serialize};

use super::{EngineEvent, Outbox};
use crate::shared::SharedClient;
use crate::sharing::{DocumentEvent, DocumentHandle, Part, Peer, SharedSessionAddress};

/// The document's parts: the lease map, the streamed turn, the draft.
const LEASE: &str = "lease";
const TURN: &str = "turn";
const DRAFT: &str = "draft";
/// Lease entries: who drives, and who asked them to hand over.
const DRIVER: &str = "driver";
const ASKING: &str = "asking";
/// Bytes of streamed turn after which deltas (token by token text, command output)
/// are no longer streamed; whole items still are, and everything reaches the others
/// through the session when the turn ends.
const STREAMED_DELTAS_LIMIT: usize = 512 * 1024;

/// Someone in a shared session, as their presence says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Who they are (their name on the server).
    pub user: String,
    /// What they do: `reading`, `viewing`, `open`, `running a turn`.
    pub doing: String,
}

/// A shared session's room as the front-end shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionRoom {
    /// Everyone else here.
    pub people: Vec<Presence>,
    /// Who drives the agent now: the lease's holder while they are here (this user
    /// included).
    pub driver: Option<String>,
    /// Who asked the driver to hand over.
    pub asking: Option<String>,
    /// The events so far of the turn someone else is running.
    pub turn: Vec<EventMsg>,
    /// The shared composer draft.
    pub draft: String,
    /// This report answers one of this user's own draft edits (one comes per edit; a
    /// report while edits are unanswered may predate them).
    pub draft_echo: bool,
}

/// What a front-end changes in a room it is present in.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomChange {
    /// Take the lease to run a turn (clearing any turn a departed driver left).
    TakeLease,
    /// One event of the turn this user runs, streamed to the others.
    TurnEvent(Box<EventMsg>),
    /// This user's turn ended (or will not start): the streamed turn goes and the
    /// lease is free again, when this user held it.
    Release,
    /// Ask the driver to hand over.
    AskToDrive,
    /// The composer draft now reads this.
    Draft(String),
}

/// One open room: the document, who this user is there, and what was streamed.
struct OpenRoom {
    document: DocumentHandle,
    /// This user's name (shared with the document's reports).
    user: Arc<Mutex<String>>,
    /// Bytes streamed of this user's running turn.
    streamed: usize,
    /// The user is announced here.
    present: bool,
    /// The front-end watches who is here.
    watched: bool,
}

impl OpenRoom {
    fn open(client: &Arc<SharedClient>, address: &SharedSessionAddress, outbox: &Outbox) -> Self {
        let user = Arc::new(Mutex::new(String::new()));
        Self {
            document: open(client, address, user.clone(), outbox),
            user,
            streamed: 0,
            present: false,
            watched: false,
        }
    }

    fn user(&self) -> String {
        self.user
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The rooms open, by workspace and session id.
#[derive(Default)]
pub(super) struct Rooms(Mutex<HashMap<(String, String), OpenRoom>>);

impl Rooms {
    /// Announces `presence` in the session at `address` (opening its room), or leaves
    /// it when `None` (still listening when it is watched).
    pub(super) fn present(
        &self,
        client: &Arc<SharedClient>,
        address: SharedSessionAddress,
        presence: Option<Presence>,
        outbox: &Outbox,
    ) {
        let key = (address.workspace_id.clone(), address.session_id.clone());
        let mut rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(presence) = presence else {
            if let Some(room) = rooms.get_mut(&key)
                && room.watched
            {
                room.present = false;
                room.document.set_presence(serde_json::Value::Null);
            } else {
                rooms.remove(&key);
            }
            return;
        };
        let room = rooms
            .entry(key)
            .or_insert_with(|| OpenRoom::open(client, &address, outbox));
        room.present = true;
        presence
            .user
            .clone_into(&mut room.user.lock().unwrap_or_else(PoisonError::into_inner));
        if let Ok(state) = serde_json::to_value(&presence) {
            room.document.set_presence(state);
        }
    }

    /// Watches who is in each of `addresses` (and no other room the user is not
    /// present in), without announcing the user.
    pub(super) fn watch(
        &self,
        client: &Arc<SharedClient>,
        addresses: Vec<SharedSessionAddress>,
        outbox: &Outbox,
    ) {
        let mut rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let wanted: HashMap<(String, String), SharedSessionAddress> = addresses
            .into_iter()
            .map(|address| {
                let key = (address.workspace_id.clone(), address.session_id.clone());
                (key, address)
            })
            .collect();
        rooms.retain(|key, room| {
            room.watched = wanted.contains_key(key);
            room.watched || room.present
        });
        for (key, address) in wanted {
            rooms.entry(key).or_insert_with(|| OpenRoom {
                watched: true,
                ..OpenRoom::open(client, &address, outbox)
            });
        }
    }

    /// Makes `change` in the room at `address`, when it is open.
    pub(super) fn change(&self, address: &SharedSessionAddress, change: RoomChange) {
        let key = (address.workspace_id.clone(), address.session_id.clone());
        let mut rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(room) = rooms.get_mut(&key) else {
            return;
        };
        let document = &room.document;
        match change {
            RoomChange::TakeLease => {
                document.set_text(TURN, "");
                document.set_entry(LEASE, ASKING, None);
                document.set_entry(LEASE, DRIVER, Some(&room.user()));
                room.streamed = 0;
            }
            RoomChange::TurnEvent(event) => {
                let is_delta = matches!(
                    *event,
                    EventMsg::AgentMessageDelta { .. }
                        | EventMsg::AgentReasoningDelta { .. }
                        | EventMsg::ExecCommandOutputDelta { .. }
                );
                if is_delta && room.streamed > STREAMED_DELTAS_LIMIT {
                    return;
                }
                if let Ok(mut line) = serde_json::to_string(&event) {
                    line.push('\n');
                    room.streamed += line.len();
                    document.append_text(TURN, &line);
                }
            }
            RoomChange::Release => {
                document.set_text(TURN, "");
                document.set_entry(LEASE, ASKING, None);
                document.set_entry(LEASE, DRIVER, None);
                room.streamed = 0;
            }
            RoomChange::AskToDrive => document.set_entry(LEASE, ASKING, Some(&room.user())),
            RoomChange::Draft(text) => document.set_text(DRAFT, &text),
        }
    }

    /// Leaves every room (the connection changed).
    pub(super) fn stop_all(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// What the document said so far, folded into the room the front-end sees.
#[derive(Default)]
struct Heard {
    peers: Vec<Peer>,
    lease: BTreeMap<String, String>,
    /// The streamed turn's text, and its lines read as events.
    turn: String,
    turn_events: Vec<EventMsg>,
    draft: String,
}

impl Heard {
    /// The streamed turn now reads `text`: only the lines it gained are read when it
    /// grew (each event is appended whole, with its new line).
    fn turn_now(&mut self, text: String) {
        let added = match text.strip_prefix(self.turn.as_str()) {
            Some(added) => added,
            None => {
                self.turn_events.clear();
                &text
            }
        };
        let events = added
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok());
        self.turn_events.extend(events);
        self.turn = text;
    }

    fn room(&self, user: &str) -> SessionRoom {
        let people: Vec<Presence> = self
            .peers
            .iter()
            .filter_map(|peer| serde_json::from_value(peer.state.clone()).ok())
            .collect();
        let driver = self
            .lease
            .get(DRIVER)
            .filter(|driver| *driver == user || people.iter().any(|person| person.user == **driver))
            .cloned();
        let turn = match &driver {
            Some(driver) if driver != user => self.turn_events.clone(),
            _ => Vec::new(),
        };
        SessionRoom {
            people,
            driver,
            asking: self.lease.get(ASKING).cloned(),
            turn,
            draft: self.draft.clone(),
            draft_echo: false,
        }
    }
}

/// Opens the room's document, reporting the room on every change (as `user` sees it).
fn open(
    client: &Arc<SharedClient>,
    address: &SharedSessionAddress,
    user: Arc<Mutex<String>>,
    outbox: &Outbox,
) -> DocumentHandle {
    let outbox = outbox.clone();
    let reported = address.clone();
    let mut heard = Heard::default();
    let parts = vec![
        Part::Map(LEASE.to_string()),
        Part::Text(TURN.to_string()),
        Part::Text(DRAFT.to_string()),
    ];
    client.open_document(
        &address.workspace_id,
        &address.session_id,
        parts,
        move |event| {
            let mut draft_echo = false;
            match event {
                DocumentEvent::Peers(peers) => heard.peers = peers,
                DocumentEvent::Map { entries, .. } => heard.lease = entries,
                DocumentEvent::Text { name, value } | DocumentEvent::Echo { name, value }
                    if name == TURN =>
                {
                    heard.turn_now(value);
                }
                DocumentEvent::Text { value, .. } => heard.draft = value,
                DocumentEvent::Echo { value, .. } => {
                    heard.draft = value;
                    draft_echo = true;
                }
                DocumentEvent::Connected
                | DocumentEvent::Reconnecting { .. }
                | DocumentEvent::Refused(_)
                | DocumentEvent::Ended(_) => return,
            }
            let user = user.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let room = SessionRoom {
                draft_echo,
                ..heard.room(&user)
            };
            outbox.send_now(EngineEvent::Room {
                address: reported.clone(),
                room: Box::new(room),
            });
        },
    )
}

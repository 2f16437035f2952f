//! A shared session's live document, as the desktop takes part in it: the server's
//! `GET /v1/workspaces/{ws}/sessions/{s}/sync` (the y-websocket protocol) through
//! `yrs`. [`DocumentState`] is the protocol side without sockets (the document, this
//! client's presence and everyone else's); [`SharedClient::open_document`] runs it on
//! a WebSocket that reconnects by itself, with backoff and jitter so a restarted server
//! is not met by every client at once, and catches up on reconnecting (sync step 1 and
//! 2 both ways). Edits are small (a text changes only where it differs, appends add
//! only the new part) and leave in batches: every edit made within [`BATCH`] goes as
//! one update, so a streaming turn does not send a frame per token.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use yrs::encoding::read::Cursor;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message as YMessage, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Any, ClientID, Doc, GetString, Map, Out, ReadTxn, Text, Transact, Update};

use crate::shared::SharedClient;

/// How often this client renews its presence (peers drop one silent for 30 s).
const RENEW_EVERY: Duration = Duration::from_secs(15);
/// A peer's presence not renewed for this long is gone.
const PEER_TIMEOUT: Duration = Duration::from_secs(30);
/// The first pause before reconnecting, and the longest.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LONGEST_RETRY: Duration = Duration::from_secs(10);
/// Edits made within this long of the first unsent one leave together.
pub const BATCH: Duration = Duration::from_millis(50);

/// Someone else in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub client_id: u64,
    /// Their presence as they set it (JSON).
    pub state: serde_json::Value,
}

/// The protocol side of a document client.
pub struct DocumentState {
    doc: Doc,
    client_id: u64,
    clock: u32,
    presence: serde_json::Value,
    peers: BTreeMap<u64, (u32, serde_json::Value, Instant)>,
    /// This client's edits not sent yet, each an update.
    unsent: Vec<Vec<u8>>,
}

/// What a received frame changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Frames to send back.
    pub replies: Vec<Vec<u8>>,
    pub document_changed: bool,
    pub peers_changed: bool,
    /// The server refused an edit (a viewer's), with its reason.
    pub refused: Option<String>,
}

impl Default for DocumentState {
    fn default() -> Self {
        Self::new()
    }
}

impl DocumentState {
    pub fn new() -> Self {
        let doc = Doc::new();
        let client_id = doc.client_id().get();
        Self {
            doc,
            client_id,
            clock: 0,
            presence: serde_json::Value::Null,
            peers: BTreeMap::new(),
            unsent: Vec::new(),
        }
    }

    /// What a (re)connected client sends first: its state vector and its presence.
    /// Unsent edits go with the answer to the server's state vector, so they are not
    /// kept apart any more.
    pub fn opening_frames(&mut self) -> Vec<Vec<u8>> {
        self.unsent.clear();
        let step1 = YMessage::Sync(SyncMessage::SyncStep1(self.doc.transact().state_vector()));
        let mut frames = vec![step1.encode_v1()];
        if !self.presence.is_null() {
            frames.push(self.presence_frame());
        }
        frames
    }

    /// Handles one frame from the server.
    pub fn receive(&mut self, frame: &[u8], now: Instant) -> Received {
        let mut received = Received::default();
        let mut decoder = DecoderV1::new(Cursor::new(frame));
        for message in MessageReader::new(&mut decoder) {
            let Ok(message) = message else { break };
            match message {
                YMessage::Sync(SyncMessage::SyncStep1(remote)) => {
                    let diff = self.doc.transact().encode_diff_v1(&remote);
                    received
                        .replies
                        .push(YMessage::Sync(SyncMessage::SyncStep2(diff)).encode_v1());
                }
                YMessage::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                    if let Ok(update) = Update::decode_v1(&update)
                        && self.doc.transact_mut().apply_update(update).is_ok()
                    {
                        received.document_changed = true;
                    }
                }
                YMessage::Awareness(update) => {
                    received.peers_changed |= self.apply_presence(update, now);
                }
                YMessage::Auth(reason) => received.refused = reason,
                YMessage::AwarenessQuery | YMessage::Custom(..) => {}
            }
        }
        received
    }

    /// Sets this client's presence; the frame announcing it.
    pub fn set_presence(&mut self, state: serde_json::Value) -> Vec<u8> {
        self.presence = state;
        self.presence_frame()
    }

    /// The frame renewing this client's presence, so peers keep it.
    pub fn renewal(&mut self) -> Option<Vec<u8>> {
        (!self.presence.is_null()).then(|| self.presence_frame())
    }

    /// Makes the text `name` read `value`, changing only the part between what the two
    /// have in common at the start and at the end; whether it changed.
    pub fn set_text(&mut self, name: &str, value: &str) -> bool {
        let text = self.doc.get_or_insert_text(name);
        let old = text.get_string(&self.doc.transact());
        if old == value {
            return false;
        }
        let (start, old_end, new_end) = differing_part(&old, value);
        self.edit(|txn| {
            // Offsets are UTF-8 bytes, the document's default; both ends are on
            // character boundaries.
            let removed = u32::try_from(old_end - start).unwrap_or(u32::MAX);
            let at = u32::try_from(start).unwrap_or(u32::MAX);
            if removed > 0 {
                text.remove_range(txn, at, removed);
            }
            text.insert(txn, at, &value[start..new_end]);
        });
        true
    }

    /// Adds `value` at the end of the text `name`.
    pub fn append_text(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let text = self.doc.get_or_insert_text(name);
        self.edit(|txn| text.push(txn, value));
    }

    /// Sets (or with `None` removes) entry `key` of the map `name`; whether it changed.
    pub fn set_entry(&mut self, name: &str, key: &str, value: Option<&str>) -> bool {
        if self.entry(name, key).as_deref() == value {
            return false;
        }
        let map = self.doc.get_or_insert_map(name);
        self.edit(|txn| match value {
            Some(value) => {
                map.insert(txn, key, value);
            }
            None => {
                map.remove(txn, key);
            }
        });
        true
    }

    /// Entry `key` of the map `name`, when it holds text.
    pub fn entry(&self, name: &str, key: &str) -> Option<String> {
        let map = self.doc.get_or_insert_map(name);
        match map.get(&self.doc.transact(), key) {
            Some(Out::Any(Any::String(value))) => Some(value.to_string()),
            _ => None,
        }
    }

    /// Every text entry of the map `name`.
    pub fn entries(&self, name: &str) -> BTreeMap<String, String> {
        let map = self.doc.get_or_insert_map(name);
        let txn = self.doc.transact();
        map.iter(&txn)
            .filter_map(|(key, value)| match value {
                Out::Any(Any::String(value)) => Some((key.to_string(), value.to_string())),
                _ => None,
            })
            .collect()
    }

    /// Whether edits wait to be sent.
    pub fn has_unsent(&self) -> bool {
        !self.unsent.is_empty()
    }

    /// One update frame holding every edit not sent yet.
    pub fn take_update(&mut self) -> Option<Vec<u8>> {
        let updates = std::mem::take(&mut self.unsent);
        let update = match updates.as_slice() {
            [] => return None,
            [one] => one.clone(),
            many => {
                let parts: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
                // Updates this document made itself always merge; should one not,
                // the whole difference from the start does the same.
                yrs::merge_updates_v1(&parts).unwrap_or_else(|_| {
                    self.doc
                        .transact()
                        .encode_state_as_update_v1(&yrs::StateVector::default())
                })
            }
        };
        Some(YMessage::Sync(SyncMessage::Update(update)).encode_v1())
    }

    /// Runs one local edit, keeping its update to send.
    fn edit(&mut self, change: impl FnOnce(&mut yrs::TransactionMut<'_>)) {
        let before = self.doc.transact().state_vector();
        change(&mut self.doc.transact_mut());
        let update = self.doc.transact().encode_diff_v1(&before);
        self.unsent.push(update);
    }

    /// The text `name` of the document.
    pub fn text(&self, name: &str) -> String {
        let text = self.doc.get_or_insert_text(name);
        text.get_string(&self.doc.transact())
    }

    /// Everyone else whose presence is current at `now`.
    pub fn peers(&self, now: Instant) -> Vec<Peer> {
        self.peers
            .iter()
            .filter(|(_, (_, _, renewed))| now.duration_since(*renewed) < PEER_TIMEOUT)
            .map(|(client_id, (_, state, _))| Peer {
                client_id: *client_id,
                state: state.clone(),
            })
            .collect()
    }

    /// Drops peers gone silent; whether any went.
    pub fn expire_peers(&mut self, now: Instant) -> bool {
        let before = self.peers.len();
        self.peers
            .retain(|_, (_, _, renewed)| now.duration_since(*renewed) < PEER_TIMEOUT);
        self.peers.len() != before
    }

    fn presence_frame(&mut self) -> Vec<u8> {
        self.clock += 1;
        let clients = HashMap::from([(
            ClientID::new(self.client_id),
            AwarenessUpdateEntry {
                clock: self.clock,
                json: self.presence.to_string().into(),
            },
        )]);
        YMessage::Awareness(AwarenessUpdate { clients }).encode_v1()
    }

    fn apply_presence(&mut self, update: AwarenessUpdate, now: Instant) -> bool {
        let mut changed = false;
        for (client, entry) in update.clients {
            let id = client.get();
            if id == self.client_id {
                continue;
            }
            if self
                .peers
                .get(&id)
                .is_some_and(|(clock, _, _)| entry.clock < *clock)
            {
                continue;
            }
            let state: serde_json::Value =
                serde_json::from_str(&entry.json).unwrap_or(serde_json::Value::Null);
            if state.is_null() {
                changed |= self.peers.remove(&id).is_some();
            } else {
                let previous = self.peers.insert(id, (entry.clock, state.clone(), now));
                changed |= previous.is_none_or(|(_, old, _)| old != state);
            }
        }
        changed
    }
}

/// Where `old` and `new` differ, in bytes: the end of what they share at the start,
/// and where the shared end begins in each. All three are character boundaries (the
/// characters before `start` are the same in both).
fn differing_part(old: &str, new: &str) -> (usize, usize, usize) {
    let start = old
        .char_indices()
        .zip(new.chars())
        .find(|((_, a), b)| a != b)
        .map_or(old.len().min(new.len()), |((index, _), _)| index);
    let shared_end = old[start..]
        .chars()
        .rev()
        .zip(new[start..].chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum::<usize>();
    (start, old.len() - shared_end, new.len() - shared_end)
}

/// A named part of a document a client follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    Text(String),
    Map(String),
}

/// What an open document reports.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentEvent {
    /// Connected (again) and caught up.
    Connected,
    /// The connection dropped; trying again after `retry_in`.
    Reconnecting {
        reason: String,
        retry_in: Duration,
    },
    Peers(Vec<Peer>),
    /// The document's text `name` changed (or was read for the first time).
    Text {
        name: String,
        value: String,
    },
    /// This client set the text `name` (a followed one): it now reads `value`, with
    /// every edit received before. One comes for each such edit, so a front-end can
    /// tell the reports that may predate its latest edit from those that cannot.
    Echo {
        name: String,
        value: String,
    },
    /// The document's map `name` changed (or was read for the first time); unlike
    /// texts, also when this client changed it, since a map decides things (who
    /// drives) that every part of the client must see the same way.
    Map {
        name: String,
        entries: BTreeMap<String, String>,
    },
    /// An edit was refused (this user only views the session).
    Refused(String),
    /// The server ended it for good (no longer a member, session deleted, …).
    Ended(String),
}

/// What the desktop asks of an open document.
enum Command {
    Presence(serde_json::Value),
    SetText {
        name: String,
        value: String,
    },
    AppendText {
        name: String,
        value: String,
    },
    SetEntry {
        name: String,
        key: String,
        value: Option<String>,
    },
}

/// An open document; dropping it leaves.
pub struct DocumentHandle {
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl DocumentHandle {
    /// Sets this user's presence (JSON; for example who they are and what they do).
    pub fn set_presence(&self, state: serde_json::Value) {
        let _ = self.commands.send(Command::Presence(state));
    }

    /// Makes the shared text `name` read `value` (the shared draft, say).
    pub fn set_text(&self, name: &str, value: &str) {
        let _ = self.commands.send(Command::SetText {
            name: name.to_string(),
            value: value.to_string(),
        });
    }

    /// Adds `value` at the end of the shared text `name`.
    pub fn append_text(&self, name: &str, value: &str) {
        let _ = self.commands.send(Command::AppendText {
            name: name.to_string(),
            value: value.to_string(),
        });
    }

    /// Sets (or with `None` removes) entry `key` of the shared map `name`.
    pub fn set_entry(&self, name: &str, key: &str, value: Option<&str>) {
        let _ = self.commands.send(Command::SetEntry {
            name: name.to_string(),
            key: key.to_string(),
            value: value.map(str::to_string),
        });
    }
}

impl Drop for DocumentHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SharedClient {
    /// Opens the live document of session `session_id` in workspace `workspace_id`,
    /// reporting to `on_event` (the `parts` as they change) until the handle is
    /// dropped or the server ends it.
    pub fn open_document(
        self: &Arc<Self>,
        workspace_id: &str,
        session_id: &str,
        parts: Vec<Part>,
        on_event: impl FnMut(DocumentEvent) + Send + 'static,
    ) -> DocumentHandle {
        let (commands, receiver) = mpsc::unbounded_channel();
        let runner = DocumentRunner {
            client: self.clone(),
            path: format!("/v1/workspaces/{workspace_id}/sessions/{session_id}/sync"),
            parts,
            reported: HashMap::new(),
            state: DocumentState::new(),
        };
        let task = tokio::spawn(runner.run(receiver, on_event));
        DocumentHandle { commands, task }
    }
}

struct DocumentRunner {
    client: Arc<SharedClient>,
    path: String,
    parts: Vec<Part>,
    /// What was reported of each part last, so only changes are.
    reported: HashMap<Part, DocumentEvent>,
    state: DocumentState,
}

/// How one connection ended.
enum Ending {
    /// Try again.
    Dropped(String),
    /// Not again: the server said why.
    Final(String),
    /// The handle was dropped.
    Left,
}

impl DocumentRunner {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut on_event: impl FnMut(DocumentEvent),
    ) {
        let mut failures: u32 = 0;
        loop {
            let ending = match self.client.open_websocket(&self.path).await {
                Ok(Ok(socket)) => {
                    failures = 0;
                    on_event(DocumentEvent::Connected);
                    // Who is here as far as this client knows (nobody, on a first
                    // connection), so a front-end shows no one left from before.
                    on_event(DocumentEvent::Peers(self.state.peers(Instant::now())));
                    self.connected(socket, &mut commands, &mut on_event).await
                }
                Ok(Err(status @ (401 | 403 | 404))) => {
                    Ending::Final(format!("the server refused the document ({status})"))
                }
                Ok(Err(status)) => Ending::Dropped(format!("the server answered {status}")),
                Err(error) => Ending::Dropped(error.to_string()),
            };
            match ending {
                Ending::Left => return,
                Ending::Final(reason) => {
                    on_event(DocumentEvent::Ended(reason));
                    return;
                }
                Ending::Dropped(reason) => {
                    failures = failures.saturating_add(1);
                    let retry_in = retry_delay(failures);
                    on_event(DocumentEvent::Reconnecting { reason, retry_in });
                    // Edits and presence asked for meanwhile are kept in the state.
                    let pause = tokio::time::sleep(retry_in);
                    tokio::pin!(pause);
                    loop {
                        tokio::select! {
                            () = &mut pause => break,
                            command = commands.recv() => match command {
                                Some(command) => {
                                    self.apply_and_report(command, &mut on_event);
                                }
                                None => return,
                            },
                        }
                    }
                }
            }
        }
    }

    /// Applies a command and reports what it changed: the maps, and (as an
    /// [`DocumentEvent::Echo`]) a followed text it set. The frame to send at once.
    fn apply_and_report(
        &mut self,
        command: Command,
        on_event: &mut impl FnMut(DocumentEvent),
    ) -> Option<Vec<u8>> {
        let set = match &command {
            Command::SetText { name, .. } => Some(name.clone()),
            _ => None,
        };
        let frame = self.apply(command);
        self.report_parts(false, on_event);
        if let Some(name) = set
            && self.parts.contains(&Part::Text(name.clone()))
        {
            let value = self.state.text(&name);
            let reported = DocumentEvent::Text {
                name: name.clone(),
                value: value.clone(),
            };
            self.reported.insert(Part::Text(name.clone()), reported);
            on_event(DocumentEvent::Echo { name, value });
        }
        frame
    }

    /// Applies a command to the state; the frame to send at once, if any (edits wait
    /// for the batch).
    fn apply(&mut self, command: Command) -> Option<Vec<u8>> {
        match command {
            Command::Presence(state) => return Some(self.state.set_presence(state)),
            Command::SetText { name, value } => {
                self.state.set_text(&name, &value);
            }
            Command::AppendText { name, value } => self.state.append_text(&name, &value),
            Command::SetEntry { name, key, value } => {
                self.state.set_entry(&name, &key, value.as_deref());
            }
        }
        None
    }

    async fn connected(
        &mut self,
        mut socket: super::live::ServerSocket,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        on_event: &mut impl FnMut(DocumentEvent),
    ) -> Ending {
        for frame in self.state.opening_frames() {
            if let Err(error) = socket.send(Message::Binary(frame.into())).await {
                return Ending::Dropped(error.to_string());
            }
        }
        let mut renewals = tokio::time::interval(RENEW_EVERY);
        renewals.tick().await;
        let mut batch_ends: Option<tokio::time::Instant> = None;
        loop {
            let flush = async {
                match batch_ends {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let outgoing = tokio::select! {
                message = socket.next() => match message {
                    Some(Ok(Message::Binary(frame))) => {
                        let received = self.state.receive(&frame, Instant::now());
                        self.report(&received, on_event);
                        received.replies
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame.map_or((1005, String::new()), |frame| (u16::from(frame.code), frame.reason.to_string()));
                        // 44xx: the server's decision, which reconnecting cannot change.
                        return if (4400..4500).contains(&code) {
                            Ending::Final(reason)
                        } else {
                            Ending::Dropped(format!("closed ({code}) {reason}"))
                        };
                    }
                    Some(Ok(_)) => Vec::new(),
                    Some(Err(error)) => return Ending::Dropped(error.to_string()),
                    None => return Ending::Dropped("the connection ended".to_string()),
                },
                command = commands.recv() => match command {
                    Some(command) => {
                        let now = self.apply_and_report(command, on_event);
                        if batch_ends.is_none() && self.state.has_unsent() {
                            batch_ends = Some(tokio::time::Instant::now() + BATCH);
                        }
                        now.into_iter().collect()
                    }
                    None => return Ending::Left,
                },
                () = flush => {
                    batch_ends = None;
                    self.state.take_update().into_iter().collect()
                }
                _ = renewals.tick() => {
                    if self.state.expire_peers(Instant::now()) {
                        on_event(DocumentEvent::Peers(self.state.peers(Instant::now())));
                    }
                    self.state.renewal().into_iter().collect()
                }
            };
            for frame in outgoing {
                if let Err(error) = socket.send(Message::Binary(frame.into())).await {
                    return Ending::Dropped(error.to_string());
                }
            }
        }
    }

    fn report(&mut self, received: &Received, on_event: &mut impl FnMut(DocumentEvent)) {
        if received.peers_changed {
            on_event(DocumentEvent::Peers(self.state.peers(Instant::now())));
        }
        if received.document_changed {
            self.report_parts(true, on_event);
        }
        if let Some(reason) = &received.refused {
            on_event(DocumentEvent::Refused(reason.clone()));
        }
    }

    /// Reports the parts that changed since last reported: all of them, or (after
    /// this client's own edit) the maps.
    fn report_parts(&mut self, with_texts: bool, on_event: &mut impl FnMut(DocumentEvent)) {
        for part in &self.parts {
            let event = match part {
                Part::Text(name) if with_texts => DocumentEvent::Text {
                    name: name.clone(),
                    value: self.state.text(name),
                },
                Part::Text(_) => continue,
                Part::Map(name) => DocumentEvent::Map {
                    name: name.clone(),
                    entries: self.state.entries(name),
                },
            };
            if self.reported.get(part) != Some(&event) {
                self.reported.insert(part.clone(), event.clone());
                on_event(event);
            }
        }
    }
}

/// The pause before reconnecting after `failures` failures in a row: doubling from
/// [`FIRST_RETRY`] up to [`LONGEST_RETRY`], then spread over half to the whole of it.
fn retry_delay(failures: u32) -> Duration {
    let doubled = FIRST_RETRY.saturating_mul(1 << failures.saturating_sub(1).min(10));
    let ceiling = doubled.min(LONGEST_RETRY);
    let spread = rand_fraction();
    ceiling.mul_f64(0.5 + 0.5 * spread)
}

/// A number in [0, 1) from the operating system's randomness (through UUIDv4).
fn rand_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64;
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests;

//! The sans-IO core of one shared session's document: it takes the bytes a connection
//! sent (or another instance published) and returns what to send where, what to store,
//! and whom to cut off. No sockets, tasks or clocks inside: the caller passes the time.
//!
//! It speaks the y-websocket protocol: on joining a connection gets the server's sync
//! step 1 and every known presence; a step 1 is answered with step 2; step 2 and
//! updates are applied, relayed to the other connections and the other instances, and
//! stored. Viewers' document writes are refused with a permission-denied auth message
//! (their presence is still relayed). Presence entries belong to the connection that
//! first announced them, are limited in number and size, and expire when not renewed
//! for [`PRESENCE_TIMEOUT`].

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use bytes::Bytes;
use yrs::encoding::read::Cursor;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

/// A presence not renewed for this long is dropped (clients renew every 15 s).
pub const PRESENCE_TIMEOUT: Duration = Duration::from_secs(30);
/// Presence entries one connection may announce.
const PRESENCE_PER_CONNECTION: usize = 8;
/// The largest presence state, as JSON.
const MAX_PRESENCE_JSON: usize = 64 * 1024;

pub type ConnectionId = u64;

/// The sizes a room accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest encoded document; an update that would grow it beyond is refused.
    pub max_document: usize,
}

/// Why a connection is cut off; each has its WebSocket close code. The codes follow
/// the stock client's convention: 44xx are the client's fault and reconnecting cannot
/// fix them (it does not retry), 45xx are passing (it reconnects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cutoff {
    /// The frame is not a y-websocket message.
    BadMessage(String),
    /// The document would exceed its size limit.
    DocumentFull,
    /// Messages for the connection piled up: it does not read.
    TooSlow,
    /// Nothing arrived from the client, not even a pong, for too long.
    Silent,
    /// The document could not be loaded.
    Unavailable,
    /// The server is shutting down; another instance (or this one, back) takes over.
    Restarting,
}

impl Cutoff {
    pub fn code(&self) -> u16 {
        match self {
            Self::BadMessage(_) => 4400,
            Self::DocumentFull => 4413,
            Self::TooSlow => 4508,
            Self::Silent => 4509,
            Self::Unavailable => 4503,
            Self::Restarting => 1012,
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Self::BadMessage(detail) => format!("not a y-websocket message: {detail}"),
            Self::DocumentFull => "the document reached its size limit".to_string(),
            Self::TooSlow => "messages piled up: the connection does not read".to_string(),
            Self::Silent => "nothing heard from the client for a minute".to_string(),
            Self::Unavailable => "the document cannot be loaded now; reconnect later".to_string(),
            Self::Restarting => "the server is restarting; reconnect".to_string(),
        }
    }
}

/// What the caller does after a step of the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send `frame` to one connection.
    To(ConnectionId, Bytes),
    /// Send `frame` to every connection of this instance except `except`.
    ToAll {
        except: Option<ConnectionId>,
        frame: Bytes,
    },
    /// Publish to the other instances holding this room (see [`HubFrame`]).
    Hub(Bytes),
    /// Store this update (a client of this instance wrote it).
    Store(Vec<u8>),
    /// Close the connection with the reason.
    Close(ConnectionId, Cutoff),
}

/// What instances send each other about a room: a flag byte, then a y-protocol message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubFrame {
    /// An update or presence to apply and relay.
    Relay = 0,
    /// A state vector from an instance that (re)joined: answer with what it lacks, and
    /// with your own state vector so it sends what you lack.
    Hello = 1,
    /// A state vector in answer to a hello: answer with what it lacks.
    HelloBack = 2,
}

impl HubFrame {
    fn frame(self, message: &Message) -> Bytes {
        let mut bytes = vec![self as u8];
        bytes.extend_from_slice(&message.encode_v1());
        Bytes::from(bytes)
    }
}

/// Whose a presence entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Connection(ConnectionId),
    /// A client of another instance.
    Elsewhere,
}

#[derive(Debug, Clone)]
struct Presence {
    clock: u32,
    json: std::sync::Arc<str>,
    owner: Owner,
    renewed: Instant,
}

struct Connection {
    can_write: bool,
}

pub struct Room {
    doc: Doc,
    /// The encoded size the document has grown to (the loaded state plus updates).
    size: usize,
    limits: Limits,
    presence: BTreeMap<u64, Presence>,
    connections: HashMap<ConnectionId, Connection>,
}

impl Room {
    /// A room holding the stored `updates` (oldest first); ones that cannot be read are
    /// skipped and counted in the second value.
    pub fn load<'a>(updates: impl IntoIterator<Item = &'a [u8]>, limits: Limits) -> (Self, usize) {
        let doc = Doc::new();
        let mut unreadable = 0;
        {
            let mut txn = doc.transact_mut();
            for update in updates {
                let applied = Update::decode_v1(update)
                    .ok()
                    .is_some_and(|update| txn.apply_update(update).is_ok());
                if !applied {
                    unreadable += 1;
                }
            }
        }
        let size = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
            .len();
        let room = Self {
            doc,
            size,
            limits,
            presence: BTreeMap::new(),
            connections: HashMap::new(),
        };
        (room, unreadable)
    }

    /// The whole document as one update.
    #[cfg(test)]
    pub fn snapshot(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// What this document has that a document with `state_vector` (encoded) lacks;
    /// `None` when nothing, or when the state vector cannot be read.
    pub fn missing_from(&self, state_vector: &[u8]) -> Option<Vec<u8>> {
        let remote = StateVector::decode_v1(state_vector).ok()?;
        let diff = self.doc.transact().encode_diff_v1(&remote);
        let empty = Update::decode_v1(&diff).map_or(true, |update| update.is_empty());
        (!empty).then_some(diff)
    }

    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// What an instance sends the others when it starts holding the room.
    pub fn hello(&self) -> Bytes {
        HubFrame::Hello.frame(&Message::Sync(SyncMessage::SyncStep1(self.state_vector())))
    }

    /// A connection joins: it gets the server's step 1 and every known presence.
    pub fn join(&mut self, connection: ConnectionId, can_write: bool) -> Vec<Output> {
        self.connections
            .insert(connection, Connection { can_write });
        let mut out = vec![Output::To(
            connection,
            encode(&Message::Sync(SyncMessage::SyncStep1(self.state_vector()))),
        )];
        if let Some(everyone) = self.presence_message(|_| true) {
            out.push(Output::To(connection, everyone));
        }
        out
    }

    /// The connection's role changed.
    pub fn set_can_write(&mut self, connection: ConnectionId, can_write: bool) {
        if let Some(entry) = self.connections.get_mut(&connection) {
            entry.can_write = can_write;
        }
    }

    /// A connection left: its presence entries go, and everyone hears so.
    pub fn leave(&mut self, connection: ConnectionId) -> Vec<Output> {
        self.connections.remove(&connection);
        let gone: Vec<u64> = self
            .presence
            .iter()
            .filter(|(_, presence)| presence.owner == Owner::Connection(connection))
            .map(|(client, _)| *client)
            .collect();
        self.remove_presence(&gone)
    }

    /// A frame from a connection of this instance.
    pub fn receive(&mut self, connection: ConnectionId, frame: &[u8], now: Instant) -> Vec<Output> {
        let Some(can_write) = self
            .connections
            .get(&connection)
            .map(|entry| entry.can_write)
        else {
            return Vec::new();
        };
        let messages = match decode_all(frame) {
            Ok(messages) if !messages.is_empty() => messages,
            Ok(_) => {
                return vec![Output::Close(
                    connection,
                    Cutoff::BadMessage("an empty frame".to_string()),
                )];
            }
            Err(detail) => return vec![Output::Close(connection, Cutoff::BadMessage(detail))],
        };
        let mut out = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(remote)) => {
                    let diff = self.doc.transact().encode_diff_v1(&remote);
                    out.push(Output::To(
                        connection,
                        encode(&Message::Sync(SyncMessage::SyncStep2(diff))),
                    ));
                }
                Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                    if !can_write {
                        // The stock client answers the server's step 1 with a step 2
                        // even when it has nothing: that is no edit.
                        if Update::decode_v1(&update).is_ok_and(|update| update.is_empty()) {
                            continue;
                        }
                        out.push(Output::To(
                            connection,
                            encode(&Message::Auth(Some(
                                "viewers cannot edit this session".to_string(),
                            ))),
                        ));
                        continue;
                    }
                    if let Err(cutoff) = self.apply(&update) {
                        out.push(Output::Close(connection, cutoff));
                        return out;
                    }
                    let relay = Message::Sync(SyncMessage::Update(update.clone()));
                    out.push(Output::ToAll {
                        except: Some(connection),
                        frame: encode(&relay),
                    });
                    out.push(Output::Hub(HubFrame::Relay.frame(&relay)));
                    out.push(Output::Store(update));
                }
                Message::Awareness(update) => {
                    out.extend(self.accept_presence(Owner::Connection(connection), update, now));
                }
                Message::AwarenessQuery => {
                    if let Some(everyone) = self.presence_message(|_| true) {
                        out.push(Output::To(connection, everyone));
                    }
                }
                // Auth is the server's to send; other tags are not this protocol's.
                Message::Auth(_) | Message::Custom(..) => {
                    out.push(Output::Close(
                        connection,
                        Cutoff::BadMessage(
                            "only sync and awareness messages are accepted".to_string(),
                        ),
                    ));
                    return out;
                }
            }
        }
        out
    }

    /// A frame another instance published to this room.
    pub fn receive_from_hub(&mut self, frame: &[u8], now: Instant) -> Vec<Output> {
        let Some((&flag, message)) = frame.split_first() else {
            return Vec::new();
        };
        let Ok(messages) = decode_all(message) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(remote)) => {
                    let diff = self.doc.transact().encode_diff_v1(&remote);
                    out.push(Output::Hub(
                        HubFrame::Relay.frame(&Message::Sync(SyncMessage::SyncStep2(diff))),
                    ));
                    if flag == HubFrame::Hello as u8 {
                        out.push(Output::Hub(HubFrame::HelloBack.frame(&Message::Sync(
                            SyncMessage::SyncStep1(self.state_vector()),
                        ))));
                        // The newcomer also learns who is here.
                        if let Some(local) = self.presence_message(|presence| {
                            matches!(presence.owner, Owner::Connection(_))
                        }) {
                            out.push(Output::Hub(relay_frame(&local)));
                        }
                    }
                }
                Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                    // Stored by the instance whose client wrote it.
                    if self.apply(&update).is_ok() {
                        out.push(Output::ToAll {
                            except: None,
                            frame: encode(&Message::Sync(SyncMessage::Update(update))),
                        });
                    }
                }
                Message::Awareness(update) => {
                    out.extend(self.accept_presence(Owner::Elsewhere, update, now));
                }
                Message::AwarenessQuery | Message::Auth(_) | Message::Custom(..) => {}
            }
        }
        out
    }

    /// Drops presence entries not renewed since [`PRESENCE_TIMEOUT`] before `now`.
    pub fn expire_presence(&mut self, now: Instant) -> Vec<Output> {
        let stale: Vec<u64> = self
            .presence
            .iter()
            .filter(|(_, presence)| now.duration_since(presence.renewed) >= PRESENCE_TIMEOUT)
            .map(|(client, _)| *client)
            .collect();
        self.remove_presence(&stale)
    }

    fn state_vector(&self) -> StateVector {
        self.doc.transact().state_vector()
    }

    fn apply(&mut self, update: &[u8]) -> Result<(), Cutoff> {
        if self.size.saturating_add(update.len()) > self.limits.max_document {
            return Err(Cutoff::DocumentFull);
        }
        let decoded = Update::decode_v1(update).map_err(|error| {
            Cutoff::BadMessage(format!("an update that cannot be read ({error})"))
        })?;
        self.doc
            .transact_mut()
            .apply_update(decoded)
            .map_err(|error| {
                Cutoff::BadMessage(format!("an update that cannot be applied ({error})"))
            })?;
        self.size += update.len();
        Ok(())
    }

    /// Applies the newer of each announced presence the sender may set, and relays
    /// them: to every connection of this instance (the sender too: a lone client hears
    /// its renewals and so never thinks the connection idle) and, for a local sender,
    /// to the other instances.
    fn accept_presence(
        &mut self,
        owner: Owner,
        update: AwarenessUpdate,
        now: Instant,
    ) -> Vec<Output> {
        let mut accepted = HashMap::new();
        let mut removed = Vec::new();
        for (client, entry) in update.clients {
            let id = client.get();
            let known = self.presence.get(&id);
            if let (Some(known), Owner::Connection(_)) = (known, owner)
                && known.owner != owner
            {
                continue; // Another connection's client: not this sender's to set.
            }
            if known.is_some_and(|known| entry.clock < known.clock) {
                continue;
            }
            if entry.json.len() > MAX_PRESENCE_JSON {
                continue;
            }
            let leaving = &*entry.json == "null";
            if known.is_none()
                && !leaving
                && let Owner::Connection(connection) = owner
            {
                let owned = self
                    .presence
                    .values()
                    .filter(|presence| presence.owner == Owner::Connection(connection))
                    .count();
                if owned >= PRESENCE_PER_CONNECTION {
                    continue;
                }
            }
            if leaving {
                self.presence.remove(&id);
                removed.push(id);
            } else {
                self.presence.insert(
                    id,
                    Presence {
                        clock: entry.clock,
                        json: entry.json.clone(),
                        owner,
                        renewed: now,
                    },
                );
            }
            accepted.insert(client, entry);
        }
        if accepted.is_empty() {
            return Vec::new();
        }
        let message = Message::Awareness(AwarenessUpdate { clients: accepted });
        let mut out = vec![Output::ToAll {
            except: None,
            frame: encode(&message),
        }];
        if matches!(owner, Owner::Connection(_)) {
            out.push(Output::Hub(HubFrame::Relay.frame(&message)));
        }
        out
    }

    /// Removes `clients`' presence and tells every connection (and, for this
    /// instance's clients, the other instances).
    fn remove_presence(&mut self, clients: &[u64]) -> Vec<Output> {
        let mut clients_out = HashMap::new();
        let mut local = false;
        for client in clients {
            if let Some(presence) = self.presence.remove(client) {
                local |= matches!(presence.owner, Owner::Connection(_));
                clients_out.insert(
                    ClientID::new(*client),
                    AwarenessUpdateEntry {
                        clock: presence.clock.saturating_add(1),
                        json: "null".into(),
                    },
                );
            }
        }
        if clients_out.is_empty() {
            return Vec::new();
        }
        let message = Message::Awareness(AwarenessUpdate {
            clients: clients_out,
        });
        let mut out = vec![Output::ToAll {
            except: None,
            frame: encode(&message),
        }];
        if local {
            out.push(Output::Hub(HubFrame::Relay.frame(&message)));
        }
        out
    }

    /// One awareness message with the presences `include` selects.
    fn presence_message(&self, include: impl Fn(&Presence) -> bool) -> Option<Bytes> {
        let clients: HashMap<ClientID, AwarenessUpdateEntry> = self
            .presence
            .iter()
            .filter(|(_, presence)| include(presence))
            .map(|(client, presence)| {
                (
                    ClientID::new(*client),
                    AwarenessUpdateEntry {
                        clock: presence.clock,
                        json: presence.json.clone(),
                    },
                )
            })
            .collect();
        (!clients.is_empty()).then(|| encode(&Message::Awareness(AwarenessUpdate { clients })))
    }
}

fn relay_frame(message: &Bytes) -> Bytes {
    let mut bytes = vec![HubFrame::Relay as u8];
    bytes.extend_from_slice(message);
    Bytes::from(bytes)
}

fn encode(message: &Message) -> Bytes {
    Bytes::from(message.encode_v1())
}

/// Every message of a frame, or what is wrong with it.
fn decode_all(frame: &[u8]) -> Result<Vec<Message>, String> {
    let mut decoder = DecoderV1::new(Cursor::new(frame));
    MessageReader::new(&mut decoder)
        .map(|message| message.map_err(|error| error.to_string()))
        .collect()
}

#[cfg(test)]
mod tests;

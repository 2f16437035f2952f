//! The room core driven with real yrs documents as clients.

use std::time::{Duration, Instant};

use yrs::encoding::read::Cursor;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

use super::*;
use crate::collab::test_docs::{append_text, text_of};

const LIMITS: Limits = Limits {
    max_document: 64 * 1024,
};

fn room() -> Room {
    Room::load([], LIMITS).0
}

/// A client's edit, as the update frame y-websocket sends.
fn typed(doc: &Doc, text: &str) -> Vec<u8> {
    Message::Sync(SyncMessage::Update(append_text(doc, text))).encode_v1()
}

fn messages(frame: &[u8]) -> Vec<Message> {
    let mut decoder = DecoderV1::new(Cursor::new(frame));
    MessageReader::new(&mut decoder)
        .map(Result::unwrap)
        .collect()
}

/// Applies every sync message of `frame` to `doc`.
fn apply_to(doc: &Doc, frame: &[u8]) {
    for message in messages(frame) {
        if let Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) = message
        {
            doc.transact_mut()
                .apply_update(Update::decode_v1(&update).unwrap())
                .unwrap();
        }
    }
}

fn presence(client: u64, clock: u32, json: &str) -> Vec<u8> {
    let clients = [(
        ClientID::new(client),
        AwarenessUpdateEntry {
            clock,
            json: json.into(),
        },
    )]
    .into_iter()
    .collect();
    Message::Awareness(AwarenessUpdate { clients }).encode_v1()
}

fn presence_clients(frame: &[u8]) -> Vec<(u64, String)> {
    let mut found: Vec<(u64, String)> = messages(frame)
        .into_iter()
        .filter_map(|message| match message {
            Message::Awareness(update) => Some(update.clients),
            _ => None,
        })
        .flatten()
        .map(|(client, entry)| (client.get(), entry.json.to_string()))
        .collect();
    found.sort();
    found
}

#[test]
fn an_edit_is_relayed_stored_and_published_and_a_newcomer_catches_up() {
    let mut room = room();
    let now = Instant::now();
    room.join(1, true);
    room.join(2, true);
    let alice = Doc::new();
    let update = typed(&alice, "hello");
    let out = room.receive(1, &update, now);
    let relayed = out.iter().find_map(|output| match output {
        Output::ToAll {
            except: Some(1),
            frame,
        } => Some(frame.clone()),
        _ => None,
    });
    let bob = Doc::new();
    apply_to(&bob, &relayed.expect("relayed to the others"));
    assert_eq!(text_of(&bob), "hello");
    assert!(out.iter().any(|output| matches!(output, Output::Store(_))));
    assert!(
        out.iter().any(
            |output| matches!(output, Output::Hub(frame) if frame[0] == HubFrame::Relay as u8)
        )
    );

    // A newcomer's step 1 (an empty state vector) is answered with the whole document.
    let carol = Doc::new();
    room.join(3, false);
    let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
    let out = room.receive(3, &step1, now);
    let [Output::To(3, step2)] = out.as_slice() else {
        panic!("{out:?}")
    };
    apply_to(&carol, step2);
    assert_eq!(text_of(&carol), "hello");
}

#[test]
fn a_viewer_cannot_write_and_is_told_why() {
    let mut room = room();
    room.join(1, false);
    let out = room.receive(1, &typed(&Doc::new(), "sneaky"), Instant::now());
    let [Output::To(1, answer)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(
        messages(answer),
        [Message::Auth(Some(
            "viewers cannot edit this session".to_string()
        ))]
    );
    assert_eq!(
        room.snapshot(),
        Room::load([], LIMITS).0.snapshot(),
        "nothing applied"
    );
    // The empty step 2 every stock client sends on connecting is not an edit.
    let empty = Doc::new()
        .transact()
        .encode_diff_v1(&StateVector::default());
    let step2 = Message::Sync(SyncMessage::SyncStep2(empty)).encode_v1();
    assert!(room.receive(1, &step2, Instant::now()).is_empty());
    room.set_can_write(1, true);
    let out = room.receive(1, &typed(&Doc::new(), "allowed"), Instant::now());
    assert!(
        out.iter().any(|output| matches!(output, Output::Store(_))),
        "promoted to editor"
    );
}

#[test]
fn garbage_and_foreign_messages_cut_the_sender_off() {
    let mut room = room();
    room.join(1, true);
    let now = Instant::now();
    for frame in [&[0xff, 0xff, 0xff][..], &[0, 9, 1, 2], &[]] {
        let out = room.receive(1, frame, now);
        assert!(
            matches!(out.as_slice(), [Output::Close(1, Cutoff::BadMessage(_))]),
            "{frame:?}: {out:?}"
        );
    }
    // A client may not send auth messages, nor Hocuspocus's framing (a document name
    // first, which reads as an unknown tag).
    let auth = Message::Auth(None).encode_v1();
    assert!(matches!(
        room.receive(1, &auth, now).as_slice(),
        [Output::Close(1, Cutoff::BadMessage(_))]
    ));
    let mut named = vec![7];
    named.extend_from_slice(b"other-room");
    assert!(matches!(
        room.receive(1, &named, now).as_slice(),
        [Output::Close(1, Cutoff::BadMessage(_))]
    ));
}

#[test]
fn an_update_beyond_the_document_limit_is_refused() {
    let mut room = Room::load([], Limits { max_document: 1024 }).0;
    room.join(1, true);
    let big = "x".repeat(2048);
    let out = room.receive(1, &typed(&Doc::new(), &big), Instant::now());
    assert_eq!(out, [Output::Close(1, Cutoff::DocumentFull)]);
    assert!(room.snapshot().len() < 100, "not applied");
}

#[test]
fn presence_is_relayed_to_everyone_owned_by_its_sender_and_expires() {
    let mut room = room();
    let start = Instant::now();
    room.join(1, true);
    room.join(2, false);
    let out = room.receive(1, &presence(10, 1, r#"{"user":"alice"}"#), start);
    let Output::ToAll {
        except: None,
        frame,
    } = &out[0]
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        presence_clients(frame),
        [(10, r#"{"user":"alice"}"#.to_string())]
    );
    assert!(matches!(out[1], Output::Hub(_)));

    // Another connection cannot set alice's client, even with a newer clock.
    assert!(
        room.receive(2, &presence(10, 5, r#"{"user":"mallory"}"#), start)
            .is_empty()
    );
    // A viewer's own presence is relayed.
    assert_eq!(
        room.receive(2, &presence(20, 1, r#"{"user":"bob"}"#), start)
            .len(),
        2
    );

    // A newcomer learns both.
    let joined = room.join(3, true);
    let Output::To(3, everyone) = &joined[1] else {
        panic!("{joined:?}")
    };
    assert_eq!(presence_clients(everyone).len(), 2);

    // Alice renews; bob goes silent and expires.
    room.receive(
        1,
        &presence(10, 2, r#"{"user":"alice"}"#),
        start + Duration::from_secs(20),
    );
    let out = room.expire_presence(start + PRESENCE_TIMEOUT);
    let Output::ToAll { frame, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(presence_clients(frame), [(20, "null".to_string())]);

    // Alice's connection leaves: her presence goes with it.
    let out = room.leave(1);
    let Output::ToAll { frame, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(presence_clients(frame), [(10, "null".to_string())]);
}

#[test]
fn a_connection_announces_a_bounded_number_of_presences() {
    let mut room = room();
    room.join(1, true);
    let now = Instant::now();
    for client in 0..20 {
        room.receive(1, &presence(client, 1, "{}"), now);
    }
    let joined = room.join(2, true);
    let Output::To(2, everyone) = &joined[1] else {
        panic!("{joined:?}")
    };
    assert_eq!(presence_clients(everyone).len(), PRESENCE_PER_CONNECTION);
    let huge = format!("{{\"x\":\"{}\"}}", "y".repeat(MAX_PRESENCE_JSON));
    assert!(room.receive(1, &presence(0, 9, &huge), now).is_empty());
}

#[test]
fn instances_exchange_what_the_other_lacks() {
    let now = Instant::now();
    let mut first = room();
    let mut second = room();
    first.join(1, true);
    second.join(2, true);
    first.receive(1, &typed(&Doc::new(), "written while apart"), now);

    // The second instance joins the room on the hub: its hello is answered with what
    // it lacks and with the first's state vector.
    let answers = first.receive_from_hub(&second.hello(), now);
    let hub: Vec<&Bytes> = answers
        .iter()
        .filter_map(|output| match output {
            Output::Hub(frame) => Some(frame),
            _ => None,
        })
        .collect();
    assert_eq!(hub[0][0], HubFrame::Relay as u8);
    assert_eq!(hub[1][0], HubFrame::HelloBack as u8);
    let relayed = second.receive_from_hub(hub[0], now);
    assert!(
        relayed
            .iter()
            .all(|output| !matches!(output, Output::Store(_))),
        "the writer's instance stores it"
    );
    let Output::ToAll {
        except: None,
        frame,
    } = &relayed[0]
    else {
        panic!("{relayed:?}")
    };
    let reader = Doc::new();
    apply_to(&reader, frame);
    assert_eq!(text_of(&reader), "written while apart");
    assert_eq!(second.snapshot(), first.snapshot());

    // A hello-back is answered with a diff only (no endless hellos).
    let back = second.receive_from_hub(hub[1], now);
    assert_eq!(back.len(), 1);
}

#[test]
fn unreadable_stored_updates_are_skipped_and_counted() {
    let doc = Doc::new();
    let Message::Sync(SyncMessage::Update(good)) = messages(&typed(&doc, "kept")).remove(0) else {
        panic!()
    };
    let (room, unreadable) = Room::load([&b"junk"[..], &good], LIMITS);
    assert_eq!(unreadable, 1);
    let reader = Doc::new();
    reader
        .transact_mut()
        .apply_update(Update::decode_v1(&room.snapshot()).unwrap())
        .unwrap();
    assert_eq!(text_of(&reader), "kept");
}

#[test]
fn a_renewed_presence_is_relayed_again() {
    let mut room = room();
    let now = Instant::now();
    room.join(1, true);
    assert_eq!(
        room.receive(1, &presence(3935146657, 0, "{}"), now).len(),
        2
    );
    let out = room.receive(1, &presence(3935146657, 1, r#"{"user":"alice"}"#), now);
    let Output::ToAll { frame, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        presence_clients(frame),
        [(3935146657, r#"{"user":"alice"}"#.to_string())]
    );
}

#[test]
fn what_the_database_lacks_is_found_by_its_state_vector() {
    let mut room = room();
    room.join(1, true);
    let alice = Doc::new();
    room.receive(1, &typed(&alice, "relayed, never stored"), Instant::now());
    let empty = StateVector::default().encode_v1();
    let missing = room.missing_from(&empty).expect("everything is missing");
    assert_eq!(
        crate::collab::test_docs::text_of_updates(&[missing]),
        "relayed, never stored"
    );
    let everything = room.snapshot();
    let stored = yrs::encode_state_vector_from_update_v1(&everything).unwrap();
    assert_eq!(
        room.missing_from(&stored),
        None,
        "nothing when the database has it all"
    );
    assert_eq!(
        room.missing_from(b"\xff\xff"),
        None,
        "an unreadable state vector"
    );
}

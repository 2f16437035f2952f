//! Two document clients talking to each other directly, as the server relays them.

use super::*;

/// Delivers `frames` to `to`; the replies it sends back.
fn deliver(to: &mut DocumentState, frames: &[Vec<u8>], now: Instant) -> Vec<Vec<u8>> {
    frames
        .iter()
        .flat_map(|frame| to.receive(frame, now).replies)
        .collect()
}

#[test]
fn two_clients_converge_on_texts_and_see_each_others_presence() {
    let now = Instant::now();
    let mut alice = DocumentState::new();
    let mut bob = DocumentState::new();
    assert!(alice.set_text("draft", "Hello"));
    assert!(!alice.set_text("draft", "Hello"), "no change");
    assert!(alice.take_update().is_some());
    assert_eq!(alice.take_update(), None, "nothing more to send");
    let announce = alice.set_presence(serde_json::json!({"user": "alice", "typing": true}));

    // Bob joins: his step 1 is answered with what he lacks, and alice's presence comes.
    let answers = deliver(&mut alice, &bob.opening_frames(), now);
    let received = bob.receive(&answers[0], now);
    assert!(received.document_changed);
    assert_eq!(bob.text("draft"), "Hello");
    assert!(bob.receive(&announce, now).peers_changed);
    assert_eq!(
        bob.peers(now),
        [Peer {
            client_id: alice.client_id,
            state: serde_json::json!({"user": "alice", "typing": true})
        }]
    );

    // Both edit; each update reaches the other.
    bob.set_text("draft", "Hello, world");
    alice.receive(&bob.take_update().unwrap(), now);
    assert_eq!(alice.text("draft"), "Hello, world");
}

#[test]
fn text_edits_change_only_what_differs_so_concurrent_ones_both_survive() {
    let now = Instant::now();
    let mut alice = DocumentState::new();
    let mut bob = DocumentState::new();
    alice.set_text("draft", "Grüße an das Team");
    bob.receive(&alice.take_update().unwrap(), now);

    // Each changes a different end at the same time (one of them after a non-ASCII
    // character, so byte offsets matter).
    alice.set_text("draft", "Liebe Grüße an das Team");
    bob.set_text("draft", "Grüße an das ganze Team!");
    let from_alice = alice.take_update().unwrap();
    let from_bob = bob.take_update().unwrap();
    alice.receive(&from_bob, now);
    bob.receive(&from_alice, now);
    assert_eq!(alice.text("draft"), "Liebe Grüße an das ganze Team!");
    assert_eq!(bob.text("draft"), alice.text("draft"));

    assert_eq!(differing_part("abc", "abc"), (3, 3, 3));
    assert_eq!(differing_part("aé", "aè"), (1, 3, 3));
    assert_eq!(differing_part("", "new"), (0, 0, 3));
    assert_eq!(differing_part("aaa", "aa"), (2, 3, 2));
}

#[test]
fn edits_made_together_leave_as_one_update_that_is_smaller_than_the_text() {
    let now = Instant::now();
    let mut driver = DocumentState::new();
    let mut watcher = DocumentState::new();
    let mut streamed = String::new();
    for token in 0..200 {
        let piece = format!("token {token} ");
        driver.append_text("turn", &piece);
        streamed.push_str(&piece);
    }
    let batch = driver.take_update().unwrap();
    assert!(driver.take_update().is_none());
    assert!(watcher.receive(&batch, now).document_changed);
    assert_eq!(watcher.text("turn"), streamed);

    // The next append carries the new part, not the whole text again.
    driver.append_text("turn", "the end");
    let next = driver.take_update().unwrap();
    assert!(next.len() < 100, "{} bytes for a 7-byte append", next.len());
    watcher.receive(&next, now);
    assert_eq!(watcher.text("turn"), format!("{streamed}the end"));
}

#[test]
fn a_map_entry_set_by_two_at_once_settles_on_the_same_value_for_both() {
    let now = Instant::now();
    let mut alice = DocumentState::new();
    let mut bob = DocumentState::new();
    assert!(alice.set_entry("lease", "driver", Some("alice")));
    assert!(!alice.set_entry("lease", "driver", Some("alice")));
    assert!(bob.set_entry("lease", "driver", Some("bob")));
    let from_alice = alice.take_update().unwrap();
    let from_bob = bob.take_update().unwrap();
    alice.receive(&from_bob, now);
    bob.receive(&from_alice, now);
    let winner = alice.entry("lease", "driver");
    assert!(winner.is_some());
    assert_eq!(bob.entry("lease", "driver"), winner, "one driver for both");
    assert_eq!(
        alice.entries("lease"),
        BTreeMap::from([("driver".to_string(), winner.clone().unwrap())])
    );

    assert!(alice.set_entry("lease", "driver", None));
    bob.receive(&alice.take_update().unwrap(), now);
    assert_eq!(bob.entry("lease", "driver"), None);
    assert!(bob.entries("lease").is_empty());
}

#[test]
fn a_silent_peer_expires_and_one_that_leaves_goes_at_once() {
    let start = Instant::now();
    let mut alice = DocumentState::new();
    let mut bob = DocumentState::new();
    let hello = alice.set_presence(serde_json::json!({"user": "alice"}));
    bob.receive(&hello, start);
    assert_eq!(bob.peers(start).len(), 1);
    assert!(!bob.expire_peers(start + Duration::from_secs(20)));
    let renewed = alice.renewal().unwrap();
    bob.receive(&renewed, start + Duration::from_secs(20));
    assert!(
        !bob.expire_peers(start + Duration::from_secs(40)),
        "renewed at 20 s"
    );
    assert!(bob.expire_peers(start + Duration::from_secs(51)));
    assert!(bob.peers(start + Duration::from_secs(51)).is_empty());

    bob.receive(
        &alice.set_presence(serde_json::json!({"user": "alice"})),
        start,
    );
    let leaving = alice.set_presence(serde_json::Value::Null);
    assert!(bob.receive(&leaving, start).peers_changed);
    assert!(bob.peers(start).is_empty());
}

#[test]
fn a_refused_edit_is_reported_with_the_servers_reason() {
    let mut client = DocumentState::new();
    let denied = YMessage::Auth(Some("viewers cannot edit this session".to_string())).encode_v1();
    let received = client.receive(&denied, Instant::now());
    assert_eq!(
        received.refused.as_deref(),
        Some("viewers cannot edit this session")
    );
}

#[test]
fn reconnects_back_off_with_jitter_up_to_a_ceiling() {
    let first: Vec<Duration> = (0..20).map(|_| retry_delay(1)).collect();
    assert!(
        first
            .iter()
            .all(|delay| *delay >= FIRST_RETRY / 2 && *delay <= FIRST_RETRY)
    );
    assert!(
        first.iter().any(|delay| *delay != first[0]),
        "spread, not in lockstep"
    );
    assert!(retry_delay(3) >= FIRST_RETRY * 2, "doubling");
    assert!((0..20).all(|_| retry_delay(40) <= LONGEST_RETRY));
}

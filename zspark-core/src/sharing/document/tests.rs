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
    let edit = alice.set_text("draft", "Hello").unwrap();
    assert_eq!(
        alice.set_text("draft", "Hello"),
        None,
        "no change, no frame"
    );
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
    let from_bob = bob.set_text("draft", "Hello, world").unwrap();
    alice.receive(&from_bob, now);
    assert_eq!(alice.text("draft"), "Hello, world");
    let _ = edit;
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

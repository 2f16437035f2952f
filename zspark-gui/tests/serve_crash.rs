//! Crash safety of `zspark serve`: kill -9 the server during concurrent uploads and
//! appends, restart it on the same data, and check that every acknowledged write is
//! there and nothing partial is visible. On SQLite, and on PostgreSQL when
//! `ZSPARK_TEST_POSTGRES_URL` is set.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; skipped tests say why on stderr"
)]

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::Digest;
use support::{ServeProcess, blocking_http};

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the server acknowledged before it died.
#[derive(Default)]
struct Acknowledged {
    artifacts: BTreeMap<String, String>,
    items: BTreeMap<i64, String>,
}

fn run_crash_test(database_url: Option<&str>) {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), database_url);
    let client = blocking_http(Duration::from_secs(10));
    let post = |url: String, body: Value| {
        client
            .post(url)
            .header("x-domain-user", "alice")
            .json(&body)
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap()
    };
    let workspace = post(
        format!("{}/v1/workspaces", server.base),
        json!({"name": "Crash"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ws = format!("{}/v1/workspaces/{workspace}", server.base);
    let session = post(format!("{ws}/sessions"), json!({"title": "S"}))["id"]
        .as_str()
        .unwrap()
        .to_string();

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let (acknowledged, stop, ws, session) = (
            acknowledged.clone(),
            stop.clone(),
            ws.clone(),
            session.clone(),
        );
        workers.push(std::thread::spawn(move || {
            let client = blocking_http(Duration::from_secs(5));
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                if worker % 2 == 0 {
                    let content: Vec<u8> = (0..200_000).map(|i| ((i * (worker + 1) + n) % 251) as u8).collect();
                    let digest = sha256(&content);
                    let sent = client
                        .post(format!("{ws}/artifacts"))
                        .query(&[("name", format!("w{worker}-{n}.bin"))])
                        .header("x-domain-user", "alice")
                        .header("x-content-sha256", &digest)
                        .body(content)
                        .send();
                    if let Ok(response) = sent
                        && response.status() == 201
                        && let Ok(body) = response.json::<Value>()
                    {
                        acknowledged.lock().unwrap().artifacts.insert(body["id"].as_str().unwrap().to_string(), digest);
                    }
                } else {
                    let items_url = format!("{ws}/sessions/{session}/items");
                    let Ok(current) = client.get(&items_url).query(&[("after", "999999999")]).header("x-domain-user", "alice").send() else {
                        continue;
                    };
                    let Ok(current) = current.json::<Value>() else { continue };
                    let Some(next) = current["next_seq"].as_i64() else { continue };
                    let text = format!("worker {worker} item {n}");
                    let body = json!({"expected_seq": next, "items": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]});
                    if let Ok(response) = client.post(&items_url).header("x-domain-user", "alice").json(&body).send()
                        && response.status() == 200
                    {
                        acknowledged.lock().unwrap().items.insert(next, text);
                    }
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    server.kill();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        !acknowledged.artifacts.is_empty() && !acknowledged.items.is_empty(),
        "the workload ran before the kill"
    );

    let restarted = ServeProcess::start(data.path(), database_url);
    let ws = format!("{}/v1/workspaces/{workspace}", restarted.base);
    let get = |url: String| {
        client
            .get(url)
            .header("x-domain-user", "alice")
            .send()
            .unwrap()
    };
    for (id, digest) in &acknowledged.artifacts {
        let response = get(format!("{ws}/artifacts/{id}"));
        assert_eq!(
            response.status(),
            200,
            "acknowledged artifact {id} is there"
        );
        assert_eq!(&sha256(&response.bytes().unwrap()), digest, "and intact");
    }
    let mut rows: Vec<String> = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = get(format!("{ws}/artifacts?limit=200{cursor}"))
            .json()
            .unwrap();
        rows.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    for id in &rows {
        assert_eq!(
            get(format!("{ws}/artifacts/{id}")).status(),
            200,
            "no row without its file"
        );
    }
    let stored = std::fs::read_dir(data.path().join("artifacts").join(&workspace))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(stored, rows.len(), "no file without its row");
    assert_eq!(
        std::fs::read_dir(data.path().join("artifacts/tmp"))
            .unwrap()
            .count(),
        0,
        "no partial upload is left"
    );

    let mut stored_items: Vec<(i64, String)> = Vec::new();
    let items = loop {
        let after = stored_items
            .last()
            .map(|(seq, _)| format!("&after={seq}"))
            .unwrap_or_default();
        let page: Value = get(format!("{ws}/sessions/{session}/items?limit=1000{after}"))
            .json()
            .unwrap();
        let batch = page["items"].as_array().unwrap();
        if batch.is_empty() {
            break page;
        }
        stored_items.extend(batch.iter().map(|i| {
            (
                i["seq"].as_i64().unwrap(),
                i["payload"]["content"][0]["text"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        }));
    };
    let seqs: Vec<i64> = stored_items.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (0..stored_items.len() as i64).collect::<Vec<_>>(),
        "items are contiguous"
    );
    assert_eq!(
        items["next_seq"].as_i64(),
        Some(stored_items.len() as i64),
        "the count matches the items"
    );
    for (seq, text) in &acknowledged.items {
        assert_eq!(
            stored_items.get(*seq as usize).map(|(_, t)| t),
            Some(text),
            "acknowledged item {seq} is there"
        );
    }
    restarted.kill();
}

#[test]
fn a_killed_server_keeps_every_acknowledged_write_on_sqlite() {
    run_crash_test(None);
}

#[test]
fn a_killed_server_keeps_every_acknowledged_write_on_postgres() {
    let Some(database) = support::postgres_database("zspark_crash") else {
        return;
    };
    run_crash_test(Some(database.url()));
}

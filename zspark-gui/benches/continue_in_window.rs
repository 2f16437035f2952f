//! Continuing a teammate's shared session of about 5,000 items in the window: the time
//! from clicking "Continue here…" to the model endpoint's first request, the time to
//! read the session onto the screen, and the process's memory while it is open; next to
//! the same conversation resumed from a local file in the same window (the closest
//! peer: no other desktop continues a teammate's session from a server).
//!
//! Each run is a process of its own (the bench starts itself with `--side`), so memory
//! is not carried over from another run. In a run, set-up is not measured: `zspark
//! serve --dev` on SQLite with the session appended by its author, or the rollout
//! written to `CODEX_HOME`; the real desktop (app, engine, runtime; drawn through the
//! accessibility tree only) is driven frame by frame with no pause between frames.
//!
//! `cargo bench -p zspark-gui --bench continue_in_window [-- --runs 5 --turns 555]`
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark prints its numbers and stops on a broken set-up"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use codex_test_support::{ScriptedModelServer, Turn};
use egui_kittest::kittest::Queryable;
use serde_json::{Value, json};
use support::{Desk, ServeProcess, blocking_http, config_for, unattended};
use zspark_gui::desktop::{SharedIdentityPrefs, SharedServerPrefs};

const SESSION_ID: &str = "01a23856-c023-7250-8dd1-64b56cc4de01";

fn argument(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1).cloned())
}

/// A session's rollout records: the meta line, then `turns` turns of nine records (a
/// question, a command call and its output, an answer, and their events).
fn records(turns: usize, cwd: &Path) -> Vec<Value> {
    let stamp = "2026-12-01T10:00:00.000Z";
    let mut records = vec![
        json!({"timestamp": stamp, "type": "session_meta", "payload": {
        "id": SESSION_ID, "session_id": SESSION_ID, "timestamp": stamp, "cwd": cwd,
        "originator": "zspark", "cli_version": "0.1.0", "source": "exec",
        "model_provider": "scripted"}}),
    ];
    for turn in 0..turns {
        let turn_id = format!("turn-{turn:05}");
        let question = format!("question {turn}: what does module {} do?", turn % 40);
        let output: Vec<String> = (0..6)
            .map(|n| format!("line {n} of the listing for module {}", turn % 40))
            .collect();
        let answer = format!("Module {} parses its inputs (turn {turn}).", turn % 40);
        let call = format!("call_{turn}");
        for (kind, payload) in [
            (
                "turn_context",
                json!({"turn_id": turn_id, "cwd": cwd, "model": "scripted-model"}),
            ),
            (
                "event_msg",
                json!({"type": "task_started", "turn_id": turn_id}),
            ),
            (
                "response_item",
                json!({"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": question}]}),
            ),
            (
                "event_msg",
                json!({"type": "user_message", "message": question, "images": []}),
            ),
            (
                "response_item",
                json!({"type": "function_call", "name": "exec_command",
                "call_id": call, "arguments": json!({"cmd": "ls"}).to_string()}),
            ),
            (
                "response_item",
                json!({"type": "function_call_output", "call_id": call,
                "output": output.join("\n")}),
            ),
            (
                "response_item",
                json!({"type": "message", "role": "assistant",
                "content": [{"type": "output_text", "text": answer}]}),
            ),
            (
                "event_msg",
                json!({"type": "agent_message", "message": answer}),
            ),
            (
                "event_msg",
                json!({"type": "task_complete", "turn_id": turn_id,
                "last_agent_message": answer}),
            ),
        ] {
            records.push(json!({"timestamp": stamp, "type": kind, "payload": payload}));
        }
    }
    records
}

/// Resident and peak resident memory of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Steps frames, with no pause between them, until `done` holds.
fn frames_until(desk: &mut Desk, what: &str, mut done: impl FnMut(&Desk) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done(desk) {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen; {}",
            desk.describe()
        );
        desk.harness.step();
    }
}

fn has_label(desk: &Desk, text: &str) -> bool {
    desk.harness
        .query_all_by_label_contains(text)
        .next()
        .is_some()
}

/// Sends "next" once the opened session is ready, and waits for the model's request.
fn send_and_reach_the_model(desk: &mut Desk, model: &ScriptedModelServer) {
    frames_until(desk, "the session opens", |desk| {
        desk.app()
            .shown_session()
            .is_some_and(|session| session.configured.is_some() && !session.is_running())
    });
    desk.type_into("Message", "next");
    desk.harness.get_by_label("Send").click();
    frames_until(desk, "the model is asked", |_| {
        !model.model_requests().is_empty()
    });
}

/// One run of `side`; prints its numbers as one JSON line.
fn run(side: &str, turns: usize) {
    let model = ScriptedModelServer::start([Turn::text("ok")]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let (to_read, to_request, open) = if side == "shared" {
        let serve = ServeProcess::start(data.path(), None);
        let http = blocking_http(Duration::from_secs(60));
        let post = |path: String, body: Value| -> Value {
            http.post(format!("{}{path}", serve.base))
                .header("x-domain-user", "alice")
                .json(&body)
                .send()
                .unwrap()
                .json()
                .unwrap()
        };
        let workspace = post("/v1/workspaces".into(), json!({"name": "Bench"}))["id"]
            .as_str()
            .unwrap()
            .to_string();
        post(
            format!("/v1/workspaces/{workspace}/members"),
            json!({"principal": "principal:bob", "role": "editor"}),
        );
        let session = post(
            format!("/v1/workspaces/{workspace}/sessions"),
            json!({"title": "Module survey"}),
        )["id"]
            .as_str()
            .unwrap()
            .to_string();
        let all = records(turns, Path::new("/home/alice/project"));
        for (batch, chunk) in all.chunks(500).enumerate() {
            post(
                format!("/v1/workspaces/{workspace}/sessions/{session}/items"),
                json!({"expected_seq": batch * 500, "items": chunk}),
            );
        }
        let server = SharedServerPrefs {
            url: serve.base.clone(),
            identity: SharedIdentityPrefs::Development { user: "bob".into() },
        };
        let mut bob = Desk::open(Some(config_for(&model)), |prefs, folder| {
            unattended(prefs, folder);
            prefs.shared_server = Some(server);
        });
        frames_until(&mut bob, "the workspace is listed", |desk| {
            has_label(desk, "Bench")
        });
        bob.click("Bench");
        frames_until(&mut bob, "its sessions are listed", |desk| {
            has_label(desk, "Read the shared session Module survey")
        });
        let started = Instant::now();
        bob.harness
            .get_by_label("Read the shared session Module survey")
            .click();
        frames_until(&mut bob, "the session is read", |desk| {
            desk.app().model.shared.reading.is_some() && has_label(desk, "Continue here…")
        });
        let to_read = started.elapsed();
        bob.dialogs
            .folders
            .lock()
            .unwrap()
            .push_back(bob.workspace.clone());
        let started = Instant::now();
        // After a frame, so the button is where the page's layout settled.
        bob.click("Continue here…");
        send_and_reach_the_model(&mut bob, &model);
        (Some(to_read), started.elapsed(), memory())
    } else {
        let mut bob = Desk::open(Some(config_for(&model)), unattended);
        let dir = bob.codex_home.join("sessions/2026/12/01");
        std::fs::create_dir_all(&dir).unwrap();
        let text: String = records(turns, &bob.workspace)
            .iter()
            .map(|record| format!("{record}\n"))
            .collect();
        std::fs::write(
            dir.join(format!("rollout-2026-12-01T10-00-00-{SESSION_ID}.jsonl")),
            text,
        )
        .unwrap();
        bob.click("⟳");
        frames_until(&mut bob, "the session is listed", |desk| {
            has_label(desk, "question 0")
        });
        let started = Instant::now();
        bob.harness
            .query_all_by_label_contains("question 0")
            .next()
            .unwrap()
            .click();
        send_and_reach_the_model(&mut bob, &model);
        (None, started.elapsed(), memory())
    };
    println!(
        "{}",
        json!({
            "side": side,
            "to_read": to_read.map(|read| read.as_secs_f64()),
            "to_request": to_request.as_secs_f64(),
            "rss_mib": open.0,
            "peak_mib": open.1,
        })
    );
}

fn median_min_max(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

fn main() {
    let turns: usize = argument("--turns")
        .and_then(|n| n.parse().ok())
        .unwrap_or(555);
    if let Some(side) = argument("--side") {
        run(&side, turns);
        return;
    }
    let runs: usize = argument("--runs").and_then(|n| n.parse().ok()).unwrap_or(5);
    let mut results: Vec<Value> = Vec::new();
    for _ in 0..runs {
        for side in ["shared", "local"] {
            let output = Command::new(std::env::current_exe().unwrap())
                .args(["--side", side, "--turns", &turns.to_string()])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let line = String::from_utf8_lossy(&output.stdout)
                .lines()
                .rev()
                .find(|line| line.starts_with('{'))
                .map(str::to_string)
                .unwrap();
            results.push(serde_json::from_str(&line).unwrap());
        }
    }
    println!(
        "{} records ({turns} turns), {runs} runs per side; median (min-max)",
        1 + turns * 9
    );
    for side in ["shared", "local"] {
        let mine: Vec<&Value> = results.iter().filter(|r| r["side"] == side).collect();
        let column =
            |key: &str| -> Vec<f64> { mine.iter().filter_map(|r| r[key].as_f64()).collect() };
        let (request, request_min, request_max) = median_min_max(column("to_request"));
        let (rss, _, _) = median_min_max(column("rss_mib"));
        let (peak, _, _) = median_min_max(column("peak_mib"));
        let read = column("to_read");
        let read = if read.is_empty() {
            "-".to_string()
        } else {
            let (read, low, high) = median_min_max(read);
            format!("{read:.3} ({low:.3}-{high:.3}) s")
        };
        println!(
            "{side:>6}: read onto the screen {read}; open to the first model request {request:.3} ({request_min:.3}-{request_max:.3}) s; RSS while open {rss:.1} MiB, peak {peak:.1} MiB"
        );
    }
}

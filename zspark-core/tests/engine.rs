//! The engine against a scripted model server: a profile saved through the engine is
//! what the session uses (its key arrives as the bearer token), a turn streams and
//! completes, the session is listed and resumes with its history, and a deleted folder
//! or a corrupt rollout is a clear failure rather than a hang.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codex_protocol::{EventMsg, InputItem, Op, TurnOverrides, WireApi};
use codex_test_support::{Reply, ScriptedModelServer, Turn};
use zspark_core::{
    Engine, EngineCommand, EngineEvent, EngineSetup, ProviderProfile, SecretBackend,
    SessionSettings, SessionStart,
};

const WAIT: Duration = Duration::from_secs(20);

fn engine(codex_home: &Path) -> (Engine, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = wakes.clone();
    let engine = Engine::start(
        EngineSetup {
            codex_home: codex_home.to_path_buf(),
            env: [("HOME".to_string(), codex_home.display().to_string())].into(),
            secrets: SecretBackend::FileOnly,
        },
        Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .unwrap();
    (engine, wakes)
}

/// Waits for the first event `pick` accepts, failing on timeout.
fn wait_for<T>(engine: &mut Engine, mut pick: impl FnMut(&EngineEvent) -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let event = engine
            .wait_event(left)
            .expect("timed out waiting for an event");
        if let Some(found) = pick(&event) {
            return found;
        }
    }
}

fn profile(base_url: String) -> ProviderProfile {
    ProviderProfile {
        id: "scripted".into(),
        name: "Scripted".into(),
        base_url,
        wire_api: WireApi::Responses,
        model: "scripted-model".into(),
        env_key: "SCRIPTED_KEY".into(),
        headers: [("X-Workspace".to_string(), "desk".to_string())].into(),
    }
}

fn text_turn(text: &str) -> Op {
    Op::UserTurn {
        items: vec![InputItem::Text { text: text.into() }],
        overrides: TurnOverrides::default(),
    }
}

#[test]
fn a_saved_profile_runs_a_turn_and_the_session_resumes() {
    let home = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let server = ScriptedModelServer::start([
        Reply::new()
            .message("Hello from the model")
            .delta_chars(3)
            .into(),
        Turn::text("Second answer"),
    ])
    .unwrap();
    let (mut engine, wakes) = engine(home.path());

    engine
        .send(EngineCommand::SaveProvider {
            profile: profile(server.base_url()),
            api_key: Some("sk-desk-0123456789".into()),
            make_default: true,
        })
        .unwrap();
    let saved = wait_for(&mut engine, |event| match event {
        EngineEvent::ProviderSaved { id, .. } => Some(id.clone()),
        EngineEvent::ProviderError(message) => panic!("{message}"),
        _ => None,
    });
    assert_eq!(saved, "scripted");

    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::New,
            cwd: Some(workspace.path().to_path_buf()),
            settings: SessionSettings::default(),
        })
        .unwrap();
    let session = wait_for(&mut engine, |event| match event {
        EngineEvent::Runtime {
            session,
            event:
                codex_protocol::Event {
                    msg: EventMsg::SessionConfigured(configured),
                    ..
                },
        } => {
            assert_eq!(configured.model, "scripted-model");
            assert_eq!(configured.model_provider_id, "scripted");
            Some(*session)
        }
        EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    engine.send(EngineCommand::Submit(text_turn("hi"))).unwrap();
    let mut streamed = String::new();
    let last = wait_for(&mut engine, |event| match event {
        EngineEvent::Runtime { event, .. } => match &event.msg {
            EventMsg::AgentMessageDelta { delta } => {
                streamed.push_str(delta);
                None
            }
            EventMsg::TurnComplete {
                last_agent_message, ..
            } => Some(last_agent_message.clone()),
            EventMsg::TurnFailed { message, .. } => panic!("{message}"),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(last.as_deref(), Some("Hello from the model"));
    assert_eq!(streamed, "Hello from the model");
    assert!(
        wakes.load(Ordering::Relaxed) > 0,
        "the waker was never called"
    );
    let request = &server.model_requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sk-desk-0123456789")
    );
    assert_eq!(request.header("x-workspace"), Some("desk"));

    engine.send(EngineCommand::RefreshSessions).unwrap();
    let listed = wait_for(&mut engine, |event| match event {
        EngineEvent::Sessions(catalogue) => Some(catalogue.clone()),
        _ => None,
    });
    assert_eq!(listed.len(), 1);
    let stored = listed.groups[0].sessions[0].clone();
    assert_eq!(stored.title, "hi");
    assert_eq!(listed.groups[0].folder.as_deref(), Some(workspace.path()));

    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::Resume {
                rollout_path: stored.path.clone(),
            },
            cwd: None,
            settings: SessionSettings::default(),
        })
        .unwrap();
    let (resumed, history) = wait_for(&mut engine, |event| match event {
        EngineEvent::Runtime {
            session,
            event:
                codex_protocol::Event {
                    msg: EventMsg::SessionConfigured(configured),
                    ..
                },
        } => Some((*session, configured.history.len())),
        EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    assert!(
        resumed > session,
        "a new session number for the resumed session"
    );
    assert!(history >= 2, "the resumed session carries its history");
}

#[test]
fn a_deleted_folder_or_a_corrupt_rollout_fails_with_a_next_step() {
    let home = tempfile::tempdir().unwrap();
    let (mut engine, _) = engine(home.path());
    let gone = home.path().join("deleted-project");
    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::New,
            cwd: Some(gone.clone()),
            settings: SessionSettings::default(),
        })
        .unwrap();
    let message = wait_for(&mut engine, |event| match event {
        EngineEvent::SessionFailed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(
        message.contains("does not exist any more") && message.contains("Choose another folder"),
        "{message}"
    );

    let corrupt = home.path().join("sessions/2026/11/24/rollout-2026-11-24T10-00-00-0190b5f2-7c4a-7d1e-9a53-3c2f0b6e4d11.jsonl");
    std::fs::create_dir_all(corrupt.parent().unwrap()).unwrap();
    std::fs::write(&corrupt, "this is not json\n").unwrap();
    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::Resume {
                rollout_path: corrupt.clone(),
            },
            cwd: None,
            settings: SessionSettings::default(),
        })
        .unwrap();
    let message = wait_for(&mut engine, |event| match event {
        EngineEvent::SessionFailed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(message.contains("cannot be opened"), "{message}");

    engine
        .send(EngineCommand::Submit(text_turn("anyone?")))
        .unwrap();
    let problem = wait_for(&mut engine, |event| match event {
        EngineEvent::Problem(message) => Some(message.clone()),
        _ => None,
    });
    assert!(problem.contains("No session is open"), "{problem}");
}

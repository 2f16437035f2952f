//! One conversation model, end to end through the engine: a session holding every
//! kind of item (a message with an attached file, an image and a skill; reasoning; a
//! command with output and an exit code; a patch; a plan; an image the agent viewed; a
//! compaction; a failed turn; an interrupted turn) is folded into a transcript from its
//! live events; closed and resumed, the transcript rebuilt from the replayed events is
//! the same, item for item.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use codex_protocol::{EventMsg, InputItem, Op, TurnOverrides};
use codex_test_support::{Ending, Reply, ScriptedModelServer, Turn};
use serde_json::json;
use zspark_auth::signin::SystemBrowser;
use zspark_core::conversation::Item;
use zspark_core::{
    Engine, EngineCommand, EngineEvent, EngineSetup, SecretBackend, SessionKey, SessionSettings,
    SessionStart, SystemLauncher, Transcript,
};

const WAIT: Duration = Duration::from_secs(30);
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn next(engine: &mut Engine) -> EngineEvent {
    engine
        .wait_event(WAIT)
        .expect("an engine event within 30 s")
}

/// Folds session `session`'s runtime events into `transcript` until `stop` matches
/// one; returns that event.
fn fold_until(
    engine: &mut Engine,
    session: SessionKey,
    transcript: &mut Transcript,
    stop: impl Fn(&EventMsg) -> bool,
) -> EventMsg {
    loop {
        match next(engine) {
            EngineEvent::Runtime {
                session: from,
                event,
            } if from == session => {
                transcript.apply(&event.msg);
                if stop(&event.msg) {
                    return event.msg;
                }
            }
            EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
}

fn turn_end(msg: &EventMsg) -> bool {
    matches!(
        msg,
        EventMsg::TurnComplete { .. } | EventMsg::TurnFailed { .. } | EventMsg::TurnAborted { .. }
    )
}

fn open(engine: &mut Engine, start: SessionStart, cwd: &Path) -> (SessionKey, EventMsg) {
    engine
        .send(EngineCommand::OpenSession {
            start,
            cwd: Some(cwd.to_path_buf()),
            settings: SessionSettings {
                approval_policy: Some(codex_protocol::ApprovalPolicy::Never),
                sandbox_mode: Some(codex_protocol::SandboxMode::DangerFullAccess),
                ..SessionSettings::default()
            },
        })
        .unwrap();
    loop {
        match next(engine) {
            EngineEvent::Runtime { session, event } => {
                if let EventMsg::SessionConfigured(_) = event.msg {
                    return (session, event.msg);
                }
            }
            EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
}

fn user_turn(items: Vec<InputItem>) -> Op {
    Op::UserTurn {
        items,
        overrides: TurnOverrides::default(),
    }
}

fn text(text: &str) -> Vec<InputItem> {
    vec![InputItem::Text { text: text.into() }]
}

#[test]
fn the_transcript_built_live_equals_the_one_rebuilt_after_resume() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let work = work.path().canonicalize().unwrap();
    let patch = "*** Begin Patch\n*** Add File: made.txt\n+made by the agent\n*** End Patch\n";
    let server = ScriptedModelServer::start([
        Reply::new()
            .reasoning("Let me look around first.")
            .function_call(
                "cmd",
                "exec_command",
                json!({"cmd": "echo listing; exit 3"}).to_string(),
            )
            .function_call("patch", "apply_patch", json!({"input": patch}).to_string())
            .function_call(
                "plan",
                "update_plan",
                json!({"plan": [{"step": "look", "status": "completed"}]}).to_string(),
            )
            .function_call("look", "view_image", json!({"path": "pic.png"}).to_string())
            .into(),
        Turn::text("Done with the first part."),
        Turn::text("SUMMARY: looked and patched"),
        Turn::http_error(400, "the request was refused"),
        Reply::new()
            .message("half an answer")
            .delta_chars(3)
            .ending(Ending::StallAfter { events: 5 })
            .into(),
        Turn::text("The last answer."),
    ])
    .unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"scripted-model\"\nmodel_provider = \"scripted\"\n[model_providers.scripted]\nname = \"Scripted\"\nbase_url = \"{}\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
            server.base_url()
        ),
    )
    .unwrap();
    std::fs::write(work.join("pic.png"), PNG).unwrap();
    std::fs::write(work.join("notes.txt"), "notes").unwrap();
    let skill = work.join("skills/tidy/SKILL.md");
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    std::fs::write(
        &skill,
        "---\nname: tidy\ndescription: Tidy up.\n---\n\nTidy everything.\n",
    )
    .unwrap();
    let mut engine = Engine::start(
        EngineSetup {
            codex_home: home.path().to_path_buf(),
            env: [("HOME".to_string(), home.path().display().to_string())].into(),
            secrets: SecretBackend::FileOnly,
            launcher: Arc::new(SystemLauncher),
            browser: Arc::new(SystemBrowser),
        },
        Arc::new(|| {}),
    )
    .unwrap();

    let (session, configured) = open(&mut engine, SessionStart::New, &work);
    let EventMsg::SessionConfigured(configured) = configured else {
        unreachable!()
    };
    let mut live = Transcript::from_events(&configured.initial_messages);
    let submit = |engine: &mut Engine, op: Op| {
        engine.send(EngineCommand::Submit { session, op }).unwrap();
    };
    submit(
        &mut engine,
        user_turn(vec![
            InputItem::Text {
                text: "look at this".into(),
            },
            InputItem::FileReference {
                path: "notes.txt".into(),
            },
            InputItem::LocalImage {
                path: "pic.png".into(),
            },
            InputItem::Skill {
                name: "tidy".into(),
                path: skill.clone(),
            },
        ]),
    );
    fold_until(&mut engine, session, &mut live, turn_end);
    submit(&mut engine, Op::Compact);
    fold_until(&mut engine, session, &mut live, turn_end);
    submit(&mut engine, user_turn(text("this one fails")));
    fold_until(&mut engine, session, &mut live, turn_end);
    submit(&mut engine, user_turn(text("this one is stopped")));
    fold_until(&mut engine, session, &mut live, |msg| {
        matches!(msg, EventMsg::AgentMessageDelta { .. })
    });
    submit(&mut engine, Op::Interrupt);
    fold_until(&mut engine, session, &mut live, turn_end);
    submit(&mut engine, user_turn(text("one more")));
    fold_until(&mut engine, session, &mut live, turn_end);

    // Every kind is in the live transcript.
    let has = |pick: &dyn Fn(&Item) -> bool| live.items.iter().any(pick);
    assert!(has(
        &|item| matches!(item, Item::User { files, images: 1, skills, .. } if files.len() == 1 && skills.len() == 1)
    ));
    assert!(has(&|item| matches!(
        item,
        Item::Reasoning {
            duration: Some(_),
            ..
        }
    )));
    assert!(has(
        &|item| matches!(item, Item::Command(run) if run.exit_code == Some(3))
    ));
    assert!(has(&|item| matches!(item, Item::Patch(_))));
    assert!(has(&|item| matches!(item, Item::Plan(_))));
    assert!(has(&|item| matches!(item, Item::Image { .. })));
    assert!(has(
        &|item| matches!(item, Item::Notice { message } if message.contains("summarised"))
    ));
    assert!(has(&|item| matches!(item, Item::Error { .. })));
    assert!(has(
        &|item| matches!(item, Item::Notice { message } if message == "Stopped.")
    ));

    engine
        .send(EngineCommand::CloseSession { session })
        .unwrap();
    loop {
        if let EngineEvent::SessionEnded { session: ended } = next(&mut engine)
            && ended == session
        {
            break;
        }
    }
    let (_, resumed) = open(
        &mut engine,
        SessionStart::Resume {
            rollout_path: configured.rollout_path.clone(),
        },
        &work,
    );
    let EventMsg::SessionConfigured(resumed) = resumed else {
        unreachable!()
    };
    let rebuilt = Transcript::from_events(&resumed.initial_messages);
    assert_eq!(rebuilt.items, live.items);
}

//! One runtime, several threads: two threads run turns at the same time, each against
//! its own scripted model server; every event names the thread it belongs to;
//! interrupting one leaves the other running; a thread can name a parent.

use std::collections::BTreeMap;

use codex_core::{Codex, SubmitError, ThreadStart};
use codex_protocol::{AbortReason, Event, EventMsg, InputItem, Op, ThreadId, TurnOverrides};
use codex_test_support::{Ending, Reply, ScriptedModelServer, Turn};

use super::{config_toml, load, test_env};

/// A thread's own model server, CODEX_HOME and folder.
struct Place {
    server: ScriptedModelServer,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Place {
    fn new(turns: Vec<Turn>) -> Self {
        let server = ScriptedModelServer::start(turns).unwrap();
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            config_toml(&server.base_url(), ""),
        )
        .unwrap();
        Self { server, home, work }
    }

    fn loaded(&self) -> codex_core::LoadedConfig {
        load(
            self.home.path(),
            self.work.path(),
            test_env(self.home.path()),
        )
    }
}

fn turn(text: &str) -> Op {
    Op::UserTurn {
        items: vec![InputItem::Text { text: text.into() }],
        overrides: TurnOverrides::default(),
    }
}

/// Reads events until `stop` matches one, keeping every event read.
async fn until(codex: &mut Codex, seen: &mut Vec<Event>, stop: impl Fn(&Event) -> bool) {
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(30), codex.next_event())
            .await
            .expect("an event within 30 s")
            .expect("the runtime is running");
        let done = stop(&event);
        seen.push(event);
        if done {
            return;
        }
    }
}

#[tokio::test]
async fn two_threads_run_at_once_each_event_names_its_thread_and_an_interrupt_stops_one() {
    let slow = Place::new(vec![
        Reply::new()
            .message("never finished")
            .delta_chars(3)
            .ending(Ending::StallAfter { events: 5 })
            .into(),
    ]);
    let quick = Place::new(vec![
        Turn::text("first answer"),
        Turn::text("second answer"),
    ]);
    let mut codex = Codex::new();
    let a = codex
        .start_thread(slow.loaded(), ThreadStart::new())
        .await
        .unwrap();
    let b = codex
        .start_thread(quick.loaded(), ThreadStart::new())
        .await
        .unwrap();
    assert_ne!(a, b);
    let mut seen = Vec::new();

    codex.submit(&a, turn("take your time")).await.unwrap();
    until(&mut codex, &mut seen, |event| {
        event.thread_id == a && matches!(event.msg, EventMsg::AgentMessageDelta { .. })
    })
    .await;
    // Thread A is mid-answer; thread B runs a whole turn meanwhile.
    codex.submit(&b, turn("quick one")).await.unwrap();
    until(&mut codex, &mut seen, |event| {
        event.thread_id == b && matches!(event.msg, EventMsg::TurnComplete { .. })
    })
    .await;
    codex.submit(&a, Op::Interrupt).await.unwrap();
    until(&mut codex, &mut seen, |event| {
        event.thread_id == a && matches!(event.msg, EventMsg::TurnAborted { .. })
    })
    .await;
    codex.submit(&b, turn("still there?")).await.unwrap();
    until(&mut codex, &mut seen, |event| {
        event.thread_id == b && matches!(event.msg, EventMsg::TurnComplete { .. })
    })
    .await;

    let mut by_thread: BTreeMap<ThreadId, Vec<EventMsg>> = BTreeMap::new();
    for event in &seen {
        by_thread
            .entry(event.thread_id.clone())
            .or_default()
            .push(event.msg.clone());
    }
    assert_eq!(by_thread.len(), 2, "only the two threads spoke");
    let session_of = |thread: &ThreadId| {
        by_thread[thread].iter().find_map(|msg| match msg {
            EventMsg::SessionConfigured(configured) => Some(configured.session_id.clone()),
            _ => None,
        })
    };
    assert_eq!(session_of(&a).as_deref(), Some(a.as_str()));
    assert_eq!(session_of(&b).as_deref(), Some(b.as_str()));
    let messages = |thread: &ThreadId| -> Vec<String> {
        by_thread[thread]
            .iter()
            .filter_map(|msg| match msg {
                EventMsg::AgentMessage { message } => Some(message.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(messages(&b), ["first answer", "second answer"]);
    assert!(messages(&a).is_empty(), "A never finished its answer");
    let ends = |thread: &ThreadId| -> Vec<String> {
        by_thread[thread]
            .iter()
            .filter_map(|msg| match msg {
                EventMsg::TurnComplete { .. } => Some("complete".to_string()),
                EventMsg::TurnAborted { reason, .. } => Some(format!("aborted {reason:?}")),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        ends(&a),
        [format!("aborted {:?}", AbortReason::Interrupted)]
    );
    assert_eq!(ends(&b), ["complete", "complete"]);
    // B's first answer came while A's turn was running.
    let position = |stop: &dyn Fn(&Event) -> bool| seen.iter().position(stop).unwrap();
    let b_done = position(&|event| {
        event.thread_id == b && matches!(event.msg, EventMsg::TurnComplete { .. })
    });
    let a_aborted = position(&|event| {
        event.thread_id == a && matches!(event.msg, EventMsg::TurnAborted { .. })
    });
    assert!(b_done < a_aborted);
    assert_eq!(quick.server.model_requests().len(), 2);
    assert_eq!(slow.server.model_requests().len(), 1);

    // Closing one thread leaves the other.
    codex.submit(&a, Op::Shutdown).await.unwrap();
    until(&mut codex, &mut seen, |event| {
        event.thread_id == a && event.msg == EventMsg::ShutdownComplete
    })
    .await;
    let running: Vec<ThreadId> = codex
        .submitter()
        .threads()
        .into_iter()
        .map(|info| info.id)
        .collect();
    assert_eq!(running, std::slice::from_ref(&b));
    assert_eq!(
        codex.submit(&a, turn("hello?")).await,
        Err(SubmitError::NoSuchThread(a.clone()))
    );
}

#[tokio::test]
async fn a_thread_names_its_parent_and_a_session_opens_once() {
    let place = Place::new(vec![Turn::text("parent answer")]);
    let mut codex = Codex::new();
    let parent = codex
        .start_thread(place.loaded(), ThreadStart::new())
        .await
        .unwrap();
    let child = codex
        .start_thread(
            place.loaded(),
            ThreadStart::new().with_parent(parent.clone()),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    until(&mut codex, &mut seen, |event| {
        event.thread_id == child && matches!(event.msg, EventMsg::SessionConfigured(_))
    })
    .await;
    let Some(EventMsg::SessionConfigured(configured)) = seen.last().map(|event| &event.msg) else {
        unreachable!()
    };
    assert_eq!(configured.parent_thread_id.as_ref(), Some(&parent));
    let listed = codex.submitter().threads();
    assert_eq!(
        listed
            .iter()
            .find(|info| info.id == child)
            .and_then(|info| info.parent.clone()),
        Some(parent.clone())
    );

    // The parent's session, once it has a file, cannot be opened a second time.
    codex.submit(&parent, turn("hi")).await.unwrap();
    until(&mut codex, &mut seen, |event| {
        event.thread_id == parent && matches!(event.msg, EventMsg::TurnComplete { .. })
    })
    .await;
    let path = seen
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::SessionConfigured(configured) if event.thread_id == parent => {
                Some(configured.rollout_path.clone())
            }
            _ => None,
        })
        .unwrap();
    let again = codex
        .start_thread(place.loaded(), ThreadStart::resume(path))
        .await;
    assert!(
        matches!(again, Err(codex_core::StartError::AlreadyRunning(ref id)) if *id == parent),
        "{again:?}"
    );
}

//! Sub-agents against the scripted model server: the parent uses the configured
//! model and each child the model its spawn names, so each has a script of its own
//! however their requests interleave. Spawning, waiting, limits and slots, closing,
//! interrupting, and the child's rollout as Codex writes it.

use std::time::Duration;

use codex_core::{Codex, ThreadStart};
use codex_protocol::{Event, EventMsg, InputItem, Op, ThreadId, TurnOverrides};
use codex_test_support::{RecordedRequest, Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};

use super::{config_toml, load, output_for, test_env};

pub(super) const CHILD_MODEL: &str = "child-model";

fn call(id: &str, tool: &str, arguments: Value) -> Turn {
    Turn::Reply(Reply::new().namespaced_function_call(
        id,
        "multi_agent_v1",
        tool,
        arguments.to_string(),
    ))
}

/// A runtime with one root thread on `server`, `extra` lines in its config.toml.
pub(super) struct Tree {
    pub(super) codex: Codex,
    pub(super) root: ThreadId,
    pub(super) home: tempfile::TempDir,
    _work: tempfile::TempDir,
}

impl Tree {
    pub(super) async fn start(server: &ScriptedModelServer, extra: &str) -> Self {
        Self::start_with(server, extra, |_| {}).await
    }

    /// As [`Tree::start`], after `prepare` has written what it wants into `CODEX_HOME`.
    async fn start_with(
        server: &ScriptedModelServer,
        extra: &str,
        prepare: impl FnOnce(&std::path::Path),
    ) -> Self {
        let home = tempfile::tempdir().unwrap();
        prepare(home.path());
        let work = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            config_toml(&server.base_url(), extra),
        )
        .unwrap();
        let loaded = load(home.path(), work.path(), test_env(home.path()));
        let codex = Codex::new();
        let root = codex
            .start_thread(loaded, ThreadStart::new())
            .await
            .unwrap();
        Self {
            codex,
            root,
            home,
            _work: work,
        }
    }

    async fn next(&mut self) -> Event {
        tokio::time::timeout(Duration::from_secs(30), self.codex.next_event())
            .await
            .expect("an event within 30 s")
            .expect("the runtime runs")
    }

    /// Runs a root turn; returns every thread's events up to the root turn's end.
    pub(super) async fn root_turn(&mut self, text: &str) -> Vec<Event> {
        self.codex
            .submit(
                &self.root,
                Op::UserTurn {
                    items: vec![InputItem::Text { text: text.into() }],
                    overrides: TurnOverrides::default(),
                },
            )
            .await
            .unwrap();
        self.until(|event, root| event.thread_id == *root && ends_turn(&event.msg))
            .await
    }

    pub(super) async fn until(&mut self, stop: impl Fn(&Event, &ThreadId) -> bool) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            let event = self.next().await;
            let done = stop(&event, &self.root);
            events.push(event);
            if done {
                return events;
            }
        }
    }
}

pub(super) fn ends_turn(msg: &EventMsg) -> bool {
    matches!(
        msg,
        EventMsg::TurnComplete { .. } | EventMsg::TurnAborted { .. } | EventMsg::TurnFailed { .. }
    )
}

pub(super) fn requests_for(server: &ScriptedModelServer, model: &str) -> Vec<RecordedRequest> {
    server
        .model_requests()
        .into_iter()
        .filter(|request| request.body["model"] == model)
        .collect()
}

pub(super) fn json_output(request: &RecordedRequest, call_id: &str) -> Value {
    let text = output_for(request, call_id);
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

fn namespace_tools(request: &RecordedRequest) -> Vec<String> {
    tools_in(request, "multi_agent_v1")
}

/// The names of the tools `request` offers in `namespace`, sorted.
pub(super) fn tools_in(request: &RecordedRequest, namespace: &str) -> Vec<String> {
    let mut names: Vec<String> = request.body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|tool| tool["name"] == namespace)
        .flat_map(|tool| tool["tools"].as_array().cloned().unwrap_or_default())
        .map(|tool| tool["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_sub_agent_does_its_task_and_the_parent_waits_for_its_result() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s1",
                "spawn_agent",
                json!({"message": "count the files", "model": CHILD_MODEL}),
            ),
            call("w1", "wait_agent", json!({"targets": ["Noether"]})),
            Turn::text("The agent counted 3 files."),
        ])
        .model_turns(CHILD_MODEL, [Turn::text("3 files")])
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, "").await;
    let events = tree.root_turn("count the files with a helper").await;

    let parent = requests_for(&server, "gpt-5.1-codex");
    assert_eq!(parent.len(), 3);
    let offered = namespace_tools(&parent[0]);
    assert_eq!(
        offered,
        [
            "close_agent",
            "resume_agent",
            "send_input",
            "spawn_agent",
            "wait_agent"
        ]
    );
    let spawned = json_output(&parent[1], "s1");
    assert_eq!(spawned["nickname"], "Noether");
    let child_id = spawned["agent_id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&child_id).is_ok(), "{spawned}");
    assert_eq!(
        json_output(&parent[2], "w1"),
        json!({"status": {child_id.clone(): {"completed": "3 files"}}, "timed_out": false})
    );

    let child = requests_for(&server, CHILD_MODEL);
    assert_eq!(child.len(), 1);
    assert!(
        child[0].body.to_string().contains("count the files"),
        "the child got its task"
    );
    assert!(
        namespace_tools(&child[0]).is_empty(),
        "at max_depth 1 a child gets no agent tools"
    );
    let child_thread = ThreadId(child_id.clone());
    assert!(
        events.iter().any(|event| event.thread_id == child_thread
            && matches!(&event.msg, EventMsg::TurnComplete { last_agent_message: Some(text), .. } if text == "3 files")),
        "the child's events name its thread"
    );

    // The child's rollout, as Codex writes a sub-agent's.
    let configured = events
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::SessionConfigured(configured) if event.thread_id == child_thread => {
                Some(configured.clone())
            }
            _ => None,
        })
        .expect("the child announces its session");
    assert_eq!(configured.parent_thread_id.as_ref(), Some(&tree.root));
    assert!(configured.rollout_path.starts_with(tree.home.path()));
    let text = std::fs::read_to_string(&configured.rollout_path).unwrap();
    let meta: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let meta = &meta["payload"];
    assert_eq!(meta["id"], child_id.as_str());
    assert_eq!(
        meta["session_id"],
        tree.root.0.as_str(),
        "the tree's session id"
    );
    assert_eq!(meta["parent_thread_id"], tree.root.0.as_str());
    assert_eq!(meta["thread_source"], "subagent");
    assert_eq!(meta["agent_nickname"], "Noether");
    let spawn = &meta["source"]["subagent"]["thread_spawn"];
    assert_eq!(spawn["parent_thread_id"], tree.root.0.as_str());
    assert_eq!(spawn["depth"], 1);
    assert_eq!(spawn["agent_nickname"], "Noether");

    // The parent's rollout records the calls as CollabAgentToolCall items.
    let calls: Vec<Value> = rollout_records(tree.home.path(), &tree.root.0)
        .into_iter()
        .filter(|record| record["payload"]["item"]["type"] == "CollabAgentToolCall")
        .map(|record| record["payload"]["item"].clone())
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0]["tool"], "spawn_agent");
    assert_eq!(calls[0]["receiver_thread_ids"], json!([child_id]));
    assert_eq!(calls[0]["receiver_agents"][0]["agent_nickname"], "Noether");
    assert_eq!(calls[0]["prompt"], "count the files");
    assert_eq!(calls[0]["model"], CHILD_MODEL);
    assert_eq!(calls[0]["agents_states"][&child_id], "pending_init");
    assert_eq!(calls[1]["tool"], "wait");
    assert_eq!(
        calls[1]["agents_states"][&child_id],
        json!({"completed": "3 files"})
    );
}

/// The records of the rollout of session `id` under `home`.
pub(super) fn rollout_records(home: &std::path::Path, id: &str) -> Vec<Value> {
    let mut pending = vec![home.join("sessions")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(&format!("{id}.jsonl")) {
                return std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .map(|line| serde_json::from_str(line).unwrap())
                    .collect();
            }
        }
    }
    panic!("no rollout for {id} under {}", home.display());
}

#[tokio::test]
async fn the_thread_limit_holds_until_a_result_is_delivered_then_the_slot_is_free() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "a",
                "spawn_agent",
                json!({"message": "task a", "model": CHILD_MODEL}),
            ),
            call(
                "b",
                "spawn_agent",
                json!({"message": "task b", "model": CHILD_MODEL}),
            ),
            call(
                "w",
                "wait_agent",
                json!({"targets": ["Noether"], "timeout_ms": 20000}),
            ),
            call(
                "c",
                "spawn_agent",
                json!({"message": "task c", "model": CHILD_MODEL}),
            ),
            Turn::text("done"),
        ])
        .model_turns(CHILD_MODEL, [Turn::text("a done"), Turn::text("c done")])
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, "[agents]\nmax_threads = 1").await;
    tree.root_turn("work with helpers").await;
    let parent = requests_for(&server, "gpt-5.1-codex");
    assert_eq!(
        output_for(&parent[2], "b"),
        "collab spawn failed: agent thread limit reached"
    );
    let waited = json_output(&parent[3], "w");
    assert_eq!(waited["timed_out"], false);
    let spawned = json_output(&parent[4], "c");
    assert_eq!(
        spawned["nickname"], "Euler",
        "the freed slot takes a new agent: {spawned}"
    );
}

#[tokio::test]
async fn a_wait_times_out_and_interrupting_the_parent_interrupts_its_children() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s",
                "spawn_agent",
                json!({"message": "think for ever", "model": CHILD_MODEL}),
            ),
            call(
                "w",
                "wait_agent",
                json!({"targets": ["Noether"], "timeout_ms": 10000}),
            ),
            call(
                "w2",
                "wait_agent",
                json!({"targets": ["Noether"], "timeout_ms": 3600000}),
            ),
        ])
        .model_turns(CHILD_MODEL, [Turn::Silent])
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, "").await;
    tree.codex
        .submit(
            &tree.root,
            Op::UserTurn {
                items: vec![InputItem::Text { text: "go".into() }],
                overrides: TurnOverrides::default(),
            },
        )
        .await
        .unwrap();
    // The second wait is where the parent sits: interrupt it there.
    assert!(server.wait_for_requests(4, Duration::from_secs(30)).await);
    let parent = requests_for(&server, "gpt-5.1-codex");
    assert_eq!(
        json_output(&parent[2], "w"),
        json!({"status": {}, "timed_out": true})
    );
    let child = ThreadId(
        json_output(&parent[1], "s")["agent_id"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    tree.codex.submit(&tree.root, Op::Interrupt).await.unwrap();
    let events = tree
        .until(|event, _| event.thread_id == child && ends_turn(&event.msg))
        .await;
    assert!(
        matches!(
            events.last().map(|event| &event.msg),
            Some(EventMsg::TurnAborted { .. })
        ),
        "the child's turn was interrupted with its parent's"
    );
}

#[tokio::test]
async fn closing_a_busy_agent_stops_it_and_frees_its_slot() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s",
                "spawn_agent",
                json!({"message": "think for ever", "model": CHILD_MODEL}),
            ),
            call("x", "close_agent", json!({"target": "Noether"})),
            call(
                "again",
                "send_input",
                json!({"target": "Noether", "message": "more"}),
            ),
            call(
                "t",
                "spawn_agent",
                json!({"message": "quick one", "model": CHILD_MODEL}),
            ),
            Turn::text("done"),
        ])
        .model_turns(CHILD_MODEL, [Turn::Silent, Turn::text("quick")])
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, "[agents]\nmax_threads = 1").await;
    tree.root_turn("go").await;
    let parent = requests_for(&server, "gpt-5.1-codex");
    let closed = json_output(&parent[2], "x");
    assert!(
        matches!(
            closed["previous_status"].as_str(),
            Some("running" | "pending_init")
        ),
        "{closed}"
    );
    let refused = output_for(&parent[3], "again");
    assert!(
        refused.contains("is closed; resume it with resume_agent"),
        "{refused}"
    );
    assert_eq!(
        json_output(&parent[4], "t")["nickname"],
        "Euler",
        "the slot was freed"
    );
}

#[tokio::test]
async fn a_role_file_pins_the_childs_model_and_nickname_and_unknown_roles_are_refused() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "bad",
                "spawn_agent",
                json!({"message": "review", "agent_type": "nope"}),
            ),
            call(
                "s",
                "spawn_agent",
                json!({"message": "review the diff", "agent_type": "reviewer", "model": "ignored"}),
            ),
            call("w", "wait_agent", json!({"targets": ["Rev"]})),
            Turn::text("reviewed"),
        ])
        .model_turns(CHILD_MODEL, [Turn::text("looks fine")])
        .start()
        .unwrap();
    let mut tree = Tree::start_with(&server, "", |home| {
        std::fs::create_dir_all(home.join("agents")).unwrap();
        std::fs::write(
            home.join("agents/reviewer.toml"),
            format!("name = \"reviewer\"\ndescription = \"Reviews diffs\"\nmodel = \"{CHILD_MODEL}\"\nmodel_reasoning_effort = \"low\"\nsandbox_mode = \"read-only\"\nnickname_candidates = [\"Rev\"]\n"),
        )
        .unwrap();
    })
    .await;
    tree.root_turn("review it").await;
    let parent = requests_for(&server, "gpt-5.1-codex");
    let spawn_spec = parent[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|tool| tool["name"] == "multi_agent_v1")
        .flat_map(|tool| tool["tools"].as_array().unwrap().clone())
        .find(|tool| tool["name"] == "spawn_agent")
        .unwrap();
    let agent_type = &spawn_spec["parameters"]["properties"]["agent_type"];
    assert!(
        agent_type["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("reviewer")),
        "{agent_type}"
    );
    assert!(
        agent_type["description"]
            .as_str()
            .unwrap()
            .contains("fixed: model child-model"),
        "{agent_type}"
    );
    let refused = output_for(&parent[1], "bad");
    assert!(
        refused.starts_with("collab spawn failed: unknown agent_type `nope`")
            && refused.contains("reviewer"),
        "{refused}"
    );
    assert_eq!(json_output(&parent[2], "s")["nickname"], "Rev");
    let child = requests_for(&server, CHILD_MODEL);
    assert_eq!(child.len(), 1, "the role's model, not the spawn's");
    assert_eq!(child[0].body["reasoning"]["effort"], "low");
    assert_eq!(
        json_output(&parent[3], "w")["timed_out"],
        false,
        "the child answered"
    );
}

/// The user messages of `request` that tell of a finished sub-agent, as JSON.
fn notifications(request: &RecordedRequest) -> Vec<Value> {
    request
        .input_items()
        .iter()
        .filter(|item| item["type"] == "message" && item["role"] == "user")
        .filter_map(|item| item["content"][0]["text"].as_str())
        .filter_map(|text| text.strip_prefix("<subagent_notification>"))
        .filter_map(|rest| rest.strip_suffix("</subagent_notification>"))
        .map(|body| serde_json::from_str(body.trim()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_child_not_waited_for_tells_its_parent_and_frees_its_slot() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s1",
                "spawn_agent",
                json!({"message": "check the logs", "model": CHILD_MODEL}),
            ),
            Turn::text("A helper is checking the logs."),
            call(
                "s2",
                "spawn_agent",
                json!({"message": "check the disk", "model": CHILD_MODEL}),
            ),
            Turn::text("The logs are clean; another helper checks the disk."),
        ])
        .model_turns(
            CHILD_MODEL,
            [Turn::text("the logs are clean"), Turn::text("disk ok")],
        )
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, "[agents]\nmax_threads = 1").await;
    let events = tree.root_turn("check the logs with a helper").await;
    let child = events
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::CollabToolCall(call) if call.tool == "spawn_agent" => {
                Some(ThreadId(call.receivers[0].thread_id.clone()))
            }
            _ => None,
        })
        .expect("the spawn is announced to front-ends");
    let ended = |event: &Event, _: &ThreadId| event.thread_id == child && ends_turn(&event.msg);
    if !events.iter().any(|event| ended(event, &tree.root)) {
        tree.until(ended).await;
    }

    tree.root_turn("what did it find?").await;
    let parent = requests_for(&server, "gpt-5.1-codex");
    assert_eq!(parent.len(), 4);
    assert_eq!(
        notifications(&parent[2]),
        [json!({"agent_path": child.0, "status": {"completed": "the logs are clean"}})],
        "the next request tells of the finished child, once"
    );
    assert_eq!(
        json_output(&parent[3], "s2")["nickname"],
        "Euler",
        "the notice delivered the result, so the slot was free"
    );
    let recorded = rollout_records(tree.home.path(), &tree.root.0)
        .into_iter()
        .filter(|record| {
            record["type"] == "response_item"
                && record["payload"]["content"][0]["text"]
                    .as_str()
                    .is_some_and(|text| {
                        text.starts_with("<subagent_notification>")
                            && text.contains("the logs are clean")
                    })
        })
        .count();
    assert_eq!(
        recorded, 1,
        "the first child's notice is in the parent's rollout, once"
    );
}

#[tokio::test]
async fn a_child_whose_provider_fails_reports_it_and_the_parent_goes_on() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s1",
                "spawn_agent",
                json!({"message": "summarise the logs", "model": CHILD_MODEL}),
            ),
            call("w1", "wait_agent", json!({"targets": ["Noether"]})),
            Turn::text("The helper failed; I summarised the logs myself."),
        ])
        .model_turns(
            CHILD_MODEL,
            [Turn::http_error(
                404,
                "The model `child-model` does not exist",
            )],
        )
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, "").await;
    let events = tree.root_turn("summarise the logs with a helper").await;
    let parent = requests_for(&server, "gpt-5.1-codex");
    let waited = json_output(&parent[2], "w1");
    let status = waited["status"].as_object().unwrap();
    let errored = status.values().next().unwrap()["errored"].as_str().unwrap();
    assert!(errored.contains("does not exist"), "{waited}");
    assert!(
        events.iter().any(|event| event.thread_id == tree.root
            && matches!(&event.msg, EventMsg::TurnComplete { last_agent_message: Some(text), .. } if text.contains("myself"))),
        "the parent finished its turn"
    );
}

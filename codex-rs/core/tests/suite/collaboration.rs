//! Sub-agents of Codex's second multi-agent version (`features.multi_agent_v2`)
//! against the scripted model server: task paths, the mailbox messages a spawn, a
//! follow-up, a plain message and a final answer are, `list_agents`, waits and their
//! time-outs, interrupting and closing, the limits, and the rollouts as Codex writes
//! them.

use codex_protocol::{EventMsg, InputItem, Op, TurnOverrides};
use codex_test_support::{RecordedRequest, Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};

use super::agents::{
    CHILD_MODEL, Tree, ends_turn, json_output, requests_for, rollout_records, tools_in,
};
use super::output_for;

const V2: &str = "[features]\nmulti_agent_v2 = true";
const PARENT_MODEL: &str = "gpt-5.1-codex";

fn call(id: &str, tool: &str, arguments: Value) -> Turn {
    Turn::Reply(Reply::new().namespaced_function_call(
        id,
        "collaboration",
        tool,
        arguments.to_string(),
    ))
}

/// The texts of the user-role messages `request` sends (agent messages come as such).
fn user_texts(request: &RecordedRequest) -> Vec<String> {
    request
        .input_items()
        .into_iter()
        .filter(|item| item["type"] == "message" && item["role"] == "user")
        .map(|item| {
            item["content"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|part| part["text"].as_str())
                .collect()
        })
        .collect()
}

fn developer_texts(request: &RecordedRequest) -> String {
    request
        .input_items()
        .into_iter()
        .filter(|item| item["role"] == "developer")
        .map(|item| item["content"].to_string())
        .collect()
}

/// The rollout records of session `id` of type `kind`, or `event_msg` items of
/// `item_type`.
fn items_of(records: &[Value], item_type: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|record| record["payload"]["item"]["type"] == item_type)
        .map(|record| record["payload"]["item"].clone())
        .collect()
}

/// Each `agent_message` response item of `records` with the metadata line before it.
fn agent_messages(records: &[Value]) -> Vec<(Value, Value)> {
    records
        .windows(2)
        .filter(|pair| {
            pair[1]["type"] == "response_item" && pair[1]["payload"]["type"] == "agent_message"
        })
        .map(|pair| (pair[0].clone(), pair[1]["payload"].clone()))
        .collect()
}

#[tokio::test]
async fn a_task_goes_out_by_path_and_its_final_answer_comes_back_as_a_message() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s1",
                "spawn_agent",
                json!({"task_name": "worker_a", "message": "count the files", "model": CHILD_MODEL, "fork_turns": "none"}),
            ),
            call("w1", "wait_agent", json!({})),
            call("l1", "list_agents", json!({})),
            Turn::text("The worker counted 3 files."),
        ])
        .model_turns(CHILD_MODEL, [Turn::text("3 files")])
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, V2).await;
    let events = tree.root_turn("count the files with a helper").await;

    let parent = requests_for(&server, PARENT_MODEL);
    assert_eq!(parent.len(), 4);
    assert_eq!(
        tools_in(&parent[0], "collaboration"),
        [
            "followup_task",
            "interrupt_agent",
            "list_agents",
            "send_message",
            "spawn_agent",
            "wait_agent"
        ]
    );
    assert_eq!(tools_in(&parent[0], "zspark_agents"), ["close_agent"]);
    assert!(tools_in(&parent[0], "multi_agent_v1").is_empty());
    assert!(
        developer_texts(&parent[0]).contains("task path /root"),
        "the root is told its place in the tree"
    );
    let spawned = json_output(&parent[1], "s1");
    assert_eq!(spawned["task_name"], "/root/worker_a");

    let waited = json_output(&parent[2], "w1");
    assert_eq!(waited["timed_out"], false);
    assert_eq!(
        waited["agents"],
        json!([{"agent_name": "/root/worker_a", "agent_status": {"completed": "3 files"}}])
    );
    let answer = "Message Type: FINAL_ANSWER\nTask name: /root/worker_a\nSender: /root/worker_a\nPayload:\n3 files";
    assert!(
        user_texts(&parent[2]).iter().any(|text| text == answer),
        "the answer is in the parent's conversation after the wait: {:?}",
        user_texts(&parent[2])
    );
    assert_eq!(
        json_output(&parent[3], "l1"),
        json!({"agents": [
            {"agent_name": "/root", "agent_status": "running"},
            {"agent_name": "/root/worker_a", "agent_status": {"completed": "3 files"}}
        ]})
    );

    let child = requests_for(&server, CHILD_MODEL);
    assert_eq!(child.len(), 1);
    assert!(
        user_texts(&child[0]).iter().any(|text| text
            == "Message Type: NEW_TASK\nTask name: /root/worker_a\nSender: /root\nPayload:\ncount the files"),
        "the child's task is a NEW_TASK message: {:?}",
        user_texts(&child[0])
    );
    assert!(developer_texts(&child[0]).contains("task path /root/worker_a"));
    assert!(tools_in(&child[0], "collaboration").is_empty());

    // The rollouts, as Codex writes them.
    let child_id = events
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::SessionConfigured(configured) if event.thread_id != tree.root => {
                Some(configured.session_id.clone())
            }
            _ => None,
        })
        .expect("the child announces its session");
    let child_records = rollout_records(tree.home.path(), &child_id);
    let meta = &child_records[0]["payload"];
    assert_eq!(meta["agent_path"], "/root/worker_a");
    assert_eq!(
        meta["source"]["subagent"]["thread_spawn"]["agent_path"],
        "/root/worker_a"
    );
    assert_eq!(meta["multi_agent_version"], "v2");
    let received = agent_messages(&child_records);
    assert_eq!(received.len(), 1);
    assert_eq!(
        (&received[0].0["type"], &received[0].0["payload"]),
        (
            &json!("inter_agent_communication_metadata"),
            &json!({"trigger_turn": true})
        )
    );
    assert_eq!(received[0].1["author"], "/root");
    assert_eq!(received[0].1["recipient"], "/root/worker_a");
    assert_eq!(
        received[0].1["content"][1],
        json!({"type": "encrypted_content", "encrypted_content": "count the files"})
    );

    let root_records = rollout_records(tree.home.path(), &tree.root.0);
    assert_eq!(root_records[0]["payload"]["multi_agent_version"], "v2");
    let activities = items_of(&root_records, "SubAgentActivity");
    assert_eq!(activities.len(), 2, "{activities:?}");
    assert_eq!(
        (&activities[0]["id"], &activities[0]["kind"]),
        (&json!("s1"), &json!("started"))
    );
    assert_eq!(activities[0]["agent_thread_id"], child_id.as_str());
    assert_eq!(activities[0]["agent_path"], "/root/worker_a");
    assert_eq!(activities[0]["model"], CHILD_MODEL);
    assert_eq!(activities[1]["kind"], "completed");
    assert!(
        activities[1]["id"]
            .as_str()
            .unwrap()
            .starts_with("subagent-completed-")
    );
    let answers = agent_messages(&root_records);
    assert_eq!(answers.len(), 1);
    assert_eq!(
        (&answers[0].0["type"], &answers[0].0["payload"]),
        (
            &json!("inter_agent_communication_metadata"),
            &json!({"trigger_turn": false})
        )
    );
    assert_eq!(answers[0].1["author"], "/root/worker_a");
    assert!(
        events.iter().any(|event| event.thread_id == tree.root
            && matches!(&event.msg, EventMsg::AgentMail(mail) if mail.message_type == "FINAL_ANSWER" && mail.payload == "3 files")),
        "front-ends see the answer arrive"
    );
}

#[tokio::test]
async fn a_message_waits_for_the_next_task_and_a_followup_starts_it() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s1",
                "spawn_agent",
                json!({"task_name": "worker_a", "message": "first task", "model": CHILD_MODEL}),
            ),
            call("w1", "wait_agent", json!({})),
            call(
                "m1",
                "send_message",
                json!({"target": "worker_a", "message": "use tabs"}),
            ),
            call(
                "f1",
                "followup_task",
                json!({"target": "/root/worker_a", "message": "second task"}),
            ),
            call("w2", "wait_agent", json!({})),
            Turn::text("both done"),
        ])
        .model_turns(
            CHILD_MODEL,
            [Turn::text("first done"), Turn::text("second done")],
        )
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, V2).await;
    tree.root_turn("two tasks").await;

    let parent = requests_for(&server, PARENT_MODEL);
    assert_eq!(parent.len(), 6);
    assert_eq!(output_for(&parent[3], "m1"), "");
    assert_eq!(output_for(&parent[4], "f1"), "");
    assert_eq!(
        json_output(&parent[5], "w2")["agents"][0]["agent_status"],
        json!({"completed": "second done"})
    );
    let child = requests_for(&server, CHILD_MODEL);
    assert_eq!(
        child.len(),
        2,
        "the message did not start a turn of the idle child; the follow-up did"
    );
    assert!(
        child[0].body.to_string().contains("two tasks")
            && developer_texts(&child[0]).contains("task path /root/worker_a"),
        "a forked child has its parent's conversation and learns its own path"
    );
    assert!(
        child[0].tool_pair_problems().is_empty(),
        "the spawn call it copied open is closed: {:?}",
        child[0].tool_pair_problems()
    );
    let texts = user_texts(&child[1]);
    let message = texts
        .iter()
        .position(|text| text.starts_with("Message Type: MESSAGE") && text.ends_with("use tabs"));
    let task = texts.iter().position(|text| {
        text.starts_with("Message Type: NEW_TASK") && text.ends_with("second task")
    });
    assert!(
        matches!((message, task), (Some(m), Some(t)) if m < t),
        "the child reads the message, then the task: {texts:?}"
    );
    assert!(
        child[1].body.to_string().contains("first done"),
        "the child keeps its conversation"
    );
    let activities = items_of(
        &rollout_records(tree.home.path(), &tree.root.0),
        "SubAgentActivity",
    );
    let kinds: Vec<&str> = activities
        .iter()
        .filter_map(|activity| activity["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["started", "completed", "interacted", "completed"]);
}

#[tokio::test]
async fn bad_calls_are_refused_with_reasons_and_waits_time_out() {
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "bad_name",
                "spawn_agent",
                json!({"task_name": "Worker A", "message": "x"}),
            ),
            call(
                "s1",
                "spawn_agent",
                json!({"task_name": "worker_a", "message": "think for ever", "model": CHILD_MODEL}),
            ),
            call(
                "taken",
                "spawn_agent",
                json!({"task_name": "worker_b", "message": "x", "model": CHILD_MODEL}),
            ),
            call(
                "root_task",
                "followup_task",
                json!({"target": "/root", "message": "x"}),
            ),
            call(
                "nobody",
                "send_message",
                json!({"target": "nobody", "message": "x"}),
            ),
            call("w1", "wait_agent", json!({"timeout_ms": 50})),
            call("i1", "interrupt_agent", json!({"target": "worker_a"})),
            call("w2", "wait_agent", json!({"timeout_ms": 60000})),
            Turn::Reply(Reply::new().namespaced_function_call(
                "c1",
                "zspark_agents",
                "close_agent",
                json!({"target": "worker_a"}).to_string(),
            )),
            call(
                "s2",
                "spawn_agent",
                json!({"task_name": "worker_b", "message": "quick", "model": CHILD_MODEL}),
            ),
            Turn::text("done"),
        ])
        .model_turns(CHILD_MODEL, [Turn::Silent, Turn::text("quick")])
        .start()
        .unwrap();
    let config = "[features.multi_agent_v2]\nenabled = true\nmax_concurrent_threads_per_session = 1\nmin_wait_timeout_ms = 10\nusage_hint_enabled = false";
    let mut tree = Tree::start(&server, config).await;
    tree.root_turn("go").await;
    let parent = requests_for(&server, PARENT_MODEL);
    assert_eq!(parent.len(), 11);
    let refused = |index: usize, id: &str| output_for(&parent[index], id);
    assert!(
        refused(1, "bad_name").contains("lowercase letters, digits and `_`"),
        "{}",
        refused(1, "bad_name")
    );
    assert_eq!(
        refused(3, "taken"),
        "collab spawn failed: agent thread limit reached"
    );
    assert!(refused(4, "root_task").contains("use send_message"));
    assert!(refused(5, "nobody").contains("no agent at /root/nobody"));
    assert_eq!(
        json_output(&parent[6], "w1"),
        json!({"message": "Wait timed out.", "timed_out": true})
    );
    let previous = json_output(&parent[7], "i1")["previous_status"].clone();
    assert!(
        previous == "running" || previous == "pending_init",
        "{previous}"
    );
    let waited = json_output(&parent[8], "w2");
    assert_eq!(
        waited["agents"],
        json!([{"agent_name": "/root/worker_a", "agent_status": "interrupted"}]),
        "an interrupted agent's turn ends and its parent hears of it"
    );
    assert!(
        user_texts(&parent[8])
            .iter()
            .any(|text| text.ends_with("(The task was interrupted.)"))
    );
    assert_eq!(
        json_output(&parent[9], "c1"),
        json!({"previous_status": "interrupted"})
    );
    assert_eq!(
        json_output(&parent[10], "s2")["task_name"],
        "/root/worker_b",
        "closing freed the only slot"
    );
}

#[tokio::test]
async fn an_idle_parent_takes_a_late_answer_into_its_conversation() {
    let gate = tempfile::tempdir().unwrap();
    let go = gate.path().join("go");
    let wait_for_gate = format!("while [ ! -f '{}' ]; do sleep 0.05; done", go.display());
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s1",
                "spawn_agent",
                json!({"task_name": "worker_a", "message": "wait for the gate", "model": CHILD_MODEL}),
            ),
            Turn::text("started it"),
            Turn::text("it said ok"),
        ])
        .model_turns(
            CHILD_MODEL,
            [
                Reply::new()
                    .function_call("g", "exec_command", json!({"cmd": wait_for_gate}).to_string())
                    .into(),
                Turn::text("ok"),
            ],
        )
        .start()
        .unwrap();
    let mut tree = Tree::start(&server, V2).await;
    tree.root_turn("start a helper").await;
    // The root's turn is over: only now may the child finish.
    std::fs::write(&go, "").unwrap();
    tree.until(|event, root| {
        event.thread_id == *root
            && matches!(&event.msg, EventMsg::AgentMail(mail) if mail.message_type == "FINAL_ANSWER")
    })
    .await;
    tree.codex
        .submit(
            &tree.root,
            Op::UserTurn {
                items: vec![InputItem::Text {
                    text: "what did it say?".into(),
                }],
                overrides: TurnOverrides::default(),
            },
        )
        .await
        .unwrap();
    tree.until(|event, root| event.thread_id == *root && ends_turn(&event.msg))
        .await;
    let parent = requests_for(&server, PARENT_MODEL);
    assert_eq!(parent.len(), 3, "the answer started no turn of its own");
    let texts = user_texts(&parent[2]);
    let answer = texts
        .iter()
        .position(|text| text.starts_with("Message Type: FINAL_ANSWER") && text.ends_with("ok"));
    let question = texts.iter().position(|text| text == "what did it say?");
    assert!(
        matches!((answer, question), (Some(a), Some(q)) if a < q),
        "the answer came into the idle parent's conversation before the next question: {texts:?}"
    );
}

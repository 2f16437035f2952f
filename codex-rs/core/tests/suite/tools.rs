//! Every tool, run for real: processes, patches on disk, plans, images.

use codex_protocol::{EventMsg, ExecCommandEndEvent, FileChange};
use codex_test_support::{Reply, Turn};
use serde_json::json;

use super::{Harness, output_for};

fn call(id: &str, name: &str, arguments: serde_json::Value) -> Turn {
    Reply::new()
        .function_call(id, name, arguments.to_string())
        .into()
}

fn end_of(events: &[EventMsg], call_id: &str) -> ExecCommandEndEvent {
    events
        .iter()
        .find_map(|event| match event {
            EventMsg::ExecCommandEnd(end) if end.call_id == call_id => Some(end.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ExecCommandEnd for {call_id}"))
}

#[tokio::test]
async fn exec_command_runs_a_real_process_and_reports_output_and_exit_code() {
    let mut harness = Harness::start(vec![
        call(
            "c1",
            "exec_command",
            json!({"cmd": "echo hello; echo oops >&2; exit 3"}),
        ),
        Turn::text("done"),
    ])
    .await;
    let events = harness.turn("run it").await;
    let output = output_for(&harness.server.model_requests()[1], "c1");
    assert!(output.starts_with("Wall time: "), "{output}");
    assert!(
        output.contains("\nProcess exited with code 3\n"),
        "{output}"
    );
    assert!(
        output.contains("Output:\nhello\noops\n") || output.contains("Output:\noops\nhello\n"),
        "{output}"
    );
    let end = end_of(&events, "c1");
    assert_eq!(end.exit_code, Some(3));
    assert!(!end.killed);
    assert!(end.output.contains("hello"));
    let begin = events.iter().find_map(|e| match e {
        EventMsg::ExecCommandBegin(begin) => Some(begin.clone()),
        _ => None,
    });
    assert_eq!(
        begin.unwrap().command,
        ["/bin/bash", "-lc", "echo hello; echo oops >&2; exit 3"]
    );
    assert!(
        events.iter().any(
            |e| matches!(e, EventMsg::ExecCommandOutputDelta { call_id, .. } if call_id == "c1")
        )
    );
}

#[tokio::test]
async fn a_command_still_running_continues_through_write_stdin() {
    let mut harness = Harness::start(vec![
        call(
            "c1",
            "exec_command",
            json!({"cmd": "read line; echo got-$line", "tty": true, "yield_time_ms": 300}),
        ),
        call(
            "c2",
            "write_stdin",
            json!({"session_id": 1, "chars": "abc\n", "yield_time_ms": 5000}),
        ),
        call("c3", "write_stdin", json!({"session_id": 1, "chars": ""})),
        Turn::text("done"),
    ])
    .await;
    let events = harness.turn("interact").await;
    let requests = harness.server.model_requests();
    let first = output_for(&requests[1], "c1");
    assert!(
        first.contains("Process running with session ID 1"),
        "{first}"
    );
    let second = output_for(&requests[2], "c2");
    assert!(second.contains("got-abc"), "{second}");
    assert!(second.contains("Process exited with code 0"), "{second}");
    let third = output_for(&requests[3], "c3");
    assert!(
        third.contains("no running process with session ID 1"),
        "{third}"
    );
    assert_eq!(end_of(&events, "c1").exit_code, Some(0));
}

#[tokio::test]
async fn write_stdin_to_a_process_without_a_terminal_explains_how_to_fix_it() {
    let mut harness = Harness::start(vec![
        call(
            "c1",
            "exec_command",
            json!({"cmd": "sleep 2", "yield_time_ms": 250}),
        ),
        call("c2", "write_stdin", json!({"session_id": 1, "chars": "x"})),
        Turn::text("done"),
    ])
    .await;
    harness.turn("go").await;
    let output = output_for(&harness.server.model_requests()[2], "c2");
    assert!(output.contains("tty=true"), "{output}");
}

#[tokio::test]
async fn long_output_keeps_head_and_tail() {
    let mut harness = Harness::start(vec![
        call(
            "c1",
            "exec_command",
            json!({"cmd": "seq 1 100000", "max_output_tokens": 100}),
        ),
        Turn::text("done"),
    ])
    .await;
    harness.turn("count").await;
    let output = output_for(&harness.server.model_requests()[1], "c1");
    let body = output.split_once("Output:\n").unwrap().1;
    assert!(body.starts_with("1\n2\n3\n"), "{body}");
    assert!(body.ends_with("99999\n100000\n"), "{body}");
    assert!(body.contains("tokens truncated"), "{body}");
    assert!(body.len() < 600, "{} bytes", body.len());
    assert!(output.contains("Original token count: 147224"), "{output}");
}

#[tokio::test]
async fn parallel_calls_run_at_the_same_time_and_answer_in_call_order() {
    let script = |name: &str| {
        format!("date +%s%N > {name}.start; sleep 0.5; date +%s%N > {name}.end; echo {name}")
    };
    let reply = Reply::new()
        .function_call("a", "exec_command", json!({"cmd": script("a")}).to_string())
        .function_call("b", "exec_command", json!({"cmd": script("b")}).to_string());
    let mut harness = Harness::start(vec![reply.into(), Turn::text("done")]).await;
    harness.turn("both").await;
    let read = |name: &str| -> u128 {
        std::fs::read_to_string(harness.work_path().join(name))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert!(
        read("b.start") < read("a.end"),
        "b started before a finished"
    );
    let request = &harness.server.model_requests()[1];
    let kinds: Vec<(String, String)> = request
        .input_items()
        .iter()
        .filter_map(|item| {
            Some((
                item["type"].as_str()?.to_string(),
                item["call_id"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("function_call".into(), "a".into()),
            ("function_call".into(), "b".into()),
            ("function_call_output".into(), "a".into()),
            ("function_call_output".into(), "b".into()),
        ]
    );
}

#[tokio::test]
async fn classic_shell_tool_and_its_timeout() {
    let mut harness = Harness::with(
        vec![
            call(
                "s1",
                "shell",
                json!({"command": ["bash", "-c", "echo classic"]}),
            ),
            call(
                "s2",
                "shell",
                json!({"command": ["sleep", "10"], "timeout_ms": 300}),
            ),
            call(
                "s3",
                "shell_command",
                json!({"command": "echo from-script", "workdir": "sub"}),
            ),
            Turn::text("done"),
        ],
        "[features]\nunified_exec = false",
    )
    .await;
    std::fs::create_dir(harness.work_path().join("sub")).unwrap();
    harness.turn("classic").await;
    let requests = harness.server.model_requests();
    let tools: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools[0], "shell");
    let first: serde_json::Value = serde_json::from_str(&output_for(&requests[1], "s1")).unwrap();
    assert_eq!(first["output"], "classic\n");
    assert_eq!(first["metadata"]["exit_code"], 0);
    let second: serde_json::Value = serde_json::from_str(&output_for(&requests[2], "s2")).unwrap();
    assert_eq!(second["metadata"]["exit_code"], 124);
    assert!(
        second["output"]
            .as_str()
            .unwrap()
            .contains("timed out after 300 ms")
    );
    let third: serde_json::Value = serde_json::from_str(&output_for(&requests[3], "s3")).unwrap();
    assert_eq!(third["output"], "from-script\n");
}

#[tokio::test]
async fn freeform_apply_patch_writes_files_and_reports_diffs() {
    let patch = "*** Begin Patch\n*** Add File: notes/hello.txt\n+hello\n*** Update File: main.txt\n-old\n+new\n*** End Patch";
    let mut harness = Harness::start(vec![
        Reply::new()
            .custom_tool_call("p1", "apply_patch", patch)
            .into(),
        Turn::text("patched"),
    ])
    .await;
    std::fs::write(harness.work_path().join("main.txt"), "keep\nold\n").unwrap();
    let events = harness.turn("patch").await;
    let work = harness.work_path();
    assert_eq!(
        std::fs::read_to_string(work.join("notes/hello.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        std::fs::read_to_string(work.join("main.txt")).unwrap(),
        "keep\nnew\n"
    );
    let output = output_for(&harness.server.model_requests()[1], "p1");
    assert_eq!(
        output,
        format!(
            "Success. Updated the following files:\nA {}\nM {}\n",
            work.join("notes/hello.txt").display(),
            work.join("main.txt").display()
        )
    );
    let changes = events
        .iter()
        .find_map(|e| match e {
            EventMsg::PatchApplyBegin {
                changes,
                auto_approved,
                ..
            } => Some((changes.clone(), *auto_approved)),
            _ => None,
        })
        .unwrap();
    assert!(changes.1);
    assert_eq!(
        changes.0[&work.join("main.txt")],
        FileChange::Update {
            unified_diff: "@@ -1,2 +1,2 @@\n keep\n-old\n+new\n".into(),
            move_path: None
        }
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventMsg::PatchApplyEnd { success: true, .. }))
    );
}

#[tokio::test]
async fn a_patch_that_does_not_apply_changes_nothing_and_says_which_hunk() {
    let patch = "*** Begin Patch\n*** Add File: created.txt\n+x\n*** Update File: main.txt\n-missing\n+y\n*** End Patch";
    let mut harness = Harness::with(
        vec![
            call("p1", "apply_patch", json!({"input": patch})),
            call("p2", "apply_patch", json!({"input": "not a patch"})),
            Turn::text("ok"),
        ],
        "[features]\napply_patch_freeform = false",
    )
    .await;
    std::fs::write(harness.work_path().join("main.txt"), "content\n").unwrap();
    harness.turn("patch").await;
    let requests = harness.server.model_requests();
    let first = output_for(&requests[1], "p1");
    assert!(
        first.contains("hunk 2 (main.txt) does not apply"),
        "{first}"
    );
    assert!(first.contains("No file was changed"), "{first}");
    assert!(!harness.work_path().join("created.txt").exists());
    let second = output_for(&requests[2], "p2");
    assert!(second.contains("invalid patch at line 1"), "{second}");
}

#[tokio::test]
async fn update_plan_emits_the_plan() {
    let plan = json!({"explanation": "steps", "plan": [
        {"step": "read", "status": "completed"}, {"step": "write", "status": "in_progress"}]});
    let mut harness = Harness::start(vec![call("u1", "update_plan", plan), Turn::text("ok")]).await;
    let events = harness.turn("plan").await;
    let update = events.iter().find_map(|e| match e {
        EventMsg::PlanUpdate(update) => Some(update.clone()),
        _ => None,
    });
    assert_eq!(update.unwrap().plan[1].step, "write");
    assert_eq!(
        output_for(&harness.server.model_requests()[1], "u1"),
        "Plan updated"
    );
}

#[tokio::test]
async fn view_image_attaches_the_image_and_refuses_non_images() {
    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let mut harness = Harness::start(vec![
        call("v1", "view_image", json!({"path": "pic.png"})),
        call("v2", "view_image", json!({"path": "notes.txt"})),
        Turn::text("seen"),
    ])
    .await;
    std::fs::write(harness.work_path().join("pic.png"), PNG).unwrap();
    std::fs::write(harness.work_path().join("notes.txt"), "text").unwrap();
    let events = harness.turn("look").await;
    let requests = harness.server.model_requests();
    let item = requests[1]
        .input_items()
        .into_iter()
        .find(|item| item["call_id"] == "v1" && item["type"] == "function_call_output")
        .unwrap();
    let image_url = item["output"][1]["image_url"].as_str().unwrap();
    assert!(
        image_url.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "{image_url}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventMsg::ViewImage { .. }))
    );
    let refused = output_for(&requests[2], "v2");
    assert!(
        refused.contains("is not a PNG, JPEG, GIF or WebP image"),
        "{refused}"
    );
}

#[tokio::test]
async fn unknown_tools_and_bad_arguments_go_back_to_the_model() {
    let mut harness = Harness::start(vec![
        Reply::new()
            .function_call("x1", "teleport", "{}")
            .function_call("x2", "exec_command", "{\"cmd\": 5}")
            .into(),
        Turn::text("ok"),
    ])
    .await;
    let events = harness.turn("try").await;
    assert!(matches!(events.last(), Some(EventMsg::TurnComplete { .. })));
    let request = &harness.server.model_requests()[1];
    assert!(output_for(request, "x1").contains("no tool named `teleport`"));
    assert!(output_for(request, "x2").contains("failed to parse function arguments"));
}

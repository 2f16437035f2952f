//! The `zspark` binary as a user runs it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::process::{Command, Stdio};

use codex_test_support::{Reply, ScriptedModelServer, Turn};

fn zspark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zspark"))
}

#[test]
fn help_lists_the_subcommands_and_version_prints() {
    let help = zspark().arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for command in ["serve", "exec", "bridge", "auth"] {
        assert!(
            text.contains(&format!("  {command} ")),
            "{command} missing:\n{text}"
        );
    }
    assert!(text.contains("Run with no subcommand to open the desktop"));
    let version = zspark().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(version.stdout).unwrap(),
        format!("zspark {}\n", env!("CARGO_PKG_VERSION"))
    );
    let exec_help =
        String::from_utf8(zspark().args(["exec", "--help"]).output().unwrap().stdout).unwrap();
    for flag in [
        "--model",
        "--provider",
        "--sandbox",
        "--approval",
        "--json",
        "--config",
    ] {
        assert!(exec_help.contains(flag), "{flag} missing:\n{exec_help}");
    }
}

#[test]
fn exec_runs_a_task_with_a_tool_call_and_prints_the_answer() {
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call("c1", "exec_command", r#"{"cmd":"echo made > out.txt"}"#)
            .into(),
        Turn::text("Wrote out.txt."),
    ])
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model_provider = \"mock\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let output = zspark()
        .args([
            "exec",
            "--approval",
            "never",
            "--sandbox",
            "danger-full-access",
            "write a file",
        ])
        .current_dir(work.path())
        .env("CODEX_HOME", home.path())
        .env("MOCK_KEY", "sk-test")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "Wrote out.txt.\n"
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("out.txt")).unwrap(),
        "made\n"
    );
    let request = &server.model_requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer sk-test"));
}

#[test]
fn exec_offers_a_configured_mcp_servers_tools_and_runs_their_calls() {
    let Some(program) = codex_test_support::mcp::everything_server() else {
        return;
    };
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call("m1", "mcp__everything__get_sum", r#"{"a":20,"b":22}"#)
            .into(),
        Turn::text("It is 42."),
    ])
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model_provider = \"mock\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\n\n[mcp_servers.everything]\ncommand = {:?}\nargs = [\"stdio\"]\n",
            server.base_url(),
            program.display().to_string()
        ),
    )
    .unwrap();
    let output = zspark()
        .args(["exec", "--approval", "never", "add them"])
        .current_dir(work.path())
        .env("CODEX_HOME", home.path())
        .env("MOCK_KEY", "sk-test")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "It is 42.\n");
    assert!(
        stderr.contains(r#"mcp everything.get-sum({"a":20,"b":22})"#)
            && stderr.contains("  done in "),
        "{stderr}"
    );
    let answered = server.model_requests()[1].body["input"].to_string();
    assert!(answered.contains("42"), "the sum came back: {answered}");
}

#[test]
fn exec_fails_with_a_clear_message_when_the_key_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let output = zspark()
        .args(["exec", "hello"])
        .env("CODEX_HOME", home.path())
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("set the environment variable OPENAI_API_KEY"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn exec_asks_on_the_terminal_and_runs_what_was_approved() {
    use std::io::{Read, Write};

    use portable_pty::{CommandBuilder, PtySize, native_pty_system};

    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call("c1", "exec_command", r#"{"cmd":"touch approved.txt"}"#)
            .into(),
        Turn::text("Created it."),
    ])
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model_provider = \"mock\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_zspark"));
    command.args([
        "exec",
        "--approval",
        "untrusted",
        "--sandbox",
        "danger-full-access",
        "make the file",
    ]);
    command.cwd(work.path());
    command.env("CODEX_HOME", home.path());
    command.env("MOCK_KEY", "sk-test");
    let mut child = pair.slave.spawn_command(command).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();

    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(read) = reader.read(&mut buffer) {
            if read == 0
                || sender
                    .send(String::from_utf8_lossy(&buffer[..read]).into_owned())
                    .is_err()
            {
                break;
            }
        }
    });
    let mut screen = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !screen.contains("[y]es") {
        assert!(
            std::time::Instant::now() < deadline,
            "no question on the terminal:\n{screen}"
        );
        if let Ok(text) = receiver.recv_timeout(std::time::Duration::from_millis(200)) {
            screen.push_str(&text);
        }
    }
    assert!(screen.contains("Run `touch approved.txt`?"), "{screen}");
    assert!(
        !work.path().join("approved.txt").exists(),
        "nothing runs before the answer"
    );
    writer.write_all(b"y\n").unwrap();
    writer.flush().unwrap();
    let status = child.wait().unwrap();
    while let Ok(text) = receiver.recv_timeout(std::time::Duration::from_millis(200)) {
        screen.push_str(&text);
    }
    assert!(status.success(), "{screen}");
    assert!(work.path().join("approved.txt").exists(), "{screen}");
    assert!(screen.contains("Created it."), "{screen}");
}

#[test]
fn auth_says_what_is_missing_and_refuses_unsafe_authorities() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = zspark()
            .arg("auth")
            .args(args)
            .env_remove("ZSPARK_SIGNIN_AUTHORITY")
            .env_remove("ZSPARK_SIGNIN_CLIENT_ID")
            .env_remove("ZSPARK_SIGNIN_SCOPE")
            .arg("--token-dir")
            .arg(home.path())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (code, text) = run(&["status"]);
    assert_eq!(code, Some(1));
    assert!(
        text.contains("set --authority, --client-id and --scope"),
        "{text}"
    );
    let settings = ["--client-id", "c", "--scope", "api://a/access_as_user"];
    let (code, text) = run(&[
        &["login", "--authority", "http://idp.example.com/t"][..],
        &settings,
    ]
    .concat());
    assert_eq!(code, Some(1));
    assert!(text.contains("plain http"), "{text}");
    let (code, text) = run(&[
        &[
            "logout",
            "--authority",
            "https://login.microsoftonline.com/t",
        ][..],
        &settings,
    ]
    .concat());
    assert_eq!(
        (code, text.trim()),
        (Some(0), "signed out"),
        "nothing to forget is fine"
    );
}

/// Runs `zspark exec` on a fresh server whose root model spawns a sub-agent, waits for
/// it and answers.
fn exec_with_a_sub_agent(output_flag: Option<&str>) -> std::process::Output {
    let spawn = Reply::new().namespaced_function_call(
        "s1",
        "multi_agent_v1",
        "spawn_agent",
        r#"{"message":"list the files","model":"child-model"}"#,
    );
    let wait = Reply::new().namespaced_function_call(
        "w1",
        "multi_agent_v1",
        "wait_agent",
        r#"{"targets":["Noether"]}"#,
    );
    let server = ScriptedModelServer::options()
        .turns([
            spawn.into(),
            wait.into(),
            Turn::text("The helper found two files."),
        ])
        .model_turns("child-model", [Turn::text("a.txt and b.txt")])
        .start()
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"root-model\"\nmodel_provider = \"mock\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let mut command = zspark();
    command.args(["exec", "--approval", "never", "--sandbox", "read-only"]);
    if let Some(flag) = output_flag {
        command.arg(flag);
    }
    command
        .arg("use a helper")
        .current_dir(work.path())
        .env("CODEX_HOME", home.path())
        .env("MOCK_KEY", "sk-test")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn exec_runs_a_sub_agent_and_ends_with_the_root_turn() {
    let output = exec_with_a_sub_agent(None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "The helper found two files.\n",
        "only the root's answer, after the child's result came back"
    );

    let output = exec_with_a_sub_agent(Some("--runtime-events"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let root = events[0]["thread_id"].clone();
    let child_answer = events
        .iter()
        .find(|event| event["msg"]["type"] == "turn_complete" && event["thread_id"] != root)
        .expect("the sub-agent's turn is in the stream, under its own thread");
    assert_eq!(child_answer["msg"]["last_agent_message"], "a.txt and b.txt");
    let last_turn = events
        .iter()
        .rev()
        .find(|event| event["msg"]["type"] == "turn_complete")
        .unwrap();
    assert_eq!(
        last_turn["thread_id"], root,
        "the run ends with the root's turn"
    );

    // The SDK's stream shows the spawn as an item and leaves the child's own out.
    let output = exec_with_a_sub_agent(Some("--experimental-json"));
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let spawn = lines
        .iter()
        .find(|line| line["type"] == "item.completed" && line["item"]["type"] == "collab_tool_call")
        .expect("the spawn is an item");
    assert_eq!(spawn["item"]["tool"], "spawn_agent");
    assert_eq!(spawn["item"]["sender_thread_id"], lines[0]["thread_id"]);
    let answers: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["item"]["type"] == "agent_message")
        .map(|line| &line["item"]["text"])
        .collect();
    assert_eq!(answers, ["The helper found two files."]);
    assert_eq!(lines.last().unwrap()["type"], "turn.completed");
}

#[test]
fn app_server_writes_its_schema_and_refuses_a_listen_address_it_cannot_serve() {
    let out = tempfile::tempdir().unwrap();
    let written = zspark()
        .args(["app-server", "generate-json-schema", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let listed = String::from_utf8(written.stdout).unwrap();
    assert!(listed.lines().count() >= 10, "{listed}");
    let requests = std::fs::read_to_string(out.path().join("ClientRequest.json")).unwrap();
    assert!(requests.contains("\"turn/steer\""));

    for (listen, said) in [
        ("tcp://127.0.0.1:1", "is not stdio:// or ws://"),
        ("ws://localhost:4500", "is not an IP address and port"),
        ("ws://10.1.2.3:4500", "is not a loopback address"),
    ] {
        let refused = zspark()
            .args(["app-server", "--listen", listen])
            .env("CODEX_HOME", out.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(1), "{listen}");
        let text = String::from_utf8_lossy(&refused.stderr);
        assert!(text.contains(said), "{listen}: {text}");
    }
}

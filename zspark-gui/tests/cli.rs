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
    for command in ["serve", "exec", "bridge"] {
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

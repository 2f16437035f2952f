//! The sandbox really contains commands: each attack is tried with a real process
//! under every sandbox mode, then through the runtime with a scripted model (a denial
//! the model is told about, and an approved escalation that runs outside). Needs
//! bubblewrap; skips with a reason without it unless `ZSPARK_REQUIRE_SANDBOX=1`.

use std::path::PathBuf;
use std::time::Duration;

use codex_core::config::Env;
use codex_core::sandbox::Enforcer;
use codex_protocol::{ReviewDecision, SandboxPolicy};
use codex_test_support::{Reply, Turn};
use serde_json::json;

use super::{Harness, output_for};

fn enforcer() -> Option<Enforcer> {
    let mut env = Env::new();
    env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    match Enforcer::detect(&env) {
        Enforcer::Unavailable(reason) => {
            assert!(
                std::env::var("ZSPARK_REQUIRE_SANDBOX").as_deref() != Ok("1"),
                "ZSPARK_REQUIRE_SANDBOX=1 but {reason}"
            );
            #[allow(clippy::print_stderr, reason = "a skipped test says why")]
            {
                eprintln!("skipping the sandbox tests: {reason}");
            }
            None
        }
        found => Some(found),
    }
}

/// Workspace-write with nothing writable but the workspace (the test's directories all
/// live under /tmp).
fn workspace_write(network_access: bool) -> SandboxPolicy {
    SandboxPolicy::WorkspaceWrite {
        writable_roots: Vec::new(),
        network_access,
        exclude_tmpdir_env_var: true,
        exclude_slash_tmp: true,
    }
}

/// An attack: its name, the bash script, and a check of whether it left its mark.
type Attack<'a> = (&'static str, String, Box<dyn Fn() -> bool + 'a>);

/// A workspace (with `.git` and a symlink pointing outside), a directory outside it, a
/// home directory with a file, and a loopback listener.
struct Scene {
    _root: tempfile::TempDir,
    workspace: PathBuf,
    outside: PathBuf,
    home_file: PathBuf,
    listener: std::net::TcpListener,
}

impl Scene {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().canonicalize().unwrap();
        let workspace = base.join("workspace");
        let outside = base.join("outside");
        let home = base.join("home");
        for dir in [&workspace, &outside, &home, &workspace.join(".git")] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::os::unix::fs::symlink(&outside, workspace.join("link")).unwrap();
        let home_file = home.join("keep.txt");
        std::fs::write(&home_file, "precious").unwrap();
        Self {
            _root: root,
            workspace,
            outside,
            home_file,
            listener: std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    /// Runs `script` with bash under `policy`; whether it exited 0.
    fn run(&self, enforcer: &Enforcer, policy: &SandboxPolicy, script: &str) -> bool {
        let argv = vec!["bash".to_string(), "-c".to_string(), script.to_string()];
        let argv = enforcer.wrap(policy, &self.workspace, &Env::new(), argv, false);
        std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(&self.workspace)
            .output()
            .unwrap()
            .status
            .success()
    }

    /// Every attack: name, script, and whether it left its mark.
    fn attacks(&self) -> Vec<Attack<'_>> {
        let port = self.listener.local_addr().unwrap().port();
        let outside_file = self.outside.join("written");
        let git_file = self.workspace.join(".git/written");
        let escaped = self.outside.join("escaped");
        let late = self.workspace.join("late");
        vec![
            (
                "write outside the workspace",
                format!("echo x > {}", outside_file.display()),
                Box::new(move || outside_file.exists()),
            ),
            (
                "write into the workspace's .git",
                "echo x > .git/written".to_string(),
                Box::new(move || git_file.exists()),
            ),
            (
                "delete a file in the home directory",
                format!("rm -f {}", self.home_file.display()),
                Box::new(|| !self.home_file.exists()),
            ),
            (
                "escape through a symlink",
                "echo x > link/escaped".to_string(),
                Box::new(move || escaped.exists()),
            ),
            (
                "open a TCP connection to a loopback listener",
                format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected > connected"),
                Box::new(|| self.workspace.join("connected").exists()),
            ),
            (
                "leave a process running after the command",
                "(sleep 1; echo x > late) > /dev/null 2>&1 & disown; exit 0".to_string(),
                Box::new(move || {
                    std::thread::sleep(Duration::from_millis(1800));
                    late.exists()
                }),
            ),
        ]
    }

    fn reset(&self) {
        for leftover in ["connected", "late", "inside.txt"] {
            let _ = std::fs::remove_file(self.workspace.join(leftover));
        }
    }
}

#[test]
fn every_attack_is_blocked_under_workspace_write_and_read_only() {
    let Some(enforcer) = enforcer() else {
        return;
    };
    for policy in [workspace_write(false), SandboxPolicy::ReadOnly] {
        let scene = Scene::new();
        for (name, script, succeeded) in scene.attacks() {
            scene.run(&enforcer, &policy, &script);
            assert!(!succeeded(), "{} allowed: {name}", policy.mode().as_str());
        }
        let wrote_inside = scene.run(&enforcer, &policy, "echo x > inside.txt");
        let expected = policy != SandboxPolicy::ReadOnly;
        assert_eq!(
            wrote_inside,
            expected,
            "{}: writing inside",
            policy.mode().as_str()
        );
        assert!(
            scene.run(&enforcer, &policy, "cat ../home/keep.txt"),
            "reading stays allowed"
        );
    }
}

#[test]
fn danger_full_access_and_network_access_allow_what_they_say() {
    let Some(enforcer) = enforcer() else {
        return;
    };
    let scene = Scene::new();
    for (name, script, succeeded) in scene.attacks() {
        scene.run(&enforcer, &SandboxPolicy::DangerFullAccess, &script);
        assert!(succeeded(), "danger-full-access blocked: {name}");
    }
    scene.reset();
    let port = scene.listener.local_addr().unwrap().port();
    let connect = format!("exec 3<>/dev/tcp/127.0.0.1/{port}");
    assert!(!scene.run(&enforcer, &workspace_write(false), &connect));
    // The network namespace is shared, not emptied, when the network is allowed.
    assert!(scene.run(&enforcer, &workspace_write(true), &connect));
}

/// The Landlock fallback through this crate's helper program, when the kernel has it.
fn landlock() -> Option<Enforcer> {
    if !codex_core::sandbox::landlock::supported() {
        assert!(
            std::env::var("ZSPARK_REQUIRE_SANDBOX").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_SANDBOX=1 but this kernel has no Landlock"
        );
        #[allow(clippy::print_stderr, reason = "a skipped test says why")]
        {
            eprintln!("skipping the Landlock tests: this kernel has no Landlock");
        }
        return None;
    }
    Some(Enforcer::Landlock(PathBuf::from(env!(
        "CARGO_BIN_EXE_codex-landlock-helper"
    ))))
}

#[test]
fn without_bubblewrap_landlock_is_found_and_its_limits_are_said() {
    let Some(Enforcer::Landlock(helper)) = landlock() else {
        return;
    };
    let mut env = Env::new();
    env.insert("PATH".into(), "/nonexistent".into());
    env.insert("ZSPARK_SANDBOX_HELPER".into(), helper.display().to_string());
    let found = Enforcer::detect(&env);
    assert_eq!(found, Enforcer::Landlock(helper));
    let warning = found.warning(&workspace_write(false)).unwrap();
    assert!(
        warning.contains(".git") && warning.contains("Install bubblewrap"),
        "{warning}"
    );
    env.insert("ZSPARK_SANDBOX_HELPER".into(), "/nonexistent/zspark".into());
    assert!(matches!(Enforcer::detect(&env), Enforcer::Unavailable(_)));
}

#[test]
fn the_landlock_fallback_blocks_every_attack_but_writes_into_git() {
    let Some(enforcer) = landlock() else {
        return;
    };
    for policy in [workspace_write(false), SandboxPolicy::ReadOnly] {
        let scene = Scene::new();
        for (name, script, succeeded) in scene.attacks() {
            scene.run(&enforcer, &policy, &script);
            // Landlock rules only grant, so .git inside a writable root stays writable.
            let expected = name.contains(".git") && policy != SandboxPolicy::ReadOnly;
            assert_eq!(succeeded(), expected, "{}: {name}", policy.mode().as_str());
        }
        let wrote_inside = scene.run(&enforcer, &policy, "echo x > inside.txt");
        assert_eq!(wrote_inside, policy != SandboxPolicy::ReadOnly);
        assert!(scene.run(&enforcer, &policy, "cat ../home/keep.txt"));
        assert!(
            scene.run(&enforcer, &policy, "echo quiet > /dev/null"),
            "/dev/null stays writable"
        );
    }
    let scene = Scene::new();
    let port = scene.listener.local_addr().unwrap().port();
    let connect = format!("exec 3<>/dev/tcp/127.0.0.1/{port}");
    assert!(scene.run(&enforcer, &workspace_write(true), &connect));
    assert!(scene.run(&enforcer, &workspace_write(false), "exit 0"));
    assert!(!scene.run(&enforcer, &workspace_write(false), "exit 3"));
}

fn exec_call(id: &str, arguments: serde_json::Value) -> Turn {
    Reply::new()
        .function_call(id, "exec_command", arguments.to_string())
        .into()
}

#[tokio::test]
async fn the_model_hears_of_a_denial_and_an_approved_escalation_runs_outside() {
    if enforcer().is_none() {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("out.txt");
    let write = format!("echo done > {}", target.display());
    let mut harness = Harness::with(
        vec![
            exec_call("denied", json!({"cmd": write})),
            exec_call(
                "escalated",
                json!({"cmd": write, "sandbox_permissions": "require_escalated", "justification": "write the report outside"}),
            ),
            Turn::text("done"),
        ],
        "approval_policy = \"on-request\"\nsandbox_mode = \"workspace-write\"\n[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true",
    )
    .await;
    harness.submit_turn("write the report").await;
    let events = harness
        .until(|event| matches!(event, codex_protocol::EventMsg::ExecApprovalRequest(_)))
        .await;
    assert!(!target.exists(), "the sandboxed attempt wrote nothing");
    let Some(codex_protocol::EventMsg::ExecApprovalRequest(request)) = events.last() else {
        panic!("the escalation asks the user");
    };
    harness
        .codex
        .submit(codex_protocol::Op::ExecApproval {
            call_id: request.call_id.clone(),
            decision: ReviewDecision::Accept,
        })
        .await
        .unwrap();
    harness.until_turn_end().await;
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "done\n",
        "the approved escalation ran outside"
    );
    let requests = harness.server.model_requests();
    let denied = output_for(&requests[1], "denied");
    assert!(denied.contains("Read-only file system"), "{denied}");
    assert!(
        denied.contains("require_escalated"),
        "the model is told how to escalate: {denied}"
    );
}

//! The sandbox really contains commands: each attack is tried with a real process
//! under every sandbox mode, with bubblewrap and with the Landlock fallback (with and
//! without namespaces), then through the runtime with a scripted model (a denial the
//! model is told about, and an approved escalation that runs outside). Needs
//! bubblewrap and python3 (the socket attacks); skips with a reason without
//! bubblewrap unless `ZSPARK_REQUIRE_SANDBOX=1`.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::PathBuf;
use std::time::Duration;

use codex_core::config::Env;
use codex_core::sandbox::{Enforcer, LandlockHelper};
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

/// Workspace-write with nothing writable but the workspace, the scene's second root
/// (`fresh`, which has no `.git`) and its temporary directory (the test's directories
/// all live under /tmp, which stays read-only).
fn workspace_write(scene: &Scene, network_access: bool) -> SandboxPolicy {
    SandboxPolicy::WorkspaceWrite {
        writable_roots: vec![scene.fresh.clone()],
        network_access,
        exclude_tmpdir_env_var: false,
        exclude_slash_tmp: true,
    }
}

/// An attack: its name, the bash script, and a check of whether it left its mark.
type Attack<'a> = (&'static str, String, Box<dyn Fn() -> bool + 'a>);

/// What each attack aims at: a workspace (with `.git` and a symlink pointing outside),
/// a second writable root with nothing protected in it yet, a directory outside, a
/// home directory with a file, the session's temporary directory holding a display
/// socket (as `/tmp/.X11-unix/X0` does), and listeners: loopback TCP, a Unix socket
/// outside the workspace, an abstract one, and one inside the workspace.
struct Scene {
    _root: tempfile::TempDir,
    workspace: PathBuf,
    fresh: PathBuf,
    outside: PathBuf,
    home_file: PathBuf,
    tmpdir: PathBuf,
    tcp: std::net::TcpListener,
    service_socket: (PathBuf, UnixListener),
    display_socket: (PathBuf, UnixListener),
    abstract_socket: (String, UnixListener),
    workspace_socket: (PathBuf, UnixListener),
}

fn unix_listener(path: PathBuf) -> (PathBuf, UnixListener) {
    let listener = UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    (path, listener)
}

/// Whether a client connected since the last look (a connection that was made and
/// closed again still waits to be accepted).
fn connected(listener: &UnixListener) -> bool {
    let mut any = false;
    while listener.accept().is_ok() {
        any = true;
    }
    any
}

impl Scene {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().canonicalize().unwrap();
        let workspace = base.join("workspace");
        let fresh = base.join("fresh");
        let outside = base.join("outside");
        let home = base.join("home");
        let tmpdir = base.join("tmp");
        for dir in [
            &workspace,
            &fresh,
            &outside,
            &home,
            &tmpdir.join(".X11-unix"),
            &workspace.join(".git"),
        ] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::os::unix::fs::symlink(&outside, workspace.join("link")).unwrap();
        let home_file = home.join("keep.txt");
        std::fs::write(&home_file, "precious").unwrap();
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        tcp.set_nonblocking(true).unwrap();
        let abstract_name = format!("zspark-test-{}", uuid::Uuid::new_v4());
        let abstract_listener = UnixListener::bind_addr(
            &SocketAddr::from_abstract_name(abstract_name.as_bytes()).unwrap(),
        )
        .unwrap();
        abstract_listener.set_nonblocking(true).unwrap();
        Self {
            _root: root,
            service_socket: unix_listener(outside.join("service.sock")),
            display_socket: unix_listener(tmpdir.join(".X11-unix/X0")),
            abstract_socket: (abstract_name, abstract_listener),
            workspace_socket: unix_listener(workspace.join("dev.sock")),
            workspace,
            fresh,
            outside,
            home_file,
            tmpdir,
            tcp,
        }
    }

    /// The session environment: the scene's temporary directory as `TMPDIR`.
    fn env(&self) -> Env {
        let mut env = Env::new();
        env.insert("TMPDIR".into(), self.tmpdir.display().to_string());
        env
    }

    /// Runs `script` with bash under `policy`; whether it exited 0.
    fn run(&self, enforcer: &Enforcer, policy: &SandboxPolicy, script: &str) -> bool {
        let argv = vec!["bash".to_string(), "-c".to_string(), script.to_string()];
        let command = enforcer
            .wrap(policy, &self.workspace, &self.env(), argv, false)
            .unwrap();
        let output = std::process::Command::new(&command.argv[0])
            .args(&command.argv[1..])
            .current_dir(&self.workspace)
            .env("TMPDIR", &self.tmpdir)
            .output()
            .unwrap();
        drop(command);
        output.status.success()
    }

    /// A script that connects to the Unix socket at `address` (`@name` for an
    /// abstract one) and hangs up.
    fn connect_unix(address: &str) -> String {
        format!(
            "python3 -c 'import socket, sys; a = sys.argv[1]; s = socket.socket(socket.AF_UNIX); s.connect(\"\\0\" + a[1:] if a[0] == \"@\" else a)' '{address}'"
        )
    }

    /// Every attack: name, script, and whether it left its mark.
    fn attacks(&self) -> Vec<Attack<'_>> {
        let port = self.tcp.local_addr().unwrap().port();
        let outside_file = self.outside.join("written");
        let git_file = self.workspace.join(".git/written");
        let escaped = self.outside.join("escaped");
        let late = self.workspace.join("late");
        let codex_config = self.workspace.join(".codex/config.toml");
        let agents_skill = self.workspace.join(".agents/skills/evil/SKILL.md");
        let hook = self.fresh.join(".git/hooks/post-checkout");
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
                "create .codex/config.toml where there was no .codex",
                "mkdir -p .codex && echo 'model = \"evil\"' > .codex/config.toml".to_string(),
                Box::new(move || codex_config.exists()),
            ),
            (
                "create a skill under .agents where there was no .agents",
                "mkdir -p .agents/skills/evil && echo evil > .agents/skills/evil/SKILL.md"
                    .to_string(),
                Box::new(move || agents_skill.exists()),
            ),
            (
                "plant a git hook in a writable root that had no .git",
                format!(
                    "mkdir -p {root}/.git/hooks && printf '#!/bin/sh\\ntouch pwned\\n' > {root}/.git/hooks/post-checkout",
                    root = self.fresh.display()
                ),
                Box::new(move || hook.exists()),
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
                format!("exec 3<>/dev/tcp/127.0.0.1/{port}"),
                Box::new(|| {
                    let mut any = false;
                    while self.tcp.accept().is_ok() {
                        any = true;
                    }
                    any
                }),
            ),
            (
                "connect to a host service's Unix socket",
                Self::connect_unix(&self.service_socket.0.display().to_string()),
                Box::new(|| connected(&self.service_socket.1)),
            ),
            (
                "connect to the display's socket in a writable temporary directory",
                Self::connect_unix(&self.display_socket.0.display().to_string()),
                Box::new(|| connected(&self.display_socket.1)),
            ),
            (
                "connect to an abstract Unix socket",
                Self::connect_unix(&format!("@{}", self.abstract_socket.0)),
                Box::new(|| connected(&self.abstract_socket.1)),
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

    /// Whether a command may connect to a socket another program listens on inside
    /// the workspace.
    fn reaches_the_workspace_socket(&self, enforcer: &Enforcer, policy: &SandboxPolicy) -> bool {
        let script = Self::connect_unix(&self.workspace_socket.0.display().to_string());
        self.run(enforcer, policy, &script) && connected(&self.workspace_socket.1)
    }

    /// No placeholder is left behind once the commands have ended.
    fn assert_no_placeholders(&self) {
        for leftover in [
            self.workspace.join(".codex"),
            self.workspace.join(".agents"),
            self.fresh.join(".git"),
            self.fresh.join(".codex"),
            self.tmpdir.join(".git"),
        ] {
            assert!(!leftover.exists(), "left behind: {}", leftover.display());
        }
    }
}

/// Asserts each attack's outcome under `policy`: blocked unless `allowed(name)`.
fn assert_attacks(
    enforcer: &Enforcer,
    scene: &Scene,
    policy: &SandboxPolicy,
    allowed: impl Fn(&str) -> bool,
) {
    for (name, script, succeeded) in scene.attacks() {
        scene.run(enforcer, policy, &script);
        assert_eq!(
            succeeded(),
            allowed(name),
            "{} ({enforcer:?}): {name}",
            policy.mode().as_str()
        );
    }
}

/// Writing inside, reading outside and `/dev/null` keep working.
fn assert_ordinary_work(enforcer: &Enforcer, scene: &Scene, policy: &SandboxPolicy) {
    let wrote_inside = scene.run(enforcer, policy, "echo x > inside.txt");
    assert_eq!(
        wrote_inside,
        *policy != SandboxPolicy::ReadOnly,
        "{}: writing inside",
        policy.mode().as_str()
    );
    assert!(
        scene.run(enforcer, policy, "cat ../home/keep.txt"),
        "reading stays allowed"
    );
    assert!(
        scene.run(enforcer, policy, "echo quiet > /dev/null"),
        "/dev/null stays writable"
    );
}

#[test]
fn every_attack_is_blocked_under_workspace_write_and_read_only() {
    let Some(enforcer) = enforcer() else {
        return;
    };
    for read_only in [false, true] {
        let scene = Scene::new();
        let policy = if read_only {
            SandboxPolicy::ReadOnly
        } else {
            workspace_write(&scene, false)
        };
        assert_attacks(&enforcer, &scene, &policy, |_| false);
        assert_ordinary_work(&enforcer, &scene, &policy);
        scene.assert_no_placeholders();
        assert_eq!(
            scene.reaches_the_workspace_socket(&enforcer, &policy),
            !read_only,
            "a socket inside the workspace stays reachable under workspace-write"
        );
    }
}

#[test]
fn danger_full_access_and_network_access_allow_what_they_say() {
    let Some(enforcer) = enforcer() else {
        return;
    };
    let scene = Scene::new();
    assert_attacks(&enforcer, &scene, &SandboxPolicy::DangerFullAccess, |_| {
        true
    });
    // With the network allowed, sockets are reachable, and the protected folders stay
    // protected.
    let scene = Scene::new();
    assert_attacks(&enforcer, &scene, &workspace_write(&scene, true), |name| {
        name.contains("TCP") || name.contains("socket")
    });
    scene.assert_no_placeholders();
}

/// The Landlock fallback through this crate's helper program, when the kernel has it;
/// `namespaces` when this system lets it make them.
fn landlock(namespaces: bool) -> Option<Enforcer> {
    let require = std::env::var("ZSPARK_REQUIRE_SANDBOX").as_deref() == Ok("1");
    let program = PathBuf::from(env!("CARGO_BIN_EXE_codex-landlock-helper"));
    let missing = if !codex_core::sandbox::landlock::supported() {
        Some("this kernel has no Landlock")
    } else if namespaces && !codex_core::sandbox::landlock::namespaces_work(&program) {
        Some("this system does not allow unprivileged user namespaces")
    } else {
        None
    };
    if let Some(reason) = missing {
        assert!(!require, "ZSPARK_REQUIRE_SANDBOX=1 but {reason}");
        #[allow(clippy::print_stderr, reason = "a skipped test says why")]
        {
            eprintln!("skipping the Landlock tests: {reason}");
        }
        return None;
    }
    Some(Enforcer::Landlock(LandlockHelper {
        program,
        namespaces,
    }))
}

#[test]
fn without_bubblewrap_landlock_is_found_and_its_limits_are_said() {
    let Some(Enforcer::Landlock(helper)) = landlock(true) else {
        return;
    };
    let scene = Scene::new();
    let mut env = Env::new();
    env.insert("PATH".into(), "/nonexistent".into());
    env.insert(
        "ZSPARK_SANDBOX_HELPER".into(),
        helper.program.display().to_string(),
    );
    let found = Enforcer::detect(&env);
    assert_eq!(found, Enforcer::Landlock(helper.clone()));
    assert_eq!(
        found.warning(&workspace_write(&scene, false)),
        None,
        "with namespaces nothing is missing"
    );
    let without = Enforcer::Landlock(LandlockHelper {
        namespaces: false,
        ..helper
    });
    let warning = without.warning(&workspace_write(&scene, false)).unwrap();
    assert!(
        warning.contains(".git") && warning.contains("Install bubblewrap"),
        "{warning}"
    );
    env.insert("ZSPARK_SANDBOX_HELPER".into(), "/nonexistent/zspark".into());
    assert!(matches!(Enforcer::detect(&env), Enforcer::Unavailable(_)));
}

#[test]
fn the_landlock_fallback_with_namespaces_blocks_every_attack() {
    let Some(enforcer) = landlock(true) else {
        return;
    };
    for read_only in [false, true] {
        let scene = Scene::new();
        let policy = if read_only {
            SandboxPolicy::ReadOnly
        } else {
            workspace_write(&scene, false)
        };
        assert_attacks(&enforcer, &scene, &policy, |_| false);
        assert_ordinary_work(&enforcer, &scene, &policy);
        scene.assert_no_placeholders();
        assert_eq!(
            scene.reaches_the_workspace_socket(&enforcer, &policy),
            !read_only
        );
    }
    let scene = Scene::new();
    assert_attacks(&enforcer, &scene, &workspace_write(&scene, true), |name| {
        name.contains("TCP") || name.contains("socket")
    });
    assert!(scene.run(&enforcer, &workspace_write(&scene, false), "exit 0"));
    assert!(!scene.run(&enforcer, &workspace_write(&scene, false), "exit 3"));
}

#[test]
fn the_landlock_fallback_without_namespaces_cuts_every_socket_but_leaves_git_writable() {
    let Some(enforcer) = landlock(false) else {
        return;
    };
    for read_only in [false, true] {
        let scene = Scene::new();
        let policy = if read_only {
            SandboxPolicy::ReadOnly
        } else {
            workspace_write(&scene, false)
        };
        // Landlock rules only grant: the protected folders inside a writable root stay
        // writable (the start-up notice says so).
        assert_attacks(&enforcer, &scene, &policy, |name| {
            !read_only
                && (name.contains(".git") || name.contains(".codex") || name.contains(".agents"))
        });
        assert_ordinary_work(&enforcer, &scene, &policy);
        assert!(
            !scene.reaches_the_workspace_socket(&enforcer, &policy),
            "without namespaces no Unix socket can be reached"
        );
    }
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
        .submit(codex_protocol::Op::ExecApproval {
            call_id: request.call_id.clone(),
            decision: ReviewDecision::Accept,
        })
        .await;
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

//! The sandbox attacks through `zspark exec` with a scripted model: one command tries
//! them all; under `workspace-write` none leaves a mark (and the model hears of the
//! denial), under `danger-full-access` all do. Needs bubblewrap (Linux); skips with a
//! reason without it unless `ZSPARK_REQUIRE_SANDBOX=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; a skipped test says why"
)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use codex_test_support::{Reply, ScriptedModelServer, Turn};
use serde_json::json;

fn bubblewrap_installed() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = cfg!(target_os = "linux")
        && std::env::split_paths(&path).any(|dir| dir.join("bwrap").is_file());
    if !found {
        assert!(
            std::env::var("ZSPARK_REQUIRE_SANDBOX").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_SANDBOX=1 but bubblewrap is not installed"
        );
        eprintln!("skipping: bubblewrap (bwrap) is not installed");
    }
    found
}

/// The marks each attack leaves when it succeeds, by name.
fn marks(base: &Path) -> Vec<(&'static str, bool)> {
    vec![
        ("wrote outside", base.join("outside/written").exists()),
        (
            "wrote into .git",
            base.join("workspace/.git/written").exists(),
        ),
        (
            "created .codex/config.toml",
            base.join("workspace/.codex/config.toml").exists(),
        ),
        (
            "planted a hook where there was no .git",
            base.join("fresh/.git/hooks/post-checkout").exists(),
        ),
        ("deleted a home file", !base.join("home/keep.txt").exists()),
        (
            "escaped through a symlink",
            base.join("outside/escaped").exists(),
        ),
        (
            "connected to loopback",
            base.join("workspace/connected").exists(),
        ),
        ("outlived the command", base.join("workspace/late").exists()),
    ]
}

/// Runs the attacks through `zspark exec` under `sandbox`; with `path`, the session's
/// `PATH` is that directory alone.
fn run_attacks(sandbox: &str, path: Option<&Path>) -> (Vec<(&'static str, bool)>, String) {
    let root = tempfile::tempdir().unwrap();
    let base = root.path().canonicalize().unwrap();
    for dir in ["workspace/.git", "fresh", "outside", "home", "codex-home"] {
        std::fs::create_dir_all(base.join(dir)).unwrap();
    }
    std::fs::write(base.join("home/keep.txt"), "precious").unwrap();
    std::os::unix::fs::symlink(base.join("outside"), base.join("workspace/link")).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        "echo x > {outside}/written; echo x > .git/written; rm -f ~/keep.txt; \
         mkdir -p .codex && echo 'model = \"evil\"' > .codex/config.toml; \
         mkdir -p {fresh}/.git/hooks && echo evil > {fresh}/.git/hooks/post-checkout; \
         echo x > link/escaped; (exec 3<>/dev/tcp/127.0.0.1/{port} && echo x > connected); \
         (sleep 1; echo x > late) > /dev/null 2>&1 & disown; exit 0",
        outside = base.join("outside").display(),
        fresh = base.join("fresh").display(),
    );
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call("attack", "exec_command", json!({"cmd": script}).to_string())
            .into(),
        Turn::text("tried"),
    ])
    .unwrap();
    std::fs::write(
        base.join("codex-home/config.toml"),
        format!(
            "model_provider = \"mock\"\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\n[sandbox_workspace_write]\nwritable_roots = [\"{}\"]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n",
            server.base_url(),
            base.join("fresh").display()
        ),
    )
    .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_zspark"));
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let output = command
        .args(["exec", "--approval", "never", "--sandbox", sandbox, "try"])
        .current_dir(base.join("workspace"))
        .env("CODEX_HOME", base.join("codex-home"))
        .env("MOCK_KEY", "sk-test")
        .env("HOME", base.join("home"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::thread::sleep(Duration::from_millis(1800));
    // What the model was sent back (the tool output is inside the second request).
    let told = server.model_requests()[1].body_text.clone();
    (marks(&base), told)
}

#[test]
fn zspark_exec_contains_every_attack_under_workspace_write() {
    if !bubblewrap_installed() {
        return;
    }
    let (marks, told) = run_attacks("workspace-write", None);
    for (attack, happened) in marks {
        assert!(!happened, "workspace-write let it happen: {attack}");
    }
    assert!(told.contains("Read-only file system"), "{told}");
}

#[test]
fn zspark_exec_allows_every_attack_under_danger_full_access() {
    if !bubblewrap_installed() {
        return;
    }
    let (marks, _) = run_attacks("danger-full-access", None);
    for (attack, happened) in marks {
        assert!(happened, "danger-full-access blocked: {attack}");
    }
}

#[test]
fn zspark_exec_falls_back_to_landlock_without_bubblewrap() {
    if !zspark_core::sandbox_helper::supported() {
        assert!(
            std::env::var("ZSPARK_REQUIRE_SANDBOX").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_SANDBOX=1 but this kernel has no Landlock"
        );
        eprintln!("skipping: this kernel has no Landlock");
        return;
    }
    // A PATH with the shell and the tools the attacks use, and no bwrap.
    let tools = tempfile::tempdir().unwrap();
    for tool in ["bash", "mkdir", "rm", "sleep"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(tool))
            .find(|candidate| candidate.is_file())
            .unwrap();
        std::os::unix::fs::symlink(found, tools.path().join(tool)).unwrap();
    }
    let (marks, told) = run_attacks("workspace-write", Some(tools.path()));
    for (attack, happened) in marks {
        assert!(!happened, "under Landlock: {attack}");
    }
    assert!(told.contains("Permission denied"), "{told}");
    assert!(
        told.contains("require_escalated"),
        "the model hears how to escalate: {told}"
    );
}

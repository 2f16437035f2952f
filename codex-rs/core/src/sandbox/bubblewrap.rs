//! The bubblewrap command line for a sandbox policy. The whole file system is mounted
//! read-only; the writable roots that exist are bound writable again, with `.git`,
//! `.codex` and `.agents` inside them bound read-only on top; `/dev` and `/proc` are
//! fresh; the command gets its own PID namespace (so nothing it forks outlives it) and,
//! unless the policy allows the network, its own empty network namespace.

use std::path::{Path, PathBuf};

use codex_protocol::SandboxPolicy;

use super::{existing_writable_roots, network_allowed};
use crate::config::Env;
use crate::safety::PROTECTED_SUBDIRS;

pub fn command_line(
    program: &Path,
    policy: &SandboxPolicy,
    cwd: &Path,
    env: &Env,
    argv: Vec<String>,
) -> Vec<String> {
    let mut line = vec![
        program.display().to_string(),
        "--die-with-parent".into(),
        "--new-session".into(),
        "--unshare-pid".into(),
        "--ro-bind".into(),
        "/".into(),
        "/".into(),
        "--dev".into(),
        "/dev".into(),
        "--proc".into(),
        "/proc".into(),
    ];
    let mut bind = |option: &str, path: &Path| {
        let path = path.display().to_string();
        line.extend([option.to_string(), path.clone(), path]);
    };
    let roots: Vec<PathBuf> = existing_writable_roots(policy, cwd, env);
    for root in &roots {
        bind("--bind", root);
    }
    for root in &roots {
        for protected in PROTECTED_SUBDIRS {
            let inside = root.join(protected);
            if inside.exists() {
                bind("--ro-bind", &inside);
            }
        }
    }
    if !network_allowed(policy) {
        line.push("--unshare-net".into());
    }
    line.push("--chdir".into());
    line.push(cwd.display().to_string());
    line.push("--".into());
    line.extend(argv);
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_binds_nothing_writable_and_cuts_the_network() {
        let line = command_line(
            Path::new("/usr/bin/bwrap"),
            &SandboxPolicy::ReadOnly,
            Path::new("/"),
            &Env::new(),
            vec!["ls".into()],
        );
        assert!(!line.contains(&"--bind".to_string()));
        assert!(line.contains(&"--unshare-net".to_string()));
        assert_eq!(line[line.len() - 2..], ["--".to_string(), "ls".to_string()]);
    }

    #[test]
    fn workspace_write_binds_roots_and_protects_git() {
        let workspace = tempfile::tempdir().unwrap();
        std::fs::create_dir(workspace.path().join(".git")).unwrap();
        let cwd = workspace.path().canonicalize().unwrap();
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: vec![PathBuf::from("/does/not/exist")],
            network_access: true,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let line = command_line(
            Path::new("bwrap"),
            &policy,
            &cwd,
            &Env::new(),
            vec!["x".into()],
        );
        let text = line.join(" ");
        let root = cwd.display().to_string();
        assert!(text.contains(&format!("--bind {root} {root}")), "{text}");
        assert!(
            text.contains(&format!("--ro-bind {root}/.git {root}/.git")),
            "{text}"
        );
        assert!(
            !text.contains("/does/not/exist"),
            "missing roots are skipped"
        );
        assert!(
            !text.contains("--unshare-net"),
            "network_access keeps the network"
        );
        assert!(!text.contains("--bind /tmp /tmp "), "exclude_slash_tmp");
    }
}

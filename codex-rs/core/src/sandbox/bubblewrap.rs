//! The bubblewrap command line for a sandbox policy. The whole file system is mounted
//! read-only; the writable roots that exist are bound writable again, with `.git`,
//! `.codex` and `.agents` inside them (made to exist beforehand) bound read-only on
//! top; with the network off, `/dev/null` is bound over each host Unix socket; `/dev`
//! and `/proc` are fresh; the command gets its own PID namespace (so nothing it forks
//! outlives it) and, unless the policy allows the network, its own empty network
//! namespace.

use std::path::Path;

use super::Confinement;

pub fn command_line(
    program: &Path,
    confinement: &Confinement,
    cwd: &Path,
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
    let mut bind = |option: &str, source: &Path, target: &Path| {
        line.extend([
            option.to_string(),
            source.display().to_string(),
            target.display().to_string(),
        ]);
    };
    for root in &confinement.writable {
        bind("--bind", root, root);
    }
    for protected in &confinement.protection.paths {
        bind("--ro-bind", protected, protected);
    }
    for socket in &confinement.masked_sockets {
        bind("--ro-bind", Path::new("/dev/null"), socket);
    }
    if !confinement.network {
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
    use std::path::PathBuf;

    use codex_protocol::SandboxPolicy;

    use super::*;
    use crate::config::Env;

    #[test]
    fn read_only_binds_nothing_writable_and_cuts_the_network() {
        let confinement =
            Confinement::new(&SandboxPolicy::ReadOnly, Path::new("/"), &Env::new(), true).unwrap();
        let line = command_line(
            Path::new("/usr/bin/bwrap"),
            &confinement,
            Path::new("/"),
            vec!["ls".into()],
        );
        assert!(!line.contains(&"--bind".to_string()));
        assert!(line.contains(&"--unshare-net".to_string()));
        assert_eq!(line[line.len() - 2..], ["--".to_string(), "ls".to_string()]);
    }

    #[test]
    fn workspace_write_binds_roots_and_protects_git_whether_or_not_it_exists() {
        let workspace = tempfile::tempdir().unwrap();
        std::fs::create_dir(workspace.path().join(".git")).unwrap();
        let cwd = workspace.path().canonicalize().unwrap();
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: vec![PathBuf::from("/does/not/exist")],
            network_access: true,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let confinement = Confinement::new(&policy, &cwd, &Env::new(), true).unwrap();
        let text = command_line(Path::new("bwrap"), &confinement, &cwd, vec!["x".into()]).join(" ");
        let root = cwd.display().to_string();
        assert!(text.contains(&format!("--bind {root} {root}")), "{text}");
        for protected in [".git", ".codex", ".agents"] {
            assert!(
                text.contains(&format!("--ro-bind {root}/{protected} {root}/{protected}")),
                "{text}"
            );
        }
        assert!(
            cwd.join(".codex").is_dir(),
            "a placeholder to mount on while the command runs"
        );
        assert!(
            !text.contains("/does/not/exist"),
            "missing roots are skipped"
        );
        assert!(
            !text.contains("--unshare-net") && !text.contains("/dev/null"),
            "network_access keeps the network and the sockets"
        );
        assert!(!text.contains("--bind /tmp /tmp "), "exclude_slash_tmp");
        drop(confinement);
        assert!(!cwd.join(".codex").exists(), "the placeholder goes with it");
        assert!(cwd.join(".git").is_dir(), "the real .git stays");
    }

    #[test]
    fn with_the_network_off_host_sockets_outside_the_workspace_are_masked() {
        let base = tempfile::tempdir().unwrap();
        let base = base.path().canonicalize().unwrap();
        let (workspace, service) = (base.join("workspace"), base.join("service"));
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::create_dir_all(&service).unwrap();
        let outside = service.join("db.sock");
        let inside = workspace.join("dev.sock");
        let _listeners = [
            std::os::unix::net::UnixListener::bind(&outside).unwrap(),
            std::os::unix::net::UnixListener::bind(&inside).unwrap(),
        ];
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: false,
        };
        let confinement = Confinement::new(&policy, &workspace, &Env::new(), true).unwrap();
        let text = command_line(Path::new("bwrap"), &confinement, &workspace, vec![]).join(" ");
        assert!(
            text.contains(&format!("--ro-bind /dev/null {}", outside.display())),
            "a socket under /tmp is masked although /tmp is writable: {text}"
        );
        assert!(!text.contains(&inside.display().to_string()), "{text}");
    }
}

//! The macOS Seatbelt profile for a sandbox policy, run through
//! `/usr/bin/sandbox-exec -p <profile> -D NAME=VALUE … -- command`. Everything is
//! denied but what a command needs to run: reading files, starting processes, using
//! terminals and a few system services; writes only below the writable roots (passed
//! as parameters, so paths never need quoting inside the profile), with `.git`,
//! `.codex` and `.agents` below them excluded; the network only when the policy allows.

use std::path::{Path, PathBuf};

use codex_protocol::SandboxPolicy;

use super::{existing_writable_roots, network_allowed};
use crate::config::Env;
use crate::safety::PROTECTED_SUBDIRS;

/// What every command may do, whatever the policy.
const BASE_RULES: &str = r#"(version 1)
(deny default)
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))
(allow file-read*)
(allow sysctl-read)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.logger")
  (global-name "com.apple.coreservices.launchservicesd"))
(allow ipc-posix-sem)
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl
  (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty")
  (literal "/dev/dtracehelper") (regex #"^/dev/ttys[0-9]+$"))
"#;

/// Rules added when the policy allows the network.
const NETWORK_RULES: &str = r#"(allow network-outbound)
(allow network-inbound)
(allow system-socket)
(allow mach-lookup
  (global-name "com.apple.dnssd.service")
  (global-name "com.apple.SystemConfiguration.configd"))
"#;

/// The profile and its `-D` parameters for `policy`.
pub fn profile(policy: &SandboxPolicy, cwd: &Path, env: &Env) -> (String, Vec<(String, PathBuf)>) {
    let mut text = String::from(BASE_RULES);
    let mut parameters = Vec::new();
    let roots: Vec<PathBuf> = existing_writable_roots(policy, cwd, env);
    if !roots.is_empty() {
        text.push_str("(allow file-write*\n");
        for (index, root) in roots.iter().enumerate() {
            let name = format!("WRITABLE_ROOT_{index}");
            let protected: Vec<(String, PathBuf)> = PROTECTED_SUBDIRS
                .iter()
                .enumerate()
                .map(|(n, dir)| (format!("{name}_PROTECTED_{n}"), root.join(dir)))
                .collect();
            let exclusions: String = protected
                .iter()
                .map(|(parameter, _)| format!(" (require-not (subpath (param \"{parameter}\")))"))
                .collect();
            text.push_str(&format!(
                "  (require-all (subpath (param \"{name}\")){exclusions})\n"
            ));
            parameters.push((name, root.clone()));
            parameters.extend(protected);
        }
        text.push_str(")\n");
    }
    if network_allowed(policy) {
        text.push_str(NETWORK_RULES);
    }
    (text, parameters)
}

/// The `sandbox-exec` command line.
pub fn command_line(
    program: &Path,
    policy: &SandboxPolicy,
    cwd: &Path,
    env: &Env,
    argv: Vec<String>,
) -> Vec<String> {
    let (text, parameters) = profile(policy, cwd, env);
    let mut line = vec![program.display().to_string(), "-p".into(), text];
    for (name, value) in parameters {
        line.push(format!("-D{name}={}", value.display()));
    }
    line.push("--".into());
    line.extend(argv);
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_allows_reading_and_nothing_else() {
        let (text, parameters) = profile(&SandboxPolicy::ReadOnly, Path::new("/"), &Env::new());
        assert!(text.starts_with("(version 1)\n(deny default)"));
        assert!(text.contains("(allow file-read*)"));
        assert!(!text.contains("(allow file-write*\n"), "{text}");
        assert!(!text.contains("network-outbound"));
        assert!(parameters.is_empty());
    }

    #[test]
    fn workspace_write_allows_its_roots_but_not_their_git() {
        let workspace = tempfile::tempdir().unwrap();
        let cwd = workspace.path().canonicalize().unwrap();
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let (text, parameters) = profile(&policy, &cwd, &Env::new());
        assert!(text.contains(
            "(require-all (subpath (param \"WRITABLE_ROOT_0\")) (require-not (subpath (param \"WRITABLE_ROOT_0_PROTECTED_0\")))"
        ), "{text}");
        assert_eq!(parameters[0], ("WRITABLE_ROOT_0".to_string(), cwd.clone()));
        assert!(
            parameters.contains(&("WRITABLE_ROOT_0_PROTECTED_0".to_string(), cwd.join(".git")))
        );
        assert!(!text.contains("network-outbound"));
        assert_eq!(parameters.len(), 1 + PROTECTED_SUBDIRS.len());

        let networked = SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: true,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let line = command_line(
            Path::new("/usr/bin/sandbox-exec"),
            &networked,
            &cwd,
            &Env::new(),
            vec!["ls".into()],
        );
        assert!(line[2].contains("(allow network-outbound)"));
        assert!(line.contains(&format!("-DWRITABLE_ROOT_0={}", cwd.display())));
        assert_eq!(line[line.len() - 2..], ["--".to_string(), "ls".to_string()]);
    }
}

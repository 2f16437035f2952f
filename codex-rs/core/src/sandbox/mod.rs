//! Operating-system enforcement of the sandbox policy for every command the agent
//! runs (`exec_command`, `shell`). [`Enforcer::detect`] finds what this machine can
//! enforce with; [`Enforcer::wrap`] turns a command line into one that runs inside the
//! sandbox. Where nothing can enforce the policy, the session says so at start and
//! commands run with the user's permissions: never silently.
//!
//! - Linux: bubblewrap (`bwrap` on `PATH`): see [`bubblewrap`]; without it, Landlock
//!   and seccomp applied by the `zspark` binary as a helper: see [`landlock`].
//! - macOS: `sandbox-exec` with a generated Seatbelt profile: see [`seatbelt`].
//! - Windows: not enforced yet (said at start); the plan is in `docs/sandbox.md`.

mod bubblewrap;
#[cfg(target_os = "linux")]
pub mod landlock;
mod seatbelt;

use std::path::{Path, PathBuf};

use codex_protocol::SandboxPolicy;

use crate::config::Env;

/// What enforces the sandbox on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enforcer {
    Bubblewrap(PathBuf),
    /// Landlock and seccomp, applied by this helper program (`zspark`).
    Landlock(PathBuf),
    Seatbelt(PathBuf),
    /// Nothing: the reason says what is missing.
    Unavailable(String),
}

impl Enforcer {
    /// Looks for an enforcement mechanism, using the session's `PATH`.
    pub fn detect(env: &Env) -> Self {
        if cfg!(target_os = "macos") {
            let program = PathBuf::from("/usr/bin/sandbox-exec");
            return if program.is_file() {
                Self::Seatbelt(program)
            } else {
                Self::Unavailable("/usr/bin/sandbox-exec is missing".to_string())
            };
        }
        if !cfg!(target_os = "linux") {
            return Self::Unavailable(format!(
                "OS sandbox enforcement is not built for {} yet (see docs/sandbox.md)",
                std::env::consts::OS
            ));
        }
        let path = env
            .get("PATH")
            .map_or("/usr/local/bin:/usr/bin:/bin", String::as_str);
        if let Some(bwrap) = std::env::split_paths(path)
            .map(|dir| dir.join("bwrap"))
            .find(|candidate| candidate.is_file())
        {
            return Self::Bubblewrap(bwrap);
        }
        Self::landlock_fallback(env)
    }

    #[cfg(target_os = "linux")]
    fn landlock_fallback(env: &Env) -> Self {
        let missing = "bubblewrap (`bwrap`) is not installed; install it (e.g. `apt install bubblewrap`) to have commands sandboxed";
        if !landlock::supported() {
            return Self::Unavailable(format!("{missing}, and this kernel has no Landlock"));
        }
        match sandbox_helper(env) {
            Some(helper) => Self::Landlock(helper),
            None => Self::Unavailable(format!(
                "{missing}, and no Landlock helper was found (set ZSPARK_SANDBOX_HELPER to the zspark binary)"
            )),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn landlock_fallback(_env: &Env) -> Self {
        Self::Unavailable("bubblewrap (`bwrap`) is not installed".to_string())
    }

    /// Whether commands under `policy` run inside an OS sandbox.
    pub fn enforces(&self, policy: &SandboxPolicy) -> bool {
        !matches!(policy, SandboxPolicy::DangerFullAccess)
            && matches!(
                self,
                Self::Bubblewrap(_) | Self::Landlock(_) | Self::Seatbelt(_)
            )
    }

    /// The start-up warning when `policy` asks for a sandbox this machine cannot give.
    pub fn warning(&self, policy: &SandboxPolicy) -> Option<String> {
        match (policy, self) {
            (SandboxPolicy::DangerFullAccess, _) | (_, Self::Bubblewrap(_) | Self::Seatbelt(_)) => {
                None
            }
            (_, Self::Landlock(_)) => Some(format!(
                "bubblewrap is not installed, so commands run under Landlock and seccomp instead: sandbox mode `{}` limits writes to the writable roots{}, but `.git`, `.codex` and `.agents` inside them stay writable. Install bubblewrap (e.g. `apt install bubblewrap`) for the full sandbox.",
                policy.mode().as_str(),
                if network_allowed(policy) {
                    ""
                } else {
                    " and takes the network away"
                }
            )),
            (_, Self::Unavailable(reason)) => Some(format!(
                "sandbox mode `{}` is not enforced: {reason}. Commands run with your full permissions; use approval_policy = \"untrusted\" to review every command.",
                policy.mode().as_str()
            )),
        }
    }

    /// `argv` as it must be spawned under `policy` from `cwd`. `outside` runs it
    /// unsandboxed (an escalation the user approved).
    pub fn wrap(
        &self,
        policy: &SandboxPolicy,
        cwd: &Path,
        env: &Env,
        argv: Vec<String>,
        outside: bool,
    ) -> Vec<String> {
        if !self.enforces(policy) || outside {
            return argv;
        }
        match self {
            Self::Bubblewrap(program) => bubblewrap::command_line(program, policy, cwd, env, argv),
            #[cfg(target_os = "linux")]
            Self::Landlock(helper) => landlock::command_line(helper, policy, cwd, env, argv),
            #[cfg(not(target_os = "linux"))]
            Self::Landlock(_) => argv,
            Self::Seatbelt(program) => seatbelt::command_line(program, policy, cwd, env, argv),
            Self::Unavailable(_) => argv,
        }
    }
}

/// The program that applies the Landlock fallback: `ZSPARK_SANDBOX_HELPER` from the
/// session's environment, else this process's own binary when it is `zspark` (which
/// answers to [`landlock::HELPER_ARG`]).
#[cfg(target_os = "linux")]
fn sandbox_helper(env: &Env) -> Option<PathBuf> {
    if let Some(helper) = env
        .get("ZSPARK_SANDBOX_HELPER")
        .filter(|path| !path.is_empty())
    {
        return Some(PathBuf::from(helper)).filter(|path| path.is_file());
    }
    std::env::current_exe().ok().filter(|exe| {
        exe.file_stem()
            .and_then(|stem| stem.to_str())
            .is_some_and(|stem| stem.starts_with("zspark"))
    })
}

/// Messages with which a command fails when the sandbox stopped it.
const DENIAL_SIGNS: [&str; 6] = [
    "Read-only file system",
    "Operation not permitted",
    "Permission denied",
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Could not resolve host",
];

/// A note for the model when a sandboxed command failed in a way the sandbox causes,
/// so it can ask to run the command outside it (under `on-request`).
pub fn denial_note(policy: &SandboxPolicy, exit_code: Option<i32>, output: &str) -> Option<String> {
    let failed = exit_code != Some(0);
    let denied = DENIAL_SIGNS.iter().any(|sign| output.contains(sign))
        || output.contains("connect: Connection refused") && !network_allowed(policy);
    (failed && denied).then(|| {
        format!(
            "\n[The sandbox ({}) blocked this command: it may write only inside the writable roots{}. If the task needs it, run it again with sandbox_permissions = \"require_escalated\" and a justification, so the user can approve running it outside the sandbox.]",
            policy.mode().as_str(),
            if network_allowed(policy) { "" } else { " and has no network" }
        )
    })
}

/// The writable roots of `policy` that exist, with symlinks resolved.
fn existing_writable_roots(policy: &SandboxPolicy, cwd: &Path, env: &Env) -> Vec<PathBuf> {
    crate::safety::writable_roots(policy, cwd, env)
        .into_iter()
        .filter_map(|root| root.canonicalize().ok())
        .collect()
}

fn network_allowed(policy: &SandboxPolicy) -> bool {
    match policy {
        SandboxPolicy::ReadOnly => false,
        SandboxPolicy::WorkspaceWrite { network_access, .. } => *network_access,
        SandboxPolicy::DangerFullAccess => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_write() -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
        }
    }

    #[test]
    fn wrapping_follows_the_policy_and_escalations() {
        let enforcer = Enforcer::Bubblewrap(PathBuf::from("/usr/bin/bwrap"));
        let argv = vec!["bash".to_string(), "-c".to_string(), "true".to_string()];
        let env = Env::new();
        let cwd = Path::new("/work");
        let wrapped = enforcer.wrap(&workspace_write(), cwd, &env, argv.clone(), false);
        assert_eq!(wrapped[0], "/usr/bin/bwrap");
        assert!(wrapped.ends_with(&argv));
        assert_eq!(
            enforcer.wrap(&workspace_write(), cwd, &env, argv.clone(), true),
            argv
        );
        assert_eq!(
            enforcer.wrap(
                &SandboxPolicy::DangerFullAccess,
                cwd,
                &env,
                argv.clone(),
                false
            ),
            argv
        );
        let missing = Enforcer::Unavailable("no bwrap".into());
        assert_eq!(
            missing.wrap(&workspace_write(), cwd, &env, argv.clone(), false),
            argv
        );
        assert!(
            missing
                .warning(&workspace_write())
                .unwrap()
                .contains("no bwrap")
        );
        assert_eq!(missing.warning(&SandboxPolicy::DangerFullAccess), None);
        assert_eq!(enforcer.warning(&SandboxPolicy::ReadOnly), None);
    }

    #[test]
    fn denials_are_recognised_only_for_failures() {
        let policy = workspace_write();
        let note = denial_note(
            &policy,
            Some(1),
            "touch: cannot touch '/x': Read-only file system",
        );
        assert!(note.unwrap().contains("require_escalated"));
        assert_eq!(denial_note(&policy, Some(0), "Read-only file system"), None);
        assert_eq!(
            denial_note(&policy, Some(1), "No such file or directory"),
            None
        );
        assert!(denial_note(&policy, Some(7), "bash: connect: Connection refused").is_some());
    }
}

//! Operating-system enforcement of the sandbox policy for every command the agent
//! runs (`exec_command`, `shell`). [`Enforcer::detect`] finds what this machine can
//! enforce with; [`Enforcer::wrap`] turns a command line into one that runs inside the
//! sandbox. Where nothing can enforce the policy, the session says so at start and
//! commands run with the user's permissions: never silently.
//!
//! - Linux: bubblewrap (`bwrap` on `PATH`): see `bubblewrap`; without it, Landlock
//!   and seccomp applied by the `zspark` binary as a helper: see [`landlock`]. Both
//!   mount `.git`, `.codex` and `.agents` read-only whether or not they exist (see
//!   `protect`) and, with the network off, mask the host's Unix sockets (see
//!   `host_sockets`).
//! - macOS: `sandbox-exec` with a generated Seatbelt profile: see `seatbelt`.
//! - Windows: not enforced yet (said at start); the plan is in `docs/sandbox.md`.

#[cfg(target_os = "linux")]
mod bubblewrap;
#[cfg(target_os = "linux")]
mod host_sockets;
#[cfg(target_os = "linux")]
pub mod landlock;
#[cfg(target_os = "linux")]
mod protect;
mod seatbelt;

use std::path::{Path, PathBuf};

use codex_protocol::SandboxPolicy;

use crate::config::Env;

#[cfg(target_os = "linux")]
pub use protect::{ProtectError, Protection};

/// Elsewhere nothing is mounted, so nothing is prepared before a command.
#[cfg(not(target_os = "linux"))]
#[derive(Debug, Default)]
pub struct Protection;

/// Elsewhere preparing a command cannot fail.
#[cfg(not(target_os = "linux"))]
#[derive(Debug, thiserror::Error)]
#[error("cannot protect a folder from the sandboxed command")]
pub struct ProtectError;

/// What enforces the sandbox on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enforcer {
    Bubblewrap(PathBuf),
    /// Landlock and seccomp, applied by a helper program (`zspark`).
    Landlock(LandlockHelper),
    Seatbelt(PathBuf),
    /// Nothing: the reason says what is missing.
    Unavailable(String),
}

/// The program that applies the Landlock fallback, and whether it can also make a
/// user and mount namespace (for the read-only mounts and the socket masks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandlockHelper {
    pub program: PathBuf,
    pub namespaces: bool,
}

/// A command line ready to spawn, and what must stay alive until the command ends.
#[derive(Debug)]
pub struct SandboxedCommand {
    pub argv: Vec<String>,
    /// Dropped after the command has ended (it keeps protected placeholders alive).
    pub protection: Protection,
}

/// What one sandboxed command may touch, worked out from its policy just before it
/// starts.
#[cfg(target_os = "linux")]
#[derive(Debug)]
struct Confinement {
    /// Existing writable roots, symlinks resolved.
    writable: Vec<PathBuf>,
    protection: Protection,
    /// Host sockets to mount `/dev/null` over (only with the network off).
    masked_sockets: Vec<PathBuf>,
    network: bool,
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
            Some(program) => Self::Landlock(LandlockHelper {
                namespaces: landlock::namespaces_work(&program),
                program,
            }),
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
            (_, Self::Landlock(helper)) if helper.namespaces => None,
            (_, Self::Landlock(_)) => Some(format!(
                "bubblewrap is not installed and this system does not let zspark make a user namespace, so commands run under Landlock and seccomp alone: sandbox mode `{}` limits writes to the writable roots{}, but `.git`, `.codex` and `.agents` inside them stay writable. Install bubblewrap (e.g. `apt install bubblewrap`) for the full sandbox.",
                policy.mode().as_str(),
                if network_allowed(policy) {
                    ""
                } else {
                    " and takes the network away (Unix sockets too, even those inside the workspace)"
                }
            )),
            (_, Self::Unavailable(reason)) => Some(format!(
                "sandbox mode `{}` is not enforced: {reason}. Commands run with your full permissions; use approval_policy = \"untrusted\" to review every command.",
                policy.mode().as_str()
            )),
        }
    }

    /// `argv` as it must be spawned under `policy` from `cwd`. `outside` runs it
    /// unsandboxed (an escalation the user approved). Fails when a protected folder
    /// cannot be prepared; the command must then not run.
    pub fn wrap(
        &self,
        policy: &SandboxPolicy,
        cwd: &Path,
        env: &Env,
        argv: Vec<String>,
        outside: bool,
    ) -> Result<SandboxedCommand, ProtectError> {
        let unconfined = |argv| SandboxedCommand {
            argv,
            protection: Protection::default(),
        };
        if !self.enforces(policy) || outside {
            return Ok(unconfined(argv));
        }
        match self {
            #[cfg(target_os = "linux")]
            Self::Bubblewrap(program) => {
                let confinement = Confinement::new(policy, cwd, env, true)?;
                let argv = bubblewrap::command_line(program, &confinement, cwd, argv);
                Ok(confinement.into_command(argv))
            }
            #[cfg(target_os = "linux")]
            Self::Landlock(helper) => {
                let confinement = Confinement::new(policy, cwd, env, helper.namespaces)?;
                let argv = landlock::command_line(helper, &confinement, argv);
                Ok(confinement.into_command(argv))
            }
            #[cfg(not(target_os = "linux"))]
            Self::Bubblewrap(_) | Self::Landlock(_) => Ok(unconfined(argv)),
            Self::Seatbelt(program) => Ok(unconfined(seatbelt::command_line(
                program, policy, cwd, env, argv,
            ))),
            Self::Unavailable(_) => Ok(unconfined(argv)),
        }
    }
}

#[cfg(target_os = "linux")]
impl Confinement {
    /// `mounts`: whether the enforcer can mount; protected folders and socket masks
    /// are only prepared when it can.
    fn new(
        policy: &SandboxPolicy,
        cwd: &Path,
        env: &Env,
        mounts: bool,
    ) -> Result<Self, ProtectError> {
        let writable = existing_writable_roots(policy, cwd, env);
        let network = network_allowed(policy);
        let protection = if mounts {
            protect::protect(&writable)?
        } else {
            Protection::default()
        };
        let masked_sockets = if mounts && !network {
            host_sockets::outside(&workspace_roots(policy, cwd))
        } else {
            Vec::new()
        };
        Ok(Self {
            writable,
            protection,
            masked_sockets,
            network,
        })
    }

    fn into_command(self, argv: Vec<String>) -> SandboxedCommand {
        SandboxedCommand {
            argv,
            protection: self.protection,
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
            "\n[The sandbox ({}) blocked this command: it may write only inside the writable roots (not their .git, .codex and .agents){}. If the task needs it, run it again with sandbox_permissions = \"require_escalated\" and a justification, so the user can approve running it outside the sandbox.]",
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

/// The writable roots that count as the workspace (the working directory and the
/// configured `writable_roots`, not the temporary directories), existing, symlinks
/// resolved. With the network off, Unix sockets are reachable only below these.
#[cfg(target_os = "linux")]
fn workspace_roots(policy: &SandboxPolicy, cwd: &Path) -> Vec<PathBuf> {
    match policy {
        SandboxPolicy::WorkspaceWrite { writable_roots, .. } => std::iter::once(cwd)
            .chain(writable_roots.iter().map(PathBuf::as_path))
            .filter_map(|root| root.canonicalize().ok())
            .collect(),
        SandboxPolicy::ReadOnly | SandboxPolicy::DangerFullAccess => Vec::new(),
    }
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
        let workspace = tempfile::tempdir().unwrap();
        let cwd = workspace.path();
        let wrap = |enforcer: &Enforcer, policy: &SandboxPolicy, outside: bool| {
            enforcer
                .wrap(policy, cwd, &env, argv.clone(), outside)
                .unwrap()
                .argv
        };
        if cfg!(target_os = "linux") {
            let wrapped = wrap(&enforcer, &workspace_write(), false);
            assert_eq!(wrapped[0], "/usr/bin/bwrap");
            assert!(wrapped.ends_with(&argv));
        }
        assert_eq!(wrap(&enforcer, &workspace_write(), true), argv);
        assert_eq!(
            wrap(&enforcer, &SandboxPolicy::DangerFullAccess, false),
            argv
        );
        let missing = Enforcer::Unavailable("no bwrap".into());
        assert_eq!(wrap(&missing, &workspace_write(), false), argv);
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

//! The Linux fallback when bubblewrap is not installed: Landlock restricts the file
//! system and a seccomp filter takes the network away. Both are applied by a helper
//! process (the `zspark` binary run as `zspark __landlock-sandbox …`) to itself, after
//! which it runs the command as its child. The helper is a child subreaper: whatever
//! the command leaves running (double forks, `setsid`, `disown`) is reparented to it
//! and killed when the command exits.
//!
//! Landlock rules only grant, so on their own they cannot keep `.git`, `.codex` and
//! `.agents` inside a writable root read-only. Where the system lets an unprivileged
//! process make a user namespace (most do; [`namespaces_work`] asks the helper once
//! per session), the helper first enters a new user and mount namespace (and, with the
//! network off, a new network namespace), mounts the protected paths read-only and
//! `/dev/null` over the host's Unix sockets, as bubblewrap does. Where it cannot, the
//! start-up notice says `.git` and the rest stay writable, and with the network off
//! the seccomp filter refuses every Unix-socket connection instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use landlock::{
    ABI, Access, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, path_beneath_rules,
};
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use nix::sys::statvfs::FsFlags;
use rustix::process::{Pid, Signal, WaitOptions};
use seccompiler::{
    SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
};

use super::{Confinement, LandlockHelper};

/// The first argument that makes the `zspark` binary act as the helper.
pub const HELPER_ARG: &str = "__landlock-sandbox";

/// The newest Landlock ABI the rules are written for; older kernels enforce what they
/// know (best effort), and the helper refuses to run when they know nothing.
const TARGET_ABI: ABI = ABI::V6;

/// Device files every command may write (its output often goes to `/dev/null`).
const WRITABLE_DEVICES: [&str; 5] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/ptmx",
];

/// Whether this kernel enforces Landlock (checked without restricting anything).
pub fn supported() -> bool {
    Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(ABI::V1))
        .and_then(|ruleset| ruleset.create())
        .is_ok()
}

/// The helper's command line for `argv` in `confinement`.
pub(super) fn command_line(
    helper: &LandlockHelper,
    confinement: &Confinement,
    argv: Vec<String>,
) -> Vec<String> {
    let mut line = vec![helper.program.display().to_string(), HELPER_ARG.to_string()];
    let mut pass = |option: &str, paths: &[PathBuf]| {
        for path in paths {
            line.push(option.to_string());
            line.push(path.display().to_string());
        }
    };
    pass("--write", &confinement.writable);
    if helper.namespaces {
        pass("--protect", &confinement.protection.paths);
        pass("--mask", &confinement.masked_sockets);
        line.push("--namespaces".to_string());
    }
    if !confinement.network {
        line.push("--no-network".to_string());
    }
    line.push("--".to_string());
    line.extend(argv);
    line
}

/// Whether `program` (the helper) can make the user and mount namespaces it needs for
/// the read-only mounts; asked by running it once with `--probe`.
pub fn namespaces_work(program: &Path) -> bool {
    Command::new(program)
        .args([HELPER_ARG, PROBE_ARG])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The helper's answer to [`namespaces_work`].
const PROBE_ARG: &str = "--probe";

/// What the helper was asked to do.
#[derive(Debug, PartialEq, Default)]
struct HelperRequest {
    writable: Vec<PathBuf>,
    /// Mounted read-only (needs `namespaces`).
    protect: Vec<PathBuf>,
    /// Covered with `/dev/null` (needs `namespaces`).
    mask: Vec<PathBuf>,
    namespaces: bool,
    network: bool,
    argv: Vec<String>,
}

fn parse(args: &[String]) -> Result<HelperRequest, String> {
    let mut request = HelperRequest {
        network: true,
        ..HelperRequest::default()
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut path = |option: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or(format!("{option} needs a path"))
        };
        match arg.as_str() {
            "--write" => request.writable.push(path("--write")?),
            "--protect" => request.protect.push(path("--protect")?),
            "--mask" => request.mask.push(path("--mask")?),
            "--namespaces" => request.namespaces = true,
            "--no-network" => request.network = false,
            "--" => {
                request.argv = args.cloned().collect();
                break;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if request.argv.is_empty() {
        return Err("no command after --".to_string());
    }
    if !request.namespaces && (!request.protect.is_empty() || !request.mask.is_empty()) {
        return Err("--protect and --mask need --namespaces".to_string());
    }
    Ok(request)
}

/// For a binary's `main`: when `args` (the process arguments after the program name)
/// start with [`HELPER_ARG`], runs the helper and gives its exit code; otherwise `None`.
/// Must run before the process starts any thread.
pub fn run_as_helper(args: &[String]) -> Option<std::process::ExitCode> {
    let (first, rest) = args.split_first()?;
    (first == HELPER_ARG)
        .then(|| std::process::ExitCode::from(u8::try_from(run_helper(rest)).unwrap_or(1)))
}

/// Runs the helper with the arguments after [`HELPER_ARG`]; returns the command's exit
/// status (128 + signal when a signal ended it, 126 when it could not be sandboxed or
/// started). Must be called before the process starts threads.
fn run_helper(args: &[String]) -> i32 {
    if args == [PROBE_ARG] {
        return match enter_namespaces(true) {
            Ok(()) => 0,
            Err(problem) => refuse(&problem),
        };
    }
    let request = match parse(args) {
        Ok(request) => request,
        Err(problem) => return refuse(&format!("bad arguments: {problem}")),
    };
    if request.namespaces
        && let Err(problem) = enter_namespaces(request.network).and_then(|()| mount_over(&request))
    {
        return refuse(&problem);
    }
    if let Err(problem) = restrict_files(&request.writable, request.network) {
        return refuse(&problem);
    }
    if !request.network {
        // Without a namespace of their own, the sockets of the host cannot be masked
        // one by one: every Unix-socket connection is refused instead.
        let unix_sockets = if request.namespaces {
            UnixSockets::Allowed
        } else {
            UnixSockets::Cut
        };
        if let Err(problem) = take_network_away(unix_sockets) {
            return refuse(&problem);
        }
    }
    if let Err(error) = rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
        return refuse(&format!("cannot become a child subreaper: {error}"));
    }
    let status = match Command::new(&request.argv[0])
        .args(&request.argv[1..])
        .status()
    {
        Ok(status) => status,
        Err(error) => return refuse(&format!("cannot run {}: {error}", request.argv[0])),
    };
    kill_leftovers();
    match (
        status.code(),
        std::os::unix::process::ExitStatusExt::signal(&status),
    ) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    }
}

#[allow(
    clippy::print_stderr,
    reason = "the helper reports on the command's stderr"
)]
fn refuse(problem: &str) -> i32 {
    eprintln!("zspark sandbox: {problem}; the command was not run");
    126
}

/// Enters a new user and mount namespace (and, with the network off, a network
/// namespace of its own, empty), keeping this user's ids, with mounts private to it.
fn enter_namespaces(network: bool) -> Result<(), String> {
    let (uid, gid) = (rustix::process::getuid(), rustix::process::getgid());
    let mut namespaces = CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS;
    if !network {
        namespaces |= CloneFlags::CLONE_NEWNET;
    }
    nix::sched::unshare(namespaces)
        .map_err(|error| format!("cannot make a user namespace: {error}"))?;
    let write = |file: &str, text: String| {
        std::fs::write(file, text).map_err(|error| format!("cannot write {file}: {error}"))
    };
    write("/proc/self/setgroups", "deny".to_string())?;
    write("/proc/self/uid_map", format!("{0} {0} 1", uid.as_raw()))?;
    write("/proc/self/gid_map", format!("{0} {0} 1", gid.as_raw()))?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|error| format!("cannot make the mounts private: {error}"))
}

/// Mounts each protected path read-only over itself and `/dev/null` over each socket.
fn mount_over(request: &HelperRequest) -> Result<(), String> {
    for path in &request.protect {
        bind_read_only(path, path)?;
    }
    for socket in &request.mask {
        bind_read_only(Path::new("/dev/null"), socket)?;
    }
    Ok(())
}

/// Binds `source` onto `target`, then makes that mount read-only (keeping the flags a
/// user namespace may not drop: nosuid, nodev, noexec and the atime mode).
fn bind_read_only(source: &Path, target: &Path) -> Result<(), String> {
    let failed =
        |what: &str, error: nix::Error| format!("cannot {what} {}: {error}", target.display());
    nix::mount::mount(
        Some(source),
        target,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|error| failed("mount over", error))?;
    let kept = nix::sys::statvfs::statvfs(target)
        .map_err(|error| failed("read the mount flags of", error))?
        .flags();
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    for (present, flag) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if kept.contains(present) {
            flags |= flag;
        }
    }
    nix::mount::mount(None::<&str>, target, None::<&str>, flags, None::<&str>)
        .map_err(|error| failed("make read-only", error))
}

/// Read (and execute) everywhere; write only beneath the writable roots and to the
/// harmless device files. Also keeps signals inside the sandbox where the kernel can,
/// and with the network off, abstract Unix sockets.
fn restrict_files(writable: &[PathBuf], network: bool) -> Result<(), String> {
    let describe = |error: landlock::RulesetError| format!("Landlock refused the rules: {error}");
    let read = AccessFs::from_read(TARGET_ABI);
    let all = AccessFs::from_all(TARGET_ABI);
    let scopes = if network {
        Scope::Signal.into()
    } else {
        Scope::Signal | Scope::AbstractUnixSocket
    };
    let status = Ruleset::default()
        .handle_access(all)
        .and_then(|ruleset| ruleset.scope(scopes))
        .and_then(|ruleset| ruleset.create())
        .and_then(|ruleset| ruleset.add_rules(path_beneath_rules(["/"], read)))
        .and_then(|ruleset| ruleset.add_rules(path_beneath_rules(writable, all)))
        .and_then(|ruleset| {
            let devices = WRITABLE_DEVICES
                .iter()
                .filter(|device| Path::new(device).exists());
            ruleset.add_rules(path_beneath_rules(devices, all))
        })
        .and_then(|ruleset| ruleset.restrict_self())
        .map_err(describe)?;
    if status.ruleset == RulesetStatus::NotEnforced {
        return Err("this kernel does not enforce Landlock".to_string());
    }
    Ok(())
}

/// Whether the network filter lets Unix-domain sockets connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnixSockets {
    /// The host's sockets are masked by mounts; the command's own work.
    Allowed,
    /// No mounts to mask them with: no Unix-socket connection at all.
    Cut,
}

/// A seccomp filter: sockets other than Unix-domain ones, and io_uring (which can open
/// sockets behind the filter's back), fail with EPERM. With `UnixSockets::Cut`,
/// `connect()` fails too, and so do datagram sockets (which reach a named socket
/// without connecting).
fn take_network_away(unix_sockets: UnixSockets) -> Result<(), String> {
    let condition = |argument, op, value| {
        SeccompCondition::new(argument, SeccompCmpArgLen::Dword, op, value).map_err(filter_error)
    };
    let rule = |conditions| SeccompRule::new(conditions).map_err(filter_error);
    let not_unix = condition(0, SeccompCmpOp::Ne, libc::AF_UNIX as u64)?;
    let mut socket_rules = vec![rule(vec![not_unix])?];
    let mut rules = vec![(libc::SYS_io_uring_setup, Vec::new())];
    if unix_sockets == UnixSockets::Cut {
        // The type argument carries SOCK_NONBLOCK and SOCK_CLOEXEC in its high bits.
        let datagram = || condition(1, SeccompCmpOp::MaskedEq(0xf), libc::SOCK_DGRAM as u64);
        socket_rules.push(rule(vec![datagram()?])?);
        rules.push((libc::SYS_socketpair, vec![rule(vec![datagram()?])?]));
        rules.push((libc::SYS_connect, Vec::new()));
    }
    rules.push((libc::SYS_socket, socket_rules));
    let filter = SeccompFilter::new(
        rules.into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        std::env::consts::ARCH.try_into().map_err(filter_error)?,
    )
    .map_err(filter_error)?;
    let program: seccompiler::BpfProgram = filter.try_into().map_err(filter_error)?;
    seccompiler::apply_filter(&program).map_err(filter_error)
}

fn filter_error(error: impl std::fmt::Display) -> String {
    format!("cannot install the network filter: {error}")
}

/// Kills and reaps everything reparented to the helper, until nothing is left. When
/// the command left nothing behind, this costs one `wait` call.
fn kill_leftovers() {
    let me = rustix::process::getpid();
    loop {
        match rustix::process::wait(WaitOptions::NOHANG) {
            // One reaped; look again.
            Ok(Some(_)) => {}
            // Children remain: kill what is there now (more may appear), then look again.
            Ok(None) => {
                for pid in children_of(me) {
                    let _ = rustix::process::kill_process(pid, Signal::KILL);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // No children left.
            Err(_) => return,
        }
    }
}

/// The processes whose parent is `parent`, from `/proc`.
fn children_of(parent: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // The fields after the command name (which may hold spaces) start at ") ".
            let after_name = stat.rsplit_once(") ")?.1;
            let parent_pid: i32 = after_name.split_whitespace().nth(1)?.parse().ok()?;
            (parent_pid == parent.as_raw_nonzero().get())
                .then(|| Pid::from_raw(pid))
                .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use codex_protocol::SandboxPolicy;

    use super::*;
    use crate::config::Env;

    fn workspace_write() -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        }
    }

    fn helper(namespaces: bool) -> LandlockHelper {
        LandlockHelper {
            program: PathBuf::from("/usr/bin/zspark"),
            namespaces,
        }
    }

    #[test]
    fn the_command_line_names_roots_protections_and_the_network_and_parses_back() {
        let workspace = tempfile::tempdir().unwrap();
        let cwd = workspace.path().canonicalize().unwrap();
        let confinement = Confinement::new(&workspace_write(), &cwd, &Env::new(), true).unwrap();
        let argv = vec!["bash".to_string(), "-c".to_string(), "true".to_string()];
        let line = command_line(&helper(true), &confinement, argv.clone());
        assert_eq!(
            line[..2],
            ["/usr/bin/zspark".to_string(), HELPER_ARG.to_string()]
        );
        let request = parse(&line[2..]).unwrap();
        assert_eq!(
            request,
            HelperRequest {
                writable: vec![cwd.clone()],
                protect: [".agents", ".codex", ".git"]
                    .iter()
                    .map(|name| cwd.join(name))
                    .collect(),
                mask: request.mask.clone(),
                namespaces: true,
                network: false,
                argv: argv.clone(),
            }
        );

        let plain = Confinement::new(&workspace_write(), &cwd, &Env::new(), false).unwrap();
        let line = command_line(&helper(false), &plain, argv.clone());
        assert!(
            !line.contains(&"--protect".to_string()) && !line.contains(&"--namespaces".to_string())
        );
        let read_only =
            Confinement::new(&SandboxPolicy::ReadOnly, Path::new("/"), &Env::new(), true).unwrap();
        let line = command_line(&helper(true), &read_only, vec!["ls".into()]);
        assert!(!line.contains(&"--write".to_string()));
    }

    #[test]
    fn bad_helper_arguments_are_refused() {
        assert!(
            parse(&["--write".into()])
                .unwrap_err()
                .contains("needs a path")
        );
        assert!(
            parse(&["--bogus".into()])
                .unwrap_err()
                .contains("unknown option")
        );
        assert!(parse(&["--".into()]).unwrap_err().contains("no command"));
        assert!(
            parse(&[
                "--protect".into(),
                "/x/.git".into(),
                "--".into(),
                "ls".into()
            ])
            .unwrap_err()
            .contains("need --namespaces")
        );
    }
}

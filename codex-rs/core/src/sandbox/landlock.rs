//! The Linux fallback when bubblewrap is not installed: Landlock restricts the file
//! system and a seccomp filter takes the network away. Both are applied by a helper
//! process (the `zspark` binary run as `zspark __landlock-sandbox …`) to itself, after
//! which it runs the command as its child. The helper is a child subreaper: whatever
//! the command leaves running (double forks, `setsid`, `disown`) is reparented to it
//! and killed when the command exits.
//!
//! What Landlock cannot do, and the start-up notice says: rules only grant, so `.git`,
//! `.codex` and `.agents` inside a writable root stay writable; bubblewrap's read-only
//! re-binds are the only way to protect them.

use std::path::{Path, PathBuf};
use std::process::Command;

use codex_protocol::SandboxPolicy;
use landlock::{
    ABI, Access, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, path_beneath_rules,
};
use rustix::process::{Pid, Signal, WaitOptions};
use seccompiler::{
    SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
};

use super::{existing_writable_roots, network_allowed};
use crate::config::Env;

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

/// The helper's command line for `argv` under `policy`.
pub fn command_line(
    helper: &Path,
    policy: &SandboxPolicy,
    cwd: &Path,
    env: &Env,
    argv: Vec<String>,
) -> Vec<String> {
    let mut line = vec![helper.display().to_string(), HELPER_ARG.to_string()];
    for root in existing_writable_roots(policy, cwd, env) {
        line.push("--write".to_string());
        line.push(root.display().to_string());
    }
    if !network_allowed(policy) {
        line.push("--no-network".to_string());
    }
    line.push("--".to_string());
    line.extend(argv);
    line
}

/// What the helper was asked to do.
#[derive(Debug, PartialEq)]
struct HelperRequest {
    writable: Vec<PathBuf>,
    network: bool,
    argv: Vec<String>,
}

fn parse(args: &[String]) -> Result<HelperRequest, String> {
    let mut request = HelperRequest {
        writable: Vec::new(),
        network: true,
        argv: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--write" => request
                .writable
                .push(PathBuf::from(args.next().ok_or("--write needs a path")?)),
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
    let request = match parse(args) {
        Ok(request) => request,
        Err(problem) => return refuse(&format!("bad arguments: {problem}")),
    };
    if let Err(problem) = restrict_files(&request.writable) {
        return refuse(&problem);
    }
    if !request.network
        && let Err(problem) = take_network_away()
    {
        return refuse(&problem);
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

/// Read (and execute) everywhere; write only beneath the writable roots and to the
/// harmless device files. Also keeps signals inside the sandbox where the kernel can.
fn restrict_files(writable: &[PathBuf]) -> Result<(), String> {
    let describe = |error: landlock::RulesetError| format!("Landlock refused the rules: {error}");
    let read = AccessFs::from_read(TARGET_ABI);
    let all = AccessFs::from_all(TARGET_ABI);
    let status = Ruleset::default()
        .handle_access(all)
        .and_then(|ruleset| ruleset.scope(Scope::Signal))
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

/// A seccomp filter: sockets other than Unix-domain ones, and io_uring (which can open
/// sockets behind the filter's back), fail with EPERM.
fn take_network_away() -> Result<(), String> {
    let not_unix = SeccompCondition::new(
        0,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Ne,
        libc::AF_UNIX as u64,
    )
    .map_err(filter_error)?;
    let rules = [
        (
            libc::SYS_socket,
            vec![SeccompRule::new(vec![not_unix]).map_err(filter_error)?],
        ),
        (libc::SYS_io_uring_setup, Vec::new()),
    ];
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
    use super::*;

    #[test]
    fn the_command_line_names_roots_and_the_network_and_parses_back() {
        let workspace = tempfile::tempdir().unwrap();
        let cwd = workspace.path().canonicalize().unwrap();
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: false,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let line = command_line(
            Path::new("/usr/bin/zspark"),
            &policy,
            &cwd,
            &Env::new(),
            vec!["bash".into(), "-c".into(), "true".into()],
        );
        assert_eq!(
            line[..2],
            ["/usr/bin/zspark".to_string(), HELPER_ARG.to_string()]
        );
        assert_eq!(
            parse(&line[2..]).unwrap(),
            HelperRequest {
                writable: vec![cwd],
                network: false,
                argv: vec!["bash".into(), "-c".into(), "true".into()],
            }
        );
        let read_only = command_line(
            Path::new("zspark"),
            &SandboxPolicy::ReadOnly,
            Path::new("/"),
            &Env::new(),
            vec!["ls".into()],
        );
        assert!(!read_only.contains(&"--write".to_string()));
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
    }
}

//! Approval policy decisions: whether a command or a patch runs without asking, needs
//! the user's approval, or is refused. The OS sandbox enforces what a command may do;
//! this module decides what the user is asked.

use std::path::{Path, PathBuf};

use codex_protocol::{ApprovalPolicy, SandboxPolicy};

use crate::config::Env;

/// What to do with a command the model wants to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandAssessment {
    Run,
    Ask { reason: Option<String> },
}

/// What to do with a patch the model wants to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchAssessment {
    Apply,
    Ask {
        reason: Option<String>,
    },
    /// Refused without asking; the text goes back to the model.
    Reject(String),
}

pub fn assess_command(
    policy: ApprovalPolicy,
    command: &[String],
    escalation_requested: bool,
    justification: Option<&str>,
    already_allowed: bool,
) -> CommandAssessment {
    if already_allowed {
        return CommandAssessment::Run;
    }
    let reason = justification.map(str::to_string);
    match policy.effective() {
        ApprovalPolicy::Never => CommandAssessment::Run,
        ApprovalPolicy::OnRequest if escalation_requested => CommandAssessment::Ask { reason },
        ApprovalPolicy::OnRequest => CommandAssessment::Run,
        _ if !escalation_requested && is_known_safe_command(command) => CommandAssessment::Run,
        _ => CommandAssessment::Ask {
            reason: reason.or_else(|| {
                Some("approval_policy is untrusted: commands that are not known to be read-only need approval".to_string())
            }),
        },
    }
}

pub fn assess_patch(
    policy: ApprovalPolicy,
    sandbox: &SandboxPolicy,
    cwd: &Path,
    env: &Env,
    touched: &[&Path],
    already_allowed: bool,
) -> PatchAssessment {
    let outside: Vec<&Path> = touched
        .iter()
        .copied()
        .filter(|path| !is_writable(sandbox, cwd, env, path))
        .collect();
    let outside_reason = || {
        let list: Vec<String> = outside
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        format!(
            "the patch writes outside the writable roots: {}",
            list.join(", ")
        )
    };
    match policy.effective() {
        ApprovalPolicy::Never if outside.is_empty() => PatchAssessment::Apply,
        ApprovalPolicy::Never => PatchAssessment::Reject(format!(
            "{}. The sandbox ({}) does not allow it and approval_policy is never, so the patch was not applied.",
            outside_reason(),
            sandbox.mode().as_str()
        )),
        _ if already_allowed => PatchAssessment::Apply,
        ApprovalPolicy::Untrusted => PatchAssessment::Ask {
            reason: (!outside.is_empty()).then(outside_reason),
        },
        _ if outside.is_empty() => PatchAssessment::Apply,
        _ => PatchAssessment::Ask {
            reason: Some(outside_reason()),
        },
    }
}

/// The directories commands and patches may write under `sandbox`.
pub fn writable_roots(sandbox: &SandboxPolicy, cwd: &Path, env: &Env) -> Vec<PathBuf> {
    match sandbox {
        SandboxPolicy::ReadOnly => Vec::new(),
        SandboxPolicy::DangerFullAccess => vec![PathBuf::from("/")],
        SandboxPolicy::WorkspaceWrite {
            writable_roots,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
            ..
        } => {
            let mut roots = vec![cwd.to_path_buf()];
            roots.extend(writable_roots.iter().cloned());
            if !exclude_slash_tmp && cfg!(unix) {
                roots.push(PathBuf::from("/tmp"));
            }
            if !exclude_tmpdir_env_var
                && let Some(tmpdir) = env.get("TMPDIR").filter(|dir| !dir.is_empty())
            {
                roots.push(PathBuf::from(tmpdir));
            }
            roots
        }
    }
}

/// Folders inside a writable root that stay read-only.
pub const PROTECTED_SUBDIRS: [&str; 3] = [".git", ".codex", ".agents"];

/// Whether `path` may be written under `sandbox`, following symlinks in the part of
/// the path that exists.
pub fn is_writable(sandbox: &SandboxPolicy, cwd: &Path, env: &Env, path: &Path) -> bool {
    if matches!(sandbox, SandboxPolicy::DangerFullAccess) {
        return true;
    }
    let target = resolve_existing_prefix(path);
    writable_roots(sandbox, cwd, env).iter().any(|root| {
        let root = resolve_existing_prefix(root);
        target.starts_with(&root)
            && !PROTECTED_SUBDIRS
                .iter()
                .any(|protected| target.starts_with(root.join(protected)))
    })
}

/// `path` with its longest existing ancestor canonicalised (symlinks resolved), so a
/// link inside the workspace pointing outside is seen for what it is.
pub fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return rest
                .iter()
                .rev()
                .fold(canonical, |acc, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// Commands that only read, so `untrusted` lets them run without asking. A shell
/// script (`bash -lc "..."`) counts when every command in it is one of these and it
/// has no redirection, substitution or background job.
pub fn is_known_safe_command(command: &[String]) -> bool {
    if let [shell, flag, script] = command
        && is_shell(shell)
        && (flag == "-c" || flag == "-lc")
    {
        return is_safe_script(script);
    }
    is_safe_simple_command(command)
}

fn is_shell(program: &str) -> bool {
    let name = Path::new(program)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(program);
    matches!(name, "bash" | "sh" | "zsh" | "dash")
}

fn is_safe_script(script: &str) -> bool {
    const FORBIDDEN: [&str; 6] = [">", "<", "`", "$(", "\n", "&&&"];
    if FORBIDDEN.iter().any(|token| script.contains(token)) {
        return false;
    }
    let normalised = script
        .replace("&&", ";")
        .replace("||", ";")
        .replace('|', ";");
    if normalised.contains('&') {
        return false;
    }
    normalised
        .split(';')
        .filter(|part| !part.trim().is_empty())
        .all(|part| shlex::split(part).is_some_and(|words| is_safe_simple_command(&words)))
}

fn is_safe_simple_command(words: &[String]) -> bool {
    let Some((program, args)) = words.split_first() else {
        return false;
    };
    let has = |flag: &str| {
        args.iter()
            .any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")))
    };
    match program.as_str() {
        "cat" | "cd" | "echo" | "false" | "grep" | "head" | "ls" | "nl" | "pwd" | "tail"
        | "true" | "wc" | "which" | "whoami" | "tr" | "cut" | "uniq" | "stat" | "file" | "du"
        | "df" | "basename" | "dirname" | "date" | "printf" | "tree" | "realpath" | "readlink" => {
            true
        }
        "sort" => !has("-o") && !has("--output"),
        "find" => ![
            "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf",
            "-fls",
        ]
        .iter()
        .any(|flag| has(flag)),
        "rg" => !["--pre", "--search-zip", "-z", "--hostname-bin"]
            .iter()
            .any(|flag| has(flag)),
        "sed" => {
            args.len() >= 2
                && args[0] == "-n"
                && args[1]
                    .trim_end_matches('p')
                    .split(',')
                    .all(|n| n.chars().all(|c| c.is_ascii_digit()))
        }
        "git" => {
            matches!(
                args.first().map(String::as_str),
                Some(
                    "status"
                        | "log"
                        | "diff"
                        | "show"
                        | "rev-parse"
                        | "ls-files"
                        | "blame"
                        | "grep"
                )
            ) || (args.first().map(String::as_str) == Some("branch") && args.len() == 1)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        shlex::split(text).unwrap()
    }

    #[test]
    fn known_safe_commands() {
        for safe in [
            "ls -la",
            "git status",
            "sed -n 1,20p file",
            "bash -lc 'ls && pwd | wc -l'",
            "find . -name x",
        ] {
            assert!(is_known_safe_command(&words(safe)), "{safe}");
        }
        for unsafe_command in [
            "rm -rf x",
            "find . -delete",
            "bash -lc 'ls > out'",
            "bash -lc 'echo $(rm x)'",
            "bash -lc 'sleep 1 &'",
            "git push",
            "sort -o out in",
            "sed -i s/a/b/ f",
        ] {
            assert!(
                !is_known_safe_command(&words(unsafe_command)),
                "{unsafe_command}"
            );
        }
    }

    #[test]
    fn command_assessment_per_policy() {
        let rm = words("rm -rf build");
        let ls = words("ls");
        assert_eq!(
            assess_command(ApprovalPolicy::Never, &rm, true, None, false),
            CommandAssessment::Run
        );
        assert_eq!(
            assess_command(ApprovalPolicy::OnRequest, &rm, false, None, false),
            CommandAssessment::Run
        );
        assert_eq!(
            assess_command(
                ApprovalPolicy::OnFailure,
                &rm,
                true,
                Some("needs network"),
                false
            ),
            CommandAssessment::Ask {
                reason: Some("needs network".into())
            }
        );
        assert_eq!(
            assess_command(ApprovalPolicy::Untrusted, &ls, false, None, false),
            CommandAssessment::Run
        );
        assert!(matches!(
            assess_command(ApprovalPolicy::Untrusted, &rm, false, None, false),
            CommandAssessment::Ask { .. }
        ));
        assert_eq!(
            assess_command(ApprovalPolicy::Untrusted, &rm, false, None, true),
            CommandAssessment::Run
        );
    }

    #[test]
    fn writable_paths_respect_roots_protected_dirs_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(work.join(".git")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, work.join("link")).unwrap();
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: vec![],
            network_access: false,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let env = Env::new();
        assert!(is_writable(&policy, &work, &env, &work.join("src/new.rs")));
        assert!(!is_writable(
            &policy,
            &work,
            &env,
            &work.join(".git/config")
        ));
        assert!(!is_writable(&policy, &work, &env, &outside.join("x")));
        #[cfg(unix)]
        assert!(
            !is_writable(&policy, &work, &env, &work.join("link/x")),
            "symlink escape"
        );
        assert!(!is_writable(
            &SandboxPolicy::ReadOnly,
            &work,
            &env,
            &work.join("a")
        ));
        assert!(is_writable(
            &SandboxPolicy::DangerFullAccess,
            &work,
            &env,
            &outside.join("a")
        ));
    }

    #[test]
    fn patch_assessment_per_policy() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        let env = Env::new();
        let workspace = SandboxPolicy::WorkspaceWrite {
            writable_roots: vec![],
            network_access: false,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let inside = cwd.join("a.txt");
        let elsewhere = Path::new("/definitely/elsewhere.txt");
        let assess = |policy, sandbox: &SandboxPolicy, path: &Path, allowed| {
            assess_patch(policy, sandbox, cwd, &env, &[path], allowed)
        };
        assert_eq!(
            assess(ApprovalPolicy::OnRequest, &workspace, &inside, false),
            PatchAssessment::Apply
        );
        assert!(matches!(
            assess(ApprovalPolicy::OnRequest, &workspace, elsewhere, false),
            PatchAssessment::Ask { .. }
        ));
        assert!(matches!(
            assess(ApprovalPolicy::Never, &workspace, elsewhere, false),
            PatchAssessment::Reject(_)
        ));
        assert!(matches!(
            assess(ApprovalPolicy::Untrusted, &workspace, &inside, false),
            PatchAssessment::Ask { .. }
        ));
        assert_eq!(
            assess(ApprovalPolicy::Untrusted, &workspace, &inside, true),
            PatchAssessment::Apply
        );
        assert!(matches!(
            assess(
                ApprovalPolicy::OnRequest,
                &SandboxPolicy::ReadOnly,
                &inside,
                false
            ),
            PatchAssessment::Ask { .. }
        ));
    }
}

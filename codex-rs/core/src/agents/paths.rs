//! Task paths, how agents are addressed under Codex's second multi-agent version: the
//! root thread is `/root`, and a child that `/root/a` starts with task name `b` is
//! `/root/a/b`. A name without a leading `/` is taken from the caller's path.

/// The root thread's path.
pub const ROOT_PATH: &str = "/root";

/// Whether `name` can name a task: lowercase letters, digits and `_`.
pub fn check_task_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "task_name `{name}` must be lowercase letters, digits and `_` (for example `worker_a`)"
        ))
    }
}

/// The path of a task `name` started by the agent at `parent`.
pub fn child_path(parent: &str, name: &str) -> String {
    format!("{parent}/{name}")
}

/// The canonical path `target` names when the agent at `caller` uses it.
pub fn resolve(caller: &str, target: &str) -> String {
    let target = target.trim().trim_end_matches('/');
    if target.starts_with('/') {
        target.to_string()
    } else {
        child_path(caller, target)
    }
}

/// Whether `path` is `prefix` or lies under it.
pub fn is_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_from_the_caller_and_paths_stay_as_given() {
        assert_eq!(resolve(ROOT_PATH, "worker_a"), "/root/worker_a");
        assert_eq!(resolve("/root/a", "b"), "/root/a/b");
        assert_eq!(resolve("/root/a", "/root/c/"), "/root/c");
        assert!(check_task_name("worker_2").is_ok());
        assert!(check_task_name("Worker").is_err());
        assert!(check_task_name("a/b").is_err());
        assert!(check_task_name("").is_err());
    }

    #[test]
    fn a_prefix_holds_its_own_path_and_those_below() {
        assert!(is_under("/root", "/root"));
        assert!(is_under("/root/worker_a", "/root"));
        assert!(!is_under("/root_b", "/root"));
        assert!(!is_under("/root/a", "/root/a/b"));
    }
}

//! The sub-agents a session started, found on disk: every rollout under
//! `$CODEX_HOME/sessions` whose `session_meta` names the session as its parent
//! (zspark's and the Codex CLI's alike), with its place in the tree and the model its
//! last turn used, so a resumed parent can open its children again.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use codex_protocol::ReasoningEffort;
use serde_json::Value;

use super::reader::collect_rollout_files;

/// A child session as its rollout describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildSession {
    pub id: String,
    pub path: PathBuf,
    pub depth: u32,
    pub nickname: Option<String>,
    pub role: Option<String>,
    /// Its task path (second version).
    pub agent_path: Option<String>,
    /// The model and effort of its last turn.
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
}

/// The children of session `parent_id`, oldest first.
pub fn child_sessions(codex_home: &Path, parent_id: &str) -> Vec<ChildSession> {
    let mut files = Vec::new();
    collect_rollout_files(&codex_home.join("sessions"), &mut files, 0);
    files.sort();
    files
        .iter()
        .filter_map(|path| child_of(path, parent_id))
        .collect()
}

/// The `thread_spawn` object of a sub-agent's `source`, when it is one.
pub fn thread_spawn(meta: &Value) -> Option<&Value> {
    meta.pointer("/source/subagent/thread_spawn")
}

/// The parent a `session_meta` payload names (top level, or in its spawn source).
pub fn parent_of(meta: &Value) -> Option<&str> {
    meta.get("parent_thread_id")
        .and_then(Value::as_str)
        .or_else(|| thread_spawn(meta)?.get("parent_thread_id")?.as_str())
}

fn child_of(path: &Path, parent_id: &str) -> Option<ChildSession> {
    let file = std::fs::File::open(path).ok()?;
    let mut lines = BufReader::new(file).lines();
    let first: Value = serde_json::from_str(&lines.next()?.ok()?).ok()?;
    let meta = first.get("payload")?;
    if first.get("type")?.as_str()? != "session_meta" || parent_of(meta)? != parent_id {
        return None;
    }
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
    let spawn = thread_spawn(meta);
    let mut child = ChildSession {
        id: text(meta.get("id"))?,
        path: path.to_path_buf(),
        depth: spawn
            .and_then(|spawn| spawn.get("depth")?.as_u64())
            .and_then(|depth| u32::try_from(depth).ok())
            .unwrap_or(1),
        nickname: text(meta.get("agent_nickname"))
            .or_else(|| text(spawn.and_then(|spawn| spawn.get("agent_nickname")))),
        role: text(meta.get("agent_role"))
            .or_else(|| text(spawn.and_then(|spawn| spawn.get("agent_role")))),
        agent_path: text(meta.get("agent_path"))
            .or_else(|| text(spawn.and_then(|spawn| spawn.get("agent_path")))),
        model: None,
        effort: None,
    };
    for line in lines.map_while(Result::ok) {
        let Ok(record) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if record.get("type").and_then(Value::as_str) == Some("turn_context")
            && let Some(context) = record.get("payload")
        {
            child.model = text(context.get("model")).or(child.model);
            child.effort = context
                .get("effort")
                .and_then(|effort| serde_json::from_value(effort.clone()).ok())
                .or(child.effort);
        }
    }
    Some(child)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn write(dir: &Path, name: &str, lines: &[Value]) {
        let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn children_are_found_by_their_parent_with_their_last_model() {
        let home = tempfile::tempdir().unwrap();
        let day = home.path().join("sessions/2026/12/02");
        std::fs::create_dir_all(&day).unwrap();
        let spawn = json!({"subagent": {"thread_spawn": {"parent_thread_id": "p", "depth": 1, "agent_path": null, "agent_nickname": "Hooke", "agent_role": "explorer"}}});
        write(
            &day,
            "rollout-2026-12-02T10-00-00-c1.jsonl",
            &[
                json!({"type": "session_meta", "payload": {"id": "c1", "source": spawn}}),
                json!({"type": "turn_context", "payload": {"model": "small", "effort": "low"}}),
                json!({"type": "turn_context", "payload": {"model": "smaller"}}),
            ],
        );
        write(
            &day,
            "rollout-2026-12-02T10-00-01-c2.jsonl",
            &[
                json!({"type": "session_meta", "payload": {"id": "c2", "parent_thread_id": "other", "source": "exec"}}),
            ],
        );
        write(&day, "rollout-2026-12-02T10-00-02-broken.jsonl", &[]);
        let children = child_sessions(home.path(), "p");
        assert_eq!(children.len(), 1, "{children:?}");
        let child = &children[0];
        assert_eq!(
            (
                child.id.as_str(),
                child.depth,
                child.nickname.as_deref(),
                child.role.as_deref()
            ),
            ("c1", 1, Some("Hooke"), Some("explorer"))
        );
        assert_eq!(child.model.as_deref(), Some("smaller"));
        assert_eq!(child.effort, Some(ReasoningEffort::Low));
    }
}

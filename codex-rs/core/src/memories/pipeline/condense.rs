//! Phase 1: condensing sessions. The candidates are the user's own sessions (no
//! sub-agent's, not the one starting, not one kept out of memory) with messages, idle
//! for `min_rollout_idle_hours` and younger than `max_rollout_age_days`, changed since
//! they were last condensed; newest first, `max_rollouts_per_startup` per pass. Each is
//! read as a transcript and the model answers with a recap and a slug, kept as
//! `rollout_summaries/<time>-<slug>.md`.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use codex_protocol::ReasoningEffort;
use serde::Deserialize;

use super::model::{ask, json_object};
use super::prompts::CONDENSE;
use super::state::{Condensed, PipelineState};
use super::transcript::render;
use crate::client::ModelClient;
use crate::memories::{MemoriesConfig, MemoryError, MemoryFolder};
use crate::rollout::{SessionSummary, load_rollout};

const HOUR: u64 = 3_600;

/// The model's answer (Codex's current shape; its older one added `raw_memory`).
#[derive(Debug, Deserialize)]
struct CondenseAnswer {
    #[serde(default)]
    rollout_summary: String,
    #[serde(default)]
    rollout_slug: String,
}

fn modified_secs(session: &SessionSummary) -> u64 {
    session
        .updated_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// The sessions to condense now, newest first.
pub fn candidates<'a>(
    sessions: &'a [SessionSummary],
    state: &PipelineState,
    current: &str,
    config: &MemoriesConfig,
    now: SystemTime,
) -> Vec<&'a SessionSummary> {
    let idle = Duration::from_secs(u64::from(config.min_rollout_idle_hours) * HOUR);
    let oldest = Duration::from_secs(u64::from(config.max_rollout_age_days) * 24 * HOUR);
    let mut found: Vec<&SessionSummary> = sessions
        .iter()
        .filter(|session| {
            let age = now.duration_since(session.updated_at).unwrap_or_default();
            let condensed = state
                .sessions
                .get(&session.session_id)
                .is_some_and(|done| done.rollout_modified == modified_secs(session));
            session.parent_thread_id.is_none()
                && session.session_id != current
                && !state.excluded.contains(&session.session_id)
                && session.title != "(no messages)"
                && age >= idle
                && age <= oldest
                && !condensed
        })
        .collect();
    found.sort_by_key(|session| std::cmp::Reverse(session.updated_at));
    found.truncate(config.max_rollouts_per_pass);
    found
}

/// Whether a slug makes a safe file name.
pub fn check_slug(slug: &str) -> Result<(), MemoryError> {
    let safe = !slug.is_empty()
        && slug.len() <= 80
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if safe {
        Ok(())
    } else {
        Err(MemoryError::Model(format!(
            "the recap's slug `{slug}` is not a safe file name (lowercase letters, digits, '-' and '_', at most 80)"
        )))
    }
}

/// Condenses `session` into a recap file; records it in `state` (a session with
/// nothing worth keeping is recorded too, so it is not read again until it changes).
pub async fn condense(
    session: &SessionSummary,
    folder: &MemoryFolder,
    state: &mut PipelineState,
    client: &ModelClient,
    model: &str,
) -> Result<Option<String>, MemoryError> {
    let path = session.path.clone();
    let loaded = tokio::task::spawn_blocking(move || load_rollout(&path))
        .await
        .map_err(|error| MemoryError::Invalid(error.to_string()))?
        .map_err(|error| MemoryError::Invalid(error.to_string()))?;
    let when: DateTime<Utc> = session.updated_at.into();
    let cwd = session
        .cwd
        .as_ref()
        .map_or_else(|| "unknown".to_string(), |cwd| cwd.display().to_string());
    let input = format!(
        "Session {}\nFolder: {cwd}\nLast active: {}\n\n{}",
        session.session_id,
        when.to_rfc3339(),
        render(&loaded.history)
    );
    let answer = ask(client, model, ReasoningEffort::Low, CONDENSE, input).await?;
    let answer: CondenseAnswer = json_object(&answer)?;
    let previous = state
        .sessions
        .get(&session.session_id)
        .and_then(|done| done.recap.clone());
    let recap = if answer.rollout_summary.trim().is_empty() {
        None
    } else {
        check_slug(&answer.rollout_slug)?;
        let name = format!(
            "rollout_summaries/{}-{}.md",
            when.format("%Y-%m-%dT%H-%M-%S"),
            answer.rollout_slug
        );
        let text = format!(
            "thread_id: {}\ncwd: {cwd}\nupdated_at: {}\n\n{}\n",
            session.session_id,
            when.to_rfc3339(),
            answer.rollout_summary.trim()
        );
        let target = folder.root().join(&name);
        std::fs::create_dir_all(folder.rollout_summaries())
            .and_then(|()| std::fs::write(&target, text))
            .map_err(|error| MemoryError::io("write", &target, error))?;
        Some(name)
    };
    if let Some(previous) = previous.filter(|previous| Some(previous) != recap.as_ref()) {
        let stale = folder.root().join(previous);
        let _ = std::fs::remove_file(stale);
    }
    state.sessions.insert(
        session.session_id.clone(),
        Condensed {
            rollout_modified: modified_secs(session),
            recap: recap.clone(),
        },
    );
    Ok(recap)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn session(id: &str, hours_ago: u64, now: SystemTime) -> SessionSummary {
        SessionSummary {
            path: PathBuf::from(format!("/s/{id}.jsonl")),
            session_id: id.into(),
            cwd: None,
            title: "a task".into(),
            started_at: None,
            updated_at: now - Duration::from_secs(hours_ago * HOUR),
            source: None,
            model_provider: None,
            parent_thread_id: None,
            agent_nickname: None,
        }
    }

    #[test]
    fn candidates_honour_every_condition_newest_first() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 * 24 * HOUR);
        let config = MemoriesConfig {
            max_rollouts_per_pass: 2,
            ..crate::memories::MemoriesConfig::from_file(&Default::default(), Path::new("/h"))
        };
        let mut child = session("child", 8, now);
        child.parent_thread_id = Some("old".into());
        let mut empty = session("empty", 8, now);
        empty.title = "(no messages)".into();
        let sessions = vec![
            session("recent", 2, now),
            session("old", 300, now),
            session("current", 9, now),
            session("kept-out", 9, now),
            child,
            empty,
            session("done", 10, now),
            session("a", 12, now),
            session("b", 7, now),
            session("c", 30, now),
        ];
        let mut state = PipelineState::default();
        state.excluded.insert("kept-out".into());
        state.sessions.insert(
            "done".into(),
            Condensed {
                rollout_modified: modified_secs(&sessions[6]),
                recap: None,
            },
        );
        let picked: Vec<&str> = candidates(&sessions, &state, "current", &config, now)
            .iter()
            .map(|session| session.session_id.as_str())
            .collect();
        assert_eq!(picked, ["b", "a"], "newest first, at most two");

        state.sessions.get_mut("done").unwrap().rollout_modified -= 1;
        let picked: Vec<&str> = candidates(&sessions, &state, "current", &config, now)
            .iter()
            .map(|session| session.session_id.as_str())
            .collect();
        assert_eq!(
            picked,
            ["b", "done"],
            "a session that changed is condensed again"
        );
    }

    #[test]
    fn slugs_must_be_file_names() {
        assert!(check_slug("fix-csv_export2").is_ok());
        for bad in ["", "Fix", "../x", "a b", &"x".repeat(81)] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }
}

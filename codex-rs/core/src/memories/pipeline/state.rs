//! What the pipeline remembers between passes, in `$CODEX_HOME/zspark-memories.json`
//! (kept out of the memory folder, which the model reads): for each session, the
//! version of its rollout that was condensed and the recap it gave; the sessions the
//! user kept out of memory; and how the last consolidation went. Written through a
//! temporary file, so a crash never leaves half a state behind; an unreadable state is
//! started afresh (sessions are then condensed again, nothing in the folder is lost).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::memories::MemoryError;

/// Read-modify-writes of the file take turns within the process (the user keeping a
/// session out while a pass records its progress).
static STATE: Mutex<()> = Mutex::new(());

/// The state file's name in `CODEX_HOME`.
pub const STATE_FILE: &str = "zspark-memories.json";

/// One session the pipeline looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condensed {
    /// The rollout's modification time (seconds) when it was condensed.
    pub rollout_modified: u64,
    /// The recap it gave, relative to the memory folder (`None`: nothing to keep).
    pub recap: Option<String>,
}

/// How a consolidation went, in Codex's status words (`succeeded`,
/// `skipped_no_candidates`, `failed_invalid_artifacts`, `failed_agent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsolidationRecord {
    /// Seconds since the epoch.
    pub at: i64,
    pub status: String,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineState {
    pub sessions: BTreeMap<String, Condensed>,
    /// Sessions kept out of memory.
    pub excluded: BTreeSet<String>,
    pub last_consolidation: Option<ConsolidationRecord>,
    /// The sessions the last pass could not condense, each with the reason.
    pub last_failures: Vec<String>,
}

impl PipelineState {
    pub fn path(codex_home: &Path) -> PathBuf {
        codex_home.join(STATE_FILE)
    }

    /// The state in `codex_home` (empty when there is none or it cannot be read).
    pub fn load(codex_home: &Path) -> Self {
        std::fs::read_to_string(Self::path(codex_home))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Writes the pipeline's progress; the sessions kept out are the user's, so the
    /// file's own list stays.
    pub fn save_progress(&mut self, codex_home: &Path) -> Result<(), MemoryError> {
        let _turn = STATE.lock().unwrap_or_else(PoisonError::into_inner);
        self.excluded = Self::load(codex_home).excluded;
        self.save(codex_home)
    }

    fn save(&self, codex_home: &Path) -> Result<(), MemoryError> {
        let path = Self::path(codex_home);
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)
            .map_err(|error| MemoryError::Invalid(error.to_string()))?;
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|error| MemoryError::io("write", &path, error))
    }

    /// Keeps session `id` out of memory, or lets it in again.
    pub fn set_excluded(codex_home: &Path, id: &str, excluded: bool) -> Result<(), MemoryError> {
        let _turn = STATE.lock().unwrap_or_else(PoisonError::into_inner);
        let mut state = Self::load(codex_home);
        if excluded {
            state.excluded.insert(id.to_string());
        } else {
            state.excluded.remove(id);
        }
        state.save(codex_home)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_and_a_broken_file_starts_afresh() {
        let home = tempfile::tempdir().unwrap();
        PipelineState::set_excluded(home.path(), "a", true).unwrap();
        let mut state = PipelineState::load(home.path());
        assert!(state.excluded.contains("a"));
        state.sessions.insert(
            "b".into(),
            Condensed {
                rollout_modified: 7,
                recap: Some("rollout_summaries/x.md".into()),
            },
        );
        state.excluded.clear();
        state.save_progress(home.path()).unwrap();
        assert!(state.excluded.contains("a"), "the user's list is kept");
        assert_eq!(PipelineState::load(home.path()), state);
        PipelineState::set_excluded(home.path(), "a", false).unwrap();
        assert!(PipelineState::load(home.path()).excluded.is_empty());
        std::fs::write(PipelineState::path(home.path()), "{not json").unwrap();
        assert_eq!(PipelineState::load(home.path()), PipelineState::default());
    }
}

//! Memories as the desktop's Memory panel shows them: whether they are on
//! (`features.memories` in `config.toml`), the summary sessions are given (and whether
//! it is valid, so it is used), the user's notes, the folder's history of changes, how
//! the background pipeline last went, and the sessions kept out of memory.
//! Notes are added, edited and deleted here; every change is kept in the folder's
//! history, so it can be undone.

use std::collections::BTreeSet;
use std::path::PathBuf;

use codex_core::ConfigOverrides;
use codex_core::mcp::edit::ConfigDocument;
pub use codex_core::memories::pipeline::ConsolidationRecord;
use codex_core::memories::pipeline::PipelineState;
pub use codex_core::memories::{HISTORY_REF, local_time};
use codex_core::memories::{MemoryFolder, Note, Snapshot, name_now, validate};

/// Snapshots of the history listed in the panel.
const HISTORY_SHOWN: usize = 20;

/// The summary file, as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryState {
    /// No summary yet (the background consolidation writes the first).
    Missing,
    Valid(String),
    /// Sessions do not get it, because of `problem`.
    Invalid {
        text: String,
        problem: String,
    },
}

/// Everything the panel shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryView {
    pub enabled: bool,
    pub folder: PathBuf,
    pub summary: SummaryState,
    pub notes: Vec<Note>,
    /// Newest first.
    pub history: Vec<Snapshot>,
    /// How the last background consolidation went, and the sessions the last pass
    /// could not condense.
    pub last_consolidation: Option<ConsolidationRecord>,
    pub last_failures: Vec<String>,
    /// Sessions kept out of memory.
    pub excluded: BTreeSet<String>,
}

/// The memory of one `CODEX_HOME`.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    codex_home: PathBuf,
}

impl MemoryStore {
    pub fn new(codex_home: PathBuf) -> Self {
        Self { codex_home }
    }

    fn folder(&self) -> MemoryFolder {
        MemoryFolder::new(self.codex_home.join(codex_core::memories::FOLDER))
    }

    /// Reads what the panel shows.
    pub fn load(&self) -> Result<MemoryView, String> {
        let config = codex_core::config::load_memories_config(
            &self.codex_home,
            &self.codex_home,
            &ConfigOverrides::default(),
        )
        .map_err(|error| error.to_string())?;
        let folder = self.folder();
        let summary_path = folder.summary_path();
        let summary = match std::fs::read_to_string(&summary_path) {
            Ok(text) => match validate(&text) {
                Ok(()) => SummaryState::Valid(text),
                Err(problem) => SummaryState::Invalid {
                    text,
                    problem: problem.to_string(),
                },
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => SummaryState::Missing,
            Err(error) => {
                return Err(format!(
                    "could not read {}: {error}",
                    summary_path.display()
                ));
            }
        };
        let history = if folder.root().join(".git").exists() {
            let mut history = folder.history().map_err(|error| error.to_string())?;
            history.truncate(HISTORY_SHOWN);
            history
        } else {
            Vec::new()
        };
        let state = PipelineState::load(&self.codex_home);
        Ok(MemoryView {
            enabled: config.enabled,
            folder: folder.root().to_path_buf(),
            summary,
            notes: folder.notes().map_err(|error| error.to_string())?,
            history,
            last_consolidation: state.last_consolidation,
            last_failures: state.last_failures,
            excluded: state.excluded,
        })
    }

    /// Switches memories on or off in `config.toml`.
    pub fn set_enabled(&self, enabled: bool) -> Result<(), String> {
        let mut document = ConfigDocument::open(&self.codex_home.join("config.toml"))
            .map_err(|error| error.to_string())?;
        document
            .set_feature("memories", enabled)
            .and_then(|()| document.save())
            .map_err(|error| error.to_string())?;
        if enabled {
            self.folder().prepare().map_err(|error| error.to_string())?;
        }
        Ok(())
    }

    /// Adds a note holding `text`, named after the time and its first words.
    pub fn add_note(&self, text: &str) -> Result<(), String> {
        let name = name_now(text);
        self.folder()
            .add_note(&name, text.trim())
            .map_err(|error| error.to_string())
    }

    pub fn edit_note(&self, name: &str, text: &str) -> Result<(), String> {
        self.folder()
            .edit_note(name, text.trim())
            .map_err(|error| error.to_string())
    }

    /// Keeps session `session_id` out of memory (never condensed), or lets it in.
    pub fn set_excluded(&self, session_id: &str, excluded: bool) -> Result<(), String> {
        PipelineState::set_excluded(&self.codex_home, session_id, excluded)
            .map_err(|error| error.to_string())
    }

    pub fn delete_note(&self, name: &str) -> Result<(), String> {
        self.folder()
            .delete_note(name)
            .map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_shows_the_switch_the_summary_and_the_notes() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("config.toml"), "# mine\nmodel = \"m\"\n").unwrap();
        let store = MemoryStore::new(home.path().to_path_buf());
        let view = store.load().unwrap();
        assert!(!view.enabled, "off until switched on, as in Codex");
        assert_eq!(view.summary, SummaryState::Missing);

        store.set_enabled(true).unwrap();
        let config = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
        assert!(config.starts_with("# mine\nmodel = \"m\"\n"), "{config}");
        assert!(config.contains("[features]\nmemories = true"), "{config}");
        std::fs::write(
            view.folder.join("memory_summary.md"),
            "v1\n## User Profile\n",
        )
        .unwrap();
        store.add_note("I prefer tabs").unwrap();

        let view = store.load().unwrap();
        assert!(view.enabled);
        let SummaryState::Invalid { problem, .. } = &view.summary else {
            panic!("{:?}", view.summary);
        };
        assert!(problem.contains("User preferences"), "{problem}");
        assert_eq!(view.notes.len(), 1);
        assert_eq!(view.notes[0].text, "I prefer tabs");
        let name = view.notes[0].file_name.clone();
        store.delete_note(&name).unwrap();
        let view = store.load().unwrap();
        assert!(view.notes.is_empty());
        assert!(view.history.len() >= 2, "{:?}", view.history);

        store.set_excluded("session-1", true).unwrap();
        assert!(store.load().unwrap().excluded.contains("session-1"));
    }
}

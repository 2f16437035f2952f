//! The background pipeline that keeps the memory: when a root session starts with
//! memories on and `generate_memories`, a pass condenses the sessions that went idle
//! (`condense`, phase 1) and consolidates the recaps and the user's notes into
//! `memory_summary.md` and `MEMORY.md` (`consolidate`, phase 2), with the user's
//! configured provider (any, Chat ones too) and prompts of our own (`prompts`). It
//! never blocks a turn; one pass runs at a time per `CODEX_HOME`; what it did is kept
//! in `state` for the next pass and for the Memory panel.

mod condense;
mod consolidate;
mod model;
mod prompts;
mod state;
mod transcript;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub use state::{Condensed, ConsolidationRecord, PipelineState};

use condense::candidates;

use crate::client::ModelClient;
use crate::config::Config;
use crate::memories::{MemoryError, MemoryFolder};
use crate::rollout::list_sessions;

/// A pass older than this is taken to have died, and its lock is taken over.
const STALE_PASS: Duration = Duration::from_secs(3_600);

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    /// Another pass was running, so this one did nothing.
    pub skipped: bool,
    /// The recap files written.
    pub condensed: Vec<String>,
    /// Sessions that could not be condensed, with the reason.
    pub failures: Vec<String>,
    /// How consolidation went (`None`: nothing had changed).
    pub consolidation: Option<ConsolidationRecord>,
}

/// Runs one pass for a session `current` (never condensed while it runs) of `config`.
pub async fn run_pass(config: &Config, current: &str) -> Result<PassReport, MemoryError> {
    let memories = &config.memories;
    if !memories.generates() {
        return Ok(PassReport::default());
    }
    let home = config.codex_home.clone();
    let Some(_lock) = PassLock::acquire(&home)? else {
        return Ok(PassReport {
            skipped: true,
            ..PassReport::default()
        });
    };
    let folder = MemoryFolder::new(&memories.folder);
    let (mut state, sessions) = {
        let folder = folder.clone();
        let home = home.clone();
        tokio::task::spawn_blocking(move || {
            folder.prepare()?;
            Ok::<_, MemoryError>((PipelineState::load(&home), list_sessions(&home)))
        })
        .await
        .map_err(|error| MemoryError::Invalid(error.to_string()))??
    };
    let client = ModelClient::for_config(config, format!("memories-{current}"))
        .map_err(|error| MemoryError::Model(error.to_string()))?;
    let picked: Vec<_> = candidates(&sessions, &state, current, memories, SystemTime::now())
        .into_iter()
        .cloned()
        .collect();
    let extract_model = memories.extract_model.as_ref().unwrap_or(&config.model);
    let mut report = PassReport::default();
    for session in &picked {
        match condense::condense(session, &folder, &mut state, &client, extract_model).await {
            Ok(Some(recap)) => report.condensed.push(recap),
            Ok(None) => {}
            Err(error) => report
                .failures
                .push(format!("session {}: {error}", session.session_id)),
        }
    }
    state.last_failures = report.failures.clone();
    state.save_progress(&home)?;
    let consolidation_model = memories
        .consolidation_model
        .as_ref()
        .unwrap_or(&config.model);
    report.consolidation = consolidate::consolidate(&folder, &client, consolidation_model).await?;
    if let Some(record) = &report.consolidation {
        state.last_consolidation = Some(record.clone());
        state.save_progress(&home)?;
    }
    Ok(report)
}

/// Starts a pass in the background for the root session `current`.
pub(crate) fn spawn_pass(config: Config, current: String) {
    if !config.memories.generates() {
        return;
    }
    tokio::spawn(async move {
        // What a pass did, or why it failed, is kept in the state for the Memory panel.
        if let Err(error) = run_pass(&config, &current).await {
            let mut state = PipelineState::load(&config.codex_home);
            state.last_failures = vec![error.to_string()];
            let _ = state.save_progress(&config.codex_home);
        }
    });
}

/// One pass at a time per `CODEX_HOME`: a file created when a pass starts and
/// removed when it ends.
struct PassLock {
    path: PathBuf,
}

impl PassLock {
    fn acquire(codex_home: &Path) -> Result<Option<Self>, MemoryError> {
        let path = codex_home.join("memories_v2.zspark-pass");
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(Some(Self { path })),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&path)
                        .and_then(|meta| meta.modified())
                        .ok()
                        .and_then(|modified| modified.elapsed().ok())
                        .is_some_and(|age| age > STALE_PASS);
                    if !stale {
                        return Ok(None);
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(error) => return Err(MemoryError::io("create", &path, error)),
            }
        }
        Ok(None)
    }
}

impl Drop for PassLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

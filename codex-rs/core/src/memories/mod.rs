//! Memories across sessions, the Codex way (`memories_v2`): behind `features.memories`,
//! a session is given the summary in `$CODEX_HOME/memories_v2/memory_summary.md` (only
//! a valid one: `summary`), and the model may look through the folder and write down
//! what the user asks it to remember with the `memories` tools (`tools`, `browse`,
//! `notes`). The folder is a git work tree whose every change zspark makes can be
//! undone (`folder`). In the background, `pipeline` condenses past sessions and
//! consolidates them into the summary.

mod browse;
mod config;
mod folder;
mod notes;
pub mod pipeline;
mod summary;
mod tools;

use std::sync::Arc;

use codex_protocol::ResponseItem;

pub use config::{MemoriesConfig, MemoriesFile};
pub use folder::{HISTORY_REF, MemoryError, MemoryFolder, Snapshot, local_time};
pub use notes::{Note, name_now};
pub use summary::{SummaryProblem, validate};

use summary::memory_block;

use crate::session::Session;

/// The folder's name in `CODEX_HOME`.
pub const FOLDER: &str = "memories_v2";

/// The message giving a session its memory, when memories are on and a summary
/// exists; a summary that is not valid is left out with a warning saying why.
pub fn summary_message(config: &MemoriesConfig) -> (Option<ResponseItem>, Option<String>) {
    if !config.injects() {
        return (None, None);
    }
    let folder = MemoryFolder::new(&config.folder);
    let path = folder.summary_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return (None, None),
        Err(error) => {
            return (
                None,
                Some(format!(
                    "memory is not used in this session: {} could not be read: {error}",
                    path.display()
                )),
            );
        }
    };
    match validate(&text) {
        Ok(()) => {
            let block = memory_block(folder.root(), text.trim_end(), config.dedicated_tools);
            (Some(ResponseItem::developer_text(block)), None)
        }
        Err(problem) => (
            None,
            Some(format!(
                "memory is not used in this session: {} is not a valid summary ({problem}); fix it or let the next consolidation rewrite it",
                path.display()
            )),
        ),
    }
}

/// Readies the memory folder and offers `session` the memory tools, when memories
/// and the dedicated tools are on. A folder that cannot be readied is reported and
/// left as it is.
pub(crate) async fn offer_tools(session: &Arc<Session>) -> Option<String> {
    let config = &session.config().memories;
    if !config.enabled {
        return None;
    }
    let folder = MemoryFolder::new(&config.folder);
    let prepared = {
        let folder = folder.clone();
        tokio::task::spawn_blocking(move || folder.prepare())
            .await
            .map_err(|error| MemoryError::Invalid(error.to_string()))
            .and_then(|result| result)
    };
    let warning = prepared.err().map(|error| {
        format!(
            "the memory folder {} is not ready: {error}",
            folder.root().display()
        )
    });
    if config.dedicated_tools {
        let offered = session.tools().set_namespace(
            tools::NAMESPACE,
            tools::NAMESPACE_DESCRIPTION,
            tools::handlers(&folder),
        );
        debug_assert!(offered.is_ok(), "the memory tools have distinct names");
    }
    warning
}

//! The engine's memory commands, for the desktop's Memory panel: read it, switch
//! memories on or off, add, edit and delete notes, keep a session out of memory. Each runs off the run loop; a
//! change that fails answers with [`EngineEvent::Problem`], and every command ends
//! with the panel as it now is ([`EngineEvent::Memory`]).

use super::{EngineEvent, EngineSetup, Outbox};
use crate::memory::MemoryStore;

/// Work on the memory of `CODEX_HOME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryCommand {
    Load,
    SetEnabled(bool),
    AddNote {
        text: String,
    },
    EditNote {
        name: String,
        text: String,
    },
    DeleteNote {
        name: String,
    },
    /// Keep session `session_id` out of memory, or let it in again.
    SetExcluded {
        session_id: String,
        excluded: bool,
    },
}

/// Carries out `command` off the run loop and reports the result.
pub(super) fn spawn(command: MemoryCommand, setup: &EngineSetup, outbox: &Outbox) {
    let store = MemoryStore::new(setup.codex_home.clone());
    outbox.change_then_report("memory", move || {
        let changed = match &command {
            MemoryCommand::Load => Ok(()),
            MemoryCommand::SetEnabled(enabled) => store.set_enabled(*enabled),
            MemoryCommand::AddNote { text } => store.add_note(text),
            MemoryCommand::EditNote { name, text } => store.edit_note(name, text),
            MemoryCommand::DeleteNote { name } => store.delete_note(name),
            MemoryCommand::SetExcluded {
                session_id,
                excluded,
            } => store.set_excluded(session_id, *excluded),
        };
        (changed, EngineEvent::Memory(store.load()))
    });
}

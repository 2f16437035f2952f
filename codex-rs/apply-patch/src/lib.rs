//! The `apply_patch` format used by Codex-style agents: a parser for the patch grammar
//! ([`parse_patch`]) and an applier that changes files all or nothing ([`plan_patch`],
//! then [`PatchPlan::commit`]). The logic works through the [`FileSystem`] trait, so it is
//! tested in memory and runs on the real disk with [`DiskFs`].

mod apply;
mod fs;
mod parser;
mod seek;

use std::path::Path;

pub use apply::{
    ApplyError, ChangeKind, PatchPlan, PlannedChange, normalize_path, plan_patch, resolve,
    unified_diff,
};
pub use fs::{DiskFs, FileSystem, MemoryFs};
pub use parser::{ChunkLine, Hunk, ParseError, Patch, UpdateChunk, parse_patch};

/// Why `apply_patch` failed: the text is not a patch, or it does not fit the files.
#[derive(Debug)]
pub enum PatchError {
    Parse(ParseError),
    Apply(ApplyError),
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Parse(error) => error.fmt(f),
            Self::Apply(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for PatchError {}

/// Parses and plans `text` against the files under `cwd`.
pub fn plan_text(text: &str, cwd: &Path, fs: &impl FileSystem) -> Result<PatchPlan, PatchError> {
    let patch = parse_patch(text).map_err(PatchError::Parse)?;
    plan_patch(&patch, cwd, fs).map_err(PatchError::Apply)
}

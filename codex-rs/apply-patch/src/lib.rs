//! The `apply_patch` format used by Codex-style agents: a parser for the patch grammar
//! and an applier that changes files all or nothing. Pure: the applier works on a file
//! system trait so it can be tested without touching disk.

//! The server over real HTTP, the same suite on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; skipped tests say why on stderr"
)]

mod suite;

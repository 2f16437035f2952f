//! Integration tests of parsing, planning and committing patches.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod suite;

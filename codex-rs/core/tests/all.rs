//! Integration tests of the runtime against the scripted model server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod suite;

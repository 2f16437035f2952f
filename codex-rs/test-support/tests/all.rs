//! Integration tests of the scripted model server, over real HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod suite;

//! Tests of the bridge: translation rules, provider fixtures, and the proxy over HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod suite;

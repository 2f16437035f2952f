//! Tests of the bridge: translation rules, provider fixtures, and the proxy over HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; skipped tests say why on stderr"
)]

mod suite;

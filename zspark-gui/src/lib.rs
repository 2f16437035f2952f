//! The `zspark` binary's library half: the desktop (feature `desktop`), so tests and
//! other Rust tools can drive it the way the binary does.

#[cfg(feature = "desktop")]
pub mod desktop;

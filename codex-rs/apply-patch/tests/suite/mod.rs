//! Test modules.
mod disk;
mod memory;

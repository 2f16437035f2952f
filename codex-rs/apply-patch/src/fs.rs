//! The file access the applier needs, as a trait: the real disk for the runtime, memory
//! for tests.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

pub trait FileSystem {
    /// The file's text; `NotFound` when it does not exist.
    fn read_to_string(&self, path: &Path) -> io::Result<String>;
    /// Writes the whole file, creating missing parent directories.
    fn write(&mut self, path: &Path, contents: &str) -> io::Result<()>;
    fn remove(&mut self, path: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskFs;

impl FileSystem for DiskFs {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        if path.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        }
        std::fs::read_to_string(path)
    }

    fn write(&mut self, path: &Path, contents: &str) -> io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, contents)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
}

/// Files in memory, keyed by absolute path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MemoryFs {
    pub files: BTreeMap<PathBuf, String>,
    /// Writes to these paths fail (to test rollback).
    pub read_only: Vec<PathBuf>,
}

impl FileSystem for MemoryFs {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn write(&mut self, path: &Path, contents: &str) -> io::Result<()> {
        if self.read_only.iter().any(|blocked| blocked == path) {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "read-only"));
        }
        self.files.insert(path.to_path_buf(), contents.to_string());
        Ok(())
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.files
            .remove(path)
            .map(drop)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

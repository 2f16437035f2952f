//! The paths inside the writable roots that a sandboxed command must not change:
//! `.git`, `.codex` and `.agents` (and the directory a `.git` file points to), whether
//! or not they exist yet. A planted `.git/hooks/post-checkout` or `.codex/config.toml`
//! would run or take effect outside the sandbox later, so a missing one must not be
//! creatable either.
//!
//! The Linux enforcers protect a path by mounting it read-only inside the sandbox,
//! which needs something to mount on. So before a command starts, each missing
//! protected directory is created empty on the host (a *placeholder*, which git and
//! Codex treat as absent), and removed again when the last command using it has ended.
//!
//! Placeholders are shared between concurrent commands, also of other zspark
//! processes, through `flock` on the directory itself: every command holds a shared
//! lock on each protected directory while it runs, and a placeholder is removed only
//! by a command that can then take the lock exclusively, so by the last one. Locks die
//! with their process and a sandboxed command cannot release another's, so a command
//! can at worst keep a placeholder alive, never get one removed from under a sibling
//! (which would lift that sibling's read-only mount). This process remembers which
//! directories are its placeholders; a placeholder made by another zspark process and
//! still in use here when that one finished is left behind, empty (git and Codex
//! ignore an empty folder).

use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::safety::PROTECTED_SUBDIRS;

/// How long to wait for a shared lock while another command removes a placeholder.
const LOCK_ATTEMPTS: u32 = 50;
const LOCK_RETRY: Duration = Duration::from_millis(1);

/// The placeholders this process made and has not removed yet, by device and inode.
static PLACEHOLDERS: Mutex<BTreeSet<(u64, u64)>> = Mutex::new(BTreeSet::new());

fn placeholders() -> std::sync::MutexGuard<'static, BTreeSet<(u64, u64)>> {
    PLACEHOLDERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The protected paths of one command, made to exist, and the locks that keep its
/// placeholders in place until it is dropped (after the command has ended).
#[derive(Debug, Default)]
pub struct Protection {
    /// Every path to mount read-only, each existing.
    pub paths: Vec<PathBuf>,
    held: Vec<HeldDirectory>,
}

/// A protected directory this command holds a shared lock on.
#[derive(Debug)]
struct HeldDirectory {
    path: PathBuf,
    handle: File,
}

/// Protection could not be set up; the command must not run.
#[derive(Debug, thiserror::Error)]
#[error("cannot protect {path} from the sandboxed command: {source}")]
pub struct ProtectError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// The protected paths below each of `roots` (existing directories, symlinks
/// resolved), with placeholders created for the missing ones.
pub fn protect(roots: &[PathBuf]) -> Result<Protection, ProtectError> {
    let mut protection = Protection::default();
    for root in roots {
        for name in PROTECTED_SUBDIRS {
            protection.add(root, &root.join(name))?;
        }
    }
    protection.paths.sort();
    protection.paths.dedup();
    Ok(protection)
}

impl Protection {
    fn add(&mut self, root: &Path, path: &Path) -> Result<(), ProtectError> {
        let failed = |source| ProtectError {
            path: path.to_path_buf(),
            source,
        };
        let file_type = match std::fs::symlink_metadata(path) {
            Ok(metadata) => Some(metadata.file_type()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            // The command could not reach it either.
            Err(_) => return Ok(()),
        };
        match file_type {
            Some(kind) if kind.is_file() => {
                // A `.git` file (worktree or submodule) names the real git directory.
                self.paths.push(path.to_path_buf());
                self.paths.extend(gitdir_target(root, path));
            }
            // A symlink is mounted over at its target (the mount follows it).
            Some(kind) if kind.is_symlink() => self.paths.extend(path.canonicalize().ok()),
            Some(kind) if !kind.is_dir() => self.paths.push(path.to_path_buf()),
            Some(_) | None => match hold_directory(path) {
                Ok(Some(held)) => {
                    self.paths.push(held.path.clone());
                    self.held.push(held);
                }
                // Not creatable by this user (nor the command), or replaced by a file
                // meanwhile, which the mount covers as it is.
                Ok(None) if std::fs::symlink_metadata(path).is_ok() => {
                    self.paths.push(path.to_path_buf());
                }
                Ok(None) => {}
                Err(source) => return Err(failed(source)),
            },
        }
        Ok(())
    }
}

/// The directory a `.git` file points to (`gitdir: <path>`, relative to the file's
/// folder), when it exists.
fn gitdir_target(root: &Path, git_file: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(git_file).ok()?;
    let target = text.lines().find_map(|line| line.strip_prefix("gitdir:"))?;
    root.join(target.trim()).canonicalize().ok()
}

/// Makes `path` exist as a directory (creating a placeholder when it is missing) and
/// takes a shared lock on it. `None` when this user cannot create it (so neither can
/// the command) or something other than a directory is there.
fn hold_directory(path: &Path) -> io::Result<Option<HeldDirectory>> {
    loop {
        let created = match std::fs::create_dir(path) {
            Ok(()) => true,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => false,
            Err(error) if denied(&error) => return Ok(None),
            Err(error) => return Err(error),
        };
        // O_DIRECTORY: never block opening something else put there meanwhile (a FIFO).
        let handle = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NONBLOCK)
            .open(path)
        {
            Ok(handle) => handle,
            // Removed by the command that created it, just now: make it again.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) if denied(&error) || error.raw_os_error() == Some(libc::ENOTDIR) => {
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        lock_shared(&handle);
        // The lock may have been granted on a placeholder that was removed meanwhile.
        if same_file(&handle, path) {
            if created {
                placeholders().extend(identity(&handle));
            }
            return Ok(Some(HeldDirectory {
                path: path.to_path_buf(),
                handle,
            }));
        }
    }
}

/// Takes a shared lock, waiting briefly while another command holds it exclusively
/// to remove a placeholder. A lock held exclusively for longer (only a sandboxed
/// command could do that) is not waited for: the mount protects the path all the
/// same, and a placeholder is only removed by whoever holds the exclusive lock.
fn lock_shared(handle: &File) {
    for _ in 0..LOCK_ATTEMPTS {
        if handle.try_lock_shared().is_ok() {
            return;
        }
        std::thread::sleep(LOCK_RETRY);
    }
}

/// Device and inode of an open file.
fn identity(handle: &File) -> Option<(u64, u64)> {
    handle
        .metadata()
        .ok()
        .map(|metadata| (metadata.dev(), metadata.ino()))
}

fn same_file(handle: &File, path: &Path) -> bool {
    match (identity(handle), std::fs::symlink_metadata(path)) {
        (Some(held), Ok(now)) => held == (now.dev(), now.ino()),
        _ => false,
    }
}

fn denied(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    )
}

impl Drop for HeldDirectory {
    fn drop(&mut self) {
        // A placeholder goes when no other command holds it, and only while it is
        // still empty (else the user has started using it, and it is theirs).
        let Some(identity) = identity(&self.handle) else {
            return;
        };
        let mut placeholders = placeholders();
        if placeholders.contains(&identity)
            && self.handle.try_lock().is_ok()
            && same_file(&self.handle, &self.path)
        {
            let _ = std::fs::remove_dir(&self.path);
            placeholders.remove(&identity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_folders_get_placeholders_that_go_with_the_last_user() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        std::fs::create_dir(root.join(".codex")).unwrap();
        let first = protect(std::slice::from_ref(&root)).unwrap();
        let expected: Vec<PathBuf> = [".agents", ".codex", ".git"]
            .iter()
            .map(|name| root.join(name))
            .collect();
        assert_eq!(first.paths, expected);
        assert!(root.join(".git").is_dir() && root.join(".agents").is_dir());

        // A second command in the same folder shares the placeholders.
        let second = protect(std::slice::from_ref(&root)).unwrap();
        drop(first);
        assert!(
            root.join(".git").is_dir(),
            "still in use by the second command"
        );
        drop(second);
        assert!(!root.join(".git").exists() && !root.join(".agents").exists());
        assert!(root.join(".codex").is_dir(), "the user's own folder stays");
    }

    #[test]
    fn a_placeholder_the_user_filled_meanwhile_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        let protection = protect(std::slice::from_ref(&root)).unwrap();
        std::fs::write(root.join(".codex/config.toml"), "model = \"x\"").unwrap();
        drop(protection);
        assert!(root.join(".codex/config.toml").is_file());
        assert!(!root.join(".git").exists());
    }

    #[test]
    fn a_git_file_protects_itself_and_the_directory_it_names() {
        let base = tempfile::tempdir().unwrap();
        let base = base.path().canonicalize().unwrap();
        let (root, gitdir) = (base.join("worktree"), base.join("main/.git/worktrees/w"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&gitdir).unwrap();
        std::fs::write(root.join(".git"), "gitdir: ../main/.git/worktrees/w\n").unwrap();
        let protection = protect(std::slice::from_ref(&root)).unwrap();
        assert!(protection.paths.contains(&root.join(".git")));
        assert!(protection.paths.contains(&gitdir), "{:?}", protection.paths);
    }

    #[test]
    fn a_placeholder_removed_by_its_creator_is_made_again() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        let first = protect(std::slice::from_ref(&root)).unwrap();
        let second_thread = {
            let root = root.clone();
            std::thread::spawn(move || protect(std::slice::from_ref(&root)).unwrap())
        };
        drop(first);
        let second = second_thread.join().unwrap();
        // Whichever order the two ran in, the second command's folders exist while it runs.
        for path in &second.paths {
            assert!(path.is_dir(), "{}", path.display());
        }
    }
}

//! The Unix-domain sockets other programs on this machine listen on, which a command
//! with the network off must not reach: a database (`/run/postgresql/.s.PGSQL.5432`),
//! the X11 display (`/tmp/.X11-unix/X0`, which lets a client type into the desktop),
//! the session bus, an SSH or GPG agent. A read-only file system does not stop a
//! `connect()`, so the Linux enforcers mount `/dev/null` over each of them inside the
//! sandbox (a connection to it is refused).
//!
//! The kernel lists every bound socket of this network namespace in
//! `/proc/net/unix`. Sockets below the workspace roots (the working directory and the
//! configured `writable_roots`) stay reachable; the temporary directories do not
//! count, since that is where the display's and the agents' sockets live. Sockets that
//! appear after the command started are not covered; abstract sockets are cut by the
//! command's own network namespace.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Where the kernel lists this network namespace's Unix sockets.
const SOCKET_TABLE: &str = "/proc/net/unix";

/// The paths of the sockets listed now that exist as sockets and lie outside every
/// one of `workspace_roots` (canonical paths), sorted.
pub fn outside(workspace_roots: &[PathBuf]) -> Vec<PathBuf> {
    std::fs::read_to_string(SOCKET_TABLE)
        .map(|table| outside_in(&table, workspace_roots))
        .unwrap_or_default()
}

fn outside_in(table: &str, workspace_roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = table
        .lines()
        .skip(1)
        .filter_map(socket_path)
        .filter(|path| !workspace_roots.iter().any(|root| path.starts_with(root)))
        .filter(|path| {
            std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_socket())
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The path of one table row (`Num RefCount Protocol Flags Type St Inode Path`), when
/// the socket is bound to an absolute path (not abstract, `@…`, and not unnamed).
fn socket_path(row: &str) -> Option<PathBuf> {
    let path = row.split_whitespace().nth(7)?;
    // The parent's symlinks are resolved so `/var/run/…` and `/run/…` compare alike.
    let path = Path::new(path);
    if !path.is_absolute() {
        return None;
    }
    let parent = path.parent()?.canonicalize().ok()?;
    Some(parent.join(path.file_name()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_sockets_outside_the_workspace_are_found() {
        let base = tempfile::tempdir().unwrap();
        let base = base.path().canonicalize().unwrap();
        let (workspace, elsewhere) = (base.join("workspace"), base.join("elsewhere"));
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        let outside_socket = elsewhere.join("service.sock");
        let inside_socket = workspace.join("dev.sock");
        let _outside = std::os::unix::net::UnixListener::bind(&outside_socket).unwrap();
        let _inside = std::os::unix::net::UnixListener::bind(&inside_socket).unwrap();
        let found = outside(std::slice::from_ref(&workspace));
        assert!(found.contains(&outside_socket), "{found:?}");
        assert!(!found.contains(&inside_socket), "{found:?}");
    }

    #[test]
    fn abstract_unnamed_and_vanished_sockets_are_skipped() {
        let table = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 1001 @/tmp/.X11-unix/X0\n\
            0000000000000000: 00000003 00000000 00000000 0001 03 1002\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 1003 /nonexistent/gone.sock\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 1004 relative.sock\n";
        assert_eq!(outside_in(table, &[]), Vec::<PathBuf>::new());
    }
}

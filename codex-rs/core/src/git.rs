//! Git-repository facts the runtime needs: the project root (nearest ancestor holding a
//! `.git` file or directory) and the directories from it down to the working directory.

use std::path::{Path, PathBuf};

/// The nearest ancestor of `cwd` (itself included) holding `.git`, if any.
pub fn git_root(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The git root, or `cwd` itself outside a repository.
pub fn project_root(cwd: &Path) -> PathBuf {
    git_root(cwd).unwrap_or_else(|| cwd.to_path_buf())
}

/// Each directory from the project root down to `cwd`, root first. Outside a
/// repository, only `cwd`.
pub fn dirs_from_root_to(cwd: &Path) -> Vec<PathBuf> {
    let root = project_root(cwd);
    let mut dirs: Vec<PathBuf> = cwd
        .ancestors()
        .take_while(|dir| dir.starts_with(&root))
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_from_the_repository_root_down() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let deep = repo.join("a").join("b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(repo.join(".git"), "gitdir: elsewhere").unwrap();
        assert_eq!(git_root(&deep), Some(repo.clone()));
        assert_eq!(
            dirs_from_root_to(&deep),
            vec![repo.clone(), repo.join("a"), deep.clone()]
        );
        let outside = dir.path().join("plain");
        std::fs::create_dir_all(&outside).unwrap();
        assert_eq!(git_root(&outside), None);
        assert_eq!(dirs_from_root_to(&outside), vec![outside]);
    }
}

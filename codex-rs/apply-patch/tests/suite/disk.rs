//! Patches applied to real files in a temporary directory.

use codex_apply_patch::{DiskFs, plan_text};

#[test]
fn applies_to_real_files_and_creates_parent_directories() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hello\nworld\n").unwrap();
    let plan = plan_text(
        "*** Begin Patch\n*** Update File: hello.txt\n hello\n-world\n+there\n*** Add File: deep/nested/file.txt\n+x\n*** End Patch",
        dir.path(),
        &DiskFs,
    )
    .unwrap();
    plan.commit(&mut DiskFs).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("hello.txt")).unwrap(),
        "hello\nthere\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("deep/nested/file.txt")).unwrap(),
        "x\n"
    );
}

#[test]
fn updating_a_directory_is_refused_without_changes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    let error = plan_text(
        "*** Begin Patch\n*** Update File: folder\n-a\n+b\n*** End Patch",
        dir.path(),
        &DiskFs,
    )
    .unwrap_err();
    assert!(error.to_string().contains("directory"), "{error}");
}

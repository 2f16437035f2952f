//! Patches applied to an in-memory file tree.

use std::path::{Path, PathBuf};

use codex_apply_patch::{ApplyError, FileSystem, MemoryFs, PatchError, plan_text};
use codex_protocol::FileChange;

const CWD: &str = "/work";

fn tree(files: &[(&str, &str)]) -> MemoryFs {
    let mut fs = MemoryFs::default();
    for (path, contents) in files {
        fs.files
            .insert(Path::new(CWD).join(path), contents.to_string());
    }
    fs
}

fn apply(fs: &mut MemoryFs, patch: &str) -> Result<String, PatchError> {
    let plan = plan_text(patch, Path::new(CWD), fs)?;
    plan.commit(fs).map_err(PatchError::Apply)?;
    Ok(plan.summary())
}

fn file(fs: &MemoryFs, path: &str) -> Option<String> {
    fs.read_to_string(&Path::new(CWD).join(path)).ok()
}

#[test]
fn add_update_delete_and_move_in_one_patch() {
    let mut fs = tree(&[
        ("src/lib.rs", "fn a() {\n    1\n}\n\nfn b() {\n    2\n}\n"),
        ("old.txt", "bye\n"),
    ]);
    let summary = apply(
        &mut fs,
        "*** Begin Patch
*** Add File: docs/new.md
+# Title
+text
*** Delete File: old.txt
*** Update File: src/lib.rs
*** Move to: src/main.rs
@@ fn b() {
-    2
+    20
*** End Patch",
    )
    .unwrap();
    assert_eq!(
        summary,
        "Success. Updated the following files:\nA /work/docs/new.md\nD /work/old.txt\nM /work/src/main.rs\n"
    );
    assert_eq!(file(&fs, "docs/new.md").unwrap(), "# Title\ntext\n");
    assert_eq!(file(&fs, "old.txt"), None);
    assert_eq!(file(&fs, "src/lib.rs"), None);
    assert_eq!(
        file(&fs, "src/main.rs").unwrap(),
        "fn a() {\n    1\n}\n\nfn b() {\n    20\n}\n"
    );
}

#[test]
fn context_header_picks_the_right_one_of_repeated_lines() {
    let mut fs = tree(&[("a.py", "def f():\n    return 1\n\ndef g():\n    return 1\n")]);
    apply(&mut fs, "*** Begin Patch\n*** Update File: a.py\n@@ def g():\n-    return 1\n+    return 2\n*** End Patch").unwrap();
    assert_eq!(
        file(&fs, "a.py").unwrap(),
        "def f():\n    return 1\n\ndef g():\n    return 2\n"
    );
}

#[test]
fn end_of_file_anchor_changes_the_last_occurrence() {
    let mut fs = tree(&[("list.txt", "x\ny\nx\n")]);
    apply(
        &mut fs,
        "*** Begin Patch\n*** Update File: list.txt\n@@\n-x\n+z\n*** End of File\n*** End Patch",
    )
    .unwrap();
    assert_eq!(file(&fs, "list.txt").unwrap(), "x\ny\nz\n");
}

#[test]
fn fuzzy_context_tolerates_whitespace_and_typographic_punctuation() {
    let mut fs = tree(&[(
        "t.txt",
        "alpha   \n\tbeta\nsay \u{201C}hi\u{201D} \u{2014} ok\n",
    )]);
    apply(
        &mut fs,
        "*** Begin Patch\n*** Update File: t.txt\n alpha\n beta\n-say \"hi\" - ok\n+said hi\n*** End Patch",
    )
    .unwrap();
    assert_eq!(file(&fs, "t.txt").unwrap(), "alpha   \n\tbeta\nsaid hi\n");
}

#[test]
fn pure_insertion_goes_after_the_context_line_or_at_the_end() {
    let mut fs = tree(&[("c.txt", "one\ntwo\n")]);
    apply(&mut fs, "*** Begin Patch\n*** Update File: c.txt\n@@ one\n+one and a half\n@@\n+three\n*** End Patch").unwrap();
    assert_eq!(
        file(&fs, "c.txt").unwrap(),
        "one\none and a half\ntwo\nthree\n"
    );
}

#[test]
fn two_hunks_on_the_same_file_see_each_other() {
    let mut fs = tree(&[("n.txt", "a\nb\n")]);
    apply(
        &mut fs,
        "*** Begin Patch\n*** Update File: n.txt\n-a\n+A\n*** Update File: n.txt\n-A\n+AA\n*** End Patch",
    )
    .unwrap();
    assert_eq!(file(&fs, "n.txt").unwrap(), "AA\nb\n");
}

#[test]
fn crlf_files_keep_their_line_endings() {
    let mut fs = tree(&[("w.txt", "a\r\nb\r\n")]);
    apply(
        &mut fs,
        "*** Begin Patch\n*** Update File: w.txt\n-b\n+c\n*** End Patch",
    )
    .unwrap();
    assert_eq!(file(&fs, "w.txt").unwrap(), "a\r\nc\r\n");
}

#[test]
fn a_failing_hunk_changes_nothing_and_names_the_hunk() {
    let original = tree(&[("a.txt", "keep\n"), ("b.txt", "one\n")]);
    let mut fs = original.clone();
    let error = apply(
        &mut fs,
        "*** Begin Patch\n*** Update File: a.txt\n-keep\n+changed\n*** Update File: b.txt\n-missing line\n+x\n*** End Patch",
    )
    .unwrap_err();
    assert_eq!(fs, original, "nothing was written");
    let PatchError::Apply(ApplyError::Hunk { hunk, path, .. }) = &error else {
        panic!("unexpected error {error}");
    };
    assert_eq!((*hunk, path.clone()), (2, PathBuf::from("b.txt")));
    let message = error.to_string();
    assert!(message.contains("hunk 2 (b.txt)"), "{message}");
    assert!(message.contains("missing line"), "{message}");
    assert!(message.contains("No file was changed"), "{message}");
}

#[test]
fn missing_files_are_clear_errors() {
    let mut fs = tree(&[]);
    let update = apply(
        &mut fs,
        "*** Begin Patch\n*** Update File: nope.txt\n-a\n+b\n*** End Patch",
    )
    .unwrap_err();
    assert!(
        update
            .to_string()
            .contains("cannot update it: the file does not exist"),
        "{update}"
    );
    let delete = apply(
        &mut fs,
        "*** Begin Patch\n*** Delete File: nope.txt\n*** End Patch",
    )
    .unwrap_err();
    assert!(delete.to_string().contains("cannot delete it"), "{delete}");
}

#[test]
fn a_write_failure_mid_commit_restores_earlier_files() {
    let mut fs = tree(&[("a.txt", "a\n"), ("b.txt", "b\n")]);
    fs.read_only.push(PathBuf::from("/work/b.txt"));
    let before = fs.files.clone();
    let error = apply(
        &mut fs,
        "*** Begin Patch\n*** Update File: a.txt\n-a\n+A\n*** Update File: b.txt\n-b\n+B\n*** End Patch",
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            PatchError::Apply(ApplyError::Write {
                rolled_back: true,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(fs.files, before);
}

#[test]
fn file_changes_carry_unified_diffs() {
    let fs = tree(&[("d.txt", "1\n2\n3\n")]);
    let plan = plan_text(
        "*** Begin Patch\n*** Update File: d.txt\n 1\n-2\n+two\n*** Add File: e.txt\n+new\n*** End Patch",
        Path::new(CWD),
        &fs,
    )
    .unwrap();
    let changes = plan.file_changes();
    assert_eq!(
        changes[Path::new("/work/d.txt")],
        FileChange::Update {
            unified_diff: "@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n".into(),
            move_path: None
        }
    );
    assert_eq!(
        changes[Path::new("/work/e.txt")],
        FileChange::Add {
            content: "new\n".into()
        }
    );
    assert_eq!(
        plan.touched_paths(),
        [Path::new("/work/d.txt"), Path::new("/work/e.txt")]
    );
}

#[test]
fn parent_directory_segments_are_resolved() {
    let fs = tree(&[]);
    let plan = plan_text(
        "*** Begin Patch\n*** Add File: sub/../../etc/x\n+y\n*** End Patch",
        Path::new(CWD),
        &fs,
    )
    .unwrap();
    assert_eq!(plan.touched_paths(), [Path::new("/etc/x")]);
}

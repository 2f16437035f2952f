//! Unified diffs as the review pane shows them: files, their hunks and lines, read
//! from `git diff` output or from the hunks of a patch the agent applied; a hunk
//! written back out as a patch `git apply` takes; and a text's hunks undone in place
//! (for undoing a turn without git), refusing when the text no longer holds what the
//! hunk produced.

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Added,
    Deleted,
    Modified,
    Renamed,
    /// New and not yet known to git.
    Untracked,
}

impl FileStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Deleted => "deleted",
            Self::Modified => "modified",
            Self::Renamed => "renamed",
            Self::Untracked => "untracked",
        }
    }
}

/// One line of a hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    /// The line without its `+`/`-`/` ` mark and without its line ending.
    pub text: String,
}

/// One hunk: where it sits in the old and new file, and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: usize,
    pub old_lines: usize,
    pub new_start: usize,
    pub new_lines: usize,
    /// What follows the second `@@` (often the enclosing function).
    pub section: String,
    pub lines: Vec<DiffLine>,
    /// The old file has no newline after the hunk's last line (`\ No newline…`).
    pub old_missing_newline: bool,
    pub new_missing_newline: bool,
}

impl Hunk {
    /// The `@@ -a,b +c,d @@` line.
    pub fn header(&self) -> String {
        let section = if self.section.is_empty() {
            String::new()
        } else {
            format!(" {}", self.section)
        };
        format!(
            "@@ -{},{} +{},{} @@{section}",
            self.old_start, self.old_lines, self.new_start, self.new_lines
        )
    }

    fn old_text(&self) -> Vec<&str> {
        self.side(LineKind::Removed)
    }

    fn new_text(&self) -> Vec<&str> {
        self.side(LineKind::Added)
    }

    fn side(&self, changed: LineKind) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|line| line.kind == LineKind::Context || line.kind == changed)
            .map(|line| line.text.as_str())
            .collect()
    }
}

/// One file's changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Relative to the repository (or session folder), `/`-separated as git writes it.
    pub path: String,
    /// The path it had before a rename.
    pub old_path: Option<String>,
    pub status: FileStatus,
    /// Binary files have no hunks.
    pub binary: bool,
    pub hunks: Vec<Hunk>,
}

impl FileDiff {
    pub fn added_and_removed(&self) -> (usize, usize) {
        let mut counts = (0, 0);
        for line in self.hunks.iter().flat_map(|hunk| &hunk.lines) {
            match line.kind {
                LineKind::Added => counts.0 += 1,
                LineKind::Removed => counts.1 += 1,
                LineKind::Context => {}
            }
        }
        counts
    }

    /// Hunk `index` as a patch for `git apply` (`-R` to undo it, `--cached` for the
    /// index).
    pub fn hunk_patch(&self, index: usize) -> Option<String> {
        let hunk = self.hunks.get(index)?;
        let old = self.old_path.as_deref().unwrap_or(&self.path);
        let (from, to) = match self.status {
            FileStatus::Added | FileStatus::Untracked => {
                ("/dev/null".to_string(), format!("b/{}", self.path))
            }
            FileStatus::Deleted => (format!("a/{old}"), "/dev/null".to_string()),
            FileStatus::Modified | FileStatus::Renamed => {
                (format!("a/{old}"), format!("b/{}", self.path))
            }
        };
        let mut patch = format!("diff --git a/{old} b/{}\n", self.path);
        match self.status {
            FileStatus::Added | FileStatus::Untracked => patch.push_str("new file mode 100644\n"),
            FileStatus::Deleted => patch.push_str("deleted file mode 100644\n"),
            FileStatus::Modified | FileStatus::Renamed => {}
        }
        patch.push_str(&format!("--- {from}\n+++ {to}\n{}\n", hunk.header()));
        let last_of = |kind: LineKind| {
            hunk.lines
                .iter()
                .rposition(|line| line.kind == kind || line.kind == LineKind::Context)
        };
        let (old_last, new_last) = (last_of(LineKind::Removed), last_of(LineKind::Added));
        for (position, line) in hunk.lines.iter().enumerate() {
            let mark = match line.kind {
                LineKind::Context => ' ',
                LineKind::Added => '+',
                LineKind::Removed => '-',
            };
            patch.push(mark);
            patch.push_str(&line.text);
            patch.push('\n');
            let missing = (hunk.old_missing_newline
                && Some(position) == old_last
                && line.kind != LineKind::Added)
                || (hunk.new_missing_newline
                    && Some(position) == new_last
                    && line.kind != LineKind::Removed);
            if missing {
                patch.push_str("\\ No newline at end of file\n");
            }
        }
        Some(patch)
    }
}

/// A whole file added (or untracked) or deleted, as one hunk of every line.
pub fn whole_file(path: String, status: FileStatus, content: &str) -> FileDiff {
    let kind = if status == FileStatus::Deleted {
        LineKind::Removed
    } else {
        LineKind::Added
    };
    let lines: Vec<DiffLine> = content
        .lines()
        .map(|line| DiffLine {
            kind,
            text: line.to_string(),
        })
        .collect();
    let count = lines.len();
    let hunks = if lines.is_empty() {
        Vec::new()
    } else {
        let (old_lines, new_lines) = if kind == LineKind::Removed {
            (count, 0)
        } else {
            (0, count)
        };
        vec![Hunk {
            old_start: usize::from(old_lines > 0),
            old_lines,
            new_start: usize::from(new_lines > 0),
            new_lines,
            section: String::new(),
            lines,
            old_missing_newline: kind == LineKind::Removed && !content.ends_with('\n'),
            new_missing_newline: kind == LineKind::Added && !content.ends_with('\n'),
        }]
    };
    FileDiff {
        path,
        old_path: None,
        status,
        binary: false,
        hunks,
    }
}

/// The files of `git diff` output (`diff --git` sections).
pub fn parse_git_diff(text: &str) -> Vec<FileDiff> {
    let mut files = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(paths) = line.strip_prefix("diff --git ") else {
            continue;
        };
        let (old, new) = split_git_paths(paths);
        let mut file = FileDiff {
            path: new,
            old_path: None,
            status: FileStatus::Modified,
            binary: false,
            hunks: Vec::new(),
        };
        let mut old_path = old;
        while let Some(next) = lines.peek() {
            if next.starts_with("diff --git ") || next.starts_with("@@") {
                break;
            }
            let header = lines.next().unwrap_or_default();
            if header.starts_with("new file mode") {
                file.status = FileStatus::Added;
            } else if header.starts_with("deleted file mode") {
                file.status = FileStatus::Deleted;
            } else if let Some(from) = header.strip_prefix("rename from ") {
                old_path = from.to_string();
                file.status = FileStatus::Renamed;
            } else if let Some(to) = header.strip_prefix("rename to ") {
                file.path = to.to_string();
            } else if header.starts_with("Binary files ") || header == "GIT binary patch" {
                file.binary = true;
            }
        }
        file.hunks = parse_hunks_from(&mut lines);
        if file.status == FileStatus::Renamed {
            file.old_path = Some(old_path);
        }
        files.push(file);
    }
    files
}

/// The hunks of a diff holding only hunks (as the agent's patches record them).
pub fn parse_hunks(text: &str) -> Vec<Hunk> {
    parse_hunks_from(&mut text.lines().peekable())
}

fn parse_hunks_from<'a>(
    lines: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>,
) -> Vec<Hunk> {
    let mut hunks: Vec<Hunk> = Vec::new();
    while let Some(line) = lines.peek() {
        if line.starts_with("diff --git ") {
            break;
        }
        let line = lines.next().unwrap_or_default();
        if let Some(hunk) = parse_header(line) {
            hunks.push(hunk);
            continue;
        }
        let Some(hunk) = hunks.last_mut() else {
            continue;
        };
        if line.starts_with('\\') {
            // "\ No newline at end of file" speaks of the line before it.
            match hunk.lines.last().map(|last| last.kind) {
                Some(LineKind::Removed) => hunk.old_missing_newline = true,
                Some(LineKind::Added) => hunk.new_missing_newline = true,
                Some(LineKind::Context) => {
                    hunk.old_missing_newline = true;
                    hunk.new_missing_newline = true;
                }
                None => {}
            }
            continue;
        }
        let (kind, text) = match line.chars().next() {
            Some('+') => (LineKind::Added, &line[1..]),
            Some('-') => (LineKind::Removed, &line[1..]),
            Some(' ') => (LineKind::Context, &line[1..]),
            // An empty context line, as some tools write it.
            None => (LineKind::Context, ""),
            Some(_) => continue,
        };
        hunk.lines.push(DiffLine {
            kind,
            text: text.to_string(),
        });
    }
    hunks
}

/// `@@ -a[,b] +c[,d] @@ section`.
fn parse_header(line: &str) -> Option<Hunk> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, section) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |text: &str| -> Option<(usize, usize)> {
        match text.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((text.parse().ok()?, 1)),
        }
    };
    let (old_start, old_lines) = range(old)?;
    let (new_start, new_lines) = range(new)?;
    Some(Hunk {
        old_start,
        old_lines,
        new_start,
        new_lines,
        section: section.trim().to_string(),
        lines: Vec::new(),
        old_missing_newline: false,
        new_missing_newline: false,
    })
}

/// `a/x b/y` from a `diff --git` line.
fn split_git_paths(paths: &str) -> (String, String) {
    // A path that did not change splits in the middle, whatever spaces it holds.
    let middle = paths.len() / 2;
    let (old, new) = match (paths.get(..middle), paths.get(middle + 1..)) {
        (Some(old), Some(new)) if paths.len() % 2 == 1 && old.get(2..) == new.get(2..) => {
            (old, new)
        }
        _ => paths
            .split_once(" b/")
            .map_or((paths, paths), |(old, _)| (old, &paths[old.len() + 1..])),
    };
    let strip = |path: &str, prefix: &str| {
        let path = path.trim_matches('"');
        path.strip_prefix(prefix).unwrap_or(path).to_string()
    };
    (strip(old, "a/"), strip(new, "b/"))
}

/// Why hunks could not be undone in a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the file no longer holds what the change wrote near line {line}")]
pub struct Mismatch {
    pub line: usize,
}

/// `text` with `hunks` (which turned some old text into `text`) undone: each hunk's
/// new lines, found where the hunk says or nearby, become its old lines again.
pub fn undo_hunks(text: &str, hunks: &[Hunk]) -> Result<String, Mismatch> {
    let ends_with_newline = text.ends_with('\n');
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut missing_newline = !ends_with_newline && !text.is_empty();
    // Last hunk first, so earlier hunks' positions still hold.
    for hunk in hunks.iter().rev() {
        let new = hunk.new_text();
        let old = hunk.old_text();
        let expected = hunk.new_start.saturating_sub(1);
        let at = find_block(&lines, &new, expected).ok_or(Mismatch {
            line: hunk.new_start,
        })?;
        let at_end = at + new.len() == lines.len();
        lines.splice(at..at + new.len(), old.iter().map(|line| line.to_string()));
        if at_end {
            missing_newline = hunk.old_missing_newline;
        }
    }
    let mut undone = lines.join("\n");
    if !lines.is_empty() && !missing_newline {
        undone.push('\n');
    }
    Ok(undone)
}

/// Where `block` sits in `lines`, searching outwards from `expected`.
fn find_block(lines: &[String], block: &[&str], expected: usize) -> Option<usize> {
    let fits = |at: usize| {
        at + block.len() <= lines.len()
            && lines[at..at + block.len()]
                .iter()
                .zip(block)
                .all(|(line, wanted)| line == wanted)
    };
    let last = lines.len().saturating_sub(block.len());
    (0..=last.max(expected))
        .flat_map(|distance| {
            [
                expected.checked_add(distance),
                expected.checked_sub(distance),
            ]
        })
        .flatten()
        .take(2 * (last + 1))
        .find(|at| *at <= last && fits(*at))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIT_DIFF: &str = "diff --git a/src/lib.rs b/src/lib.rs\nindex 1111111..2222222 100644\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,4 @@ fn top()\n use std::io;\n-fn old() {}\n+fn new() {}\n+fn more() {}\n fn keep() {}\n@@ -10 +11 @@\n-last\n\\ No newline at end of file\n+last line\n\\ No newline at end of file\ndiff --git a/notes.txt b/notes.txt\nnew file mode 100644\nindex 0000000..3333333\n--- /dev/null\n+++ b/notes.txt\n@@ -0,0 +1 @@\n+hello\ndiff --git a/logo.png b/logo.png\nindex 4444444..5555555 100644\nBinary files a/logo.png and b/logo.png differ\ndiff --git a/old name.md b/new name.md\nsimilarity index 100%\nrename from old name.md\nrename to new name.md\n";

    #[test]
    fn git_diff_output_is_read_file_by_file() {
        let files = parse_git_diff(GIT_DIFF);
        assert_eq!(files.len(), 4);
        let lib = &files[0];
        assert_eq!(lib.path, "src/lib.rs");
        assert_eq!(lib.status, FileStatus::Modified);
        assert_eq!(lib.hunks.len(), 2);
        assert_eq!(lib.hunks[0].section, "fn top()");
        assert_eq!(lib.added_and_removed(), (3, 2));
        assert!(lib.hunks[1].old_missing_newline && lib.hunks[1].new_missing_newline);
        assert_eq!((lib.hunks[1].old_start, lib.hunks[1].old_lines), (10, 1));
        assert_eq!(files[1].status, FileStatus::Added);
        assert_eq!(files[1].path, "notes.txt");
        assert!(files[2].binary && files[2].hunks.is_empty());
        assert_eq!(files[3].status, FileStatus::Renamed);
        assert_eq!(files[3].path, "new name.md");
        assert_eq!(files[3].old_path.as_deref(), Some("old name.md"));
    }

    #[test]
    fn a_hunk_is_written_back_as_a_patch_git_reads() {
        let files = parse_git_diff(GIT_DIFF);
        let patch = files[0].hunk_patch(1).unwrap();
        assert_eq!(
            patch,
            "diff --git a/src/lib.rs b/src/lib.rs\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -10,1 +11,1 @@\n-last\n\\ No newline at end of file\n+last line\n\\ No newline at end of file\n"
        );
        assert_eq!(
            parse_git_diff(&patch)[0].hunks,
            vec![files[0].hunks[1].clone()]
        );
    }

    #[test]
    fn hunks_are_undone_where_they_now_sit_and_refused_when_the_text_changed() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nB\nc\nd\ne\nf\ng\nh\n";
        let hunks = parse_hunks(&codex_apply_patch::unified_diff(old, new));
        assert_eq!(undo_hunks(new, &hunks).unwrap(), old);
        // Lines added above since: the hunk is found further down.
        let shifted = format!("new first line\n{new}");
        assert_eq!(
            undo_hunks(&shifted, &hunks).unwrap(),
            format!("new first line\n{old}")
        );
        // The changed line was edited again: nothing is undone.
        let edited = new.replace('B', "BB");
        assert_eq!(undo_hunks(&edited, &hunks), Err(Mismatch { line: 1 }));
    }

    #[test]
    fn a_missing_final_newline_comes_back() {
        let old = "one\ntwo";
        let new = "one\ntwo\nthree\n";
        let hunks = parse_hunks(&codex_apply_patch::unified_diff(old, new));
        assert_eq!(undo_hunks(new, &hunks).unwrap(), old);
    }
}

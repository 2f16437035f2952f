//! Artifacts: the files a turn created or changed in the session's folder (documents,
//! spreadsheets, slides, PDFs, tables, images, archives, text), found by comparing
//! modification times with the turn's start, each with a small preview where one makes
//! sense: an image thumbnail, the first rows of a CSV, the first lines of a text file.
//!
//! Also the guarded ways out: opening an artifact with the system's handler, showing it
//! in its folder, and saving a copy elsewhere. Each resolves real paths first and acts
//! only on files inside the session's folder, so a symlink cannot lead it elsewhere.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Artifacts reported for one turn at most (the newest).
pub const MAX_ARTIFACTS: usize = 50;
/// Artifacts given a preview (the newest); the rest show their kind and size.
const MAX_PREVIEWS: usize = 12;
/// Directory entries looked at per scan, so a huge tree costs a bounded time.
const MAX_SCANNED_ENTRIES: usize = 100_000;
const MAX_DEPTH: usize = 16;
/// File systems stamp modification times from a coarse clock that runs a few
/// milliseconds behind the precise one; files stamped this much before the start count.
const TIMESTAMP_SLACK: Duration = Duration::from_millis(100);
/// Folders that hold dependencies or build caches, never the agent's deliverables.
const SKIPPED_DIRS: [&str; 4] = ["node_modules", "target", "__pycache__", "venv"];
/// The longest side of an image thumbnail, in pixels.
const THUMBNAIL_SIDE: u32 = 384;
/// Files larger than this get no text or table preview.
const MAX_PREVIEWED_TEXT_BYTES: u64 = 1024 * 1024;
/// What a preview reads of a text or table file.
const PREVIEW_READ_BYTES: usize = 16 * 1024;
const PREVIEW_LINES: usize = 30;
const PREVIEW_ROWS: usize = 12;
const PREVIEW_COLUMNS: usize = 8;
const PREVIEW_CELL_CHARS: usize = 40;

/// What kind of file an artifact is, for its icon and preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    Document,
    Spreadsheet,
    Presentation,
    Pdf,
    /// CSV or TSV.
    Table,
    Image,
    Archive,
    Text,
    Other,
}

impl ArtifactKind {
    /// The kind a file name suggests.
    pub fn of(path: &Path) -> Self {
        let extension = path
            .extension()
            .map(|extension| extension.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "docx" | "doc" | "odt" | "rtf" => Self::Document,
            "xlsx" | "xls" | "ods" => Self::Spreadsheet,
            "pptx" | "ppt" | "odp" | "key" => Self::Presentation,
            "pdf" => Self::Pdf,
            "csv" | "tsv" => Self::Table,
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" | "svg" => Self::Image,
            "zip" | "tar" | "gz" | "tgz" | "bz2" | "xz" | "zst" | "7z" | "rar" => Self::Archive,
            "txt" | "md" | "markdown" | "json" | "jsonl" | "yaml" | "yml" | "toml" | "xml"
            | "html" | "htm" | "css" | "log" | "ini" | "cfg" | "rs" | "py" | "js" | "ts"
            | "tsx" | "jsx" | "go" | "java" | "kt" | "c" | "h" | "cpp" | "hpp" | "cs" | "rb"
            | "php" | "sh" | "sql" | "swift" => Self::Text,
            _ => Self::Other,
        }
    }

    /// A short word for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Document => "Document",
            Self::Spreadsheet => "Spreadsheet",
            Self::Presentation => "Slides",
            Self::Pdf => "PDF",
            Self::Table => "Table",
            Self::Image => "Image",
            Self::Archive => "Archive",
            Self::Text => "Text",
            Self::Other => "File",
        }
    }
}

/// A small picture of an image artifact: RGBA pixels, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub rgba: Arc<[u8]>,
}

/// What the desktop can show of an artifact without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    None,
    /// The first lines; `more` when the file goes on.
    Text {
        text: String,
        more: bool,
    },
    /// The first rows (the header first); `more` when the file goes on.
    Table {
        rows: Vec<Vec<String>>,
        more: bool,
    },
    Image(Thumbnail),
}

/// A file a turn produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Absolute path, inside the session's folder.
    pub path: PathBuf,
    pub size: u64,
    pub modified: SystemTime,
    pub kind: ArtifactKind,
    pub preview: Preview,
}

impl Artifact {
    /// The artifact at `path`, with its preview; `None` when it is not a readable file.
    pub fn describe(path: &Path) -> Option<Self> {
        let mut artifact = Self::without_preview(path)?;
        artifact.preview = preview(path, artifact.kind, artifact.size);
        Some(artifact)
    }

    fn without_preview(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        Some(Self {
            path: path.to_path_buf(),
            size: metadata.len(),
            modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            kind: ArtifactKind::of(path),
            preview: Preview::None,
        })
    }

    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(String::new, |name| name.to_string_lossy().to_string())
    }
}

/// The files in `workspace` modified at or after `since` (less [`TIMESTAMP_SLACK`]),
/// newest first (at most [`MAX_ARTIFACTS`]), the newest with previews. Hidden entries,
/// symlinks and dependency or build-cache folders are skipped.
pub fn changed_since(workspace: &Path, since: SystemTime) -> Vec<Artifact> {
    let since = since.checked_sub(TIMESTAMP_SLACK).unwrap_or(since);
    let mut found = Vec::new();
    let mut budget = MAX_SCANNED_ENTRIES;
    collect_changed(workspace, since, 0, &mut budget, &mut found);
    found.sort_by(|a, b| {
        b.modified
            .cmp(&a.modified)
            .then_with(|| a.path.cmp(&b.path))
    });
    found.truncate(MAX_ARTIFACTS);
    for artifact in found.iter_mut().take(MAX_PREVIEWS) {
        artifact.preview = preview(&artifact.path, artifact.kind, artifact.size);
    }
    found
}

fn collect_changed(
    dir: &Path,
    since: SystemTime,
    depth: usize,
    budget: &mut usize,
    found: &mut Vec<Artifact>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_dir() {
            if depth < MAX_DEPTH && !SKIPPED_DIRS.contains(&name.as_ref()) {
                collect_changed(&path, since, depth + 1, budget, found);
            }
        } else if file_type.is_file()
            && let Some(artifact) = Artifact::without_preview(&path)
            && artifact.modified >= since
        {
            found.push(artifact);
        }
    }
}

fn preview(path: &Path, kind: ArtifactKind, size: u64) -> Preview {
    match kind {
        ArtifactKind::Image if size <= codex_core::MAX_IMAGE_BYTES => thumbnail(path),
        ArtifactKind::Table if size <= MAX_PREVIEWED_TEXT_BYTES => table_preview(path),
        ArtifactKind::Text | ArtifactKind::Other if size <= MAX_PREVIEWED_TEXT_BYTES => {
            text_preview(path)
        }
        _ => Preview::None,
    }
}

fn thumbnail(path: &Path) -> Preview {
    let decoded = image::ImageReader::open(path)
        .and_then(image::ImageReader::with_guessed_format)
        .ok()
        .and_then(|mut reader| {
            let mut limits = image::Limits::default();
            limits.max_image_width = Some(16_384);
            limits.max_image_height = Some(16_384);
            limits.max_alloc = Some(512 * 1024 * 1024);
            reader.limits(limits);
            reader.decode().ok()
        });
    let Some(decoded) = decoded else {
        return Preview::None;
    };
    let small = decoded.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgba8();
    Preview::Image(Thumbnail {
        width: small.width(),
        height: small.height(),
        rgba: small.into_raw().into(),
    })
}

/// The first bytes of a file as text, when they are text (UTF-8 without NUL bytes; a
/// character cut at the end is dropped).
fn read_text_head(path: &Path) -> Option<(String, bool)> {
    let file = std::fs::File::open(path).ok()?;
    let mut head = Vec::with_capacity(PREVIEW_READ_BYTES + 1);
    file.take(PREVIEW_READ_BYTES as u64 + 1)
        .read_to_end(&mut head)
        .ok()?;
    let more = head.len() > PREVIEW_READ_BYTES;
    head.truncate(PREVIEW_READ_BYTES);
    if head.contains(&0) {
        return None;
    }
    let text = match String::from_utf8(head) {
        Ok(text) => text,
        // Only a character cut by the read limit is dropped; other bad bytes mean binary.
        Err(error) if error.utf8_error().error_len().is_none() => {
            let valid = error.utf8_error().valid_up_to();
            let mut bytes = error.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).ok()?
        }
        Err(_) => return None,
    };
    Some((text, more))
}

fn text_preview(path: &Path) -> Preview {
    let Some((text, more_bytes)) = read_text_head(path) else {
        return Preview::None;
    };
    let mut lines = text.lines();
    let shown: Vec<&str> = lines.by_ref().take(PREVIEW_LINES).collect();
    Preview::Text {
        text: shown.join("\n"),
        more: more_bytes || lines.next().is_some(),
    }
}

fn table_preview(path: &Path) -> Preview {
    let Some((text, more_bytes)) = read_text_head(path) else {
        return Preview::None;
    };
    let delimiter = if path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("tsv"))
    {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut records = reader.records();
    for record in records.by_ref().take(PREVIEW_ROWS) {
        let Ok(record) = record else {
            break;
        };
        rows.push(
            record
                .iter()
                .take(PREVIEW_COLUMNS)
                .map(|cell| clip_chars(cell, PREVIEW_CELL_CHARS))
                .collect(),
        );
    }
    if rows.is_empty() {
        return Preview::None;
    }
    Preview::Table {
        more: more_bytes || records.next().is_some(),
        rows,
    }
}

fn clip_chars(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let mut clipped: String = text.chars().take(chars - 1).collect();
        clipped.push('…');
        clipped
    }
}

/// Why an artifact cannot be opened, shown or saved; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("The session's folder {} cannot be read: {source}.", path.display())]
    Workspace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} cannot be opened: {source}. It may have been moved or deleted.", path.display())]
    Missing {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} leads outside the session's folder ({}), so zspark will not open or copy it.", path.display(), real.display())]
    Outside { path: PathBuf, real: PathBuf },
    #[error("{} is not a file.", .0.display())]
    NotAFile(PathBuf),
    #[error("That is the artifact itself; choose another place to save it.")]
    OntoItself,
    #[error("Could not save to {}: {source}. Choose a folder you can write to.", path.display())]
    Save {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The real path of `path` when it lies inside the real path of `workspace`; an error
/// saying why not otherwise (missing, or outside, also through a symlink).
pub fn resolve_inside(workspace: &Path, path: &Path) -> Result<PathBuf, ArtifactError> {
    let workspace = workspace
        .canonicalize()
        .map_err(|source| ArtifactError::Workspace {
            path: workspace.to_path_buf(),
            source,
        })?;
    let real = path
        .canonicalize()
        .map_err(|source| ArtifactError::Missing {
            path: path.to_path_buf(),
            source,
        })?;
    if !real.starts_with(&workspace) {
        return Err(ArtifactError::Outside {
            path: path.to_path_buf(),
            real,
        });
    }
    Ok(real)
}

/// Copies the artifact at `path` (inside `workspace`) to `destination`, which the user
/// chose. Refuses to overwrite the artifact itself.
pub fn save_copy(
    workspace: &Path,
    path: &Path,
    destination: &Path,
) -> Result<PathBuf, ArtifactError> {
    let source = resolve_inside(workspace, path)?;
    if !source.is_file() {
        return Err(ArtifactError::NotAFile(path.to_path_buf()));
    }
    if destination
        .canonicalize()
        .is_ok_and(|existing| existing == source)
    {
        return Err(ArtifactError::OntoItself);
    }
    std::fs::copy(&source, destination).map_err(|source| ArtifactError::Save {
        path: destination.to_path_buf(),
        source,
    })?;
    Ok(destination.to_path_buf())
}

/// Opens files with the operating system. The engine goes through this, so tests can
/// watch what would be opened without launching anything.
pub trait Launcher: Send + Sync + std::fmt::Debug {
    /// Opens `path` with its default application.
    fn open(&self, path: &Path) -> Result<(), LaunchError>;
    /// Shows `path` selected in the system's file manager (or opens its folder).
    fn reveal(&self, path: &Path) -> Result<(), LaunchError>;
}

/// The system would not open or show a file.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("No application could open {}: {source}.", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("The file manager could not show {}: {source}.", path.display())]
    Reveal {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The operating system's handlers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLauncher;

impl Launcher for SystemLauncher {
    fn open(&self, path: &Path) -> Result<(), LaunchError> {
        open::that_detached(path).map_err(|source| LaunchError::Open {
            path: path.to_path_buf(),
            source,
        })
    }

    fn reveal(&self, path: &Path) -> Result<(), LaunchError> {
        let spawned = if cfg!(target_os = "macos") {
            std::process::Command::new("open")
                .arg("-R")
                .arg(path)
                .spawn()
                .map(drop)
        } else if cfg!(windows) {
            let mut select = std::ffi::OsString::from("/select,");
            select.push(path);
            std::process::Command::new("explorer")
                .arg(select)
                .spawn()
                .map(drop)
        } else {
            open::that_detached(path.parent().unwrap_or(path))
        };
        spawned.map_err(|source| LaunchError::Reveal {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().canonicalize().unwrap();
        (root, path)
    }

    fn set_modified(path: &Path, when: SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }

    #[test]
    fn only_files_changed_since_the_start_count_newest_first() {
        let (_root, dir) = workspace();
        let start = SystemTime::now() - Duration::from_secs(60);
        for name in [
            "old.txt",
            "report.pdf",
            "data/table.csv",
            ".hidden/secret.txt",
            "node_modules/x/index.js",
            "target/debug/app",
        ] {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "a,b\n1,2\n").unwrap();
        }
        set_modified(&dir.join("old.txt"), start - Duration::from_secs(3600));
        set_modified(&dir.join("report.pdf"), start + Duration::from_secs(5));
        set_modified(&dir.join("data/table.csv"), start + Duration::from_secs(10));

        let found = changed_since(&dir, start);
        let names: Vec<PathBuf> = found
            .iter()
            .map(|artifact| artifact.path.strip_prefix(&dir).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [PathBuf::from("data/table.csv"), PathBuf::from("report.pdf")]
        );
        assert_eq!(found[0].kind, ArtifactKind::Table);
        assert_eq!(
            found[0].preview,
            Preview::Table {
                rows: vec![vec!["a".into(), "b".into()], vec!["1".into(), "2".into()]],
                more: false
            }
        );
        assert_eq!(found[1].kind, ArtifactKind::Pdf);
        assert_eq!(found[1].preview, Preview::None);
    }

    #[test]
    fn previews_show_the_start_of_text_and_tables_and_shrink_images() {
        let (_root, dir) = workspace();
        let long: String = (1..=100).map(|n| format!("line {n}\n")).collect();
        std::fs::write(dir.join("notes.md"), &long).unwrap();
        let Some(Artifact {
            preview: Preview::Text { text, more },
            ..
        }) = Artifact::describe(&dir.join("notes.md"))
        else {
            panic!("a text preview");
        };
        assert!(more);
        assert_eq!(text.lines().count(), PREVIEW_LINES);
        assert_eq!(text.lines().last(), Some("line 30"));

        std::fs::write(dir.join("blob.bin"), [0u8, 1, 2, 0, 159]).unwrap();
        assert_eq!(
            Artifact::describe(&dir.join("blob.bin")).unwrap().preview,
            Preview::None
        );

        let rows: String = (0..40).map(|n| format!("{n}\t\"x{n}\"\n")).collect();
        std::fs::write(dir.join("rows.tsv"), rows).unwrap();
        let Preview::Table { rows, more } =
            Artifact::describe(&dir.join("rows.tsv")).unwrap().preview
        else {
            panic!("a table preview");
        };
        assert!(more);
        assert_eq!(rows.len(), PREVIEW_ROWS);
        assert_eq!(rows[3], vec!["3".to_string(), "x3".to_string()]);

        let picture = image::RgbaImage::from_pixel(1000, 500, image::Rgba([0, 128, 255, 255]));
        picture.save(dir.join("chart.png")).unwrap();
        let Preview::Image(thumbnail) = Artifact::describe(&dir.join("chart.png")).unwrap().preview
        else {
            panic!("an image preview");
        };
        assert_eq!(
            (thumbnail.width, thumbnail.height),
            (THUMBNAIL_SIDE, THUMBNAIL_SIDE / 2)
        );
        assert_eq!(&thumbnail.rgba[..4], &[0, 128, 255, 255]);
        std::fs::write(dir.join("broken.png"), "not a png").unwrap();
        assert_eq!(
            Artifact::describe(&dir.join("broken.png")).unwrap().preview,
            Preview::None
        );
    }

    #[test]
    fn opening_and_saving_stay_inside_the_workspace() {
        let (_root, base) = workspace();
        let dir = base.join("workspace");
        let elsewhere = base.join("elsewhere");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(dir.join("out.txt"), "result").unwrap();
        std::fs::write(elsewhere.join("private.txt"), "secret").unwrap();

        assert_eq!(
            resolve_inside(&dir, &dir.join("out.txt")).unwrap(),
            dir.join("out.txt")
        );
        let outside = resolve_inside(&dir, &elsewhere.join("private.txt"))
            .unwrap_err()
            .to_string();
        assert!(
            outside.contains("outside the session's folder"),
            "{outside}"
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(elsewhere.join("private.txt"), dir.join("link.txt"))
                .unwrap();
            let through_link = resolve_inside(&dir, &dir.join("link.txt")).unwrap_err();
            assert!(
                matches!(through_link, ArtifactError::Outside { .. }),
                "{through_link}"
            );
            let through_link = through_link.to_string();
            assert!(through_link.contains("leads outside"), "{through_link}");
            assert!(save_copy(&dir, &dir.join("link.txt"), &base.join("copy.txt")).is_err());
            assert!(!base.join("copy.txt").exists());
        }
        let dotdot = dir.join("..").join("elsewhere").join("private.txt");
        assert!(resolve_inside(&dir, &dotdot).is_err());

        let saved = save_copy(&dir, &dir.join("out.txt"), &elsewhere.join("saved.txt")).unwrap();
        assert_eq!(std::fs::read_to_string(saved).unwrap(), "result");
        let onto_itself = save_copy(&dir, &dir.join("out.txt"), &dir.join("out.txt")).unwrap_err();
        assert!(
            matches!(onto_itself, ArtifactError::OntoItself),
            "{onto_itself}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("out.txt")).unwrap(),
            "result"
        );
    }
}

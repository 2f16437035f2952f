//! Files the user attaches to a message. Images go to the model as images; other files
//! as references the agent reads with its tools. A file inside the session's folder is
//! referenced where it is; a file from elsewhere is first copied into
//! `<folder>/.zspark/attachments/`, so later turns (and teammates) still find it when
//! the original moves. Pasted images are written there as PNG files.
//!
//! Limits, each refused with a message that says what to do instead: images up to the
//! runtime's image limit (20 MiB), copied files up to [`MAX_COPIED_BYTES`], and no
//! folders.

use std::io::Read;
use std::path::{Path, PathBuf};

use codex_protocol::InputItem;

/// Files from outside the session's folder larger than this are not copied in.
pub const MAX_COPIED_BYTES: u64 = 100 * 1024 * 1024;
/// Where copies and pasted images go, relative to the session's folder.
pub const ATTACHMENTS_DIR: &str = ".zspark/attachments";

/// How the model receives an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// Sent as an image the model sees.
    Image,
    /// Named by path; the agent opens it with its tools.
    File,
}

/// A file ready to go with the next message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Absolute path of the file the model gets (the copy, when one was made).
    pub path: PathBuf,
    /// The name the user knows it by (the original file name).
    pub name: String,
    pub size: u64,
    pub kind: AttachmentKind,
}

impl Attachment {
    /// The turn input for this attachment.
    pub fn input_item(&self) -> InputItem {
        match self.kind {
            AttachmentKind::Image => InputItem::LocalImage {
                path: self.path.clone(),
            },
            AttachmentKind::File => InputItem::FileReference {
                path: self.path.clone(),
            },
        }
    }
}

/// Why a file or a pasted image cannot be attached; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("Cannot attach {}: {source}. Check that it still exists and that you may read it.", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is a folder. Attach the files in it, or name the folder in your message.")]
    Folder(String),
    #[error("{name} is {}; images up to {} can be sent to the model. Scale it down and attach it again.", human_size(*size), human_size(codex_core::MAX_IMAGE_BYTES))]
    ImageTooLarge { name: String, size: u64 },
    #[error("Cannot attach {}: {source}.", path.display())]
    Resolve {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{name} is {}; files from outside the session's folder are copied in, up to {}. Move it into {} and name it in your message instead.", human_size(*size), human_size(MAX_COPIED_BYTES), workspace.display())]
    TooLargeToCopy {
        name: String,
        size: u64,
        workspace: PathBuf,
    },
    #[error("Cannot copy {name} into the session's folder: {source}.")]
    Copy {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("The pasted image is damaged ({width}x{height} pixels, {bytes} bytes); copy it again.")]
    DamagedPaste {
        width: u32,
        height: u32,
        bytes: usize,
    },
    #[error("The pasted image could not be saved as PNG: {0}.")]
    EncodePng(#[source] image::ImageError),
    #[error("The pasted image is {} as PNG; images up to {} can be sent. Paste a smaller one.", human_size(*.0), human_size(codex_core::MAX_IMAGE_BYTES))]
    PastedTooLarge(u64),
    #[error("The pasted image could not be saved: {0}.")]
    SavePaste(#[source] std::io::Error),
    #[error("The session's folder {} cannot be used: {source}.", path.display())]
    Workspace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Cannot create {} for attachments: {source}.", path.display())]
    AttachmentsDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Prepares `source` for a message in a session working in `workspace`.
pub fn attach_file(workspace: &Path, source: &Path) -> Result<Attachment, AttachError> {
    let name = file_name(source);
    let metadata = std::fs::metadata(source).map_err(|error| AttachError::Unreadable {
        path: source.to_path_buf(),
        source: error,
    })?;
    if metadata.is_dir() {
        return Err(AttachError::Folder(name));
    }
    let kind = if is_image(source) {
        AttachmentKind::Image
    } else {
        AttachmentKind::File
    };
    let size = metadata.len();
    if kind == AttachmentKind::Image && size > codex_core::MAX_IMAGE_BYTES {
        return Err(AttachError::ImageTooLarge { name, size });
    }
    let source = source
        .canonicalize()
        .map_err(|error| AttachError::Resolve {
            path: source.to_path_buf(),
            source: error,
        })?;
    let workspace = canonical_folder(workspace)?;
    if source.starts_with(&workspace) {
        return Ok(Attachment {
            path: source,
            name,
            size,
            kind,
        });
    }
    if size > MAX_COPIED_BYTES {
        return Err(AttachError::TooLargeToCopy {
            name,
            size,
            workspace,
        });
    }
    let destination = free_name(&attachments_dir(&workspace)?, &name);
    if let Err(error) = std::fs::copy(&source, &destination) {
        let _ = std::fs::remove_file(&destination);
        return Err(AttachError::Copy {
            name,
            source: error,
        });
    }
    Ok(Attachment {
        path: destination,
        name,
        size,
        kind,
    })
}

/// Writes a pasted image (RGBA pixels, row by row) as a PNG file named after
/// `name` in the attachments folder.
pub fn attach_pasted_image(
    workspace: &Path,
    name: &str,
    width: u32,
    height: u32,
    rgba: &[u8],
) -> Result<Attachment, AttachError> {
    let pixels = image::RgbaImage::from_raw(width, height, rgba.to_vec()).ok_or(
        AttachError::DamagedPaste {
            width,
            height,
            bytes: rgba.len(),
        },
    )?;
    let mut png = Vec::new();
    pixels
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(AttachError::EncodePng)?;
    let size = png.len() as u64;
    if size > codex_core::MAX_IMAGE_BYTES {
        return Err(AttachError::PastedTooLarge(size));
    }
    let workspace = canonical_folder(workspace)?;
    let destination = free_name(&attachments_dir(&workspace)?, name);
    std::fs::write(&destination, &png).map_err(AttachError::SavePaste)?;
    Ok(Attachment {
        name: file_name(&destination),
        path: destination,
        size,
        kind: AttachmentKind::Image,
    })
}

/// A size for people: `512 B`, `3.4 KB`, `20 MB`, `1.2 GB` (powers of 1024).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 && value.fract() >= 0.05 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Whether `path` holds a PNG, JPEG, GIF or WebP image (by its first bytes, so a
/// renamed file is judged by what it is).
fn is_image(path: &Path) -> bool {
    let mut head = [0u8; 16];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let read = file.read(&mut head).unwrap_or(0);
    codex_core::image_mime(&head[..read]).is_some()
}

fn canonical_folder(workspace: &Path) -> Result<PathBuf, AttachError> {
    workspace
        .canonicalize()
        .map_err(|source| AttachError::Workspace {
            path: workspace.to_path_buf(),
            source,
        })
}

/// The attachments folder inside `workspace`, created with a `.gitignore` that keeps
/// its contents out of the project's repository.
fn attachments_dir(workspace: &Path) -> Result<PathBuf, AttachError> {
    let dir = workspace.join(ATTACHMENTS_DIR);
    if let Err(source) = std::fs::create_dir_all(&dir) {
        return Err(AttachError::AttachmentsDir { path: dir, source });
    }
    if let Some(zspark_dir) = dir.parent() {
        let ignore = zspark_dir.join(".gitignore");
        if !ignore.exists() {
            let _ = std::fs::write(ignore, "# Local zspark files (attachments).\n*\n");
        }
    }
    Ok(dir)
}

/// `dir/name`, or `dir/stem (2).ext` and so on when that is taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let candidate = dir.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let as_path = Path::new(name);
    let stem = as_path.file_stem().map_or_else(
        || name.to_string(),
        |stem| stem.to_string_lossy().to_string(),
    );
    let extension = as_path
        .extension()
        .map(|extension| format!(".{}", extension.to_string_lossy()))
        .unwrap_or_default();
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){extension}")))
        .find(|candidate| !candidate.exists())
        .unwrap_or(candidate)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1X1: [u8; 8] = *b"\x89PNG\r\n\x1a\n";

    struct Folders {
        _root: tempfile::TempDir,
        workspace: PathBuf,
        outside: PathBuf,
    }

    fn folders() -> Folders {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().canonicalize().unwrap();
        let workspace = base.join("workspace");
        let outside = base.join("outside");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        Folders {
            _root: root,
            workspace,
            outside,
        }
    }

    #[test]
    fn a_file_in_the_workspace_is_referenced_where_it_is() {
        let f = folders();
        std::fs::write(f.workspace.join("notes.txt"), "hello").unwrap();
        let attached = attach_file(&f.workspace, &f.workspace.join("notes.txt")).unwrap();
        assert_eq!(
            attached,
            Attachment {
                path: f.workspace.join("notes.txt"),
                name: "notes.txt".into(),
                size: 5,
                kind: AttachmentKind::File,
            }
        );
        assert!(!f.workspace.join(ATTACHMENTS_DIR).exists());
        assert_eq!(
            attached.input_item(),
            InputItem::FileReference {
                path: f.workspace.join("notes.txt")
            }
        );
    }

    #[test]
    fn a_file_from_elsewhere_is_copied_in_under_a_free_name_and_kept_out_of_git() {
        let f = folders();
        std::fs::write(f.outside.join("report.csv"), "a,b\n1,2\n").unwrap();
        let first = attach_file(&f.workspace, &f.outside.join("report.csv")).unwrap();
        let second = attach_file(&f.workspace, &f.outside.join("report.csv")).unwrap();
        let dir = f.workspace.join(ATTACHMENTS_DIR);
        assert_eq!(first.path, dir.join("report.csv"));
        assert_eq!(second.path, dir.join("report (2).csv"));
        assert_eq!(second.name, "report.csv");
        assert_eq!(std::fs::read_to_string(&second.path).unwrap(), "a,b\n1,2\n");
        let ignore = std::fs::read_to_string(f.workspace.join(".zspark/.gitignore")).unwrap();
        assert!(ignore.lines().any(|line| line == "*"), "{ignore}");
    }

    #[test]
    fn images_are_recognised_by_their_bytes_not_their_name() {
        let f = folders();
        let mut png = PNG_1X1.to_vec();
        png.extend_from_slice(&[0; 32]);
        std::fs::write(f.workspace.join("shot.dat"), &png).unwrap();
        std::fs::write(f.workspace.join("fake.png"), "not an image").unwrap();
        let real = attach_file(&f.workspace, &f.workspace.join("shot.dat")).unwrap();
        let fake = attach_file(&f.workspace, &f.workspace.join("fake.png")).unwrap();
        assert_eq!(
            (real.kind, fake.kind),
            (AttachmentKind::Image, AttachmentKind::File)
        );
        assert!(matches!(real.input_item(), InputItem::LocalImage { .. }));
    }

    #[test]
    fn folders_missing_files_and_huge_files_are_refused_with_what_to_do() {
        let f = folders();
        let folder = attach_file(&f.workspace, &f.outside)
            .unwrap_err()
            .to_string();
        assert!(folder.contains("is a folder"), "{folder}");
        let missing = attach_file(&f.workspace, &f.outside.join("gone.txt"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("still exists"), "{missing}");

        // Sparse files: the size is real, the disk use is not.
        let huge = std::fs::File::create(f.outside.join("huge.bin")).unwrap();
        huge.set_len(MAX_COPIED_BYTES + 1).unwrap();
        let refused = attach_file(&f.workspace, &f.outside.join("huge.bin"))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("up to 100 MB") && refused.contains("Move it into"),
            "{refused}"
        );
        assert!(!f.workspace.join(ATTACHMENTS_DIR).join("huge.bin").exists());

        let big_image = std::fs::File::create(f.workspace.join("big.png")).unwrap();
        big_image.set_len(codex_core::MAX_IMAGE_BYTES + 1).unwrap();
        drop(big_image);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(f.workspace.join("big.png"))
            .unwrap();
        std::io::Write::write_all(&mut file, &PNG_1X1).unwrap();
        let refused = attach_file(&f.workspace, &f.workspace.join("big.png"))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("images up to 20 MB"), "{refused}");

        // Inside the workspace nothing is copied, so a big non-image file is fine.
        let inside = std::fs::File::create(f.workspace.join("big.log")).unwrap();
        inside.set_len(MAX_COPIED_BYTES + 1).unwrap();
        assert!(attach_file(&f.workspace, &f.workspace.join("big.log")).is_ok());
    }

    #[test]
    fn a_pasted_image_becomes_a_png_file() {
        let f = folders();
        let rgba = [255u8, 0, 0, 255].repeat(4);
        let attached = attach_pasted_image(&f.workspace, "pasted.png", 2, 2, &rgba).unwrap();
        assert_eq!(attached.kind, AttachmentKind::Image);
        let bytes = std::fs::read(&attached.path).unwrap();
        assert_eq!(codex_core::image_mime(&bytes), Some("image/png"));
        let decoded = image::load_from_memory(&bytes).unwrap().to_rgba8();
        assert_eq!((decoded.width(), decoded.height()), (2, 2));
        assert_eq!(decoded.get_pixel(1, 1).0, [255, 0, 0, 255]);
        let damaged = attach_pasted_image(&f.workspace, "bad.png", 3, 3, &rgba).unwrap_err();
        assert!(
            matches!(damaged, AttachError::DamagedPaste { .. }),
            "{damaged}"
        );
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(3 * 1024 + 400), "3.4 KB");
        assert_eq!(human_size(20 * 1024 * 1024), "20 MB");
        assert_eq!(human_size(1536 * 1024 * 1024), "1.5 GB");
    }
}

//! Artifact files. An upload streams into `tmp/` under a size limit while its SHA-256
//! is computed, is fsynced, and only when complete is renamed to a server-chosen name
//! (in the local folder) or uploaded as one object (with `--artifact-store s3://…`,
//! see [`objects`]), so a crash at any point leaves no visible partial file; the
//! database row is written after that. Files without a row (a crash between the two)
//! are removed at start-up (objects only once an hour old: another instance may be
//! about to record one).

mod objects;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use axum::body::Body;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

pub use self::objects::{ObjectArtifacts, ObjectStoreSettingsError};

/// Objects without a row younger than this are left at start-up.
const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);
/// Read size for local downloads: large enough that a 1 GiB file is not 256k small
/// reads.
const DOWNLOAD_CHUNK_BYTES: usize = 256 * 1024;

/// Removes a file (and, for a stored artifact, its workspace folder once empty) when
/// dropped, unless kept: the request that wrote it may fail or be dropped half-way.
pub struct FileGuard {
    file: Option<PathBuf>,
    folder_too: bool,
    /// The stored object instead of a local file.
    object: Option<(ObjectArtifacts, String)>,
}

impl FileGuard {
    /// The file stays.
    pub fn keep(mut self) {
        self.file = None;
        self.object = None;
    }
}

impl Drop for FileGuard {
    fn drop(&mut self) {
        if let Some((objects, key)) = self.object.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move { objects.remove(&key).await });
        }
        let Some(file) = self.file.take() else {
            return;
        };
        let _ = std::fs::remove_file(&file);
        if self.folder_too
            && let Some(folder) = file.parent()
        {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

#[derive(Clone)]
pub struct ArtifactStore {
    /// Uploads in progress (`tmp/`), and the files themselves without an object store.
    root: PathBuf,
    objects: Option<ObjectArtifacts>,
}

/// A complete upload in `tmp/`, not yet visible.
pub struct Received {
    pub temp_path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug)]
pub enum UploadError {
    TooLarge {
        limit: u64,
    },
    /// The client stopped sending (disconnected, broke the body, or paused too long).
    Interrupted(axum::Error),
    Io(std::io::Error),
}

impl ArtifactStore {
    /// Opens the store at `root` (and in `objects` when given), creating the folder and
    /// emptying `tmp/` of interrupted uploads.
    pub fn open(root: &Path, objects: Option<ObjectArtifacts>) -> std::io::Result<Self> {
        let store = Self {
            root: root.to_path_buf(),
            objects,
        };
        std::fs::create_dir_all(store.tmp_dir())?;
        for entry in std::fs::read_dir(store.tmp_dir())?.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        Ok(store)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Where the local file for `storage_key` (`<workspace>/<artifact>`) lives.
    fn path_for(&self, storage_key: &str) -> PathBuf {
        self.root.join(storage_key)
    }

    /// The stored file of `storage_key`, streamed.
    pub async fn download(&self, storage_key: &str) -> std::io::Result<Body> {
        if let Some(objects) = &self.objects {
            return Ok(Body::from_stream(objects.download(storage_key).await?));
        }
        let file = tokio::fs::File::open(self.path_for(storage_key)).await?;
        Ok(Body::from_stream(
            tokio_util::io::ReaderStream::with_capacity(file, DOWNLOAD_CHUNK_BYTES),
        ))
    }

    /// Streams `body` into a temporary file, refusing more than `limit` bytes. The file
    /// goes when the upload fails, and also when the request is dropped half-way (the
    /// client went away): nothing waits in `tmp/` for the next start.
    pub async fn receive(&self, body: Body, limit: u64) -> Result<Received, UploadError> {
        let temp_path = self
            .tmp_dir()
            .join(format!("{}.part", uuid::Uuid::new_v4()));
        let guard = FileGuard {
            file: Some(temp_path.clone()),
            folder_too: false,
            object: None,
        };
        let result = self.write_temp(&temp_path, body, limit).await;
        if result.is_ok() {
            guard.keep();
        }
        result
    }

    async fn write_temp(
        &self,
        temp_path: &Path,
        body: Body,
        limit: u64,
    ) -> Result<Received, UploadError> {
        let mut file = tokio::fs::File::create(temp_path)
            .await
            .map_err(UploadError::Io)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(UploadError::Interrupted)?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(UploadError::TooLarge { limit });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(UploadError::Io)?;
        }
        file.sync_all().await.map_err(UploadError::Io)?;
        Ok(Received {
            temp_path: temp_path.to_path_buf(),
            size,
            sha256: hex(&hasher.finalize()),
        })
    }

    /// Moves a complete upload to its final place under `storage_key`.
    pub async fn commit(&self, received: &Received, storage_key: &str) -> std::io::Result<()> {
        if let Some(objects) = &self.objects {
            objects.upload(&received.temp_path, storage_key).await?;
            let _ = tokio::fs::remove_file(&received.temp_path).await;
            return Ok(());
        }
        let target = self.path_for(storage_key);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::fs::rename(&received.temp_path, &target).await?;
        if let Some(parent) = target.parent() {
            sync_dir(parent).await;
        }
        Ok(())
    }

    /// Removes the stored file of `storage_key` (and its workspace folder once empty)
    /// unless the guard is kept: for an upload whose row is not written yet.
    pub fn guard(&self, storage_key: &str) -> FileGuard {
        match &self.objects {
            Some(objects) => FileGuard {
                file: None,
                folder_too: false,
                object: Some((objects.clone(), storage_key.to_string())),
            },
            None => FileGuard {
                file: Some(self.path_for(storage_key)),
                folder_too: true,
                object: None,
            },
        }
    }

    pub async fn discard(&self, received: &Received) {
        let _ = tokio::fs::remove_file(&received.temp_path).await;
    }

    pub async fn remove(&self, storage_key: &str) -> std::io::Result<()> {
        if let Some(objects) = &self.objects {
            return objects.remove(storage_key).await;
        }
        let path = self.path_for(storage_key);
        match tokio::fs::remove_file(&path).await {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
        // The workspace's folder goes with its last file (it fails while others remain).
        if let Some(folder) = path.parent() {
            let _ = tokio::fs::remove_dir(folder).await;
        }
        Ok(())
    }

    /// Removes every file of `workspace_id`, including any an upload that was still
    /// running when the workspace was deleted has put there since.
    pub async fn remove_workspace(&self, workspace_id: &str) -> std::io::Result<()> {
        if let Some(objects) = &self.objects {
            return objects.remove_folder(workspace_id).await;
        }
        match tokio::fs::remove_dir_all(self.root.join(workspace_id)).await {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Removes stored files that no database row refers to.
    pub async fn sweep_orphans(&self, known_keys: &HashSet<String>) -> std::io::Result<usize> {
        match &self.objects {
            Some(objects) => objects.sweep_orphans(known_keys, ORPHAN_GRACE).await,
            None => self.sweep_local_orphans(known_keys),
        }
    }

    fn sweep_local_orphans(&self, known_keys: &HashSet<String>) -> std::io::Result<usize> {
        let mut removed = 0;
        for workspace in std::fs::read_dir(&self.root)?.flatten() {
            let name = workspace.file_name().to_string_lossy().into_owned();
            if name == "tmp" || !workspace.path().is_dir() {
                continue;
            }
            for file in std::fs::read_dir(workspace.path())?.flatten() {
                let key = format!("{name}/{}", file.file_name().to_string_lossy());
                if !known_keys.contains(&key) && std::fs::remove_file(file.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

async fn sync_dir(dir: &Path) {
    if let Ok(handle) = tokio::fs::File::open(dir).await {
        let _ = handle.sync_all().await;
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `Content-Disposition: attachment` with an ASCII `filename` and the exact name in
/// `filename*` (RFC 6266, RFC 5987).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        let plain = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if plain {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// The type to serve a file as: its own when it is a plain, passive type; active
/// content (HTML, SVG, XML, scripts) and anything malformed as octet-stream.
pub fn safe_media_type(media_type: &str) -> String {
    let base = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let well_formed = base.split_once('/').is_some_and(|(kind, sub)| {
        let token = |text: &str| {
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        token(kind) && token(sub)
    });
    let active = base.contains("html")
        || base.contains("xml")
        || base.contains("svg")
        || base.contains("javascript")
        || base.contains("ecmascript");
    if !well_formed || active {
        "application/octet-stream".to_string()
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_escapes_and_encodes_names() {
        assert_eq!(
            content_disposition("Résumé \"final\".docx"),
            "attachment; filename=\"R_sum_ _final_.docx\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.docx"
        );
        assert_eq!(
            content_disposition("plain.txt"),
            "attachment; filename=\"plain.txt\"; filename*=UTF-8''plain.txt"
        );
    }

    #[test]
    fn active_and_malformed_types_are_served_as_octet_stream() {
        assert_eq!(safe_media_type("application/pdf"), "application/pdf");
        assert_eq!(safe_media_type("Image/PNG; charset=x"), "image/png");
        for active in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/javascript",
            "nonsense",
            "a/b c",
        ] {
            assert_eq!(
                safe_media_type(active),
                "application/octet-stream",
                "{active}"
            );
        }
    }

    #[tokio::test]
    async fn uploads_hash_while_streaming_and_over_limit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path(), None).unwrap();
        let received = store.receive(Body::from("hello"), 10).await.unwrap();
        assert_eq!(received.size, 5);
        assert_eq!(
            received.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        store.commit(&received, "ws/a1").await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("ws/a1")).unwrap(), b"hello");
        let too_big = store.receive(Body::from(vec![0u8; 11]), 10).await;
        assert!(matches!(too_big, Err(UploadError::TooLarge { limit: 10 })));
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0,
            "no partial file is left"
        );
        let known = HashSet::from(["ws/a1".to_string()]);
        std::fs::write(dir.path().join("ws/orphan"), b"x").unwrap();
        assert_eq!(store.sweep_orphans(&known).await.unwrap(), 1);
        assert!(dir.path().join("ws/a1").exists());
    }
}

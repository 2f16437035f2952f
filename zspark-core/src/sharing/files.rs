//! The files a shared session's turns produced, sent to the workspace's artifacts:
//! each streamed from disk with its SHA-256 (the server refuses a file whose bytes do
//! not match), named by its file name and tied to the session. A file already sent
//! with the same contents is not sent again, and neither is one the server refused
//! (too large, say) or one the user removed from the workspace, until it changes.

use std::path::Path;
use std::time::SystemTime;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::SharedLink;
use super::sync::{SharingError, disk};
use crate::artifacts::changed_since;
use crate::shared::{SharedClient, SharedError, refusal_of};

/// A file a link has dealt with: its path, the SHA-256 of the contents dealt with, and
/// what became of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentFile {
    pub path: std::path::PathBuf,
    pub sha256: String,
    /// The workspace's artifact holding it (not known for files sent by older
    /// versions).
    #[serde(default)]
    pub artifact_id: Option<String>,
    #[serde(default)]
    pub outcome: FileOutcome,
    /// The file's size and modification time when it was dealt with: a file that
    /// still has both is not read again to learn whether it changed.
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub modified: Option<SystemTime>,
}

impl SentFile {
    /// Whether `artifact` is, by its size and modification time, what was dealt with.
    fn unchanged(&self, artifact: &crate::artifacts::Artifact) -> bool {
        self.path == artifact.path
            && self.size == Some(artifact.size)
            && self.modified == Some(artifact.modified)
    }
}

/// What became of a file's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOutcome {
    /// In the workspace's artifacts.
    #[default]
    Uploaded,
    /// The server would not take it; its words.
    Refused(String),
    /// The user removed it from the workspace.
    Removed,
}

/// Where the files of a pass stand, as they go: the file being sent, or `None` once
/// the link's records say it all.
pub type FileProgress<'a> = &'a mut (dyn FnMut(&SharedLink, Option<&Path>) + Send);

/// The SHA-256 of the file at `path`, in hexadecimal.
async fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// The media type a file's extension names (what previews on the other side need).
fn media_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "txt" | "log" => "text/plain",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// A body streaming the file at `path` from its start (empty when it cannot be opened
/// any more: the server then refuses the upload for its checksum).
fn file_body(path: &Path) -> reqwest::Body {
    match std::fs::File::open(path) {
        Ok(file) => reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(
            tokio::fs::File::from_std(file),
        )),
        Err(_) => reqwest::Body::from(Vec::new()),
    }
}

impl SharedClient {
    /// Uploads the file at `path` to workspace `workspace_id` as `name`, for session
    /// `session_id`, streamed, with its SHA-256 `sha256`.
    pub async fn upload_artifact(
        &self,
        workspace_id: &str,
        session_id: &str,
        path: &Path,
        name: &str,
        sha256: &str,
    ) -> Result<zspark_api::Artifact, SharedError> {
        let length = tokio::fs::metadata(path).await.map(|meta| meta.len()).ok();
        let query = [("name", name), ("session_id", session_id)];
        // A request sent again (after a refreshed sign-in) reads the file from its start.
        let response = self
            .send(
                |http, url| {
                    let mut request = http
                        .post(url)
                        .query(&query)
                        .header("x-content-sha256", sha256)
                        .header(reqwest::header::CONTENT_TYPE, media_type(path))
                        .body(file_body(path));
                    if let Some(length) = length {
                        request = request.header(reqwest::header::CONTENT_LENGTH, length);
                    }
                    request
                },
                &format!("/v1/workspaces/{workspace_id}/artifacts"),
            )
            .await?;
        let status = response.status();
        if status != StatusCode::CREATED {
            return Err(match refusal_of(response).await {
                SharedError::Refused(said) if refuses_the_file(status) => {
                    SharedError::FileRefused(said)
                }
                other => other,
            });
        }
        response
            .json()
            .await
            .map_err(|error| SharedError::NotZspark {
                server: self.url().to_string(),
                path: format!("/v1/workspaces/{workspace_id}/artifacts"),
                reason: error.to_string(),
            })
    }
}

/// Whether an artifact upload answered `status` was refused for the file itself (its
/// size, type or bytes), so other files and the session's items can still go.
fn refuses_the_file(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
            | StatusCode::BAD_REQUEST
    )
}

/// Sends the files in `folder` changed since `since` that the link has not dealt with
/// in these contents; the link remembers each, with what became of it, and `progress`
/// hears of each file as it starts. A file the server refuses is recorded as refused
/// and the others still go; a server that cannot be used ends the pass with an error.
/// The names of the files sent.
pub async fn send_changed_files(
    client: &SharedClient,
    codex_home: &Path,
    link: &mut SharedLink,
    folder: &Path,
    since: SystemTime,
    progress: FileProgress<'_>,
) -> Result<Vec<String>, SharingError> {
    let folder = folder.to_path_buf();
    let changed = tokio::task::spawn_blocking(move || changed_since(&folder, since))
        .await
        .unwrap_or_default();
    let mut sent = Vec::new();
    let mut touched = false;
    for artifact in changed {
        if link.files.iter().any(|file| file.unchanged(&artifact)) {
            continue;
        }
        // A file gone (or unreadable) since it was found has nothing to send.
        let Ok(sha256) = sha256_of(&artifact.path).await else {
            continue;
        };
        if let Some(known) = link
            .files
            .iter_mut()
            .find(|file| file.path == artifact.path && file.sha256 == sha256)
        {
            // Touched, not changed: remembered as it is now, so it is not read again.
            known.size = Some(artifact.size);
            known.modified = Some(artifact.modified);
            touched = true;
            continue;
        }
        progress(link, Some(&artifact.path));
        let name = artifact.name();
        let uploaded = client
            .upload_artifact(
                &link.workspace_id,
                &link.session_id,
                &artifact.path,
                &name,
                &sha256,
            )
            .await;
        let (artifact_id, outcome) = match uploaded {
            Ok(stored) => {
                sent.push(name);
                (Some(stored.id), FileOutcome::Uploaded)
            }
            Err(SharedError::FileRefused(said)) => (None, FileOutcome::Refused(said)),
            Err(problem) => {
                progress(link, None);
                return Err(problem.into());
            }
        };
        link.files.retain(|file| file.path != artifact.path);
        link.files.push(SentFile {
            path: artifact.path.clone(),
            sha256,
            artifact_id,
            outcome,
            size: Some(artifact.size),
            modified: Some(artifact.modified),
        });
        link.save(codex_home).map_err(disk(codex_home))?;
        progress(link, None);
    }
    if touched {
        link.save(codex_home).map_err(disk(codex_home))?;
    }
    Ok(sent)
}

/// Removes the file at `path` that `link` sent from the workspace's artifacts; the
/// link remembers it as removed, so it is not sent again until it changes.
pub async fn remove_sent_file(
    client: &SharedClient,
    codex_home: &Path,
    link: &mut SharedLink,
    path: &Path,
) -> Result<(), SharingError> {
    let Some(record) = link.files.iter_mut().find(|file| file.path == path) else {
        return Ok(());
    };
    if let Some(artifact_id) = &record.artifact_id {
        client
            .delete_artifact(&link.workspace_id, artifact_id)
            .await?;
    }
    record.artifact_id = None;
    record.outcome = FileOutcome::Removed;
    link.save(codex_home).map_err(disk(codex_home))
}

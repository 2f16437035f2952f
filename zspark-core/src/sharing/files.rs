//! The files a shared session's turns produced, sent to the workspace's artifacts:
//! each streamed from disk with its SHA-256 (the server refuses a file whose bytes do
//! not match), named by its file name and tied to the session. A file already sent
//! with the same contents is not sent again.

use std::path::Path;
use std::time::SystemTime;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::SharedLink;
use super::sync::SharingError;
use crate::artifacts::changed_since;
use crate::shared::{SharedClient, SharedError, refusal_of};

/// A file sent for a link: its path and the SHA-256 of what was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentFile {
    pub path: std::path::PathBuf,
    pub sha256: String,
}

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
        if response.status() != StatusCode::CREATED {
            return Err(refusal_of(response).await);
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

/// Sends the files in `folder` changed since `since` that the link has not sent with
/// these contents; the link remembers them. The names of the files sent.
pub async fn send_changed_files(
    client: &SharedClient,
    codex_home: &Path,
    link: &mut SharedLink,
    folder: &Path,
    since: SystemTime,
) -> Result<Vec<String>, SharingError> {
    let folder = folder.to_path_buf();
    let changed = tokio::task::spawn_blocking(move || changed_since(&folder, since))
        .await
        .unwrap_or_default();
    let mut sent = Vec::new();
    for artifact in changed {
        let sha256 = sha256_of(&artifact.path)
            .await
            .map_err(|source| SharingError::Disk {
                path: artifact.path.clone(),
                source,
            })?;
        let record = SentFile {
            path: artifact.path.clone(),
            sha256: sha256.clone(),
        };
        if link.files.contains(&record) {
            continue;
        }
        let name = artifact.name();
        client
            .upload_artifact(
                &link.workspace_id,
                &link.session_id,
                &artifact.path,
                &name,
                &sha256,
            )
            .await?;
        link.files.retain(|file| file.path != record.path);
        link.files.push(record);
        link.save(codex_home).map_err(|source| SharingError::Disk {
            path: codex_home.to_path_buf(),
            source,
        })?;
        sent.push(name);
    }
    Ok(sent)
}

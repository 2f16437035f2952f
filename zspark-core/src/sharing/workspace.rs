//! A workspace's members, activity and artifacts on the server API, on a
//! [`SharedClient`]: listing them, inviting and removing members and changing their
//! roles, and downloading an artifact (streamed to disk and checked against the
//! SHA-256 the server holds before it takes the destination's name).

use std::path::Path;

use futures::StreamExt;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use zspark_api::{Activity, Artifact, ChangeRole, InviteMember, Member, Page, Role};

use super::sync::SharingError;
use crate::shared::{SharedClient, SharedError, refusal_of};

/// Activity entries a workspace view shows, newest first.
const ACTIVITY_SHOWN: usize = 100;

impl SharedClient {
    pub async fn members(&self, workspace_id: &str) -> Result<Vec<Member>, SharedError> {
        self.get(&format!("/v1/workspaces/{workspace_id}/members"))
            .await
    }

    /// The newest activity entries, newest first.
    pub async fn activity(&self, workspace_id: &str) -> Result<Vec<Activity>, SharedError> {
        let page: Page<Activity> = self
            .get(&format!(
                "/v1/workspaces/{workspace_id}/activity?limit={ACTIVITY_SHOWN}"
            ))
            .await?;
        Ok(page.items)
    }

    /// The workspace's artifacts (the first 200), newest first.
    pub async fn artifacts(&self, workspace_id: &str) -> Result<Vec<Artifact>, SharedError> {
        let page: Page<Artifact> = self
            .get(&format!(
                "/v1/workspaces/{workspace_id}/artifacts?limit=200"
            ))
            .await?;
        Ok(page.items)
    }

    /// Adds `principal` (a principal key, or the e-mail/UPN of someone who has signed
    /// in to the server) as `role`.
    pub async fn invite(
        &self,
        workspace_id: &str,
        principal: &str,
        role: Role,
    ) -> Result<(), SharedError> {
        let body = InviteMember {
            principal: principal.trim().to_string(),
            role,
        };
        let path = format!("/v1/workspaces/{workspace_id}/members");
        let response = self
            .send(|http, url| http.post(url).json(&body), &path)
            .await?;
        expect(response, StatusCode::CREATED).await
    }

    pub async fn change_role(
        &self,
        workspace_id: &str,
        principal: &str,
        role: Role,
    ) -> Result<(), SharedError> {
        let body = ChangeRole { role };
        let path = member_path(workspace_id, principal);
        let response = self
            .send(|http, url| http.patch(url).json(&body), &path)
            .await?;
        expect(response, StatusCode::NO_CONTENT).await
    }

    /// Removes a member (the caller may remove themselves: leaving).
    pub async fn remove_member(
        &self,
        workspace_id: &str,
        principal: &str,
    ) -> Result<(), SharedError> {
        let path = member_path(workspace_id, principal);
        let response = self.send(|http, url| http.delete(url), &path).await?;
        expect(response, StatusCode::NO_CONTENT).await
    }

    pub async fn delete_artifact(
        &self,
        workspace_id: &str,
        artifact_id: &str,
    ) -> Result<(), SharedError> {
        let path = format!("/v1/workspaces/{workspace_id}/artifacts/{artifact_id}");
        let response = self.send(|http, url| http.delete(url), &path).await?;
        // Gone already (a teammate removed it) is as good as removed.
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        expect(response, StatusCode::NO_CONTENT).await
    }

    /// Streams `artifact` to `destination`: written beside it under a temporary name,
    /// checked against the artifact's SHA-256, then renamed into place, so a cut or
    /// corrupt download never takes the destination's name.
    pub async fn download_artifact(
        &self,
        artifact: &Artifact,
        destination: &Path,
    ) -> Result<(), SharingError> {
        let path = format!(
            "/v1/workspaces/{}/artifacts/{}",
            artifact.workspace_id, artifact.id
        );
        let response = self.send(|http, url| http.get(url), &path).await?;
        if response.status() != StatusCode::OK {
            return Err(refusal_of(response).await.into());
        }
        let partial = destination.with_file_name(format!(
            ".{}.part",
            destination
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| "download".to_string())
        ));
        let disk = |source| SharingError::Disk {
            path: partial.clone(),
            source,
        };
        if let Some(folder) = destination.parent() {
            tokio::fs::create_dir_all(folder).await.map_err(disk)?;
        }
        let mut file = tokio::fs::File::create(&partial).await.map_err(disk)?;
        let mut hasher = Sha256::new();
        let mut body = response.bytes_stream();
        let streamed = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|error| {
                    SharingError::Server(SharedError::Unreachable {
                        server: self.url().to_string(),
                        reason: zspark_auth::signin::describe(&error),
                    })
                })?;
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(disk)?;
            }
            file.flush().await.map_err(disk)
        };
        if let Err(error) = streamed.await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(error);
        }
        drop(file);
        let sha256: String = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        if !sha256.eq_ignore_ascii_case(&artifact.sha256) {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(SharingError::ChecksumMismatch {
                name: artifact.name.clone(),
            });
        }
        tokio::fs::rename(&partial, destination)
            .await
            .map_err(|source| SharingError::Disk {
                path: destination.to_path_buf(),
                source,
            })
    }
}

fn member_path(workspace_id: &str, principal: &str) -> String {
    let principal: String = principal
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("/v1/workspaces/{workspace_id}/members/{principal}")
}

async fn expect(response: reqwest::Response, status: StatusCode) -> Result<(), SharedError> {
    if response.status() == status {
        Ok(())
    } else {
        Err(refusal_of(response).await)
    }
}

#[cfg(test)]
mod tests {
    use super::member_path;

    #[test]
    fn a_principal_is_escaped_in_the_member_path() {
        assert_eq!(
            member_path("w", "tenant:t:oid:o"),
            "/v1/workspaces/w/members/tenant:t:oid:o"
        );
        assert_eq!(
            member_path("w", "bob@example.com/x"),
            "/v1/workspaces/w/members/bob%40example.com%2Fx"
        );
    }
}

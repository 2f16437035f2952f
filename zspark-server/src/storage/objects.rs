//! Artifacts in S3-compatible object storage (`--artifact-store s3://bucket/prefix`),
//! through `object_store`: Amazon S3, MinIO, Ceph, Cloudflare R2 and the like, so every
//! instance behind a load balancer serves every file. Credentials, region and endpoint
//! come from the usual `AWS_*` variables (`AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP` for a
//! server of your own).
//!
//! An upload reaches the store only once complete (a multipart upload becomes an
//! object when it is finished, and is aborted otherwise), so an instance dying half-way
//! leaves no object; the row is written after it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;

/// How much of a file one part of an upload carries.
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts uploading at once.
const PARTS_AT_ONCE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum ObjectStoreSettingsError {
    #[error("--artifact-store `{0}`: expected s3://<bucket>[/<prefix>]")]
    NotS3(String),
    #[error(
        "--artifact-store: {0} (credentials, region and endpoint come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL)"
    )]
    Settings(#[source] object_store::Error),
    #[error(
        "--artifact-store: the bucket cannot be read ({0}); check the bucket name, the credentials and AWS_ENDPOINT_URL"
    )]
    Unreachable(#[source] object_store::Error),
}

#[derive(Clone)]
pub struct ObjectArtifacts {
    store: Arc<AmazonS3>,
    /// Keys are `<prefix>/<workspace>/<artifact>`.
    prefix: String,
}

impl ObjectArtifacts {
    /// The store at `url` (`s3://bucket/prefix`) with the `AWS_*` `settings` (names as
    /// the environment has them), checked by listing it.
    pub async fn open(
        url: &str,
        settings: &[(String, String)],
    ) -> Result<Self, ObjectStoreSettingsError> {
        let (bucket, prefix) = url
            .strip_prefix("s3://")
            .map(|rest| rest.split_once('/').unwrap_or((rest, "")))
            .filter(|(bucket, _)| !bucket.is_empty())
            .ok_or_else(|| ObjectStoreSettingsError::NotS3(url.to_string()))?;
        zspark_auth::install_crypto_provider();
        let mut builder = AmazonS3Builder::new();
        for (name, value) in settings {
            if let Ok(key) = name.to_ascii_lowercase().parse() {
                builder = builder.with_config(key, value);
            }
        }
        let store = builder
            .with_bucket_name(bucket)
            .build()
            .map_err(ObjectStoreSettingsError::Settings)?;
        let artifacts = Self {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_string(),
        };
        artifacts
            .store
            .list(Some(&artifacts.path("")))
            .take(1)
            .try_collect::<Vec<_>>()
            .await
            .map_err(ObjectStoreSettingsError::Unreachable)?;
        Ok(artifacts)
    }

    fn path(&self, key: &str) -> ObjectPath {
        match (self.prefix.is_empty(), key.is_empty()) {
            (true, _) => ObjectPath::from(key),
            (false, true) => ObjectPath::from(self.prefix.as_str()),
            (false, false) => ObjectPath::from(format!("{}/{key}", self.prefix)),
        }
    }

    /// Uploads the complete file at `file` as `key`; nothing is visible unless it all
    /// arrived.
    pub async fn upload(&self, file: &std::path::Path, key: &str) -> std::io::Result<()> {
        let upload = self
            .store
            .put_multipart(&self.path(key))
            .await
            .map_err(io_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut source = tokio::fs::File::open(file).await?;
        let mut buffer = vec![0; PART_BYTES];
        loop {
            let read = match source.read(&mut buffer).await {
                Ok(read) => read,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(error);
                }
            };
            if read == 0 {
                break;
            }
            if let Err(error) = writer.wait_for_capacity(PARTS_AT_ONCE).await {
                let _ = writer.abort().await;
                return Err(io_error(error));
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(io_error)?;
        Ok(())
    }

    /// The file of `key`, streamed.
    pub async fn download(
        &self,
        key: &str,
    ) -> std::io::Result<futures::stream::BoxStream<'static, std::io::Result<Bytes>>> {
        let found = self.store.get(&self.path(key)).await.map_err(io_error)?;
        Ok(found.into_stream().map_err(io_error).boxed())
    }

    pub async fn remove(&self, key: &str) -> std::io::Result<()> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(io_error(error)),
        }
    }

    /// Removes every object under `folder` (a workspace's files).
    pub async fn remove_folder(&self, folder: &str) -> std::io::Result<()> {
        let objects: Vec<_> = self
            .store
            .list(Some(&self.path(folder)))
            .try_collect()
            .await
            .map_err(io_error)?;
        for object in objects {
            match self.store.delete(&object.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(io_error(error)),
            }
        }
        Ok(())
    }

    /// Removes objects no row names that are older than `grace` (younger ones may be
    /// an upload another instance is about to record).
    pub async fn sweep_orphans(
        &self,
        known_keys: &std::collections::HashSet<String>,
        grace: Duration,
    ) -> std::io::Result<usize> {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(grace).unwrap_or_default();
        let objects: Vec<_> = self
            .store
            .list(Some(&self.path("")))
            .try_collect()
            .await
            .map_err(io_error)?;
        let mut removed = 0;
        for object in objects {
            let location = object.location.to_string();
            let key = if self.prefix.is_empty() {
                location.as_str()
            } else {
                location
                    .strip_prefix(&self.prefix)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .unwrap_or(&location)
            };
            if object.last_modified < cutoff
                && !known_keys.contains(key)
                && self.store.delete(&object.location).await.is_ok()
            {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn io_error(error: object_store::Error) -> std::io::Error {
    match error {
        object_store::Error::NotFound { .. } => {
            std::io::Error::new(std::io::ErrorKind::NotFound, error.to_string())
        }
        other => std::io::Error::other(other.to_string()),
    }
}

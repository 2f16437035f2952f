//! The rollout writer: a task that owns the file and appends one flushed line per
//! record. The `session_meta` line of a new session is held back until the first other
//! record, so a session nobody used leaves no file, unless the front-end asks for it
//! at once ([`RolloutRecorder::write_held_meta`]) so a thread with no turn can be
//! resumed.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use super::{RolloutRecord, timestamp_now};

enum Command {
    Record {
        timestamp: String,
        record: RolloutRecord,
    },
    Flush(oneshot::Sender<Result<(), RolloutWriteError>>),
    WriteHeld(oneshot::Sender<Result<(), RolloutWriteError>>),
}

/// The rollout file is not (completely) written. After the first failed write nothing
/// more is appended, so the file never holds a gap.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RolloutWriteError {
    #[error("the rollout writer has stopped")]
    WriterStopped,
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: Arc<io::Error>,
    },
}

/// Handle to a session's rollout file.
#[derive(Clone)]
pub struct RolloutRecorder {
    tx: mpsc::Sender<Command>,
    path: PathBuf,
}

impl RolloutRecorder {
    /// A recorder for a new file at `path`, starting with `meta`.
    pub fn create(path: PathBuf, meta: RolloutRecord) -> Self {
        Self::spawn(path, Some((timestamp_now(), meta)), 0)
    }

    /// A recorder appending to an existing file that holds `existing_lines` lines.
    pub fn append(path: PathBuf, existing_lines: u64) -> Self {
        Self::spawn(path, None, existing_lines)
    }

    fn spawn(path: PathBuf, held_meta: Option<(String, RolloutRecord)>, next_ordinal: u64) -> Self {
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(write_loop(path.clone(), rx, held_meta, next_ordinal));
        Self { tx, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn record(&self, record: RolloutRecord) {
        let _ = self
            .tx
            .send(Command::Record {
                timestamp: timestamp_now(),
                record,
            })
            .await;
    }

    /// Writes the held-back `session_meta` line now (nothing when it is written
    /// already), and waits until it is.
    pub async fn write_held_meta(&self) -> Result<(), RolloutWriteError> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::WriteHeld(tx)).await.is_err() {
            return Err(RolloutWriteError::WriterStopped);
        }
        rx.await.unwrap_or(Err(RolloutWriteError::WriterStopped))
    }

    /// Waits until everything recorded so far is written; reports the first write
    /// error, if any happened.
    pub async fn flush(&self) -> Result<(), RolloutWriteError> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Flush(tx)).await.is_err() {
            return Err(RolloutWriteError::WriterStopped);
        }
        rx.await.unwrap_or(Err(RolloutWriteError::WriterStopped))
    }
}

async fn write_loop(
    path: PathBuf,
    mut rx: mpsc::Receiver<Command>,
    mut held_meta: Option<(String, RolloutRecord)>,
    mut ordinal: u64,
) {
    let mut file: Option<tokio::fs::File> = None;
    let mut first_error: Option<RolloutWriteError> = None;
    while let Some(command) = rx.recv().await {
        match command {
            Command::Flush(reply) => {
                let _ = reply.send(first_error.clone().map_or(Ok(()), Err));
            }
            Command::WriteHeld(reply) => {
                if first_error.is_none()
                    && let Some((meta_time, meta)) = held_meta.take()
                {
                    let lines = [line(&meta_time, ordinal, &meta)];
                    ordinal += 1;
                    if let Err(error) = write_lines(&path, &mut file, &lines).await {
                        first_error = Some(RolloutWriteError::Write {
                            path: path.clone(),
                            source: Arc::new(error),
                        });
                    }
                }
                let _ = reply.send(first_error.clone().map_or(Ok(()), Err));
            }
            Command::Record { timestamp, record } => {
                if first_error.is_some() {
                    continue;
                }
                let mut lines = Vec::new();
                if let Some((meta_time, meta)) = held_meta.take() {
                    lines.push(line(&meta_time, ordinal, &meta));
                    ordinal += 1;
                }
                lines.push(line(&timestamp, ordinal, &record));
                ordinal += 1;
                if let Err(error) = write_lines(&path, &mut file, &lines).await {
                    first_error = Some(RolloutWriteError::Write {
                        path: path.clone(),
                        source: Arc::new(error),
                    });
                }
            }
        }
    }
}

fn line(timestamp: &str, ordinal: u64, record: &RolloutRecord) -> String {
    let mut text = json!({
        "timestamp": timestamp,
        "ordinal": ordinal,
        "type": record.kind(),
        "payload": record.payload(),
    })
    .to_string();
    text.push('\n');
    text
}

async fn write_lines(
    path: &Path,
    file: &mut Option<tokio::fs::File>,
    lines: &[String],
) -> io::Result<()> {
    if file.is_none() {
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        *file = Some(
            tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .await?,
        );
    }
    let Some(file) = file.as_mut() else {
        return Err(io::Error::other("the rollout file is not open"));
    };
    for line in lines {
        file.write_all(line.as_bytes()).await?;
        file.flush().await?;
    }
    Ok(())
}

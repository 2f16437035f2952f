//! Moving a session between a local rollout and the server. Sharing creates the
//! server session (title, folder, model) and uploads the rollout's records, one item
//! each: they carry what continuing needs (the session's folder, git remote, branch
//! and commit, model and provider name, approval and sandbox settings; never keys).
//! Uploading sends the lines past the link's cursor, in batches, each appended where
//! the server session is expected to end; when a teammate appended first, the local
//! lines are a turn that ran in parallel and become a fork of the session from the
//! common point, so both turns are kept. The files the session's turns produced go to
//! the workspace's artifacts. Continuing reads every item into a local rollout the
//! runtime resumes, and warns when the folder is not the session's checkout.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use codex_core::rollout::{GitInfo, git_info, list_sessions, rollout_path};
use serde_json::Value;
use zspark_api::{CreateSession, Role};

use super::api::AppendOutcome;
use super::{SharedLink, SharedSessionAddress, send_changed_files};
use crate::shared::{SharedClient, SharedError};

/// Items sent in one append, at most.
const BATCH_ITEMS: usize = 500;
/// Bytes of items sent in one append, about at most (the server takes 32 MiB).
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// What went wrong moving a session, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    #[error(transparent)]
    Server(#[from] SharedError),
    #[error("cannot read or write {}: {source}", path.display())]
    Disk {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a session (its first line is no session_meta record)", .0.display())]
    NotASession(PathBuf),
    #[error("this session is shared already, to {0}; share it there, or continue it from there")]
    SharedElsewhere(String),
    #[error(
        "you can read this session but not continue it: you are a viewer of the workspace; ask one of its owners to make you an editor"
    )]
    ReadOnly,
    #[error("{0} holds no session to continue (it does not start with a session record)")]
    NotContinuable(String),
    #[error(
        "the download of {name} did not match the checksum the server holds, so it was not saved; try again"
    )]
    ChecksumMismatch { name: String },
}

pub(super) fn disk(path: &Path) -> impl FnOnce(io::Error) -> SharingError + '_ {
    move |source| SharingError::Disk {
        path: path.to_path_buf(),
        source,
    }
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploaded {
    /// The server holds every line now; `sent` were new.
    UpToDate { sent: usize },
    /// A teammate added to the session while these lines were written: they went to
    /// a new session, `fork`, which the link follows from now on.
    Forked {
        fork: SharedSessionAddress,
        sent: usize,
    },
}

/// A record of the rollout and the number of lines up to and including it.
type Line = (u64, Value);

/// The complete lines of `path` after its first `from`, as records each with its line
/// number, and the number of lines read in all (a last line not yet ended waits; a
/// line that is not JSON is passed over).
fn lines_from(path: &Path, from: u64) -> Result<(Vec<Line>, u64), SharingError> {
    let text = std::fs::read(path).map_err(disk(path))?;
    let mut records = Vec::new();
    let mut taken = 0;
    let complete = match text.iter().rposition(|byte| *byte == b'\n') {
        Some(end) => &text[..=end],
        None => &[][..],
    };
    for line in complete
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
    {
        taken += 1;
        if taken <= from {
            continue;
        }
        if let Ok(record) = serde_json::from_slice::<Value>(line)
            && record.get("type").and_then(Value::as_str).is_some()
        {
            records.push((taken, record));
        }
    }
    Ok((records, taken.max(from)))
}

/// Sends the lines of the link's rollout the server does not hold yet. Progress is
/// kept after each batch, so an upload cut short goes on where it stopped.
pub async fn upload(
    client: &SharedClient,
    codex_home: &Path,
    link: &mut SharedLink,
) -> Result<Uploaded, SharingError> {
    let (records, read_to) = lines_from(&link.rollout_path, link.uploaded_lines)?;
    let mut sent = 0;
    let mut forked = None;
    let mut pending = records.as_slice();
    while !pending.is_empty() {
        let batch = batch_of(pending);
        let items: Vec<Value> = batch.iter().map(|(_, record)| record.clone()).collect();
        let outcome = client
            .append(&link.workspace_id, &link.session_id, link.server_seq, items)
            .await?;
        let done = match outcome {
            AppendOutcome::Appended(appended) => {
                link.server_seq = appended.next_seq;
                sent += batch.len();
                batch.len()
            }
            AppendOutcome::Stale => {
                // Our own append may have landed before its answer was lost.
                let landed = already_there(client, link, batch).await?;
                if landed == 0 {
                    let fork = fork_for_parallel_turn(client, link).await?;
                    link.session_id = fork.id;
                    link.server_seq = fork.item_count;
                    forked = Some(link.address());
                }
                link.server_seq += i64::try_from(landed).unwrap_or(i64::MAX);
                landed
            }
        };
        if let Some((line, _)) = done.checked_sub(1).and_then(|last| batch.get(last)) {
            link.uploaded_lines = *line;
        }
        link.save(codex_home).map_err(disk(codex_home))?;
        pending = &pending[done..];
    }
    link.uploaded_lines = read_to;
    link.save(codex_home).map_err(disk(codex_home))?;
    Ok(match forked {
        Some(fork) => Uploaded::Forked { fork, sent },
        None => Uploaded::UpToDate { sent },
    })
}

/// How many of `batch` the server holds already, right where the link expected to
/// append them (an append whose answer never came).
async fn already_there(
    client: &SharedClient,
    link: &SharedLink,
    batch: &[Line],
) -> Result<usize, SharingError> {
    let page = client
        .items_after(
            &link.workspace_id,
            &link.session_id,
            link.server_seq - 1,
            batch.len(),
        )
        .await?;
    Ok(page
        .iter()
        .zip(batch)
        .take_while(|(item, (_, record))| item.payload == *record)
        .count())
}

/// The first records of `pending` that fit one append.
fn batch_of(pending: &[Line]) -> &[Line] {
    let mut bytes = 0;
    let mut count = 0;
    for (_, record) in pending.iter().take(BATCH_ITEMS) {
        bytes += record.to_string().len();
        if count > 0 && bytes > BATCH_BYTES {
            break;
        }
        count += 1;
    }
    &pending[..count]
}

/// A new session holding the shared session up to where this link left it, named so
/// both sides see what happened.
async fn fork_for_parallel_turn(
    client: &SharedClient,
    link: &SharedLink,
) -> Result<zspark_api::Session, SharingError> {
    let source = client.session(&link.workspace_id, &link.session_id).await?;
    let who = client.my_name().await?;
    let title: String = format!("{} (parallel turn by {who})", source.title)
        .chars()
        .take(200)
        .collect();
    Ok(client
        .fork(&link.workspace_id, &link.session_id, link.server_seq, title)
        .await?)
}

/// The `session_meta` payload at the start of `path`.
fn session_meta(path: &Path) -> Result<Value, SharingError> {
    let text = std::fs::read_to_string(path).map_err(disk(path))?;
    let first: Value = text
        .lines()
        .next()
        .and_then(|line| serde_json::from_str(line).ok())
        .ok_or_else(|| SharingError::NotASession(path.to_path_buf()))?;
    if first.get("type").and_then(Value::as_str) != Some("session_meta") {
        return Err(SharingError::NotASession(path.to_path_buf()));
    }
    Ok(first.get("payload").cloned().unwrap_or(Value::Null))
}

/// The model the session's last turn used, from its `turn_context` records.
fn last_model(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().rev().find_map(|line| {
        let record: Value = serde_json::from_str(line).ok()?;
        (record.get("type")?.as_str()? == "turn_context").then(|| {
            record
                .pointer("/payload/model")?
                .as_str()
                .map(str::to_string)
        })?
    })
}

/// Shares the local session recorded at `rollout` to workspace `workspace_id`: a new
/// server session holding all of it, linked so later lines follow. A session shared
/// there before only sends what is new.
pub async fn share(
    client: &SharedClient,
    codex_home: &Path,
    rollout: &Path,
    workspace_id: &str,
) -> Result<(SharedLink, Uploaded), SharingError> {
    let meta = session_meta(rollout)?;
    let local_id = meta
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| SharingError::NotASession(rollout.to_path_buf()))?
        .to_string();
    if let Some(mut link) = SharedLink::load(codex_home, &local_id).map_err(disk(codex_home))? {
        if link.server != client.url() || link.workspace_id != workspace_id {
            return Err(SharingError::SharedElsewhere(link.address().to_string()));
        }
        let uploaded = upload(client, codex_home, &mut link).await?;
        return Ok((link, uploaded));
    }
    let title = list_sessions(codex_home)
        .into_iter()
        .find(|session| session.path == rollout)
        .map(|session| session.title)
        .filter(|title| !title.trim().is_empty())
        .unwrap_or_else(|| "Shared session".to_string());
    let title: String = title.chars().take(200).collect();
    let session = client
        .create_session(
            workspace_id,
            &CreateSession {
                title,
                cwd_hint: meta
                    .get("cwd")
                    .and_then(Value::as_str)
                    .map(|cwd| cwd.chars().take(1024).collect()),
                model: last_model(rollout),
            },
        )
        .await?;
    let mut link = SharedLink {
        server: client.url().to_string(),
        workspace_id: workspace_id.to_string(),
        session_id: session.id,
        local_session_id: local_id,
        rollout_path: rollout.to_path_buf(),
        uploaded_lines: 0,
        server_seq: 0,
        files: Vec::new(),
    };
    // Linked before the first byte goes: an upload cut short goes on from here.
    link.save(codex_home).map_err(disk(codex_home))?;
    let uploaded = upload(client, codex_home, &mut link).await?;
    if let (Some(folder), Some(started)) = (
        meta.get("cwd").and_then(Value::as_str),
        meta.get("timestamp")
            .and_then(Value::as_str)
            .and_then(|stamp| chrono::DateTime::parse_from_rfc3339(stamp).ok()),
    ) {
        send_changed_files(
            client,
            codex_home,
            &mut link,
            Path::new(folder),
            started.into(),
            &mut |_, _| {},
        )
        .await?;
    }
    Ok((link, uploaded))
}

/// A shared session made ready to continue here.
#[derive(Debug)]
pub struct Continuing {
    pub link: SharedLink,
    /// Where the folder differs from the session's checkout, in words for the user.
    pub warnings: Vec<String>,
}

/// Reads the shared session at `address` into a local rollout in `codex_home` for the
/// runtime to resume in `folder`, after sending what an earlier continuation here left
/// unsent. Refused to a viewer.
pub async fn continue_here(
    client: &SharedClient,
    codex_home: &Path,
    address: &SharedSessionAddress,
    folder: &Path,
) -> Result<Continuing, SharingError> {
    if client.role_in(&address.workspace_id).await? == Role::Viewer {
        return Err(SharingError::ReadOnly);
    }
    let (items, server_seq) = client
        .items(&address.workspace_id, &address.session_id)
        .await?;
    let meta = items
        .first()
        .filter(|item| item.kind == "session_meta")
        .and_then(|item| item.payload.get("payload"))
        .cloned()
        .ok_or_else(|| SharingError::NotContinuable(address.to_string()))?;
    let local_id = meta
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| SharingError::NotContinuable(address.to_string()))?
        .to_string();
    // A local copy from an earlier continuation is reused, once what it holds that
    // the server does not is sent (then the session is read again).
    let mut path = None;
    let mut files = Vec::new();
    let mut sent_since = false;
    if let Some(mut earlier) = SharedLink::load(codex_home, &local_id).map_err(disk(codex_home))?
        && earlier.address() == *address
    {
        let uploaded = upload(client, codex_home, &mut earlier).await?;
        sent_since = uploaded != Uploaded::UpToDate { sent: 0 };
        if earlier.address() == *address {
            path = Some(earlier.rollout_path);
            files = earlier.files;
        }
    }
    let path = path.unwrap_or_else(|| rollout_path(codex_home, chrono::Local::now(), &local_id));
    let (items, server_seq) = if sent_since {
        client
            .items(&address.workspace_id, &address.session_id)
            .await?
    } else {
        (items, server_seq)
    };
    write_rollout(&path, items.iter().map(|item| &item.payload))?;
    let link = SharedLink {
        server: address.server.clone(),
        workspace_id: address.workspace_id.clone(),
        session_id: address.session_id.clone(),
        local_session_id: local_id,
        rollout_path: path,
        uploaded_lines: u64::try_from(items.len()).unwrap_or(u64::MAX),
        server_seq,
        files,
    };
    link.save(codex_home).map_err(disk(codex_home))?;
    let warnings = checkout_warnings(meta.get("git"), &git_info(folder).await);
    Ok(Continuing { link, warnings })
}

/// Writes `records` as the rollout at `path` (a new file renamed into place).
fn write_rollout<'a>(
    path: &Path,
    records: impl Iterator<Item = &'a Value>,
) -> Result<(), SharingError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(disk(dir))?;
    }
    let temporary = path.with_extension("jsonl.tmp");
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(&temporary).map_err(disk(&temporary))?);
    for record in records {
        writeln!(file, "{record}").map_err(disk(&temporary))?;
    }
    file.flush().map_err(disk(&temporary))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(disk(path))
}

/// What differs between the session's checkout (`recorded`, its `session_meta.git`)
/// and the folder's (`here`).
fn checkout_warnings(recorded: Option<&Value>, here: &Option<GitInfo>) -> Vec<String> {
    let Some(recorded) = recorded.filter(|git| git.is_object()) else {
        return Vec::new();
    };
    let field = |name: &str| recorded.get(name).and_then(Value::as_str);
    let mut warnings = Vec::new();
    let here_remote = here.as_ref().and_then(|git| git.repository_url.as_deref());
    if let Some(remote) = field("repository_url")
        && here_remote != Some(remote)
    {
        warnings.push(format!(
            "this folder's git remote is {}, the session's was {remote}",
            here_remote.unwrap_or("none")
        ));
    }
    let here_commit = here.as_ref().and_then(|git| git.commit_hash.as_deref());
    if let Some(commit) = field("commit_hash")
        && here_commit != Some(commit)
    {
        warnings.push(format!(
            "this folder is at commit {}, the session was at {commit}",
            here_commit.unwrap_or("(none)")
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_complete_json_lines_are_sent_and_a_broken_one_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        std::fs::write(
            &path,
            "{\"type\":\"session_meta\"}\nnot json\n{\"type\":\"event_msg\"}\n{\"type\":\"resp",
        )
        .unwrap();
        let (records, read_to) = lines_from(&path, 0).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(read_to, 3, "the unfinished last line waits");
        let (records, read_to) = lines_from(&path, 2).unwrap();
        assert_eq!(
            (records, read_to),
            (vec![(3, json!({"type": "event_msg"}))], 3)
        );
    }

    #[test]
    fn a_different_checkout_is_named() {
        let recorded = json!({"repository_url": "git@example.com:shop.git", "commit_hash": "abc"});
        let same = Some(GitInfo {
            commit_hash: Some("abc".into()),
            branch: None,
            repository_url: Some("git@example.com:shop.git".into()),
        });
        assert!(checkout_warnings(Some(&recorded), &same).is_empty());
        let other = checkout_warnings(Some(&recorded), &None);
        assert_eq!(other.len(), 2, "{other:?}");
        assert!(other[0].contains("git remote is none"));
    }

    #[test]
    fn a_batch_stops_before_the_byte_limit_but_holds_at_least_one() {
        let big = (1, json!({"type": "x", "text": "a".repeat(BATCH_BYTES)}));
        let records = vec![big.clone(), big];
        assert_eq!(batch_of(&records).len(), 1);
        let small = vec![(1, json!({"type": "x"})); BATCH_ITEMS + 5];
        assert_eq!(batch_of(&small).len(), BATCH_ITEMS);
    }
}

//! What ties a local session to its shared copy: the server session it goes to, the
//! local rollout, how many of its lines the server holds and the server's item count
//! then. Kept in `$CODEX_HOME/zspark-shared/<local session id>.json`, written whole
//! and renamed into place. Lines of the rollout past `uploaded_lines` are the
//! session's queue of appends not yet sent: the rollout is on disk, so a closed
//! window or a server that is away loses nothing.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SharedSessionAddress;
use super::files::SentFile;

/// A local session and its shared copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedLink {
    pub server: String,
    pub workspace_id: String,
    pub session_id: String,
    /// The local thread (its rollout's session id).
    pub local_session_id: String,
    pub rollout_path: PathBuf,
    /// Lines of the rollout already on the server (or passed over as unreadable).
    pub uploaded_lines: u64,
    /// The server's item count after the last append or read: where the next append
    /// goes.
    pub server_seq: i64,
    /// The files sent to the workspace's artifacts for this session.
    #[serde(default)]
    pub files: Vec<SentFile>,
}

impl SharedLink {
    pub fn address(&self) -> SharedSessionAddress {
        SharedSessionAddress {
            server: self.server.clone(),
            workspace_id: self.workspace_id.clone(),
            session_id: self.session_id.clone(),
        }
    }

    fn file(codex_home: &Path, local_session_id: &str) -> PathBuf {
        codex_home
            .join("zspark-shared")
            .join(format!("{local_session_id}.json"))
    }

    /// The link of local session `local_session_id`, if it has one.
    pub fn load(codex_home: &Path, local_session_id: &str) -> io::Result<Option<Self>> {
        match std::fs::read(Self::file(codex_home, local_session_id)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every link kept in `codex_home` (a file that cannot be read is passed over).
    pub fn all(codex_home: &Path) -> Vec<Self> {
        let Ok(entries) = std::fs::read_dir(codex_home.join("zspark-shared")) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "json"))
            .filter_map(|entry| serde_json::from_slice(&std::fs::read(entry.path()).ok()?).ok())
            .collect()
    }

    /// How many lines of the rollout the server does not hold yet.
    pub fn pending_lines(&self) -> u64 {
        let lines = std::fs::read(&self.rollout_path)
            .map(|text| text.iter().filter(|byte| **byte == b'\n').count())
            .unwrap_or(0);
        u64::try_from(lines)
            .unwrap_or(u64::MAX)
            .saturating_sub(self.uploaded_lines)
    }

    /// Writes the link (a whole new file renamed over the old one).
    pub fn save(&self, codex_home: &Path) -> io::Result<()> {
        let path = Self::file(codex_home, &self.local_session_id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_kept_and_read_back() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(SharedLink::load(home.path(), "local-1").unwrap(), None);
        let link = SharedLink {
            server: "http://127.0.0.1:9".into(),
            workspace_id: "w".into(),
            session_id: "s".into(),
            local_session_id: "local-1".into(),
            rollout_path: home.path().join("rollout.jsonl"),
            uploaded_lines: 3,
            server_seq: 3,
            files: Vec::new(),
        };
        link.save(home.path()).unwrap();
        assert_eq!(
            SharedLink::load(home.path(), "local-1").unwrap(),
            Some(link)
        );
    }
}

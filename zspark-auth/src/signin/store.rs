//! Where secrets (signed-in tokens, provider API keys) are kept between runs: the OS keychain (macOS Keychain,
//! Windows Credential Manager, the Secret Service on Linux). Where no keychain is
//! available (a headless Linux box, CI), a file only the user can read, and the caller
//! is told so it can show a warning.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Tokens;

/// The keychain service name all zspark secrets are filed under.
pub const KEYCHAIN_SERVICE: &str = "zspark";

/// Where a secret ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretLocation {
    Keychain,
    /// A user-only (0600) file: no keychain was available.
    File(PathBuf),
}

/// A secret could not be kept, read or forgotten.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot delete {}: {source}", path.display())]
    Delete {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode the tokens: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("the saved sign-in cannot be read ({0}); sign in again to replace it")]
    Unreadable(#[source] serde_json::Error),
}

/// One secret (an API key, a token set) under one account name, in the keychain or,
/// without one, in a user-only file in the fallback directory.
pub struct SecretStore {
    account: String,
    fallback_file: PathBuf,
    use_keychain: bool,
}

impl SecretStore {
    /// The secret filed as `account`; the fallback file's name is derived from it.
    pub fn new(account: &str, fallback_dir: &Path) -> Self {
        let digest = Sha256::digest(account.as_bytes());
        let name: String = digest[..12]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Self {
            fallback_file: fallback_dir.join(format!("secret-{name}.json")),
            account: account.to_string(),
            use_keychain: true,
        }
    }

    /// The same store without the keychain (tests, or a user who opts out).
    pub fn file_only(mut self) -> Self {
        self.use_keychain = false;
        self
    }

    fn keychain_entry(&self) -> Option<keyring::Entry> {
        if !self.use_keychain {
            return None;
        }
        match keyring::Entry::new(KEYCHAIN_SERVICE, &self.account) {
            Ok(entry) => Some(entry),
            Err(error) => {
                tracing::warn!(%error, "no OS keychain; secrets go to a user-only file");
                None
            }
        }
    }

    pub fn save(&self, secret: &str) -> Result<SecretLocation, StoreError> {
        if let Some(entry) = self.keychain_entry() {
            match entry.set_password(secret) {
                Ok(()) => {
                    // A copy left in the fallback file from a keychain-less run goes.
                    let _ = std::fs::remove_file(&self.fallback_file);
                    return Ok(SecretLocation::Keychain);
                }
                Err(error) => {
                    tracing::warn!(%error, "the OS keychain refused a secret; using a user-only file");
                }
            }
        }
        write_private_file(&self.fallback_file, secret.as_bytes())?;
        Ok(SecretLocation::File(self.fallback_file.clone()))
    }

    /// The saved secret, if any.
    pub fn load(&self) -> Result<Option<String>, StoreError> {
        if let Some(entry) = self.keychain_entry()
            && let Ok(secret) = entry.get_password()
        {
            return Ok(Some(secret));
        }
        match std::fs::read_to_string(&self.fallback_file) {
            Ok(secret) => Ok(Some(secret)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Read {
                path: self.fallback_file.clone(),
                source,
            }),
        }
    }

    /// Forgets the secret everywhere it may be.
    pub fn delete(&self) -> Result<(), StoreError> {
        if let Some(entry) = self.keychain_entry() {
            let _ = entry.delete_credential();
        }
        match std::fs::remove_file(&self.fallback_file) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Delete {
                path: self.fallback_file.clone(),
                source,
            }),
        }
    }
}

/// The tokens of one account (one authority and client).
pub struct TokenStore {
    secret: SecretStore,
}

impl TokenStore {
    /// A store for the account `authority` + `client_id`, falling back to a file in
    /// `fallback_dir` when there is no keychain.
    pub fn new(authority: &str, client_id: &str, fallback_dir: &Path) -> Self {
        Self {
            secret: SecretStore::new(&format!("signin:{authority}:{client_id}"), fallback_dir),
        }
    }

    /// The same store without the keychain (tests, or a user who opts out).
    pub fn file_only(self) -> Self {
        Self {
            secret: self.secret.file_only(),
        }
    }

    pub fn save(&self, tokens: &Tokens) -> Result<SecretLocation, StoreError> {
        let text = serde_json::to_string(tokens).map_err(StoreError::Encode)?;
        self.secret.save(&text)
    }

    /// The saved tokens, if any. Unreadable saved data is reported, not ignored.
    pub fn load(&self) -> Result<Option<Tokens>, StoreError> {
        self.secret.load()?.map(|text| decode(&text)).transpose()
    }

    /// Forgets the tokens everywhere they may be.
    pub fn delete(&self) -> Result<(), StoreError> {
        self.secret.delete()
    }
}

fn decode(text: &str) -> Result<Tokens, StoreError> {
    serde_json::from_str(text).map_err(StoreError::Unreadable)
}

/// Writes `bytes` to `path` readable by the user alone, replacing it atomically.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Write { path, source }
    };
    let mut file = options.open(&temporary).map_err(write_error(&temporary))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(write_error(&temporary))?;
    std::fs::rename(&temporary, path).map_err(write_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signin::AccountInfo;

    fn tokens(access: &str) -> Tokens {
        Tokens {
            access_token: access.to_string(),
            refresh_token: Some("refresh".into()),
            expires_at: 1_900_000_000,
            account: AccountInfo {
                subject: "sub".into(),
                display_name: Some("Alice".into()),
            },
        }
    }

    #[test]
    fn file_fallback_round_trips_privately_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            TokenStore::new("https://login.microsoftonline.com/t", "c", dir.path()).file_only();
        assert_eq!(store.load().unwrap(), None);
        let location = store.save(&tokens("one")).unwrap();
        let SecretLocation::File(path) = location else {
            panic!("file_only stores in a file");
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        store.save(&tokens("two")).unwrap();
        assert_eq!(store.load().unwrap().unwrap().access_token, "two");
        let other =
            TokenStore::new("https://login.microsoftonline.com/t", "other", dir.path()).file_only();
        assert_eq!(other.load().unwrap(), None, "accounts do not share tokens");

        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(store.load(), Err(StoreError::Unreadable(_))));
        assert!(
            store
                .load()
                .unwrap_err()
                .to_string()
                .contains("sign in again")
        );
        store.delete().unwrap();
        assert_eq!(store.load().unwrap(), None);
        store.delete().unwrap();
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let shown = format!("{:?}", tokens("secret-access-token"));
        assert!(
            !shown.contains("secret-access-token") && !shown.contains("refresh\""),
            "{shown}"
        );
    }
}

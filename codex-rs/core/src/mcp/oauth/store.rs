//! Where the OAuth tokens of MCP servers are kept between runs, in Codex's places and
//! shapes so that one sign-in serves both tools: the OS keychain (service
//! `Codex MCP Credentials`, one entry per server and URL) or, without one,
//! `$CODEX_HOME/.credentials.json`, a user-only file holding one record per server.
//! `mcp_oauth_credentials_store` chooses: `auto` (the keychain, else the file), `file`
//! or `keyring`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The keychain service Codex files MCP tokens under.
#[cfg(feature = "keychain")]
const KEYCHAIN_SERVICE: &str = "Codex MCP Credentials";
/// The fallback file, in `CODEX_HOME`.
const FALLBACK_FILE: &str = ".credentials.json";

/// `mcp_oauth_credentials_store`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialsStoreMode {
    /// The keychain when there is one, else the file.
    #[default]
    Auto,
    File,
    Keyring,
}

/// One server's tokens. `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct SavedTokens {
    pub server_name: String,
    pub url: String,
    pub client_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// When the access token expires, in Unix milliseconds.
    pub expires_at_ms: Option<u64>,
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for SavedTokens {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SavedTokens")
            .field("server_name", &self.server_name)
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl SavedTokens {
    /// Seconds the access token has left (zero once expired); `None` when unknown.
    pub fn seconds_left(&self) -> Option<u64> {
        self.expires_at_ms
            .map(|expires| expires.saturating_sub(unix_millis()) / 1000)
    }
}

/// Where tokens ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedIn {
    Keychain,
    File(PathBuf),
}

/// Tokens could not be kept, read or forgotten.
#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    #[error(
        "the OS keychain cannot be used ({0}); set mcp_oauth_credentials_store = \"file\" in config.toml to keep MCP tokens in {FALLBACK_FILE} instead"
    )]
    Keychain(String),
    #[error("cannot read {}: {source}", path.display())]
    Read {
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
    #[error(
        "{} cannot be read ({source}); delete it and sign in to the MCP servers again",
        path.display()
    )]
    Unreadable {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// The MCP token store of one `CODEX_HOME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStore {
    codex_home: PathBuf,
    mode: CredentialsStoreMode,
}

impl TokenStore {
    pub fn new(codex_home: &Path, mode: CredentialsStoreMode) -> Self {
        Self {
            codex_home: codex_home.to_path_buf(),
            mode,
        }
    }

    pub fn mode(&self) -> CredentialsStoreMode {
        self.mode
    }

    fn fallback_path(&self) -> PathBuf {
        self.codex_home.join(FALLBACK_FILE)
    }

    /// The tokens saved for `server` at `url`, if any.
    pub fn load(&self, server: &str, url: &str) -> Result<Option<SavedTokens>, TokenStoreError> {
        if self.mode != CredentialsStoreMode::File {
            match keychain::load(&store_key(server, url)) {
                Ok(Some(text)) => return Ok(Some(decode_keychain_record(&text)?)),
                Ok(None) => {}
                Err(error) if self.mode == CredentialsStoreMode::Keyring => return Err(error),
                // Without a keychain, `auto` keeps tokens in the file.
                Err(_) => {}
            }
        }
        let file = self.read_file()?;
        Ok(file
            .into_values()
            .find(|record| record.server_name == server && record.server_url == url)
            .map(FileRecord::into_tokens))
    }

    /// Saves `tokens`, replacing what the server had.
    pub fn save(&self, tokens: &SavedTokens) -> Result<SavedIn, TokenStoreError> {
        let key = store_key(&tokens.server_name, &tokens.url);
        if self.mode != CredentialsStoreMode::File {
            match keychain::save(&key, &encode_keychain_record(tokens)) {
                Ok(()) => {
                    // A copy left in the file by a keychain-less run goes.
                    self.remove_from_file(&key)?;
                    return Ok(SavedIn::Keychain);
                }
                Err(error) if self.mode == CredentialsStoreMode::Keyring => return Err(error),
                // The caller learns from `SavedIn::File` that there was no keychain.
                Err(_) => {}
            }
        }
        let mut file = self.read_file()?;
        let mut record = FileRecord::from_tokens(tokens);
        if let Some(previous) = file.remove(&key) {
            record.other = previous.other;
        }
        file.insert(key, record);
        self.write_file(&file)?;
        Ok(SavedIn::File(self.fallback_path()))
    }

    /// Forgets the tokens of `server` at `url` everywhere; whether there were any.
    pub fn delete(&self, server: &str, url: &str) -> Result<bool, TokenStoreError> {
        let key = store_key(server, url);
        let in_keychain = match self.mode {
            CredentialsStoreMode::File => false,
            CredentialsStoreMode::Keyring => keychain::delete(&key)?,
            CredentialsStoreMode::Auto => keychain::delete(&key).unwrap_or(false),
        };
        let in_file = self.remove_from_file(&key)?;
        Ok(in_keychain || in_file)
    }

    fn remove_from_file(&self, key: &str) -> Result<bool, TokenStoreError> {
        let mut file = self.read_file()?;
        if file.remove(key).is_none() {
            return Ok(false);
        }
        self.write_file(&file)?;
        Ok(true)
    }

    fn read_file(&self) -> Result<BTreeMap<String, FileRecord>, TokenStoreError> {
        let path = self.fallback_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(BTreeMap::new());
            }
            Err(source) => return Err(TokenStoreError::Read { path, source }),
        };
        serde_json::from_str(&text).map_err(|source| TokenStoreError::Unreadable { path, source })
    }

    /// Writes the file readable by the user alone, replacing it atomically; an empty
    /// store removes it.
    fn write_file(&self, file: &BTreeMap<String, FileRecord>) -> Result<(), TokenStoreError> {
        use std::io::Write;
        let path = self.fallback_path();
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TokenStoreError::Write { path, source }
        };
        if file.is_empty() {
            return match std::fs::remove_file(&path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    Err(write_error(&path)(error))
                }
                _ => Ok(()),
            };
        }
        std::fs::create_dir_all(&self.codex_home).map_err(write_error(&self.codex_home))?;
        let text = serde_json::to_string(file).map_err(|error| TokenStoreError::Write {
            path: path.clone(),
            source: std::io::Error::other(error),
        })?;
        let temporary = path.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut handle = options.open(&temporary).map_err(write_error(&temporary))?;
        handle
            .write_all(text.as_bytes())
            .and_then(|()| handle.sync_all())
            .map_err(write_error(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(write_error(&path))
    }
}

/// The entry name of a server's tokens: its name and a digest of its URL, as Codex
/// names it (`<server>|<16 hex digits>`).
fn store_key(server: &str, url: &str) -> String {
    // Codex digests this JSON with its keys in this order.
    let url = serde_json::Value::from(url);
    let described = format!(r#"{{"type":"http","url":{url},"headers":{{}}}}"#);
    let digest = Sha256::digest(described.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{server}|{}", &hex[..16])
}

/// A record of `.credentials.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileRecord {
    server_name: String,
    server_url: String,
    client_id: String,
    access_token: String,
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    /// What else the record holds (Codex writes the issuer, for one), kept as it was.
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

impl FileRecord {
    fn from_tokens(tokens: &SavedTokens) -> Self {
        Self {
            server_name: tokens.server_name.clone(),
            server_url: tokens.url.clone(),
            client_id: tokens.client_id.clone(),
            access_token: tokens.access_token.clone(),
            expires_at: tokens.expires_at_ms,
            refresh_token: tokens.refresh_token.clone(),
            scopes: tokens.scopes.clone(),
            other: serde_json::Map::new(),
        }
    }

    fn into_tokens(self) -> SavedTokens {
        SavedTokens {
            server_name: self.server_name,
            url: self.server_url,
            client_id: self.client_id,
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            expires_at_ms: self.expires_at,
            scopes: self.scopes,
        }
    }
}

/// A keychain entry: the server, the client and the token response as the
/// authorization server sent it, plus when the access token expires.
#[derive(Debug, Serialize, Deserialize)]
struct KeychainRecord {
    server_name: String,
    url: String,
    client_id: String,
    token_response: TokenResponse,
    #[serde(default)]
    expires_at: Option<u64>,
}

/// An OAuth token response (RFC 6749 section 5.1).
#[derive(Debug, Serialize, Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default = "bearer")]
    token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

fn bearer() -> String {
    "bearer".to_string()
}

fn encode_keychain_record(tokens: &SavedTokens) -> String {
    let record = KeychainRecord {
        server_name: tokens.server_name.clone(),
        url: tokens.url.clone(),
        client_id: tokens.client_id.clone(),
        token_response: TokenResponse {
            access_token: tokens.access_token.clone(),
            token_type: bearer(),
            expires_in: tokens.seconds_left(),
            refresh_token: tokens.refresh_token.clone(),
            scope: (!tokens.scopes.is_empty()).then(|| tokens.scopes.join(" ")),
        },
        expires_at: tokens.expires_at_ms,
    };
    serde_json::json!(record).to_string()
}

fn decode_keychain_record(text: &str) -> Result<SavedTokens, TokenStoreError> {
    let record: KeychainRecord =
        serde_json::from_str(text).map_err(|source| TokenStoreError::Unreadable {
            path: PathBuf::from("the OS keychain entry"),
            source,
        })?;
    let response = record.token_response;
    Ok(SavedTokens {
        server_name: record.server_name,
        url: record.url,
        client_id: record.client_id,
        access_token: response.access_token,
        refresh_token: response.refresh_token,
        expires_at_ms: record.expires_at,
        scopes: response
            .scope
            .map(|scope| scope.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

/// Now, in Unix milliseconds.
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The OS keychain, when this build has one.
#[cfg(feature = "keychain")]
mod keychain {
    use super::{KEYCHAIN_SERVICE, TokenStoreError};

    fn entry(key: &str) -> Result<keyring::Entry, TokenStoreError> {
        keyring::Entry::new(KEYCHAIN_SERVICE, key)
            .map_err(|error| TokenStoreError::Keychain(error.to_string()))
    }

    pub fn load(key: &str) -> Result<Option<String>, TokenStoreError> {
        match entry(key)?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(TokenStoreError::Keychain(error.to_string())),
        }
    }

    pub fn save(key: &str, text: &str) -> Result<(), TokenStoreError> {
        entry(key)?
            .set_password(text)
            .map_err(|error| TokenStoreError::Keychain(error.to_string()))
    }

    pub fn delete(key: &str) -> Result<bool, TokenStoreError> {
        match entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(error) => Err(TokenStoreError::Keychain(error.to_string())),
        }
    }
}

/// A build without the keychain (the server-only build): every use says so.
#[cfg(not(feature = "keychain"))]
mod keychain {
    use super::TokenStoreError;

    fn missing() -> TokenStoreError {
        TokenStoreError::Keychain("this build of zspark has no keychain support".to_string())
    }

    pub fn load(_key: &str) -> Result<Option<String>, TokenStoreError> {
        Err(missing())
    }

    pub fn save(_key: &str, _text: &str) -> Result<(), TokenStoreError> {
        Err(missing())
    }

    pub fn delete(_key: &str) -> Result<bool, TokenStoreError> {
        Err(missing())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(server: &str, access: &str) -> SavedTokens {
        SavedTokens {
            server_name: server.to_string(),
            url: format!("https://{server}.example.com/mcp"),
            client_id: "client-1".to_string(),
            access_token: access.to_string(),
            refresh_token: Some("refresh-1".to_string()),
            expires_at_ms: Some(unix_millis() + 3_600_000),
            scopes: vec!["read".to_string(), "write".to_string()],
        }
    }

    #[test]
    fn the_file_keeps_one_private_record_per_server_in_codex_shape() {
        let home = tempfile::tempdir().unwrap();
        let store = TokenStore::new(home.path(), CredentialsStoreMode::File);
        assert_eq!(
            store.load("docs", "https://docs.example.com/mcp").unwrap(),
            None
        );

        let saved = store.save(&tokens("docs", "one")).unwrap();
        assert_eq!(saved, SavedIn::File(home.path().join(".credentials.json")));
        store.save(&tokens("docs", "two")).unwrap();
        store.save(&tokens("tracker", "three")).unwrap();
        let loaded = store
            .load("docs", "https://docs.example.com/mcp")
            .unwrap()
            .unwrap();
        assert_eq!(loaded.access_token, "two");
        assert_eq!(loaded.scopes, ["read", "write"]);
        assert_eq!(
            store
                .load("docs", "https://elsewhere.example.com/mcp")
                .unwrap(),
            None,
            "tokens belong to one URL"
        );

        let text = std::fs::read_to_string(home.path().join(".credentials.json")).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let record = &file[store_key("docs", "https://docs.example.com/mcp")];
        assert_eq!(record["server_url"], "https://docs.example.com/mcp");
        assert_eq!(record["access_token"], "two");
        assert_eq!(record["refresh_token"], "refresh-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.path().join(".credentials.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        assert!(
            store
                .delete("docs", "https://docs.example.com/mcp")
                .unwrap()
        );
        assert!(
            !store
                .delete("docs", "https://docs.example.com/mcp")
                .unwrap()
        );
        assert!(
            store
                .delete("tracker", "https://tracker.example.com/mcp")
                .unwrap()
        );
        assert!(
            !home.path().join(".credentials.json").exists(),
            "the last record removed takes the file"
        );
    }

    #[test]
    fn what_else_a_record_holds_survives_a_refresh() {
        let home = tempfile::tempdir().unwrap();
        let store = TokenStore::new(home.path(), CredentialsStoreMode::File);
        let original = tokens("docs", "one");
        store.save(&original).unwrap();
        let path = home.path().join(".credentials.json");
        let mut file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let key = store_key("docs", &original.url);
        file[&key]["issuer"] = "https://auth.example.com".into();
        std::fs::write(&path, file.to_string()).unwrap();

        store.save(&tokens("docs", "two")).unwrap();
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(file[&key]["access_token"], "two");
        assert_eq!(file[&key]["issuer"], "https://auth.example.com");
    }

    #[test]
    fn a_damaged_file_is_reported_with_the_fix() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".credentials.json"), "{oops").unwrap();
        let store = TokenStore::new(home.path(), CredentialsStoreMode::File);
        let error = store
            .load("docs", "https://docs.example.com/mcp")
            .unwrap_err();
        assert!(matches!(error, TokenStoreError::Unreadable { .. }));
        assert!(
            error
                .to_string()
                .contains("sign in to the MCP servers again"),
            "{error}"
        );
        assert!(
            store.save(&tokens("docs", "one")).is_err(),
            "nothing is overwritten"
        );
        assert_eq!(
            std::fs::read_to_string(home.path().join(".credentials.json")).unwrap(),
            "{oops"
        );
    }

    #[test]
    fn keychain_records_round_trip_as_a_token_response() {
        let original = tokens("docs", "secret-access");
        let text = encode_keychain_record(&original);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["token_response"]["token_type"], "bearer");
        assert_eq!(json["token_response"]["scope"], "read write");
        assert!(json["token_response"]["expires_in"].as_u64().unwrap() > 3000);
        assert_eq!(decode_keychain_record(&text).unwrap(), original);
        assert!(
            !format!("{original:?}").contains("secret-access"),
            "Debug hides the tokens"
        );
    }

    #[test]
    fn entries_are_named_by_server_and_a_digest_of_the_url() {
        // The name Codex CLI 0.169 gave the tokens of this server.
        assert_eq!(
            store_key("protected", "http://127.0.0.1:45811/mcp"),
            "protected|05d5b096f9611ae4"
        );
        let key = store_key("docs", "https://docs.example.com/mcp");
        let (server, digest) = key.split_once('|').unwrap();
        assert_eq!(server, "docs");
        assert_eq!(digest.len(), 16);
        assert_ne!(key, store_key("docs", "https://docs.example.com/other"));
    }
}

//! The identity provider's signing keys: fetched from the `jwks_uri` its discovery
//! document names, cached, and refreshed when a token names a key the cache does not
//! hold. Refreshes are single-flight (one fetch however many requests wait for it) and
//! rate-limited by a cooldown, so a flood of tokens with made-up key ids cannot turn
//! the server into a load generator against the identity provider.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use serde_json::Value;

use crate::authority::Authority;

/// How the cache refreshes.
#[derive(Debug, Clone, Copy)]
pub struct KeyCacheOptions {
    /// Least time between two fetches.
    pub cooldown: Duration,
    /// Longest a fetch (discovery + key set) may take.
    pub fetch_timeout: Duration,
    /// Keys older than this are re-fetched on next use (keys rotate).
    pub max_age: Duration,
}

impl Default for KeyCacheOptions {
    fn default() -> Self {
        Self {
            cooldown: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
            max_age: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// Why no key could be found for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The key set (freshly fetched, or fetched within the cooldown) has no such key.
    Unknown,
    /// More than one key carries this id; the token cannot be tied to one key.
    Ambiguous,
    /// The identity provider could not be reached or answered nonsense.
    Unavailable(String),
}

enum KeyEntry {
    Unique(Arc<DecodingKey>),
    Ambiguous,
}

/// One successful fetch.
struct KeySet {
    keys: HashMap<String, KeyEntry>,
    /// The issuer the discovery document names.
    issuer: String,
    fetched_at: Instant,
}

#[derive(Default)]
struct RefreshState {
    last_attempt: Option<Instant>,
    /// Why the last attempt failed, if it did.
    last_failure: Option<String>,
}

pub struct KeyCache {
    http: reqwest::Client,
    authority: Authority,
    options: KeyCacheOptions,
    current: RwLock<Option<Arc<KeySet>>>,
    refresh: tokio::sync::Mutex<RefreshState>,
    /// Finished fetch attempts, so a caller that waited on a fetch does not repeat it.
    attempts: AtomicU64,
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

impl KeyCache {
    pub fn new(http: reqwest::Client, authority: Authority, options: KeyCacheOptions) -> Self {
        Self {
            http,
            authority,
            options,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            attempts: AtomicU64::new(0),
        }
    }

    fn snapshot(&self) -> Option<Arc<KeySet>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The issuer the discovery document named, once keys have been fetched.
    pub fn discovered_issuer(&self) -> Option<String> {
        self.snapshot().map(|set| set.issuer.clone())
    }

    /// The key with id `kid`, fetching the key set first if it is missing or stale.
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, KeyError> {
        if let Some(set) = self.snapshot() {
            let fresh = set.fetched_at.elapsed() < self.options.max_age;
            match set.keys.get(kid) {
                Some(KeyEntry::Unique(key)) if fresh => return Ok(key.clone()),
                Some(KeyEntry::Ambiguous) if fresh => return Err(KeyError::Ambiguous),
                _ => {}
            }
        }
        let failure = self.refresh_once().await;
        match self.snapshot() {
            Some(set) => match set.keys.get(kid) {
                Some(KeyEntry::Unique(key)) => Ok(key.clone()),
                Some(KeyEntry::Ambiguous) => Err(KeyError::Ambiguous),
                // A new key cannot be trusted while the provider is unreachable.
                None => Err(failure.map_or(KeyError::Unknown, KeyError::Unavailable)),
            },
            None => Err(KeyError::Unavailable(failure.unwrap_or_else(|| {
                "the identity provider's keys have not been fetched yet".to_string()
            }))),
        }
    }

    /// Fetches the key set unless a fetch happened within the cooldown; concurrent
    /// callers share one fetch. Returns why the latest attempt failed, if it did.
    async fn refresh_once(&self) -> Option<String> {
        let attempts_seen = self.attempts.load(Ordering::Acquire);
        let mut state = self.refresh.lock().await;
        let fetched_while_waiting = self.attempts.load(Ordering::Acquire) != attempts_seen;
        let too_soon = state
            .last_attempt
            .is_some_and(|last| last.elapsed() < self.options.cooldown);
        if fetched_while_waiting || too_soon {
            return state.last_failure.clone();
        }
        state.last_attempt = Some(Instant::now());
        let fetched = tokio::time::timeout(self.options.fetch_timeout, self.fetch()).await;
        state.last_failure = match fetched {
            Ok(Ok(set)) => {
                tracing::info!(keys = set.keys.len(), issuer = %set.issuer, "fetched the identity provider's signing keys");
                *self
                    .current
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(set));
                None
            }
            Ok(Err(reason)) => Some(reason),
            Err(_) => Some(format!(
                "the identity provider did not answer within {} s",
                self.options.fetch_timeout.as_secs_f32()
            )),
        };
        self.attempts.fetch_add(1, Ordering::Release);
        if let Some(reason) = &state.last_failure {
            tracing::warn!(%reason, "cannot fetch the identity provider's signing keys");
        }
        state.last_failure.clone()
    }

    async fn fetch(&self) -> Result<KeySet, String> {
        let discovery_url = self.authority.discovery_url();
        let discovery: DiscoveryDocument = self.get_json(&discovery_url).await?;
        if !self.authority.same_origin(&discovery.jwks_uri) {
            return Err(format!(
                "the discovery document names key set {} outside the authority {}",
                discovery.jwks_uri,
                self.authority.as_str()
            ));
        }
        if !self.authority.cloud().is_entra() && !self.authority.same_origin(&discovery.issuer) {
            return Err(format!(
                "the discovery document names issuer {} outside the authority {}",
                discovery.issuer,
                self.authority.as_str()
            ));
        }
        let document: Value = self.get_json(&discovery.jwks_uri).await?;
        let keys = parse_key_set(&document)
            .map_err(|reason| format!("the key set at {} {reason}", discovery.jwks_uri))?;
        Ok(KeySet {
            keys,
            issuer: discovery.issuer,
            fetched_at: Instant::now(),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|error| format!("cannot reach {url}: {error}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{url} answered HTTP {status}"));
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| format!("cannot read {url}: {error}"))?;
        serde_json::from_slice(&body)
            .map_err(|error| format!("{url} did not return the expected JSON: {error}"))
    }
}

/// The RSA signing keys of a JWKS document, by key id. Keys of other types, for other
/// uses or other algorithms are skipped; a key id used twice is marked ambiguous.
fn parse_key_set(document: &Value) -> Result<HashMap<String, KeyEntry>, String> {
    let keys = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("has no \"keys\" array")?;
    let mut found: HashMap<String, KeyEntry> = HashMap::new();
    for key in keys {
        let text = |name: &str| key.get(name).and_then(Value::as_str);
        let usable = text("kty") == Some("RSA")
            && text("use").is_none_or(|usage| usage == "sig")
            && text("alg").is_none_or(|alg| alg == "RS256");
        let (Some(kid), Some(n), Some(e), true) = (text("kid"), text("n"), text("e"), usable)
        else {
            continue;
        };
        let Ok(decoding) = DecodingKey::from_rsa_components(n, e) else {
            continue;
        };
        found
            .entry(kid.to_string())
            .and_modify(|entry| *entry = KeyEntry::Ambiguous)
            .or_insert_with(|| KeyEntry::Unique(Arc::new(decoding)));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_set_parsing_keeps_only_rsa_signing_keys() {
        // Components are only decoded here, never used to verify anything.
        let n = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXbw";
        let document = json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": n, "e": "AQAB", "use": "sig", "alg": "RS256"},
            {"kty": "RSA", "kid": "enc", "n": n, "e": "AQAB", "use": "enc"},
            {"kty": "RSA", "kid": "ps", "n": n, "e": "AQAB", "alg": "PS256"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
            {"kty": "RSA", "kid": "twice", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "twice", "n": n, "e": "AQAB"},
            {"kty": "RSA", "n": n, "e": "AQAB"},
        ]});
        let keys = parse_key_set(&document).unwrap();
        assert!(matches!(keys.get("a"), Some(KeyEntry::Unique(_))));
        assert!(matches!(keys.get("twice"), Some(KeyEntry::Ambiguous)));
        assert_eq!(keys.len(), 2, "only the usable RSA keys are kept");
        assert!(parse_key_set(&json!({"nokeys": []})).is_err());
    }
}

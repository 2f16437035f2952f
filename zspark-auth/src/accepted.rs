//! A bounded memory of access tokens already validated, so a client that sends the
//! same token with every request pays for the RSA signature check once, not per
//! request. Entries are keyed by the token's SHA-256 (identical bytes only), end when
//! the token expires, and are kept at most [`REMEMBER_FOR`], so a key withdrawn from
//! the provider's key set stops working within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::principal::Principal;

/// Longest a validated token is trusted without checking its signature again.
pub const REMEMBER_FOR: Duration = Duration::from_secs(5 * 60);

pub type TokenDigest = [u8; 32];

struct Accepted {
    principal: Principal,
    /// Unix seconds after which the token is expired (its `exp` plus the leeway).
    expires_at: i64,
    forget_at: Instant,
}

pub struct AcceptedTokens {
    entries: Mutex<HashMap<TokenDigest, Accepted>>,
    capacity: usize,
}

impl AcceptedTokens {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn digest(token: &str) -> TokenDigest {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The principal of a token validated before and still within its lifetime.
    pub fn get(&self, digest: &TokenDigest, now_unix: i64) -> Option<Principal> {
        let mut entries = self.lock();
        let entry = entries.get(digest)?;
        if now_unix <= entry.expires_at && Instant::now() < entry.forget_at {
            return Some(entry.principal.clone());
        }
        entries.remove(digest);
        None
    }

    pub fn insert(&self, digest: TokenDigest, principal: Principal, expires_at: i64) {
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            let now = Instant::now();
            entries.retain(|_, entry| entry.forget_at > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            digest,
            Accepted {
                principal,
                expires_at,
                forget_at: Instant::now() + REMEMBER_FOR,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenDigest, Accepted>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_expiry_and_stays_bounded() {
        let cache = AcceptedTokens::new(2);
        let alice = Principal::entra("t", "alice", None, Vec::new());
        let digest = AcceptedTokens::digest("token-a");
        cache.insert(digest, alice.clone(), 1_000);
        assert_eq!(cache.get(&digest, 999), Some(alice.clone()));
        assert_eq!(
            cache.get(&digest, 1_001),
            None,
            "an expired token is not remembered"
        );
        assert_eq!(cache.get(&digest, 999), None, "and is forgotten");
        assert_eq!(cache.get(&AcceptedTokens::digest("token-b"), 0), None);
        for name in ["1", "2", "3"] {
            cache.insert(AcceptedTokens::digest(name), alice.clone(), i64::MAX);
        }
        assert!(cache.lock().len() <= 2);
    }
}

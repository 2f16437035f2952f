//! One server's tokens as `rmcp`'s authorization manager sees them: loaded from the
//! [`TokenStore`] once, kept in memory, and written back whenever the manager gets new
//! ones (a sign-in, a refresh), so a refreshed token outlives the session. Refreshes of
//! one server take turns across the process and start from the saved tokens.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rmcp::transport::auth::OAuthTokenResponse;
use rmcp::transport::{AuthError, CredentialRefreshGuard, CredentialStore, StoredCredentials};
use tokio::sync::Mutex;

use super::store::{SavedTokens, TokenStore, unix_millis};

/// The credential store `rmcp` uses for one server.
#[derive(Clone)]
pub struct ServerCredentials {
    store: TokenStore,
    server: String,
    url: String,
    /// What the manager last loaded or saved; `None` until first read.
    cached: Arc<Mutex<Option<Option<StoredCredentials>>>>,
}

impl ServerCredentials {
    pub fn new(store: TokenStore, server: &str, url: &str) -> Self {
        Self {
            store,
            server: server.to_string(),
            url: url.to_string(),
            cached: Arc::default(),
        }
    }
}

/// The refresh lock of each server (name and URL) whose tokens were refreshed.
type RefreshLocks = std::sync::Mutex<HashMap<(String, String), Arc<Mutex<()>>>>;

/// The lock refreshes of one server's tokens hold.
fn refresh_lock(server: &str, url: &str) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<RefreshLocks> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    locks
        .entry((server.to_string(), url.to_string()))
        .or_default()
        .clone()
}

fn store_error(error: impl std::fmt::Display) -> AuthError {
    AuthError::InternalError(error.to_string())
}

/// The manager's view of saved tokens: the response as the server sent it, with the
/// seconds left counted from now.
pub fn to_stored(tokens: &SavedTokens) -> Result<StoredCredentials, AuthError> {
    let mut response = serde_json::json!({
        "access_token": tokens.access_token,
        "token_type": "bearer",
    });
    if let Some(refresh) = &tokens.refresh_token {
        response["refresh_token"] = refresh.clone().into();
    }
    if let Some(left) = tokens.seconds_left() {
        response["expires_in"] = left.into();
    }
    if !tokens.scopes.is_empty() {
        response["scope"] = tokens.scopes.join(" ").into();
    }
    let response: OAuthTokenResponse = serde_json::from_value(response).map_err(store_error)?;
    Ok(StoredCredentials::new(
        tokens.client_id.clone(),
        Some(response),
        tokens.scopes.clone(),
        Some(unix_millis() / 1000),
    ))
}

/// Saved tokens from what the manager holds; `None` when it holds no token.
pub fn from_stored(
    server: &str,
    url: &str,
    credentials: &StoredCredentials,
) -> Result<Option<SavedTokens>, AuthError> {
    let Some(response) = &credentials.token_response else {
        return Ok(None);
    };
    let response = serde_json::to_value(response).map_err(store_error)?;
    let text = |field: &str| response[field].as_str().map(str::to_string);
    let Some(access_token) = text("access_token") else {
        return Ok(None);
    };
    let received_ms = credentials
        .token_received_at
        .map_or_else(unix_millis, |seconds| seconds.saturating_mul(1000));
    let expires_at_ms = response["expires_in"]
        .as_u64()
        .map(|seconds| received_ms.saturating_add(seconds.saturating_mul(1000)));
    let scopes = if credentials.granted_scopes.is_empty() {
        text("scope")
            .map(|scope| scope.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    } else {
        credentials.granted_scopes.clone()
    };
    Ok(Some(SavedTokens {
        server_name: server.to_string(),
        url: url.to_string(),
        client_id: credentials.client_id.clone(),
        access_token,
        refresh_token: text("refresh_token"),
        expires_at_ms,
        scopes,
    }))
}

#[async_trait::async_trait]
impl CredentialStore for ServerCredentials {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(known) = cached.as_ref() {
            return Ok(known.clone());
        }
        let loaded = self
            .store
            .load(&self.server, &self.url)
            .map_err(store_error)?
            .map(|tokens| to_stored(&tokens))
            .transpose()?;
        *cached = Some(loaded.clone());
        Ok(loaded)
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(tokens) = from_stored(&self.server, &self.url, &credentials)? {
            self.store.save(&tokens).map_err(store_error)?;
        }
        *cached = Some(Some(credentials));
        Ok(())
    }

    /// Refreshes of one server's tokens take turns across the process (sessions
    /// share the saved tokens, and a refresh token may be good for one use only), and
    /// each starts from what is saved now: another session may have refreshed first.
    async fn acquire_refresh_guard(&self) -> Result<Option<CredentialRefreshGuard>, AuthError> {
        let lock = refresh_lock(&self.server, &self.url);
        let guard = lock.lock_owned().await;
        *self.cached.lock().await = None;
        Ok(Some(CredentialRefreshGuard::new(guard)))
    }

    async fn clear(&self) -> Result<(), AuthError> {
        let mut cached = self.cached.lock().await;
        self.store
            .delete(&self.server, &self.url)
            .map_err(store_error)?;
        *cached = Some(None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::oauth::store::CredentialsStoreMode;

    #[tokio::test]
    async fn a_refresh_the_manager_saves_reaches_the_store() {
        let home = tempfile::tempdir().unwrap();
        let store = TokenStore::new(home.path(), CredentialsStoreMode::File);
        let url = "https://docs.example.com/mcp";
        let first = SavedTokens {
            server_name: "docs".into(),
            url: url.into(),
            client_id: "client-1".into(),
            access_token: "old".into(),
            refresh_token: Some("refresh-1".into()),
            expires_at_ms: Some(unix_millis() + 60_000),
            scopes: vec!["read".into()],
        };
        store.save(&first).unwrap();

        let credentials = ServerCredentials::new(store.clone(), "docs", url);
        let loaded = credentials.load().await.unwrap().unwrap();
        assert_eq!(loaded.client_id, "client-1");
        let back = from_stored("docs", url, &loaded).unwrap().unwrap();
        assert_eq!(back.access_token, "old");
        let drift = back
            .expires_at_ms
            .unwrap()
            .abs_diff(first.expires_at_ms.unwrap());
        assert!(
            drift <= 2_000,
            "the expiry survives the round trip ({drift} ms)"
        );

        let mut refreshed = first.clone();
        refreshed.access_token = "new".into();
        refreshed.expires_at_ms = Some(unix_millis() + 3_600_000);
        credentials
            .save(to_stored(&refreshed).unwrap())
            .await
            .unwrap();
        let saved = store.load("docs", url).unwrap().unwrap();
        assert_eq!(saved.access_token, "new");
        assert_eq!(saved.refresh_token.as_deref(), Some("refresh-1"));

        credentials.clear().await.unwrap();
        assert_eq!(store.load("docs", url).unwrap(), None);
        assert!(credentials.load().await.unwrap().is_none());
    }
}

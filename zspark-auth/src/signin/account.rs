//! [`Account`]: the signed-in user of one identity provider and client. Hands out a
//! fresh access token (refreshing it a few minutes before it expires), keeps the tokens
//! in the [`TokenStore`], and signs out.

use tokio::sync::Mutex;

use super::{
    AccountInfo, DeviceCodePrompt, OidcClient, OpenBrowser, ProviderError, SecretLocation,
    StoreError, TokenStore, Tokens,
};
use crate::unix_now;

/// Refresh this long before the access token expires.
const REFRESH_MARGIN_SECS: i64 = 5 * 60;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Nobody is signed in: sign in.
    #[error("not signed in: sign in first")]
    NotSignedIn,
    /// The sign-in could not be refreshed: sign in again.
    #[error("not signed in: {0}")]
    Expired(#[source] ProviderError),
    /// The identity provider failed during a sign-in.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The keychain (or its fallback file) failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SignInError {
    /// Whether the user has to sign in (again) before anything else works.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Self::NotSignedIn | Self::Expired(_))
    }
}

pub struct Account {
    client: OidcClient,
    store: TokenStore,
    tokens: Mutex<Option<Tokens>>,
}

impl Account {
    /// The account with whatever sign-in the store holds.
    pub fn restore(client: OidcClient, store: TokenStore) -> Result<Self, SignInError> {
        let tokens = store.load()?;
        Ok(Self {
            client,
            store,
            tokens: Mutex::new(tokens),
        })
    }

    /// Who is signed in, if anyone.
    pub async fn signed_in(&self) -> Option<AccountInfo> {
        self.tokens
            .lock()
            .await
            .as_ref()
            .map(|tokens| tokens.account.clone())
    }

    /// Signs in through the browser and keeps the tokens.
    pub async fn sign_in_with_browser(
        &self,
        browser: &dyn OpenBrowser,
    ) -> Result<(AccountInfo, SecretLocation), SignInError> {
        let tokens = self.client.sign_in_with_browser(browser).await?;
        self.keep(tokens).await
    }

    /// Signs in with a device code; `show` tells the user where to enter it.
    pub async fn sign_in_with_device_code(
        &self,
        show: impl FnOnce(&DeviceCodePrompt),
    ) -> Result<(AccountInfo, SecretLocation), SignInError> {
        let (prompt, details) = self.client.start_device_code().await?;
        show(&prompt);
        let tokens = self.client.finish_device_code(&details).await?;
        self.keep(tokens).await
    }

    async fn keep(&self, tokens: Tokens) -> Result<(AccountInfo, SecretLocation), SignInError> {
        let location = self.store.save(&tokens)?;
        let account = tokens.account.clone();
        *self.tokens.lock().await = Some(tokens);
        Ok((account, location))
    }

    /// A valid access token, refreshed first when it expires within five minutes.
    pub async fn access_token(&self) -> Result<String, SignInError> {
        let mut guard = self.tokens.lock().await;
        let current = guard.as_ref().ok_or(SignInError::NotSignedIn)?;
        if current.expires_at - unix_now() > REFRESH_MARGIN_SECS {
            return Ok(current.access_token.clone());
        }
        let refreshed = self
            .client
            .refresh(current)
            .await
            .map_err(SignInError::Expired)?;
        self.store.save(&refreshed)?;
        let token = refreshed.access_token.clone();
        *guard = Some(refreshed);
        Ok(token)
    }

    /// Refreshes now, whatever the expiry (after the server refused the token, say).
    pub async fn refresh_now(&self) -> Result<String, SignInError> {
        {
            let mut guard = self.tokens.lock().await;
            if let Some(tokens) = guard.as_mut() {
                tokens.expires_at = 0;
            }
        }
        self.access_token().await
    }

    /// Forgets the tokens here and in the store.
    pub async fn sign_out(&self) -> Result<(), SignInError> {
        *self.tokens.lock().await = None;
        Ok(self.store.delete()?)
    }
}

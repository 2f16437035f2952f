//! Signing in to an MCP server that wants OAuth (the MCP authorization spec): discover
//! its authorization server (protected-resource metadata, then the server's own
//! metadata), register as a public native client when none is configured (dynamic
//! client registration), send the user's browser to the authorization page with PKCE
//! and the RFC 8707 `resource`, take the code at a loopback redirect, exchange it and
//! keep the tokens in the [`TokenStore`].

use std::time::Duration;

use rmcp::transport::auth::OAuthState;
use rmcp::transport::{AuthError, AuthorizationRequest, StoredCredentials};

use crate::config::McpOAuthConfig;
use crate::mcp::client::with_causes;
use crate::mcp::config::{McpServer, McpTransport};

use super::callback::{CallbackError, CallbackListener};
use super::credentials::from_stored;
use super::store::{SavedIn, TokenStore, TokenStoreError, unix_millis};

/// How long the browser may take to come back by default.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Everything a sign-in to one server needs from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginSettings {
    pub server: String,
    pub url: String,
    /// A client registered with the authorization server beforehand; without one
    /// zspark registers itself.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Scopes to ask for; the server's advertised ones when empty.
    pub scopes: Vec<String>,
    /// The loopback port of the redirect (any free one when `None`).
    pub callback_port: Option<u16>,
    /// A redirect URI to register instead of `http://127.0.0.1:<port>/callback`.
    pub callback_url: Option<String>,
}

impl LoginSettings {
    /// The sign-in settings of `server` (the top-level `mcp_oauth_*` ones filling in
    /// what it leaves unset), or `None` for a stdio server, which has no sign-in.
    pub fn for_server(server: &McpServer, defaults: &McpOAuthConfig) -> Option<Self> {
        let McpTransport::StreamableHttp(remote) = &server.transport else {
            return None;
        };
        let oauth = &remote.oauth;
        let callback_url = oauth
            .callback_url
            .clone()
            .or_else(|| defaults.callback_url.clone());
        let port_of_url = callback_url
            .as_deref()
            .and_then(|url| reqwest::Url::parse(url).ok())
            .and_then(|url| url.port());
        Some(Self {
            server: server.name.clone(),
            url: remote.url.clone(),
            client_id: oauth.client_id.clone(),
            client_secret: oauth.client_secret.clone(),
            scopes: oauth.scopes.clone(),
            callback_port: oauth
                .callback_port
                .or(defaults.callback_port)
                .or(port_of_url),
            callback_url,
        })
    }
}

/// Opens `url` in the system's default browser.
pub fn open_in_browser(url: &str) -> Result<(), String> {
    open::that_detached(url).map_err(|error| format!("cannot open a browser: {error}"))
}

/// Why a sign-in did not finish.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("OAuth metadata discovery failed for {url}: {reason}")]
    Discovery { url: String, reason: String },
    #[error(
        "MCP server `{server}` does not support OAuth sign-in ({reason}); give it a token with `bearer_token_env_var` instead"
    )]
    Unsupported { server: String, reason: String },
    #[error("signing in to MCP server `{server}` failed: {reason}")]
    Failed { server: String, reason: String },
    #[error(transparent)]
    Callback(#[from] CallbackError),
    #[error("signed in to `{server}`, but the tokens could not be kept: {source}")]
    Store {
        server: String,
        #[source]
        source: TokenStoreError,
    },
}

/// How a sign-in went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    pub saved_in: SavedIn,
    pub scopes: Vec<String>,
}

/// A sign-in waiting for the user: the authorization page to show them, and the
/// redirect listener that will receive the answer.
pub struct PendingLogin {
    settings: LoginSettings,
    state: OAuthState,
    listener: CallbackListener,
    page: String,
}

/// Starts signing in to the server of `settings`: discovery, registration when no
/// client is configured, and the authorization page with PKCE.
pub async fn start_login(settings: &LoginSettings) -> Result<PendingLogin, LoginError> {
    zspark_bridge::http::install_crypto_provider();
    let failed = |error: AuthError| classify(settings, error);
    let listener = CallbackListener::start(settings.callback_port).await?;
    let redirect_uri = match &settings.callback_url {
        Some(url) => on_listener_port(url, listener.port()),
        None => listener.redirect_uri(),
    };

    let mut state = OAuthState::new(settings.url.as_str(), None)
        .await
        .map_err(failed)?;
    let mut request = AuthorizationRequest::new(&redirect_uri)
        .with_client_name("zspark")
        .with_application_type("native");
    request = if settings.scopes.is_empty() {
        request.with_initial_scope_selection()
    } else {
        request.with_scopes(settings.scopes.clone())
    };
    if let Some(client_id) = &settings.client_id {
        request = request.with_preregistered_client(client_id);
        if let Some(secret) = &settings.client_secret {
            request = request.with_client_secret(secret);
        }
    }
    state.start_authorization(request).await.map_err(failed)?;
    let page = state.get_authorization_url().await.map_err(failed)?;
    Ok(PendingLogin {
        settings: settings.clone(),
        state,
        listener,
        page,
    })
}

impl PendingLogin {
    /// The page the user signs in on.
    pub fn authorization_url(&self) -> &str {
        &self.page
    }

    /// Waits at most `timeout` for the browser to come back (or for the address it
    /// ended on, from `pasted`), exchanges the code and keeps the tokens in `store`.
    pub async fn finish(
        mut self,
        store: &TokenStore,
        timeout: Duration,
        pasted: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
    ) -> Result<LoggedIn, LoginError> {
        let settings = &self.settings;
        let failed = |error: AuthError| classify(settings, error);
        let callback = self.listener.wait(timeout, pasted).await?;
        self.state
            .handle_callback_with_issuer(
                &callback.code,
                &callback.state,
                callback.issuer.as_deref(),
            )
            .await
            .map_err(failed)?;
        let (client_id, response) = self.state.get_credentials().await.map_err(failed)?;
        let credentials =
            StoredCredentials::new(client_id, response, Vec::new(), Some(unix_millis() / 1000));
        let tokens = from_stored(&settings.server, &settings.url, &credentials)
            .map_err(failed)?
            .ok_or_else(|| LoginError::Failed {
                server: settings.server.clone(),
                reason: "the authorization server answered without an access token".to_string(),
            })?;
        let saved_in = store.save(&tokens).map_err(|source| LoginError::Store {
            server: settings.server.clone(),
            source,
        })?;
        Ok(LoggedIn {
            saved_in,
            scopes: tokens.scopes,
        })
    }
}

/// A configured redirect URI on the loopback interface with no port (as Codex writes
/// them, `http://127.0.0.1/callback/<id>`) gets the listener's port: loopback redirects
/// may use any port (RFC 8252 section 7.3). Others are used as written.
fn on_listener_port(url: &str, port: u16) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed)
            if parsed.port().is_none()
                && matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) =>
        {
            let _ = parsed.set_port(Some(port));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Forgets the tokens of a server; whether there were any.
pub fn logout(server: &str, url: &str, store: &TokenStore) -> Result<bool, TokenStoreError> {
    store.delete(server, url)
}

fn classify(settings: &LoginSettings, error: AuthError) -> LoginError {
    let reason = with_causes(&error);
    match error {
        AuthError::DiscoveryRequestFailed { .. }
        | AuthError::ProtectedResourceMetadataInvalid { .. }
        | AuthError::AuthorizationServersUnavailable { .. }
        | AuthError::MetadataError(_)
        | AuthError::HttpError(_) => LoginError::Discovery {
            url: settings.url.clone(),
            reason,
        },
        AuthError::NoAuthorizationSupport | AuthError::PkceUnsupported => LoginError::Unsupported {
            server: settings.server.clone(),
            reason,
        },
        AuthError::RegistrationFailed(_) if settings.client_id.is_none() => LoginError::Failed {
            server: settings.server.clone(),
            reason: format!(
                "{reason}; if the server needs a client registered beforehand, set `oauth.client_id` in [mcp_servers.{}]",
                settings.server
            ),
        },
        _ => LoginError::Failed {
            server: settings.server.clone(),
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_redirect_without_a_port_gets_the_listeners() {
        assert_eq!(
            on_listener_port("http://127.0.0.1/callback/abc", 4321),
            "http://127.0.0.1:4321/callback/abc"
        );
        assert_eq!(
            on_listener_port("http://127.0.0.1:5555/callback", 4321),
            "http://127.0.0.1:5555/callback"
        );
        assert_eq!(
            on_listener_port("https://example.com/callback", 4321),
            "https://example.com/callback"
        );
    }
}

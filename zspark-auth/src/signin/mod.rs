//! Desktop sign-in (feature `desktop`): the authorization-code flow with PKCE through
//! the system browser and a loopback redirect, the device-code flow as the fallback,
//! refresh, and [`Account`], which keeps the tokens fresh and in the keychain.

mod account;
mod http;
mod loopback;
mod store;

use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreDeviceAuthorizationResponse, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType, CoreTokenResponse,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, ProviderMetadata, RedirectUrl,
    RefreshToken, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

pub use account::{Account, SignInError};
pub use loopback::RedirectError;
pub use store::{KEYCHAIN_SERVICE, SecretLocation, SecretStore, StoreError, TokenStore};

use crate::authority::{Authority, AuthorityError};
use crate::{HttpClientError, unix_now};
use http::OidcHttp;
pub use http::describe;

/// How long the browser may take to come back.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// What the desktop signs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInSettings {
    /// e.g. `https://login.microsoftonline.com/<tenant-id>` or `…/organizations`.
    pub authority: String,
    /// The desktop app registration's Application (client) ID.
    pub client_id: String,
    /// The API scope to ask for, e.g. `api://<api-client-id>/access_as_user`.
    pub api_scope: String,
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub subject: String,
    pub display_name: Option<String>,
}

/// A token set. `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    pub account: AccountInfo,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"<hidden>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<hidden>"),
            )
            .field("expires_at", &self.expires_at)
            .field("account", &self.account)
            .finish()
    }
}

/// What to show the user in the device-code flow.
#[derive(Debug, Clone)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The address with the code filled in, when the provider offers one.
    pub verification_uri_complete: Option<String>,
}

/// Why talking to the identity provider did not give us tokens. Where the provider's
/// answer is the cause, its description (with its causes) is kept as text: the
/// `openidconnect` error types are generic over the whole client.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    #[error(transparent)]
    HttpClient(#[from] HttpClientError),
    #[error("authority {authority}: {reason}")]
    IssuerUrl { authority: String, reason: String },
    #[error("cannot read the identity provider's configuration at {url}: {reason}")]
    Discovery { url: String, reason: String },
    #[error("redirect URI: {0}")]
    RedirectUri(String),
    #[error(transparent)]
    Redirect(#[from] RedirectError),
    #[error(transparent)]
    Browser(#[from] BrowserError),
    #[error("the sign-in answer does not belong to this sign-in (state mismatch); start again")]
    StateMismatch,
    #[error("the provider has no token endpoint: {0}")]
    NoTokenEndpoint(String),
    #[error("cannot redeem the sign-in code: {0}")]
    CodeExchange(String),
    #[error("this identity provider does not offer device-code sign-in; use the browser")]
    NoDeviceCode,
    #[error("cannot get a device code: {0}")]
    DeviceCode(String),
    #[error("device-code sign-in failed: {0}")]
    DeviceCodeSignIn(String),
    #[error("the sign-in has no refresh token; sign in again")]
    NoRefreshToken,
    #[error("cannot refresh the sign-in: {0}")]
    Refresh(String),
    #[error("the ID token does not verify: {0}")]
    IdToken(String),
    #[error("the provider returned no ID token; cannot tell who signed in")]
    NoIdToken,
}

/// A browser could not be opened; the message says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BrowserError(pub String);

/// Opens a URL for the user: the system browser, or a test's stand-in.
pub trait OpenBrowser: Send + Sync {
    fn open(&self, url: &str) -> Result<(), BrowserError>;
}

/// The system's default browser.
pub struct SystemBrowser;

impl OpenBrowser for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), BrowserError> {
        open::that_detached(url).map_err(|error| {
            BrowserError(format!(
                "cannot open a browser ({error}); use the device-code sign-in instead"
            ))
        })
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
struct DeviceEndpoint {
    device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
}

impl AdditionalProviderMetadata for DeviceEndpoint {}

type Metadata = ProviderMetadata<
    DeviceEndpoint,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// An identity provider, discovered.
pub struct OidcClient {
    settings: SignInSettings,
    metadata: Metadata,
    http: OidcHttp,
}

impl OidcClient {
    /// Fetches the provider's discovery document and keys.
    pub async fn discover(settings: SignInSettings) -> Result<Self, ProviderError> {
        let authority = Authority::parse_any(&settings.authority)?;
        let http = OidcHttp(crate::http_client()?);
        let issuer =
            IssuerUrl::new(authority.issuer_url()).map_err(|error| ProviderError::IssuerUrl {
                authority: settings.authority.clone(),
                reason: error.to_string(),
            })?;
        let metadata = Metadata::discover_async(issuer, &http)
            .await
            .map_err(|error| ProviderError::Discovery {
                url: authority.discovery_url(),
                reason: describe(&error),
            })?;
        Ok(Self {
            settings,
            metadata,
            http,
        })
    }

    pub fn settings(&self) -> &SignInSettings {
        &self.settings
    }

    fn client(
        &self,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            None,
        )
    }

    fn scopes(&self) -> Vec<Scope> {
        [
            "openid",
            "profile",
            "offline_access",
            &self.settings.api_scope,
        ]
        .into_iter()
        .map(|scope| Scope::new(scope.to_string()))
        .collect()
    }

    /// The browser flow: PKCE, a loopback redirect, state and nonce checked.
    pub async fn sign_in_with_browser(
        &self,
        browser: &dyn OpenBrowser,
    ) -> Result<Tokens, ProviderError> {
        let redirect = loopback::LoopbackRedirect::start().await?;
        let client = self.client().set_redirect_uri(
            RedirectUrl::new(redirect.redirect_uri.clone())
                .map_err(|error| ProviderError::RedirectUri(error.to_string()))?,
        );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                openidconnect::core::CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(self.scopes())
            .set_pkce_challenge(challenge)
            .url();
        browser.open(url.as_str())?;
        let callback = redirect.wait(BROWSER_TIMEOUT).await?;
        if callback.state != *state.secret() {
            return Err(ProviderError::StateMismatch);
        }
        let response = client
            .exchange_code(AuthorizationCode::new(callback.code))
            .map_err(|error| ProviderError::NoTokenEndpoint(error.to_string()))?
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .map_err(|error| ProviderError::CodeExchange(describe(&error)))?;
        self.tokens_from(&response, Some(&nonce), None)
    }

    /// Asks for a device code; show the prompt, then call [`OidcClient::finish_device_code`].
    pub async fn start_device_code(
        &self,
    ) -> Result<(DeviceCodePrompt, CoreDeviceAuthorizationResponse), ProviderError> {
        let endpoint = self
            .metadata
            .additional_metadata()
            .device_authorization_endpoint
            .clone()
            .ok_or(ProviderError::NoDeviceCode)?;
        let details: CoreDeviceAuthorizationResponse = self
            .client()
            .set_device_authorization_url(endpoint)
            .exchange_device_code()
            .add_scopes(self.scopes())
            .request_async(&self.http)
            .await
            .map_err(|error| ProviderError::DeviceCode(describe(&error)))?;
        let prompt = DeviceCodePrompt {
            user_code: details.user_code().secret().clone(),
            verification_uri: details.verification_uri().to_string(),
            verification_uri_complete: details
                .verification_uri_complete()
                .map(|uri| uri.secret().clone()),
        };
        Ok((prompt, details))
    }

    /// Polls until the user has entered the code (or it expires).
    pub async fn finish_device_code(
        &self,
        details: &CoreDeviceAuthorizationResponse,
    ) -> Result<Tokens, ProviderError> {
        let endpoint = self
            .metadata
            .additional_metadata()
            .device_authorization_endpoint
            .clone()
            .ok_or(ProviderError::NoDeviceCode)?;
        let client = self.client().set_device_authorization_url(endpoint);
        let response = client
            .exchange_device_access_token(details)
            .map_err(|error| ProviderError::NoTokenEndpoint(error.to_string()))?
            .request_async(&self.http, tokio::time::sleep, None)
            .await
            .map_err(|error| ProviderError::DeviceCodeSignIn(describe(&error)))?;
        self.tokens_from(&response, None, None)
    }

    /// New tokens from a refresh token (the refresh token may be rotated).
    pub async fn refresh(&self, current: &Tokens) -> Result<Tokens, ProviderError> {
        let refresh_token = current
            .refresh_token
            .clone()
            .ok_or(ProviderError::NoRefreshToken)?;
        let response = self
            .client()
            .exchange_refresh_token(&RefreshToken::new(refresh_token))
            .map_err(|error| ProviderError::NoTokenEndpoint(error.to_string()))?
            .add_scopes(
                self.scopes()
                    .into_iter()
                    .filter(|s| s.as_str() != "offline_access"),
            )
            .request_async(&self.http)
            .await
            .map_err(|error| ProviderError::Refresh(describe(&error)))?;
        self.tokens_from(&response, None, Some(current))
    }

    /// Checks the ID token (signature, issuer, audience, nonce) when there is one and
    /// builds the token set.
    fn tokens_from(
        &self,
        response: &CoreTokenResponse,
        nonce: Option<&Nonce>,
        previous: Option<&Tokens>,
    ) -> Result<Tokens, ProviderError> {
        let account = match response.id_token() {
            Some(id_token) => {
                let client = self.client();
                let verifier = client.id_token_verifier();
                let claims = match nonce {
                    Some(nonce) => id_token.claims(&verifier, nonce),
                    None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
                }
                .map_err(|error| ProviderError::IdToken(describe(&error)))?;
                AccountInfo {
                    subject: claims.subject().to_string(),
                    display_name: claims
                        .preferred_username()
                        .map(|name| name.to_string())
                        .or_else(|| {
                            claims
                                .name()
                                .and_then(|name| name.get(None))
                                .map(|name| name.to_string())
                        }),
                }
            }
            None => previous
                .map(|tokens| tokens.account.clone())
                .ok_or(ProviderError::NoIdToken)?,
        };
        let lifetime = response
            .expires_in()
            .unwrap_or(Duration::from_secs(3600))
            .as_secs();
        Ok(Tokens {
            access_token: response.access_token().secret().clone(),
            refresh_token: response
                .refresh_token()
                .map(|token| token.secret().clone())
                .or_else(|| previous.and_then(|tokens| tokens.refresh_token.clone())),
            expires_at: unix_now().saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
            account,
        })
    }
}

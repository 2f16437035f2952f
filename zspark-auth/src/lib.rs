//! Microsoft Entra ID (global, Azure China, US Gov) and plain OIDC: access-token
//! validation for `zspark serve` ([`TokenValidator`]) and, with the `desktop` feature,
//! sign-in with refresh and a keychain token store ([`signin`]).

mod accepted;
mod authority;
mod keys;
mod principal;
#[cfg(feature = "desktop")]
pub mod signin;
mod validator;

pub use authority::{Authority, AuthorityError, Cloud, is_loopback_host};
pub use keys::KeyCacheOptions;
pub use principal::{InvalidDevelopmentUser, Principal};
pub use validator::{
    DEFAULT_SCOPE, TokenError, TokenValidator, ValidatorSettings, ValidatorSettingsError,
};

/// The HTTP client for identity providers could not be built (no TLS roots, say).
#[derive(Debug, thiserror::Error)]
#[error("cannot build an HTTP client: {0}")]
pub struct HttpClientError(#[source] reqwest::Error);

/// Makes `ring` the process's rustls provider, for HTTP clients other crates build
/// (the object store's, say).
pub fn install_crypto_provider() {
    // Installing fails only when a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client for talking to identity providers (rustls with the ring provider,
/// no redirects followed: a provider endpoint that redirects is misconfigured; no call
/// waits longer than 30 s).
pub fn http_client() -> Result<reqwest::Client, HttpClientError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(HttpClientError)
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

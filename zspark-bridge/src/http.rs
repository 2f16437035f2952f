//! The HTTP client set-up shared by the bridge proxy and the runtime's model client:
//! rustls with the `ring` provider, and a connect timeout.

use std::time::Duration;

/// How long to wait for a TCP/TLS connection to a provider.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A client builder with the crypto provider installed and the connect timeout set.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT)
}

/// Makes `ring` the process's rustls provider, for HTTP clients built elsewhere (an
/// SDK's own client).
pub fn install_crypto_provider() {
    // Installing fails only when a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

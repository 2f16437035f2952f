//! Whether an HTTP MCP server says it takes OAuth sign-ins: it publishes
//! protected-resource metadata (RFC 9728) or authorization-server metadata (RFC 8414,
//! OpenID discovery). `zspark mcp list` asks, as `codex mcp list` does, to tell a
//! server waiting for a sign-in ("Not logged in") from one that may need none.

use std::time::Duration;

use rmcp::transport::AuthorizationManager;

/// How long a server may take to answer the question.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the server at `url` publishes OAuth metadata; `false` when it does not
/// answer within [`PROBE_TIMEOUT`].
pub async fn offers_oauth(url: &str) -> bool {
    zspark_bridge::http::install_crypto_provider();
    let probe = async {
        let manager = AuthorizationManager::new(url).await.ok()?;
        let resolution = manager.resolve_metadata().await.ok()?;
        Some(resolution.source.is_discovered())
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, probe).await,
        Ok(Some(true))
    )
}

//! OAuth for HTTP MCP servers against a real authorization server (`oidc-provider`
//! from npm, with dynamic client registration, PKCE and resource indicators) guarding a
//! streamable HTTP server built with the official MCP SDK (`oidc/mcp_oauth.mjs` of
//! codex-test-support): a server refusing an unsigned-in client says how to sign in;
//! the sign-in keeps the tokens; connections use them, refresh an expired one (with the
//! RFC 8707 resource, without which the server gets no token it accepts) before their
//! first request and save the new one; a refused sign-in and a logout say what
//! happened. Skips with a reason when `oidc-provider` or the MCP SDK is not installed,
//! unless `ZSPARK_REQUIRE_CLIENTS=1`.

use std::path::Path;
use std::time::Duration;

use codex_core::config::{Env, McpOAuthConfig};
use codex_core::mcp::McpServer;
use codex_core::mcp::client::{McpConnection, McpStartError};
use codex_core::mcp::config::McpServerFile;
use codex_core::mcp::oauth::{
    CredentialsStoreMode, LoginError, LoginSettings, SavedIn, TokenStore, logout, start_login,
};
use codex_test_support::oidc::{
    OAuthMcpServer, TestBrowser, mcp_sdk_dir, provider_dir, start_oauth_mcp_server,
};
use reqwest::Method;

fn protected(url: &str) -> McpServer {
    toml::from_str::<McpServerFile>(&format!("url = {url:?}"))
        .unwrap()
        .resolve("protected")
        .unwrap()
}

fn oauth_config(home: &Path) -> McpOAuthConfig {
    McpOAuthConfig {
        tokens: TokenStore::new(home, CredentialsStoreMode::File),
        callback_port: None,
        callback_url: None,
    }
}

fn browser() -> TestBrowser {
    let http = zspark_bridge::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestBrowser::new(http).0
}

async fn running_server(token_ttl_seconds: u64) -> Option<OAuthMcpServer> {
    let provider = provider_dir()?;
    let sdk = mcp_sdk_dir()?;
    Some(start_oauth_mcp_server(&provider, &sdk, "alice", token_ttl_seconds).await)
}

/// Signs in as the user would: the browser follows the authorization page through to
/// zspark's loopback redirect while zspark waits for it.
async fn sign_in(server: &McpServer, config: &McpOAuthConfig) -> SavedIn {
    let settings = LoginSettings::for_server(server, config).unwrap();
    let pending = start_login(&settings).await.unwrap();
    let page = reqwest::Url::parse(pending.authorization_url()).unwrap();
    let user = browser();
    let (_, logged_in) = tokio::join!(
        user.visit(Method::GET, page, None),
        pending.finish(&config.tokens, Duration::from_secs(30), None),
    );
    let logged_in = logged_in.unwrap();
    assert!(
        logged_in.scopes.contains(&"mcp:tools".to_string()),
        "{logged_in:?}"
    );
    logged_in.saved_in
}

async fn whoami(connection: &McpConnection) -> String {
    let result = connection.call_tool("whoami", None).await.unwrap();
    serde_json::to_value(&result.content).unwrap()[0]["text"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_signed_in_server_is_reached_with_its_tokens_and_refreshed_before_they_fail() {
    let Some(oauth_server) = running_server(3600).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = oauth_config(home.path());
    let server = protected(&oauth_server.url);

    let refused = McpConnection::start(&server, &Env::new(), home.path(), &config.tokens)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(refused, McpStartError::Unauthorized { .. }),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("zspark mcp login protected"),
        "says how to sign in: {refused}"
    );

    let saved_in = sign_in(&server, &config).await;
    assert_eq!(
        saved_in,
        SavedIn::File(home.path().join(".credentials.json"))
    );
    let saved = config
        .tokens
        .load("protected", &oauth_server.url)
        .unwrap()
        .expect("the sign-in is kept");
    assert!(!saved.client_id.is_empty(), "zspark registered a client");
    assert!(saved.refresh_token.is_some(), "a refresh token came too");

    let connection = McpConnection::start(&server, &Env::new(), home.path(), &config.tokens)
        .await
        .unwrap();
    assert!(connection.tools().iter().any(|tool| tool.name == "whoami"));
    assert_eq!(
        whoami(&connection).await,
        format!("subject=alice audience={}", oauth_server.url)
    );
    connection.stop().await;

    // The access token expires: the next connection refreshes it before its first
    // request, and the new token is kept.
    let mut expired = saved.clone();
    expired.expires_at_ms = Some(1);
    config.tokens.save(&expired).unwrap();
    let connection = McpConnection::start(&server, &Env::new(), home.path(), &config.tokens)
        .await
        .unwrap();
    assert!(whoami(&connection).await.starts_with("subject=alice"));
    connection.stop().await;
    let refreshed = config
        .tokens
        .load("protected", &oauth_server.url)
        .unwrap()
        .unwrap();
    assert_ne!(
        refreshed.access_token, saved.access_token,
        "a new token was saved"
    );
    assert!(
        refreshed.seconds_left().unwrap() > 3000,
        "with its new expiry: {refreshed:?}"
    );

    assert!(logout("protected", &oauth_server.url, &config.tokens).unwrap());
    assert!(!logout("protected", &oauth_server.url, &config.tokens).unwrap());
    let refused = McpConnection::start(&server, &Env::new(), home.path(), &config.tokens)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(refused, McpStartError::Unauthorized { .. }),
        "{refused}"
    );
}

#[tokio::test]
async fn a_saved_sign_in_the_server_no_longer_honours_says_to_sign_in_again() {
    let Some(oauth_server) = running_server(3600).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = oauth_config(home.path());
    let server = protected(&oauth_server.url);
    sign_in(&server, &config).await;

    // Tokens the authorization server never issued, already expired.
    let mut forged = config
        .tokens
        .load("protected", &oauth_server.url)
        .unwrap()
        .unwrap();
    forged.access_token = "not-a-token".into();
    forged.refresh_token = Some("not-a-refresh-token".into());
    forged.expires_at_ms = Some(1);
    config.tokens.save(&forged).unwrap();
    let error = McpConnection::start(&server, &Env::new(), home.path(), &config.tokens)
        .await
        .err()
        .unwrap();
    let message = error.to_string();
    assert!(message.contains("`protected`"), "{message}");
    assert!(
        message.contains("sign in again with `zspark mcp login protected`"),
        "{message}"
    );
}

#[tokio::test]
async fn a_sign_in_to_an_unreachable_server_says_discovery_failed() {
    // A port nothing listens on.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/mcp",
        unused.local_addr().unwrap().port()
    );
    drop(unused);
    let home = tempfile::tempdir().unwrap();
    let settings = LoginSettings::for_server(&protected(&url), &oauth_config(home.path())).unwrap();
    let error = start_login(&settings).await.err().unwrap();
    assert!(matches!(error, LoginError::Discovery { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("OAuth metadata discovery failed for {url}")),
        "{error}"
    );
}

#[tokio::test]
async fn connections_refreshing_the_same_tokens_at_once_take_turns() {
    let Some(oauth_server) = running_server(3600).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = oauth_config(home.path());
    let server = protected(&oauth_server.url);
    sign_in(&server, &config).await;
    let mut expired = config
        .tokens
        .load("protected", &oauth_server.url)
        .unwrap()
        .unwrap();
    expired.expires_at_ms = Some(1);
    config.tokens.save(&expired).unwrap();

    // The authorization server rotates refresh tokens for public clients and revokes
    // the grant when a used one comes back: two refreshes racing with the same token
    // would lose the sign-in.
    let env = Env::new();
    let start = || McpConnection::start(&server, &env, home.path(), &config.tokens);
    let (first, second) = tokio::join!(start(), start());
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(whoami(&first).await.starts_with("subject=alice"));
    assert!(whoami(&second).await.starts_with("subject=alice"));
    first.stop().await;
    second.stop().await;
    let third = start().await.unwrap();
    assert!(
        whoami(&third).await.starts_with("subject=alice"),
        "the grant survived"
    );
    third.stop().await;
}

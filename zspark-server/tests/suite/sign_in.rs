//! End to end against a real OpenID provider nobody here wrote (`oidc-provider` from
//! npm, run by `codex-test-support`'s `oidc` fixture): the desktop's browser and device-code
//! sign-ins get tokens, the server accepts them, a refresh works, and a token from a
//! second issuer is refused. Skips with a reason when Node.js or the package is
//! missing, unless `ZSPARK_REQUIRE_CLIENTS=1` (CI installs them).

use codex_test_support::oidc::{
    API, DESKTOP, Provider, TENANT, TestBrowser, api_scope, provider_dir, start_provider,
};
use zspark_auth::signin::{Account, OidcClient, OpenBrowser, SignInSettings, TokenStore};
use zspark_server::Backend;

use super::TestServer;

/// The stand-in browser as the sign-in code sees it.
struct Browser(TestBrowser);

impl OpenBrowser for Browser {
    fn open(&self, url: &str) -> Result<(), zspark_auth::signin::BrowserError> {
        self.0.open(url).map_err(zspark_auth::signin::BrowserError)
    }
}

fn test_browser() -> (Browser, tokio::sync::mpsc::UnboundedReceiver<reqwest::Url>) {
    let (browser, requests) = TestBrowser::new(zspark_auth::http_client().unwrap());
    (Browser(browser), requests)
}

/// Signs `account` in through the stand-in browser.
async fn browser_sign_in(account: &Account) -> zspark_auth::signin::AccountInfo {
    let (browser, mut requests) = test_browser();
    let (signed_in, ()) = tokio::join!(
        account.sign_in_with_browser(&browser),
        browser.0.sign_in_when_asked(&mut requests)
    );
    signed_in.unwrap().0
}

async fn account_for(provider: &Provider, dir: &std::path::Path) -> Account {
    let settings = SignInSettings {
        authority: provider.issuer.clone(),
        client_id: DESKTOP.to_string(),
        api_scope: api_scope(),
    };
    let client = OidcClient::discover(settings).await.unwrap();
    let store = TokenStore::new(&provider.issuer, DESKTOP, dir).file_only();
    Account::restore(client, store).unwrap()
}

/// A server that takes `provider`'s tokens for the test API.
async fn server_trusting(provider: &Provider) -> TestServer {
    let authority = provider.issuer.as_str();
    let args = [
        "--tenant-id",
        TENANT,
        "--client-id",
        API,
        "--authority",
        authority,
    ];
    TestServer::start(Backend::Sqlite, &args).await.unwrap()
}

async fn status_with(server: &TestServer, token: &str) -> (u16, serde_json::Value) {
    let response = server
        .raw()
        .get(format!("{}/v1/me", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn desktop_sign_in_against_a_real_provider_is_accepted_by_the_server() {
    let Some(dir) = provider_dir() else {
        return;
    };
    let provider = start_provider(&dir, "alice-oid").await;
    let server = server_trusting(&provider).await;
    let store_dir = tempfile::tempdir().unwrap();
    let account = account_for(&provider, store_dir.path()).await;
    assert!(account.signed_in().await.is_none());

    let who = browser_sign_in(&account).await;
    assert_eq!(who.subject, "alice-oid");
    assert_eq!(who.display_name.as_deref(), Some("alice-oid@example.com"));
    let token = account.access_token().await.unwrap();
    let (status, me) = status_with(&server, &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["principal"], format!("tenant:{TENANT}:oid:alice-oid"));

    let refreshed = account.refresh_now().await.unwrap();
    assert_ne!(refreshed, token, "a refresh brings a new access token");
    assert_eq!(status_with(&server, &refreshed).await.0, 200);

    // A restart finds the sign-in in the store; signing out forgets it.
    let again = account_for(&provider, store_dir.path()).await;
    assert_eq!(again.signed_in().await.unwrap().subject, "alice-oid");
    again.sign_out().await.unwrap();
    assert!(
        account_for(&provider, store_dir.path())
            .await
            .signed_in()
            .await
            .is_none()
    );
    assert!(matches!(
        again.access_token().await,
        Err(zspark_auth::signin::SignInError::NotSignedIn)
    ));

    // The same kind of token from another issuer is refused.
    let stranger = start_provider(&dir, "mallory-oid").await;
    let other_dir = tempfile::tempdir().unwrap();
    let other = account_for(&stranger, other_dir.path()).await;
    browser_sign_in(&other).await;
    let (status, body) = status_with(&server, &other.access_token().await.unwrap()).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn device_code_sign_in_against_a_real_provider() {
    let Some(dir) = provider_dir() else {
        return;
    };
    let provider = start_provider(&dir, "bob-oid").await;
    let server = server_trusting(&provider).await;
    let store_dir = tempfile::tempdir().unwrap();
    let account = account_for(&provider, store_dir.path()).await;
    let (browser, _) = TestBrowser::new(zspark_auth::http_client().unwrap());
    let (shown, mut prompts) = tokio::sync::mpsc::unbounded_channel();
    let user = async {
        let prompt: zspark_auth::signin::DeviceCodePrompt = prompts.recv().await.unwrap();
        assert!(!prompt.user_code.is_empty());
        let start = prompt.verification_uri_complete.clone().unwrap_or_else(|| {
            format!("{}?user_code={}", prompt.verification_uri, prompt.user_code)
        });
        browser.confirm_device(&start).await;
    };
    let sign_in = account.sign_in_with_device_code(move |prompt| {
        let _ = shown.send(prompt.clone());
    });
    let (signed_in, ()) = tokio::join!(sign_in, user);
    let (who, _) = signed_in.unwrap();
    assert_eq!(who.subject, "bob-oid");
    let (status, me) = status_with(&server, &account.access_token().await.unwrap()).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["principal"], format!("tenant:{TENANT}:oid:bob-oid"));
}

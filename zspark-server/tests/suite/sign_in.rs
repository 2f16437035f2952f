//! End to end against a real OpenID provider nobody here wrote (`oidc-provider` from
//! npm, run by `tests/oidc/provider.mjs`): the desktop's browser and device-code
//! sign-ins get tokens, the server accepts them, a refresh works, and a token from a
//! second issuer is refused. Skips with a reason when Node.js or the package is
//! missing, unless `ZSPARK_REQUIRE_CLIENTS=1` (CI installs them).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use reqwest::{Method, Url};
use tokio::io::AsyncBufReadExt;
use zspark_auth::signin::{Account, OidcClient, OpenBrowser, SignInSettings, TokenStore};
use zspark_server::Backend;

use super::TestServer;

const TENANT: &str = "5e0f1a2b-0000-4000-8000-00000000e2e0";
const API: &str = "a1b2c3d4-0000-4000-8000-0000000000a1";
const DESKTOP: &str = "d1d2d3d4-0000-4000-8000-0000000000d1";

/// A running `provider.mjs`; stopped when dropped.
struct Provider {
    issuer: String,
    _process: tokio::process::Child,
}

fn provider_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ZSPARK_TEST_OIDC_PROVIDER_DIR").map(PathBuf::from);
    let usable = dir
        .as_ref()
        .is_some_and(|dir| dir.join("node_modules/oidc-provider").is_dir());
    if !usable {
        assert!(
            std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_CLIENTS=1 but ZSPARK_TEST_OIDC_PROVIDER_DIR holds no node_modules/oidc-provider"
        );
        eprintln!(
            "skipping: set ZSPARK_TEST_OIDC_PROVIDER_DIR to a directory where `npm install oidc-provider@9` ran"
        );
        return None;
    }
    dir
}

async fn start_provider(dir: &PathBuf, user_oid: &str) -> Provider {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc/provider.mjs");
    let mut process = tokio::process::Command::new("node")
        .arg(script)
        .env("OIDC_PROVIDER_DIR", dir)
        .env("TENANT_ID", TENANT)
        .env("API_CLIENT_ID", API)
        .env("DESKTOP_CLIENT_ID", DESKTOP)
        .env("USER_OID", user_oid)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let stdout = process.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = lines
        .next_line()
        .await
        .unwrap()
        .expect("the provider prints its issuer");
    // Keep reading: the provider logs notices to stdout and dies of a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let issuer = serde_json::from_str::<serde_json::Value>(&first).unwrap()["issuer"]
        .as_str()
        .unwrap()
        .to_string();
    Provider {
        issuer,
        _process: process,
    }
}

/// A stand-in for the user's browser: follows redirects with a cookie jar and submits
/// the forms it is shown (the device-code confirmation), as a person would. The URLs
/// the app asks it to open arrive on a channel, so the test visits them in its own
/// task and a failure fails the test at once.
#[derive(Clone)]
struct TestBrowser {
    http: reqwest::Client,
    cookies: Arc<Mutex<HashMap<String, String>>>,
    opened: tokio::sync::mpsc::UnboundedSender<Url>,
}

impl TestBrowser {
    fn new() -> (Self, tokio::sync::mpsc::UnboundedReceiver<Url>) {
        let (opened, requests) = tokio::sync::mpsc::unbounded_channel();
        let browser = Self {
            // Redirects are followed by hand, to keep the cookies of each hop.
            http: zspark_auth::http_client().unwrap(),
            cookies: Arc::default(),
            opened,
        };
        (browser, requests)
    }

    /// Requests `url`, following redirects; returns the final URL and page.
    async fn visit(&self, method: Method, mut url: Url, mut form: Option<String>) -> (Url, String) {
        let mut method = method;
        for _ in 0..20 {
            let cookie_header = self
                .cookies
                .lock()
                .unwrap()
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header("cookie", cookie_header);
            if let Some(body) = form.take() {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body);
            }
            let response = request.send().await.unwrap();
            for set_cookie in response.headers().get_all("set-cookie") {
                let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
                if let Some((name, value)) = pair.split_once('=') {
                    self.cookies
                        .lock()
                        .unwrap()
                        .insert(name.trim().to_string(), value.to_string());
                }
            }
            if response.status().is_redirection() {
                let location = response.headers()["location"].to_str().unwrap();
                url = url.join(location).unwrap();
                method = Method::GET;
                continue;
            }
            let status = response.status();
            let page = response.text().await.unwrap();
            assert!(status.is_success(), "{url} answered {status}: {page}");
            return (url, page);
        }
        panic!("too many redirects");
    }

    /// Submits every form on successive pages until one has none.
    async fn confirm_device(&self, start: &str) {
        let (mut url, mut page) = self
            .visit(Method::GET, Url::parse(start).unwrap(), None)
            .await;
        for _ in 0..5 {
            let Some((action, fields)) = first_form(&page) else {
                return;
            };
            let mut encoded = Url::parse("http://form.invalid/").unwrap();
            encoded.query_pairs_mut().extend_pairs(fields);
            let body = encoded.query().unwrap_or_default().to_string();
            (url, page) = self
                .visit(Method::POST, url.join(&action).unwrap(), Some(body))
                .await;
        }
        panic!("the device confirmation never finished: {page}");
    }
}

impl OpenBrowser for TestBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let url = Url::parse(url).map_err(|error| error.to_string())?;
        self.opened.send(url).map_err(|error| error.to_string())
    }
}

/// Signs `account` in through the stand-in browser.
async fn browser_sign_in(account: &Account) -> zspark_auth::signin::AccountInfo {
    let (browser, mut requests) = TestBrowser::new();
    let user = async {
        let url = requests.recv().await.expect("the app opens the browser");
        browser.visit(Method::GET, url, None).await;
    };
    let (signed_in, ()) = tokio::join!(account.sign_in_with_browser(&browser), user);
    signed_in.unwrap().0
}

/// The action and named input values of the first form of `page`.
fn first_form(page: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = page.find("<form")?;
    let end = page[start..].find("</form>")? + start;
    let form = &page[start..end];
    let attribute = |tag: &str, name: &str| {
        let marker = format!("{name}=\"");
        tag.find(&marker).map(|at| {
            let rest = &tag[at + marker.len()..];
            rest[..rest.find('"').unwrap_or(rest.len())].to_string()
        })
    };
    let action = attribute(&form[..form.find('>')?], "action")?;
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            Some((
                attribute(tag, "name")?,
                attribute(tag, "value").unwrap_or_default(),
            ))
        })
        .collect();
    Some((action, fields))
}

async fn account_for(provider: &Provider, dir: &std::path::Path) -> Account {
    let settings = SignInSettings {
        authority: provider.issuer.clone(),
        client_id: DESKTOP.to_string(),
        api_scope: format!("api://{API}/access_as_user"),
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
        Err(zspark_auth::signin::SignInError::NotSignedIn(_))
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
    let (browser, _) = TestBrowser::new();
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

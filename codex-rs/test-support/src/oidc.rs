//! A real OpenID provider for end-to-end sign-in tests, and a stand-in for the user's
//! browser. The provider is panva's certified `oidc-provider` from npm, run by
//! `oidc/provider.mjs` (in this crate) and set up to issue Entra-shaped access tokens for
//! one API ([`API`]) to one public desktop client ([`DESKTOP`]) of tenant [`TENANT`].
//! `oidc/mcp_oauth.mjs` runs the same provider as the authorization server of an
//! OAuth-protected MCP server. Tests that need it skip with a reason when Node.js or the
//! package is missing, unless `ZSPARK_REQUIRE_CLIENTS=1` (CI installs them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a test fixture: a broken set-up fails the test, a skip says why"
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use reqwest::{Method, Url};
use tokio::io::AsyncBufReadExt;

pub const TENANT: &str = "5e0f1a2b-0000-4000-8000-00000000e2e0";
pub const API: &str = "a1b2c3d4-0000-4000-8000-0000000000a1";
pub const DESKTOP: &str = "d1d2d3d4-0000-4000-8000-0000000000d1";

/// The scope the desktop asks for.
pub fn api_scope() -> String {
    format!("api://{API}/access_as_user")
}

/// A running `provider.mjs`; stopped when dropped.
pub struct Provider {
    pub issuer: String,
    _process: tokio::process::Child,
}

/// Where `oidc-provider` is installed (`ZSPARK_TEST_OIDC_PROVIDER_DIR`), or `None`
/// (with the reason printed) when it is not.
pub fn provider_dir() -> Option<PathBuf> {
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

/// Starts a provider that signs in the user `user_oid` without asking.
pub async fn start_provider(dir: &PathBuf, user_oid: &str) -> Provider {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc/provider.mjs");
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

/// A running `mcp_oauth.mjs`: an authorization server and an MCP endpoint that wants
/// its tokens; stopped when dropped.
pub struct OAuthMcpServer {
    pub issuer: String,
    /// The MCP endpoint (`http://127.0.0.1:<port>/mcp`).
    pub url: String,
    _process: tokio::process::Child,
}

/// Where the MCP SDK is installed (`ZSPARK_TEST_MCP_NODE_MODULES`, a `node_modules`
/// holding `@modelcontextprotocol/sdk`), or `None` (with the reason printed).
pub fn mcp_sdk_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ZSPARK_TEST_MCP_NODE_MODULES").map(PathBuf::from);
    if dir
        .as_ref()
        .is_some_and(|dir| dir.join("@modelcontextprotocol/sdk").is_dir())
    {
        return dir;
    }
    assert!(
        std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "ZSPARK_REQUIRE_CLIENTS=1 but ZSPARK_TEST_MCP_NODE_MODULES holds no @modelcontextprotocol/sdk"
    );
    eprintln!(
        "skipping: set ZSPARK_TEST_MCP_NODE_MODULES to a node_modules where `npm install @modelcontextprotocol/sdk` ran"
    );
    None
}

/// Starts an OAuth-protected MCP server whose authorization server signs in `user`
/// without asking and issues access tokens valid for `token_ttl_seconds`.
pub async fn start_oauth_mcp_server(
    provider_dir: &PathBuf,
    sdk_dir: &PathBuf,
    user: &str,
    token_ttl_seconds: u64,
) -> OAuthMcpServer {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc/mcp_oauth.mjs");
    let mut process = tokio::process::Command::new("node")
        .arg(script)
        .env("OIDC_PROVIDER_DIR", provider_dir)
        .env("MCP_NODE_MODULES", sdk_dir)
        .env("USER_ID", user)
        .env("ACCESS_TOKEN_TTL", token_ttl_seconds.to_string())
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
        .expect("the server prints its addresses");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let addresses = serde_json::from_str::<serde_json::Value>(&first).unwrap();
    OAuthMcpServer {
        issuer: addresses["issuer"].as_str().unwrap().to_string(),
        url: addresses["mcp"].as_str().unwrap().to_string(),
        _process: process,
    }
}

/// A stand-in for the user's browser: follows redirects with a cookie jar and submits
/// the forms it is shown (the device-code confirmation), as a person would. The URLs
/// the app asks it to open arrive on a channel, so the test visits them in its own
/// task and a failure fails the test at once.
#[derive(Clone)]
pub struct TestBrowser {
    http: reqwest::Client,
    cookies: Arc<Mutex<HashMap<String, String>>>,
    opened: tokio::sync::mpsc::UnboundedSender<Url>,
}

impl TestBrowser {
    /// A browser using `http`, which must not follow redirects (they are followed by
    /// hand, to keep the cookies of each hop), and the channel of the URLs it is asked
    /// to open.
    pub fn new(http: reqwest::Client) -> (Self, tokio::sync::mpsc::UnboundedReceiver<Url>) {
        let (opened, requests) = tokio::sync::mpsc::unbounded_channel();
        let browser = Self {
            http,
            cookies: Arc::default(),
            opened,
        };
        (browser, requests)
    }

    /// Requests `url`, following redirects; returns the final URL and page.
    pub async fn visit(
        &self,
        method: Method,
        mut url: Url,
        mut form: Option<String>,
    ) -> (Url, String) {
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
    pub async fn confirm_device(&self, start: &str) {
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

    /// Plays the user: waits for the app to open the sign-in page, then follows it
    /// through to the app's loopback redirect.
    pub async fn sign_in_when_asked(
        &self,
        requests: &mut tokio::sync::mpsc::UnboundedReceiver<Url>,
    ) {
        let url = requests.recv().await.expect("the app opens the browser");
        self.visit(Method::GET, url, None).await;
    }

    /// What the app's `OpenBrowser` does: hands `url` to the test's channel.
    pub fn open(&self, url: &str) -> Result<(), String> {
        let url = Url::parse(url).map_err(|error| error.to_string())?;
        self.opened.send(url).map_err(|error| error.to_string())
    }
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

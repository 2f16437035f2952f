//! Shared workspaces, from the desktop's side: a `zspark serve` server, who the desktop
//! is there, and the workspaces it may enter. On a server with Entra ID (or another
//! OpenID provider) the user signs in through the system browser or with a device
//! code; the tokens stay in the OS keychain and are refreshed before they expire. A
//! local development server (`zspark serve --dev`) takes a user name instead.

use std::path::Path;

use reqwest::StatusCode;
use zspark_auth::signin::{
    Account, DeviceCodePrompt, OidcClient, OpenBrowser, ProviderError, SignInError, SignInSettings,
    TokenStore,
};

use crate::providers::SecretBackend;

/// How the desktop proves who it is to a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedIdentity {
    /// Sign in with Entra ID or another OpenID provider.
    SignIn(SignInSettings),
    /// A development server's `X-Domain-User` name (local servers only).
    Development { user: String },
}

/// A server and the identity used there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedServer {
    /// The server's base URL, e.g. `https://zspark.example.com`.
    pub url: String,
    pub identity: SharedIdentity,
}

/// A workspace the user may enter, with the user's role in it.
pub type SharedWorkspace = zspark_api::Workspace;

/// What the desktop knows of the server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SharedStatus {
    pub server: String,
    /// Who the server says the user is; `None` when signed out.
    pub signed_in_as: Option<String>,
    pub workspaces: Vec<SharedWorkspace>,
    /// What went wrong and what to do, when something did.
    pub problem: Option<String>,
}

/// What went wrong with a server, in words for the user, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    #[error("`{0}` is not a server address; use one like https://zspark.example.com")]
    NotAnAddress(String),
    #[error("`{0}` is not an http(s) address; use one like https://zspark.example.com")]
    NotHttp(String),
    #[error("Enter the user name the development server should know you by.")]
    NoDevelopmentUser,
    #[error(
        "The sign-in service at {authority} could not be used: {source}. Check the authority in Settings."
    )]
    SignInService {
        authority: String,
        #[source]
        source: ProviderError,
    },
    #[error(transparent)]
    HttpClient(#[from] zspark_auth::HttpClientError),
    /// The keychain failed, or it holds a sign-in that cannot be read.
    #[error(transparent)]
    KeptSignIn(SignInError),
    #[error("Sign-in did not finish: {0}")]
    SignInUnfinished(#[source] SignInError),
    #[error(transparent)]
    SignOut(SignInError),
    #[error("This server takes a development user name; there is nothing to sign in to.")]
    NothingToSignIn,
    #[error("this server takes a sign-in, and none is set up")]
    NoSignIn,
    #[error("Sign in again: {0}")]
    SignedOut(#[source] SignInError),
    #[error("Give the workspace a name.")]
    NoWorkspaceName,
    #[error("Cannot reach {server}: {reason}. Check the address and that the server runs.")]
    Unreachable { server: String, reason: String },
    #[error(
        "{server} answered {path} with something that is not a zspark server's answer ({reason}); check the address"
    )]
    NotZspark {
        server: String,
        path: String,
        reason: String,
    },
    /// The server's refusal, in its own words where it gave them.
    #[error("The server did not accept your sign-in: {0}. Sign in again.")]
    Unauthorized(String),
    #[error("The server refused: {0}.")]
    Refused(String),
    /// The server has no such thing for this user (404): it was deleted, or the user
    /// is not a member of its workspace (the server does not tell the two apart).
    #[error("The server refused: {0}.")]
    NotFound(String),
    /// An artifact upload refused for the file itself (too large, its bytes changed
    /// while it was read).
    #[error("The server did not take the file: {0}.")]
    FileRefused(String),
}

/// A connection to one server.
pub struct SharedClient {
    server: SharedServer,
    http: reqwest::Client,
    /// The sign-in, for servers that take tokens.
    account: Option<Account>,
}

impl SharedClient {
    /// Checks the settings and, for a server that takes tokens, finds the identity
    /// provider and any sign-in kept from before. Tokens kept in files (where there is
    /// no keychain, or with [`SecretBackend::FileOnly`]) go under `token_dir`.
    pub async fn connect(
        server: SharedServer,
        token_dir: &Path,
        secrets: SecretBackend,
    ) -> Result<Self, SharedError> {
        let url = reqwest::Url::parse(server.url.trim())
            .map_err(|_| SharedError::NotAnAddress(server.url.clone()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SharedError::NotHttp(server.url));
        }
        let server = SharedServer {
            url: url.as_str().trim_end_matches('/').to_string(),
            identity: server.identity,
        };
        let account = match &server.identity {
            SharedIdentity::Development { user } if user.trim().is_empty() => {
                return Err(SharedError::NoDevelopmentUser);
            }
            SharedIdentity::Development { .. } => None,
            SharedIdentity::SignIn(settings) => {
                let client = OidcClient::discover(settings.clone())
                    .await
                    .map_err(|source| SharedError::SignInService {
                        authority: settings.authority.clone(),
                        source,
                    })?;
                let store = TokenStore::new(&settings.authority, &settings.client_id, token_dir);
                let store = match secrets {
                    SecretBackend::Keychain => store,
                    SecretBackend::FileOnly => store.file_only(),
                };
                Some(Account::restore(client, store).map_err(SharedError::KeptSignIn)?)
            }
        };
        Ok(Self {
            server,
            http: zspark_auth::http_client()?,
            account,
        })
    }

    /// Signs in through `browser`.
    pub async fn sign_in_with_browser(&self, browser: &dyn OpenBrowser) -> Result<(), SharedError> {
        self.signing_account()?
            .sign_in_with_browser(browser)
            .await
            .map(drop)
            .map_err(SharedError::SignInUnfinished)
    }

    /// Signs in with a device code; `show` tells the user where to enter it.
    pub async fn sign_in_with_device_code(
        &self,
        show: impl FnOnce(&DeviceCodePrompt),
    ) -> Result<(), SharedError> {
        self.signing_account()?
            .sign_in_with_device_code(show)
            .await
            .map(drop)
            .map_err(SharedError::SignInUnfinished)
    }

    /// Forgets the sign-in, here and in the keychain.
    pub async fn sign_out(&self) -> Result<(), SharedError> {
        match &self.account {
            Some(account) => account.sign_out().await.map_err(SharedError::SignOut),
            None => Ok(()),
        }
    }

    /// The server's address, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.server.url
    }

    fn signing_account(&self) -> Result<&Account, SharedError> {
        self.account.as_ref().ok_or(SharedError::NothingToSignIn)
    }

    /// Who the user is on the server and the workspaces they may enter.
    pub async fn status(&self) -> SharedStatus {
        let mut status = SharedStatus {
            server: self.server.url.clone(),
            ..SharedStatus::default()
        };
        // The sign-in's name for people (from the ID token) reads better than the key.
        let mut signed_in_name = None;
        if let Some(account) = &self.account {
            match account.signed_in().await {
                Some(who) => signed_in_name = who.display_name,
                None => return status,
            }
        }
        let looked_up = async {
            let me: zspark_api::Me = self.get("/v1/me").await?;
            let page: zspark_api::Page<SharedWorkspace> =
                self.get("/v1/workspaces?limit=200").await?;
            Ok::<_, SharedError>((me, page.items))
        };
        match looked_up.await {
            Ok((me, workspaces)) => {
                status.signed_in_as =
                    Some(signed_in_name.or(me.display_name).unwrap_or(me.principal));
                status.workspaces = workspaces;
            }
            Err(problem) => status.problem = Some(problem.to_string()),
        }
        status
    }

    /// Creates a workspace the user owns.
    pub async fn create_workspace(&self, name: &str) -> Result<(), SharedError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(SharedError::NoWorkspaceName);
        }
        let body = zspark_api::CreateWorkspace {
            name: name.to_string(),
        };
        let response = self
            .send(|http, url| http.post(url).json(&body), "/v1/workspaces")
            .await?;
        if response.status() == StatusCode::CREATED {
            Ok(())
        } else {
            Err(refusal_of(response).await)
        }
    }

    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, SharedError> {
        let response = self.send(|http, url| http.get(url), path).await?;
        if !response.status().is_success() {
            return Err(refusal_of(response).await);
        }
        response
            .json()
            .await
            .map_err(|error| SharedError::NotZspark {
                server: self.server.url.clone(),
                path: path.to_string(),
                reason: error.to_string(),
            })
    }

    /// The header that proves who the user is: a bearer token (refreshed when it is
    /// about to expire) or a development server's user name.
    pub(crate) async fn credential(&self) -> Result<(&'static str, String), SharedError> {
        match &self.account {
            Some(account) => {
                let token = account
                    .access_token()
                    .await
                    .map_err(SharedError::SignedOut)?;
                Ok(("authorization", format!("Bearer {token}")))
            }
            None => match &self.server.identity {
                SharedIdentity::Development { user } => {
                    Ok(("x-domain-user", user.trim().to_string()))
                }
                SharedIdentity::SignIn(_) => Err(SharedError::NoSignIn),
            },
        }
    }

    /// Sends a request with the user's credentials; a token the server refuses is
    /// refreshed once and the request sent again.
    pub(crate) async fn send(
        &self,
        build: impl Fn(&reqwest::Client, String) -> reqwest::RequestBuilder,
        path: &str,
    ) -> Result<reqwest::Response, SharedError> {
        let url = format!("{}{path}", self.server.url);
        let unreachable = |error: reqwest::Error| SharedError::Unreachable {
            server: self.server.url.clone(),
            reason: zspark_auth::signin::describe(&error),
        };
        let Some(account) = &self.account else {
            let SharedIdentity::Development { user } = &self.server.identity else {
                return Err(SharedError::NoSignIn);
            };
            return build(&self.http, url)
                .header("x-domain-user", user.trim())
                .send()
                .await
                .map_err(unreachable);
        };
        let token = account
            .access_token()
            .await
            .map_err(SharedError::SignedOut)?;
        let response = build(&self.http, url.clone())
            .bearer_auth(token)
            .send()
            .await
            .map_err(unreachable)?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let token = account
            .refresh_now()
            .await
            .map_err(SharedError::SignedOut)?;
        build(&self.http, url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(unreachable)
    }
}

/// The server's refusal, in its own words where it gave them.
pub(crate) async fn refusal_of(response: reqwest::Response) -> SharedError {
    let status = response.status();
    let said = response
        .json::<zspark_api::ErrorBody>()
        .await
        .ok()
        .map(|body| body.error.message)
        .unwrap_or_else(|| format!("the server answered {status}"));
    match status {
        StatusCode::UNAUTHORIZED => SharedError::Unauthorized(said),
        StatusCode::NOT_FOUND => SharedError::NotFound(said),
        _ => SharedError::Refused(said),
    }
}

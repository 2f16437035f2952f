//! The loopback redirect of a native app's sign-in (RFC 8252): a one-shot HTTP server
//! on 127.0.0.1 with a port the system picks, waiting for the identity provider to send
//! the browser back with an authorization code (or an error).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::Html;
use tokio::sync::oneshot;

/// The browser did not come back with a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("cannot listen for the sign-in redirect: {0}")]
    Listen(String),
    #[error("the sign-in redirect listener stopped")]
    ListenerStopped,
    #[error("no answer from the browser within {minutes} minutes; start the sign-in again")]
    TimedOut { minutes: u64 },
    #[error(
        "the identity provider refused the sign-in: {error}{}",
        in_parentheses(description)
    )]
    Refused {
        error: String,
        description: Option<String>,
    },
}

fn in_parentheses(description: &Option<String>) -> String {
    description
        .as_ref()
        .map(|description| format!(" ({description})"))
        .unwrap_or_default()
}

/// What the browser brought back.
#[derive(Debug)]
pub struct Callback {
    pub code: String,
    pub state: String,
}

type Sender = Arc<Mutex<Option<oneshot::Sender<Result<Callback, RedirectError>>>>>;

/// A listening redirect endpoint.
pub struct LoopbackRedirect {
    pub redirect_uri: String,
    received: oneshot::Receiver<Result<Callback, RedirectError>>,
    server: tokio::task::JoinHandle<()>,
}

impl LoopbackRedirect {
    /// Listens on 127.0.0.1; the redirect URI names `localhost`, which Entra ID accepts
    /// on any port for desktop apps.
    pub async fn start() -> Result<Self, RedirectError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| RedirectError::Listen(error.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|error| RedirectError::Listen(error.to_string()))?
            .port();
        let (sender, received) = oneshot::channel();
        let sender: Sender = Arc::new(Mutex::new(Some(sender)));
        let app = axum::Router::new()
            .route("/", axum::routing::get(receive))
            .with_state(sender);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            redirect_uri: format!("http://localhost:{port}"),
            received,
            server,
        })
    }

    /// Waits for the browser, at most `timeout`.
    pub async fn wait(self, timeout: std::time::Duration) -> Result<Callback, RedirectError> {
        let outcome = tokio::time::timeout(timeout, self.received).await;
        self.server.abort();
        match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(RedirectError::ListenerStopped),
            Err(_) => Err(RedirectError::TimedOut {
                minutes: timeout.as_secs() / 60,
            }),
        }
    }
}

async fn receive(
    State(sender): State<Sender>,
    Query(query): Query<HashMap<String, String>>,
) -> Html<&'static str> {
    let outcome = match (query.get("code"), query.get("state"), query.get("error")) {
        (_, _, Some(error)) => Err(RedirectError::Refused {
            error: error.clone(),
            description: query.get("error_description").cloned(),
        }),
        (Some(code), Some(state), None) => Ok(Callback {
            code: code.clone(),
            state: state.clone(),
        }),
        _ => return Html(PAGE_UNEXPECTED),
    };
    let page = if outcome.is_ok() {
        PAGE_DONE
    } else {
        PAGE_FAILED
    };
    if let Some(sender) = sender
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    {
        let _ = sender.send(outcome);
    }
    Html(page)
}

const PAGE_DONE: &str = "<!doctype html><title>zspark</title><p>You are signed in to zspark. You can close this tab.</p>";
const PAGE_FAILED: &str = "<!doctype html><title>zspark</title><p>Sign-in did not complete; zspark shows why. You can close this tab.</p>";
const PAGE_UNEXPECTED: &str = "<!doctype html><title>zspark</title><p>This address only receives zspark's sign-in answer.</p>";

//! The loopback redirect of an MCP sign-in (RFC 8252): a one-shot HTTP listener on
//! 127.0.0.1 (on the configured callback port, or one the system picks) that waits for
//! the browser to come back from the authorization server with a code or an error, or
//! for the user to paste the address the browser ended on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use tokio::sync::oneshot;

/// What the browser brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub code: String,
    pub state: String,
    /// The authorization server's `iss` (RFC 9207), when it sends one.
    pub issuer: Option<String>,
}

/// The browser did not come back with a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("cannot listen for the sign-in redirect on {address}: {reason}")]
    Listen { address: String, reason: String },
    #[error("no answer from the browser within {} s; run the sign-in again", .0.as_secs())]
    TimedOut(Duration),
    #[error("the authorization server refused the sign-in: {error}{}", in_parentheses(.description))]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("the sign-in redirect listener stopped")]
    Stopped,
}

fn in_parentheses(description: &Option<String>) -> String {
    description
        .as_ref()
        .map(|text| format!(" ({text})"))
        .unwrap_or_default()
}

type Answer = Result<Callback, CallbackError>;
type Sender = Arc<Mutex<Option<oneshot::Sender<Answer>>>>;

/// A listening redirect endpoint.
pub struct CallbackListener {
    port: u16,
    answer: oneshot::Receiver<Answer>,
    server: tokio::task::JoinHandle<()>,
}

impl CallbackListener {
    /// Listens on 127.0.0.1 at `port` (any free port when `None`).
    pub async fn start(port: Option<u16>) -> Result<Self, CallbackError> {
        let address = format!("127.0.0.1:{}", port.unwrap_or(0));
        let listen_error = |error: std::io::Error| CallbackError::Listen {
            address: address.clone(),
            reason: error.to_string(),
        };
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(listen_error)?;
        let port = listener.local_addr().map_err(listen_error)?.port();
        let (sender, answer) = oneshot::channel();
        let sender: Sender = Arc::new(Mutex::new(Some(sender)));
        let app = axum::Router::new()
            .fallback(axum::routing::get(receive))
            .with_state(sender);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            port,
            answer,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to register: `http://127.0.0.1:<port>/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Waits for the browser, at most `timeout`; or for the address the browser ended
    /// on, pasted by the user (a browser on another machine cannot reach this
    /// listener). Pasted lines that carry no answer are passed over.
    pub async fn wait(
        self,
        timeout: Duration,
        mut pasted: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
    ) -> Answer {
        let from_paste = async {
            while let Some(line) = match pasted.as_mut() {
                Some(lines) => lines.recv().await,
                None => None,
            } {
                if let Some(answer) = pasted_answer(&line) {
                    return answer;
                }
            }
            std::future::pending().await
        };
        let outcome = tokio::time::timeout(timeout, async {
            tokio::select! {
                received = self.answer => received.unwrap_or(Err(CallbackError::Stopped)),
                answer = from_paste => answer,
            }
        })
        .await;
        self.server.abort();
        outcome.unwrap_or(Err(CallbackError::TimedOut(timeout)))
    }
}

/// The answer in an address the browser ended on (`…/callback?code=…&state=…`).
fn pasted_answer(line: &str) -> Option<Answer> {
    let url = reqwest::Url::parse(line.trim()).ok()?;
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    answer_of(&query)
}

fn answer_of(query: &HashMap<String, String>) -> Option<Answer> {
    match (query.get("code"), query.get("state"), query.get("error")) {
        (_, _, Some(error)) => Some(Err(CallbackError::Refused {
            error: error.clone(),
            description: query.get("error_description").cloned(),
        })),
        (Some(code), Some(state), None) => Some(Ok(Callback {
            code: code.clone(),
            state: state.clone(),
            issuer: query.get("iss").cloned(),
        })),
        _ => None,
    }
}

async fn receive(
    State(sender): State<Sender>,
    Query(query): Query<HashMap<String, String>>,
) -> Html<&'static str> {
    let Some(answer) = answer_of(&query) else {
        return Html(PAGE_UNEXPECTED);
    };
    let page = if answer.is_ok() {
        PAGE_DONE
    } else {
        PAGE_FAILED
    };
    let waiting = sender
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(waiting) = waiting {
        let _ = waiting.send(answer);
    }
    Html(page)
}

const PAGE_DONE: &str = "<!doctype html><title>zspark</title><p>zspark is signed in to the MCP server. You can close this tab.</p>";
const PAGE_FAILED: &str = "<!doctype html><title>zspark</title><p>The MCP sign-in did not complete; zspark says why. You can close this tab.</p>";
const PAGE_UNEXPECTED: &str = "<!doctype html><title>zspark</title><p>This address only receives zspark's MCP sign-in answer.</p>";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_answer_with_a_code_is_handed_over() {
        let listener = CallbackListener::start(None).await.unwrap();
        let base = listener.redirect_uri();
        let http = zspark_bridge::http::client_builder().build().unwrap();
        let stray = http.get(format!("{base}?hello=1")).send().await.unwrap();
        assert!(stray.text().await.unwrap().contains("only receives"));
        let page = http
            .get(format!("{base}?code=abc&state=xyz&iss=http%3A%2F%2Fas"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("signed in"));
        let answer = listener.wait(Duration::from_secs(5), None).await.unwrap();
        assert_eq!(
            answer,
            Callback {
                code: "abc".into(),
                state: "xyz".into(),
                issuer: Some("http://as".into()),
            }
        );
    }

    #[tokio::test]
    async fn a_pasted_address_answers_too_and_other_lines_are_passed_over() {
        let listener = CallbackListener::start(None).await.unwrap();
        let (paste, pasted) = tokio::sync::mpsc::unbounded_channel();
        paste.send(String::new()).unwrap();
        paste.send("not an address".into()).unwrap();
        paste
            .send("http://127.0.0.1:1/callback?code=pasted&state=s1".into())
            .unwrap();
        let answer = listener
            .wait(Duration::from_secs(5), Some(pasted))
            .await
            .unwrap();
        assert_eq!(
            (answer.code.as_str(), answer.state.as_str()),
            ("pasted", "s1")
        );
    }

    #[tokio::test]
    async fn a_refusal_says_what_the_server_said() {
        let listener = CallbackListener::start(None).await.unwrap();
        let base = listener.redirect_uri();
        zspark_bridge::http::client_builder()
            .build()
            .unwrap()
            .get(format!(
                "{base}?error=access_denied&error_description=the+user+said+no"
            ))
            .send()
            .await
            .unwrap();
        let error = listener
            .wait(Duration::from_secs(5), None)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the authorization server refused the sign-in: access_denied (the user said no)"
        );
    }
}

//! `zspark bridge`: an HTTP proxy serving `POST /v1/responses` (streaming and not) and
//! `GET /v1/models` in front of a Chat Completions provider.
//!
//! Errors before any answer has started mirror the upstream status (so clients retry
//! 429 and 5xx as they would against OpenAI, after the upstream's `Retry-After`) with
//! an OpenAI-shaped error body that names the upstream status and cause; errors after
//! a stream has started end it with `response.failed`. A streaming request whose
//! upstream sends no response headers, or goes silent between chunks, for
//! `--upstream-timeout-secs` also ends in `response.failed` naming the time-out.

mod config;
mod error;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use futures::{Stream, StreamExt};
use serde_json::Value;

pub use config::{BridgeArgs, ProxyConfig, ProxyConfigError};
pub use error::ApiError;

use crate::completion::completion_to_response;
use crate::profile::AuthStyle;
use crate::request::{RequestFacts, to_chat_request};
use crate::sse::SseDecoder;
use crate::stream::{StreamTranslator, excerpt};
use crate::{http, sse_frame};

struct ProxyState {
    config: ProxyConfig,
    client: reqwest::Client,
}

/// The HTTP client for the upstream could not be built (no TLS roots, say).
#[derive(Debug, thiserror::Error)]
#[error("could not set up the HTTP client: {0}")]
pub struct HttpClientError(#[source] reqwest::Error);

/// The proxy's routes, for `serve` and for tests that call it without a socket.
pub fn router(config: ProxyConfig) -> Result<Router, HttpClientError> {
    let client = http::client_builder().build().map_err(HttpClientError)?;
    let limit = config.max_body_bytes;
    let state = Arc::new(ProxyState { config, client });
    Ok(Router::new()
        .route("/v1/responses", post(responses))
        .route("/responses", post(responses))
        .route("/v1/models", get(models))
        .route("/models", get(models))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state))
}

/// Binds `config.listen` and serves until `shutdown` resolves, then lets running
/// requests finish.
pub async fn serve(
    config: ProxyConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    serve_on(listener, config, shutdown).await
}

/// As [`serve`], on a listener the caller bound.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    config: ProxyConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(config).map_err(std::io::Error::other)?;
    // Events are small writes that must leave at once, not wait for Nagle's algorithm.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// `zspark bridge`: resolves the arguments, serves until Ctrl-C or SIGTERM.
pub async fn run(
    args: BridgeArgs,
    env: BTreeMap<String, String>,
    mut report: impl FnMut(&str),
) -> std::process::ExitCode {
    let config = match ProxyConfig::from_args(&args, &env) {
        Ok(config) => config,
        Err(message) => {
            report(&format!("zspark bridge: {message}"));
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            report(&format!(
                "zspark bridge: cannot listen on {}: {error}; choose another address with --listen",
                config.listen
            ));
            return std::process::ExitCode::FAILURE;
        }
    };
    report(&format!(
        "zspark bridge: serving the Responses API on http://{}/v1 for {} (profile {})",
        config.listen, config.upstream, config.profile
    ));
    match serve_on(listener, config, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            report(&format!("zspark bridge: {error}"));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn check_token(state: &ProxyState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.config.token else {
        return Ok(());
    };
    let presented = bearer(headers).unwrap_or_default();
    if constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::unauthorized())
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The key for the upstream: the configured one, or (loopback only, no bridge token)
/// the client's own.
fn upstream_key(state: &ProxyState, headers: &HeaderMap) -> Option<String> {
    state.config.api_key.clone().or_else(|| {
        state
            .config
            .token
            .is_none()
            .then(|| bearer(headers).map(str::to_string))
            .flatten()
    })
}

fn upstream_request(
    state: &ProxyState,
    method: reqwest::Method,
    path: &str,
    key: Option<String>,
) -> reqwest::RequestBuilder {
    let url = format!("{}/{path}", state.config.upstream);
    let mut request = state.client.request(method, url).query(&state.config.query);
    if let Some(key) = key {
        request = match state.config.profile.auth {
            AuthStyle::Bearer => request.bearer_auth(key),
            AuthStyle::ApiKeyHeader => request.header("api-key", key),
        };
    }
    request
}

async fn models(
    State(state): State<Arc<ProxyState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_token(&state, &headers)?;
    let key = upstream_key(&state, &headers);
    let response = upstream_request(&state, reqwest::Method::GET, "models", key)
        .timeout(state.config.upstream_timeout)
        .send()
        .await
        .map_err(|error| ApiError::unreachable(&state.config.upstream, &error))?;
    let status = response.status();
    let headers_of_error = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|error| ApiError::unreachable(&state.config.upstream, &error))?;
    if !status.is_success() {
        return Err(ApiError::upstream(
            status.as_u16(),
            &headers_of_error,
            &String::from_utf8_lossy(&body),
        ));
    }
    let mut reply = Response::new(Body::from(body));
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(reply)
}

async fn responses(
    State(state): State<Arc<ProxyState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_token(&state, &headers)?;
    let body = body
        .map_err(|rejection| ApiError::unreadable_body(&rejection, state.config.max_body_bytes))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(ApiError::unsupported_media_type());
    }
    let request: Value = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request(format!("the body is not valid JSON: {error}")))?;
    let (chat, facts) = to_chat_request(&request, &state.config.profile)
        .map_err(|error| ApiError::bad_request(error.to_string()))?;
    let key = upstream_key(&state, &headers);
    let mut upstream =
        upstream_request(&state, reqwest::Method::POST, "chat/completions", key).json(&chat);
    let timeout = state.config.upstream_timeout;
    if !facts.stream {
        upstream = upstream.timeout(timeout);
    }
    // A stream has no overall deadline, but its headers must come in time.
    let response = match tokio::time::timeout(timeout, upstream.send()).await {
        Ok(sent) => sent.map_err(|error| ApiError::unreachable(&state.config.upstream, &error))?,
        Err(_) if facts.stream => {
            let mut translator = StreamTranslator::new(facts.model, facts.tools);
            let events = translator.fail_with(&format!(
                "the upstream sent no response headers for {} s (--upstream-timeout-secs)",
                timeout.as_secs()
            ));
            let text: String = events.iter().map(sse_frame).collect();
            return Ok(event_stream(Body::from(text)));
        }
        Err(_) => {
            return Err(ApiError::gateway_timeout(format!(
                "the upstream {} did not answer in {} s (--upstream-timeout-secs)",
                state.config.upstream,
                timeout.as_secs()
            )));
        }
    };
    let status = response.status();
    if !status.is_success() {
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        return Err(ApiError::upstream(status.as_u16(), &headers, &text));
    }
    if !facts.stream {
        let completion: Value = response.json().await.map_err(|error| {
            ApiError::bad_gateway(format!(
                "the upstream answered 200 with a body that is not a chat completion: {error}"
            ))
        })?;
        let answer = completion_to_response(&completion, &facts.model, facts.tools);
        return Ok((StatusCode::OK, axum::Json(answer)).into_response());
    }
    let frames = translate_stream(response, facts, timeout);
    Ok(event_stream(Body::from_stream(
        frames.map(Ok::<_, std::convert::Infallible>),
    )))
}

/// A `text/event-stream` answer with `body`.
fn event_stream(body: Body) -> Response {
    let mut reply = Response::new(body);
    let headers = reply.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    reply
}

/// The upstream's chat stream as Responses SSE frames.
fn translate_stream(
    response: reqwest::Response,
    facts: RequestFacts,
    idle: std::time::Duration,
) -> impl Stream<Item = Bytes> {
    struct Translation {
        upstream: std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
        decoder: SseDecoder,
        translator: StreamTranslator,
        idle: std::time::Duration,
    }
    let state = Translation {
        upstream: Box::pin(response.bytes_stream()),
        decoder: SseDecoder::new(),
        translator: StreamTranslator::new(facts.model, facts.tools),
        idle,
    };
    futures::stream::unfold(state, |mut state| async move {
        if state.translator.is_finished() {
            return None;
        }
        let events = match tokio::time::timeout(state.idle, state.upstream.next()).await {
            Err(_) => state.translator.fail_with(&format!(
                "the upstream sent nothing for {} s",
                state.idle.as_secs()
            )),
            Ok(None) => state.translator.finish(),
            Ok(Some(Err(error))) => state
                .translator
                .fail_with(&format!("the upstream connection broke: {error}")),
            Ok(Some(Ok(bytes))) => match state.decoder.push(&bytes) {
                Ok(frames) => frames
                    .iter()
                    .flat_map(|frame| state.translator.push_data(&frame.data))
                    .collect(),
                Err(_) => state
                    .translator
                    .fail_with("the upstream sent an event larger than the bridge accepts"),
            },
        };
        let text: String = events.iter().map(sse_frame).collect();
        Some((Bytes::from(text), state))
    })
}

/// An upstream body excerpt for error messages.
fn body_excerpt(body: &str) -> String {
    if body.trim().is_empty() {
        "(empty body)".to_string()
    } else {
        excerpt(body)
    }
}

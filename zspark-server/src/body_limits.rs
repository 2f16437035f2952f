//! Request body limits. JSON bodies may be [`MAX_JSON_BODY`] bytes; a request that
//! declares more in `Content-Length` is answered `413` before its body is read, so a
//! client cannot hold a request open by promising a body that never comes. (Artifact
//! uploads stream under their own limit and check the declared length the same way.)

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Largest JSON body (item batches are the big ones).
pub const MAX_JSON_BODY: usize = 32 * 1024 * 1024;

/// Refuses a request whose declared length is over [`MAX_JSON_BODY`].
pub async fn refuse_declared_oversize(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_JSON_BODY as u64) {
        return too_large().into_response();
    }
    next.run(request).await
}

/// Whether a body error (or one of its causes) is the body idle time-out.
pub fn is_idle_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// The answer to a body that stopped arriving.
pub fn stalled() -> ApiError {
    ApiError::RequestTimeout(
        "the request body stopped arriving before it was complete; send it again".to_string(),
    )
}

/// The refusal of a JSON body over the limit, declared or sent.
pub fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "request bodies may be at most {} MiB; send items in smaller batches",
        MAX_JSON_BODY / (1024 * 1024)
    ))
}

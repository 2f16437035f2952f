//! The proxy's errors, rendered in one place as OpenAI-shaped error bodies: the
//! handlers' own, the upstream's (with its `Retry-After`), and the rejections of the
//! HTTP layers (a body over the limit, a method a route does not serve).

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body_excerpt;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    /// The upstream's `Retry-After`, passed on so clients wait as long as it asked.
    retry_after: Option<HeaderValue>,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            kind: "authentication_error",
            message: "send the bridge's token as `Authorization: Bearer <token>`".to_string(),
            retry_after: None,
        }
    }

    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            message: "the bridge serves POST /v1/responses and GET /v1/models".to_string(),
            retry_after: None,
        }
    }

    pub fn unsupported_media_type() -> Self {
        Self {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            kind: "invalid_request_error",
            message: "send the request as application/json".to_string(),
            retry_after: None,
        }
    }

    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_GATEWAY,
            kind: "upstream_error",
            message: message.into(),
            retry_after: None,
        }
    }

    /// The upstream could not be reached at all.
    pub fn unreachable(upstream: &str, error: &reqwest::Error) -> Self {
        let cause = std::error::Error::source(error)
            .map(|source| source.to_string())
            .unwrap_or_else(|| error.to_string());
        let (status, what) = if error.is_timeout() {
            (StatusCode::GATEWAY_TIMEOUT, "did not answer in time")
        } else {
            (StatusCode::BAD_GATEWAY, "could not be reached")
        };
        Self {
            status,
            kind: "upstream_error",
            message: format!("the upstream {upstream} {what}: {cause}"),
            retry_after: None,
        }
    }

    pub fn gateway_timeout(message: String) -> Self {
        Self {
            status: StatusCode::GATEWAY_TIMEOUT,
            kind: "upstream_error",
            message,
            retry_after: None,
        }
    }

    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            kind: "invalid_request_error",
            message: "the bridge serves POST /v1/responses and GET /v1/models".to_string(),
            retry_after: None,
        }
    }

    /// The request body could not be read: over `--max-body-mib`, or broken off.
    pub fn unreadable_body(rejection: &BytesRejection, limit_bytes: usize) -> Self {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the request body is larger than the bridge accepts ({} MiB); raise --max-body-mib if it must be",
                limit_bytes / (1024 * 1024)
            )
        } else {
            format!(
                "the request body could not be read: {}",
                rejection.body_text()
            )
        };
        Self {
            status,
            kind: "invalid_request_error",
            message,
            retry_after: None,
        }
    }

    /// The upstream answered with an error status; it is passed on with its cause and
    /// its `Retry-After` header.
    pub fn upstream(status: u16, headers: &HeaderMap, body: &str) -> Self {
        let detail = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|value| {
                let error = value.get("error").unwrap_or(&value);
                error
                    .get("message")
                    .and_then(Value::as_str)
                    .or_else(|| error.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| body_excerpt(body));
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            kind: "upstream_error",
            message: format!("the upstream answered {status}: {detail}"),
            retry_after: headers.get(header::RETRY_AFTER).cloned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), message = %self.message, "bridge request failed");
        }
        let body = json!({"error": {"message": self.message, "type": self.kind, "code": self.status.as_u16().to_string()}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(retry_after) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after);
        }
        response
    }
}

//! The proxy's errors, rendered in one place as OpenAI-shaped error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body_excerpt;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            kind: "authentication_error",
            message: "send the bridge's token as `Authorization: Bearer <token>`".to_string(),
        }
    }

    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            message: "the bridge serves POST /v1/responses and GET /v1/models".to_string(),
        }
    }

    pub fn unsupported_media_type() -> Self {
        Self {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            kind: "invalid_request_error",
            message: "send the request as application/json".to_string(),
        }
    }

    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_GATEWAY,
            kind: "upstream_error",
            message: message.into(),
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
        }
    }

    /// The upstream answered with an error status; it is passed on with its cause.
    pub fn upstream(status: u16, body: &str) -> Self {
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
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), message = %self.message, "bridge request failed");
        }
        let body = json!({"error": {"message": self.message, "type": self.kind, "code": self.status.as_u16().to_string()}});
        (self.status, axum::Json(body)).into_response()
    }
}

//! API errors, rendered in one place: `{"error": {"code", "message", "request_id"}}`
//! with the right status. Server faults answer a generic 500 and log the detail once;
//! nothing a client sends can produce one.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::request_id;

pub use zspark_api::{ErrorBody, ErrorDetail};

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthenticated {
        message: String,
        challenge: Option<String>,
    },
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    MethodNotAllowed(String),
    PayloadTooLarge(String),
    /// The request body stopped arriving.
    RequestTimeout(String),
    UnsupportedMediaType(String),
    Unprocessable(String),
    RateLimited {
        retry_after: Duration,
    },
    Unavailable(String),
    /// A fault on the server's side; the detail is logged, not sent.
    Internal(String),
}

impl ApiError {
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} was not found"))
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message.clone()),
            Self::Unauthenticated { message, .. } => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", message.clone())
            }
            Self::Forbidden(message) => (StatusCode::FORBIDDEN, "forbidden", message.clone()),
            Self::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message.clone()),
            Self::Conflict(message) => (StatusCode::CONFLICT, "conflict", message.clone()),
            Self::MethodNotAllowed(message) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                message.clone(),
            ),
            Self::PayloadTooLarge(message) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                message.clone(),
            ),
            Self::RequestTimeout(message) => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                message.clone(),
            ),
            Self::UnsupportedMediaType(message) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                message.clone(),
            ),
            Self::Unprocessable(message) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", message.clone())
            }
            Self::RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too many requests; try again in {} s",
                    retry_after.as_secs().max(1)
                ),
            ),
            Self::Unavailable(message) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                message.clone(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server failed to handle the request; it has been logged with this request id"
                    .to_string(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let request_id = request_id::current();
        if let Self::Internal(detail) = &self {
            tracing::error!(request_id = %request_id, detail = %detail, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                request_id,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        match &self {
            Self::RateLimited { retry_after } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string())
                {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            Self::Unauthenticated {
                challenge: Some(challenge),
                ..
            } => {
                if let Ok(value) = HeaderValue::from_str(challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// Database errors: constraint violations are the client's (409), the rest are faults.
impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(database) = &error {
            match database.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return Self::Conflict(
                        "that already exists or was changed by someone else; reload and try again"
                            .to_string(),
                    );
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return Self::Conflict("something this refers to no longer exists".to_string());
                }
                _ => {}
            }
        }
        Self::Internal(error.to_string())
    }
}

impl From<std::io::Error> for ApiError {
    fn from(error: std::io::Error) -> Self {
        Self::Internal(error.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

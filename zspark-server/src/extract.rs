//! Extractors whose rejections are API errors (JSON, with the request id) instead of
//! axum's plain-text ones, and the parsing of ids and names from clients.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::body_limits;
use crate::error::ApiError;

/// A JSON body; malformed JSON is 400, wrong content type 415, wrong shape 422.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".to_string(),
            )),
            Err(JsonRejection::JsonSyntaxError(error)) => Err(ApiError::BadRequest(format!(
                "the body is not valid JSON: {}",
                error.body_text()
            ))),
            Err(JsonRejection::JsonDataError(error)) => {
                Err(ApiError::Unprocessable(error.body_text()))
            }
            Err(JsonRejection::BytesRejection(error)) => {
                if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Err(body_limits::too_large())
                } else if body_limits::is_idle_timeout(&error) {
                    Err(body_limits::stalled())
                } else {
                    Err(ApiError::BadRequest(format!(
                        "the body could not be read: {}",
                        error.body_text()
                    )))
                }
            }
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}

/// Path parameters; a path that does not decode is 400.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|error| ApiError::BadRequest(error.body_text()))
    }
}

/// Query parameters; bad ones are 400.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // The standard parser replaces invalid UTF-8 silently; refuse it instead.
        if let Some(query) = parts.uri.query()
            && query
                .split('&')
                .flat_map(|pair| pair.split('='))
                .any(|part| {
                    percent_encoding::percent_decode_str(&part.replace('+', " "))
                        .decode_utf8()
                        .is_err()
                })
        {
            return Err(ApiError::BadRequest(
                "the query string is not valid UTF-8 once decoded".to_string(),
            ));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|error| ApiError::BadRequest(error.body_text()))
    }
}

/// A UUID from the path, or 400 naming what was malformed.
pub fn parse_id(text: &str, what: &str) -> Result<String, ApiError> {
    Uuid::parse_str(text).map(|id| id.to_string()).map_err(|_| {
        ApiError::BadRequest(format!(
            "malformed {what} id `{}`: ids are UUIDs",
            text.chars().take(80).collect::<String>()
        ))
    })
}

/// A workspace or session title: 1 to 200 characters, no control characters.
pub fn title(text: &str, what: &str) -> Result<String, ApiError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 || trimmed.chars().any(char::is_control)
    {
        return Err(ApiError::Unprocessable(format!(
            "the {what} must be 1 to 200 characters without control characters"
        )));
    }
    Ok(trimmed.to_string())
}

/// An artifact file name: 1 to 255 bytes, no path separators or control characters,
/// not `.` or `..`.
pub fn file_name(text: &str) -> Result<String, ApiError> {
    let bad = text.is_empty()
        || text.len() > 255
        || text == "."
        || text == ".."
        || text
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(ApiError::Unprocessable(
            "the artifact name must be 1 to 255 bytes, without / or \\ or control characters, and not . or ..".to_string(),
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_titles_and_names() {
        assert!(parse_id("0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000", "workspace").is_ok());
        assert!(
            matches!(parse_id("42", "workspace"), Err(ApiError::BadRequest(m)) if m.contains("malformed workspace id `42`"))
        );
        assert_eq!(title("  Team  ", "name").unwrap(), "Team");
        assert!(title("", "name").is_err());
        assert!(title("a\nb", "name").is_err());
        assert!(file_name("report.pdf").is_ok());
        assert!(file_name("über résumé.docx").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "a\u{0}b", &"x".repeat(256)] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
    }
}

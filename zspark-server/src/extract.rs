//! Extractors whose rejections are API errors (JSON, with the request id) instead of
//! axum's plain-text ones, and the parsing of ids and names from clients.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use zspark_api::rules;

use crate::body_limits;
use crate::error::ApiError;

/// A JSON object body; malformed JSON is 400, wrong content type 415, wrong shape 422
/// (an array too: serde would read one into a struct field by field, which the
/// document does not allow).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::JsonRejection;
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".to_string(),
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|error| unreadable(&error))?;
        if bytes.trim_ascii_start().starts_with(b"[") {
            return Err(ApiError::Unprocessable(
                "the body must be a JSON object, not an array".to_string(),
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::JsonSyntaxError(error)) => Err(ApiError::BadRequest(format!(
                "the body is not valid JSON: {}",
                error.body_text()
            ))),
            Err(JsonRejection::JsonDataError(error)) => {
                Err(ApiError::Unprocessable(error.body_text()))
            }
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}

/// Whether the content type is JSON: `application/json` or `application/<x>+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(media_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence
        .strip_prefix("application/")
        .is_some_and(|subtype| subtype == "json" || subtype.ends_with("+json"))
}

/// Why a body could not be read: too large (413), stalled (408), or cut off (400).
fn unreadable(error: &BytesRejection) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        body_limits::too_large()
    } else if body_limits::is_idle_timeout(error) {
        body_limits::stalled()
    } else {
        ApiError::BadRequest(format!("the body could not be read: {}", error.body_text()))
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

/// A UUID (hyphenated, either case) from the path or query, lower-cased; or 400 naming
/// what was malformed.
pub fn parse_id(text: &str, what: &str) -> Result<String, ApiError> {
    if rules::is_uuid(text) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(ApiError::BadRequest(format!(
            "malformed {what} id `{}`: ids are UUIDs such as 0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000",
            text.chars().take(80).collect::<String>()
        )))
    }
}

/// A workspace or session title ([`rules::TITLE`]), trimmed; or 422.
pub fn title(text: &str, what: &str) -> Result<String, ApiError> {
    if !rules::TITLE.accepts(text) {
        return Err(ApiError::Unprocessable(format!(
            "the {what} must be 1 to {} characters, not only white space, without control characters",
            rules::TITLE.max_chars
        )));
    }
    Ok(text.trim().to_string())
}

/// An artifact file name ([`rules::ARTIFACT_NAME`]); or 422.
pub fn file_name(text: &str) -> Result<String, ApiError> {
    if !rules::ARTIFACT_NAME.accepts(text) {
        return Err(ApiError::Unprocessable(format!(
            "the artifact name must be 1 to {} characters, without / or \\ or control characters, and not . or ..",
            rules::ARTIFACT_NAME.max_chars
        )));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_titles_and_names() {
        assert_eq!(
            parse_id("0199AAAA-bbbb-7ccc-8ddd-eeeeffff0000", "workspace").unwrap(),
            "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000"
        );
        assert!(parse_id("0199aaaabbbb7ccc8dddeeeeffff0000", "workspace").is_err());
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

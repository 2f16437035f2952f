//! JSON-RPC framing as Codex's app-server does it: one JSON object per line, no
//! `"jsonrpc"` member on what the server sends (it is ignored on what it receives),
//! ids that are numbers or strings, `params` required on requests, and
//! `emittedAtMs` on every notification.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The error code Codex uses for every malformed or refused request.
pub const INVALID_REQUEST: i64 = -32600;
/// A line that is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// A failure inside the server.
pub const INTERNAL_ERROR: i64 = -32603;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    Number(i64),
    Text(String),
}

/// What one incoming line holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A request: its id, and the rest (`method`, `params`) for the request parser.
    Request {
        id: RequestId,
        body: Value,
    },
    Notification {
        method: String,
    },
    /// An answer to one of the server's requests.
    Response {
        id: RequestId,
        result: Value,
    },
    ErrorResponse {
        id: RequestId,
        error: Value,
    },
}

/// An error the server answers with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self {
            code: INVALID_REQUEST,
            message: message.into(),
            data: None,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: INTERNAL_ERROR,
            message: message.into(),
            data: None,
        }
    }
}

/// Reads one line; a line that is not a JSON-RPC message is an error to answer with
/// (id `null`).
pub fn parse_line(line: &str) -> Result<Incoming, RpcError> {
    let value: Value = serde_json::from_str(line).map_err(|error| RpcError {
        code: PARSE_ERROR,
        message: format!("Parse error: {error}"),
        data: None,
    })?;
    let Value::Object(mut object) = value else {
        return Err(RpcError::invalid_request(
            "Invalid request: a message must be a JSON object",
        ));
    };
    object.remove("jsonrpc");
    let id = match object.remove("id") {
        None | Some(Value::Null) => None,
        Some(id) => Some(serde_json::from_value::<RequestId>(id).map_err(|_| {
            RpcError::invalid_request("Invalid request: `id` must be a number or a string")
        })?),
    };
    let method = object
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_string);
    match (id, method) {
        (Some(id), Some(_)) => Ok(Incoming::Request {
            id,
            body: Value::Object(object),
        }),
        (None, Some(method)) => Ok(Incoming::Notification { method }),
        (Some(id), None) => match (object.remove("result"), object.remove("error")) {
            (Some(result), _) => Ok(Incoming::Response { id, result }),
            (None, Some(error)) => Ok(Incoming::ErrorResponse { id, error }),
            (None, None) => Err(RpcError::invalid_request(
                "Invalid request: missing field `method`",
            )),
        },
        (None, None) => Err(RpcError::invalid_request(
            "Invalid request: missing field `method`",
        )),
    }
}

#[derive(Serialize)]
struct ResponseLine<'a> {
    id: &'a RequestId,
    result: &'a Value,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    error: &'a RpcError,
    id: Option<&'a RequestId>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLine<'a> {
    #[serde(flatten)]
    message: &'a Value,
    emitted_at_ms: i64,
}

#[derive(Serialize)]
struct RequestLine<'a> {
    #[serde(flatten)]
    message: &'a Value,
    id: i64,
}

pub fn response_line(id: &RequestId, result: &Value) -> String {
    serde_json::to_string(&ResponseLine { id, result }).unwrap_or_default()
}

pub fn error_line(id: Option<&RequestId>, error: &RpcError) -> String {
    serde_json::to_string(&ErrorLine { error, id }).unwrap_or_default()
}

/// A notification (`{"method", "params"}`) with its time stamp.
pub fn notification_line(message: &Value, emitted_at_ms: i64) -> String {
    serde_json::to_string(&NotificationLine {
        message,
        emitted_at_ms,
    })
    .unwrap_or_default()
}

/// A request of the server's own (`{"method", "params"}`) with its id.
pub fn request_line(message: &Value, id: i64) -> String {
    serde_json::to_string(&RequestLine { message, id }).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_are_told_apart_and_bad_ones_get_codes() {
        assert_eq!(
            parse_line(r#"{"jsonrpc":"2.0","id":"a","method":"initialize","params":{}}"#),
            Ok(Incoming::Request {
                id: RequestId::Text("a".into()),
                body: json!({"method": "initialize", "params": {}}),
            })
        );
        assert_eq!(
            parse_line(r#"{"method":"initialized"}"#),
            Ok(Incoming::Notification {
                method: "initialized".into()
            })
        );
        assert_eq!(
            parse_line(r#"{"id":0,"result":{"decision":"accept"}}"#),
            Ok(Incoming::Response {
                id: RequestId::Number(0),
                result: json!({"decision": "accept"}),
            })
        );
        assert_eq!(parse_line("{not json").unwrap_err().code, PARSE_ERROR);
        assert_eq!(parse_line("[1]").unwrap_err().code, INVALID_REQUEST);
        assert_eq!(parse_line(r#"{"id":1}"#).unwrap_err().code, INVALID_REQUEST);
    }

    #[test]
    fn what_the_server_writes_has_no_jsonrpc_member() {
        let id = RequestId::Number(7);
        assert_eq!(response_line(&id, &json!({})), r#"{"id":7,"result":{}}"#);
        assert_eq!(
            error_line(Some(&id), &RpcError::invalid_request("Not initialized")),
            r#"{"error":{"code":-32600,"message":"Not initialized"},"id":7}"#
        );
        let note = notification_line(&json!({"method": "warning", "params": {}}), 5);
        assert_eq!(
            serde_json::from_str::<Value>(&note).unwrap(),
            json!({"method": "warning", "params": {}, "emittedAtMs": 5})
        );
    }
}

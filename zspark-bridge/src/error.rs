//! Bridge errors: a request the bridge cannot translate, or an upstream that failed.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeError {
    /// The Responses request cannot be expressed for a Chat Completions provider.
    InvalidRequest { message: String },
    /// The upstream answered with an error status.
    Upstream { status: u16, message: String },
}

impl BridgeError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            message: message.into(),
        }
    }
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRequest { message } => write!(
                f,
                "the request cannot be sent to a Chat Completions provider: {message}"
            ),
            Self::Upstream { status, message } => {
                write!(f, "the upstream answered {status}: {message}")
            }
        }
    }
}

impl std::error::Error for BridgeError {}

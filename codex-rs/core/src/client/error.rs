//! What can go wrong talking to a model, whether it is worth retrying, and messages
//! that name the cause and the next step.

use std::fmt;
use std::time::Duration;

/// Which retry budget an error draws on, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Not worth retrying.
    Never,
    /// The request failed before a stream started (`request_max_retries`).
    Request,
    /// A stream broke or failed part-way (`stream_max_retries`).
    Stream,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ModelError {
    /// The provider's key variable is unset or empty.
    MissingApiKey {
        provider_id: String,
        variable: String,
        instructions: Option<String>,
    },
    /// The provider answered with an error status.
    Http {
        url: String,
        status: u16,
        /// The provider's own message, or an excerpt of the body.
        message: String,
        code: Option<String>,
        retry_after: Option<Duration>,
    },
    /// No HTTP answer at all (connection refused, DNS, TLS, timeout).
    Connect { url: String, reason: String },
    /// The stream broke, went quiet, ended early or carried garbage.
    Stream { message: String },
    /// `response.failed`.
    Failed {
        code: Option<String>,
        message: String,
        retry_after: Option<Duration>,
    },
    /// `response.incomplete` (for example the output token limit).
    Incomplete { reason: String },
    /// The conversation no longer fits the model's context window.
    ContextWindowExceeded { message: String },
    /// The account has no quota left.
    QuotaExceeded { message: String },
    /// The configuration asks for something this build cannot do.
    Unsupported { message: String },
}

impl ModelError {
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Http { status, .. } if *status == 429 || *status >= 500 => RetryClass::Request,
            Self::Http { status, .. } if *status == 408 || *status == 409 => RetryClass::Request,
            Self::Connect { .. } => RetryClass::Request,
            Self::Stream { .. } => RetryClass::Stream,
            Self::Failed { code, .. } => match code.as_deref() {
                Some("context_length_exceeded" | "insufficient_quota" | "invalid_prompt") => {
                    RetryClass::Never
                }
                _ => RetryClass::Stream,
            },
            _ => RetryClass::Never,
        }
    }

    /// A delay the provider asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http { retry_after, .. } | Self::Failed { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Classifies an error body/code the provider sent.
    pub fn from_provider_code(code: Option<String>, message: String, fallback: Self) -> Self {
        match code.as_deref() {
            Some("context_length_exceeded") => Self::ContextWindowExceeded { message },
            Some("insufficient_quota") => Self::QuotaExceeded { message },
            _ => fallback,
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingApiKey {
                provider_id,
                variable,
                instructions,
            } => {
                write!(
                    f,
                    "the API key for provider `{provider_id}` is missing: set the environment variable {variable}"
                )?;
                if let Some(instructions) = instructions {
                    write!(f, " ({instructions})")?;
                }
                Ok(())
            }
            Self::Http {
                url,
                status,
                message,
                ..
            } => {
                write!(f, "{url} answered {status}: {message}")?;
                match status {
                    401 | 403 => write!(f, ". Check the provider's API key."),
                    404 => write!(f, ". Check the provider's base_url and the model name."),
                    429 => write!(f, ". The provider is rate limiting; try again later."),
                    _ => Ok(()),
                }
            }
            Self::Connect { url, reason } => write!(
                f,
                "could not reach {url}: {reason}. Is the provider running, and is its base_url right?"
            ),
            Self::Stream { message } => write!(f, "the model stream failed: {message}"),
            Self::Failed { code, message, .. } => match code {
                Some(code) => write!(f, "the model reported an error ({code}): {message}"),
                None => write!(f, "the model reported an error: {message}"),
            },
            Self::Incomplete { reason } => {
                write!(
                    f,
                    "the model stopped before finishing its answer ({reason})"
                )
            }
            Self::ContextWindowExceeded { message } => write!(
                f,
                "the conversation is too long for the model's context window: {message}. Start a new session or compact this one."
            ),
            Self::QuotaExceeded { message } => write!(
                f,
                "the provider account has no quota left: {message}. Check billing with the provider."
            ),
            Self::Unsupported { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for ModelError {}

/// Reads a delay from a `retry-after` header (seconds) or from a message such as
/// "Please try again in 1.5s" / "in 250ms".
pub fn parse_retry_after(header: Option<&str>, message: &str) -> Option<Duration> {
    if let Some(seconds) = header.and_then(|value| value.trim().parse::<f64>().ok())
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds.min(3600.0)));
    }
    let lower = message.to_ascii_lowercase();
    let rest = &lower[lower.find("try again in ")? + "try again in ".len()..];
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let value: f64 = number.parse().ok()?;
    let unit = &rest[number.len()..];
    let seconds = if unit.starts_with("ms") {
        value / 1000.0
    } else if unit.starts_with('s') {
        value
    } else {
        return None;
    };
    Some(Duration::from_secs_f64(seconds.clamp(0.0, 3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_from_header_or_message() {
        assert_eq!(
            parse_retry_after(Some("7"), ""),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(None, "Rate limit reached. Please try again in 1.5s."),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after(None, "try again in 250ms"),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after(Some("soon"), "no hint"), None);
    }

    #[test]
    fn retry_classes() {
        let http = |status| ModelError::Http {
            url: "u".into(),
            status,
            message: "m".into(),
            code: None,
            retry_after: None,
        };
        assert_eq!(http(429).retry_class(), RetryClass::Request);
        assert_eq!(http(503).retry_class(), RetryClass::Request);
        assert_eq!(http(400).retry_class(), RetryClass::Never);
        assert_eq!(http(401).retry_class(), RetryClass::Never);
        let failed = |code: &str| ModelError::Failed {
            code: Some(code.into()),
            message: "m".into(),
            retry_after: None,
        };
        assert_eq!(failed("server_error").retry_class(), RetryClass::Stream);
        assert_eq!(
            failed("context_length_exceeded").retry_class(),
            RetryClass::Never
        );
    }
}

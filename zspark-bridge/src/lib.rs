//! Responses API over Chat Completions.
//!
//! Pure translation, no I/O: [`to_chat_request`] turns a Responses request into a Chat
//! request; [`StreamTranslator`] turns the Chat stream (one SSE `data` payload at a
//! time) into Responses events; [`completion_to_response`] does the same for a
//! non-streaming completion. `codex-core` uses these in-process for providers with
//! `wire_api = "chat"`; the [`proxy`] serves them over HTTP for any Responses client.
//! The small differences between providers live in named [`Profile`]s.

mod completion;
mod error;
pub mod http;
mod profile;
pub mod proxy;
mod request;
pub mod sse;
mod stream;
mod tool_names;

pub use completion::completion_to_response;
pub use error::BridgeError;
pub use profile::{AuthStyle, PROFILES, Profile};
pub use request::{CUSTOM_TOOL_INPUT, RequestFacts, to_chat_request};
pub use stream::{StreamTranslator, excerpt};
pub use tool_names::{MAX_CHAT_TOOL_NAME, ToolNames, flat_name};

/// A Responses event as an SSE frame (`event:` and `data:` lines).
pub fn sse_frame(event: &serde_json::Value) -> String {
    let kind = event
        .get("type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("message");
    format!("event: {kind}\ndata: {event}\n\n")
}

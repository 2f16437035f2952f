//! Test support shared by every zspark crate: the **scripted model server**, an
//! in-process HTTP server that plays the model provider in tests.
//!
//! A test gives it a script of [`Turn`]s; each model request (`POST …/responses` or
//! `POST …/chat/completions`) takes the next turn and gets it rendered in that
//! endpoint's wire format: Responses SSE, Chat SSE or Chat JSON. Turns can also be HTTP
//! errors (429 with `retry-after`, 5xx), failed or incomplete responses, streams cut,
//! aborted or stalled after N events, or raw frames for hand-recorded provider fixtures.
//! Every request is recorded for assertions, and requests whose tool calls and outputs
//! do not pair up are refused with a 400, as the real APIs do.
//!
//! A function call's arguments may refer to an output the request carries
//! (`{{output:<call_id>.<field>}}`), as a model uses what a tool answered.
//!
//! [`issuer`] is the other edge nobody here can reach: a token issuer (discovery
//! document, JWKS, RSA keys) for the access-token validation tests. [`oidc`] runs a real
//! OpenID provider from npm and plays the user's browser for the sign-in tests;
//! [`mcp`] finds the reference MCP server from npm.
//!
//! ```no_run
//! use codex_test_support::{Reply, ScriptedModelServer, Turn};
//!
//! let server = ScriptedModelServer::start([
//!     Reply::new().function_call("call_1", "exec_command", r#"{"cmd":"ls"}"#).into(),
//!     Turn::text("done"),
//! ])?;
//! // point a provider's base_url at server.base_url(), run, then:
//! assert_eq!(server.model_requests().len(), 2);
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod chat_wire;
pub mod issuer;
pub mod mcp;
pub mod oidc;
mod references;
pub mod responses_wire;
mod script;
mod server;
pub mod sse;
pub mod tool_pairs;

pub use script::{Ending, OutputItem, Reply, Turn, Usage};
pub use server::{ModelList, RecordedRequest, ScriptedModelServer, ServerOptions};
pub use tool_pairs::ToolPairProblem;

//! zspark's Codex-compatible agent runtime: configuration from `CODEX_HOME`, the model
//! client (Responses API, and Chat Completions through `zspark-bridge`), the turn loop,
//! tools, sub-agents, approvals and rollout files. Embedders drive it only through the
//! `codex-protocol` queue pair via [`Codex`].

pub mod agents;
mod approvals;
pub mod client;
mod codex;
pub mod config;
pub mod context;
mod events;
mod execpolicy;
pub mod git;
pub mod instructions;
pub mod mcp;
pub mod memories;
mod message_history;
pub mod model_info;
pub mod rollout;
pub mod safety;
pub mod sandbox;
mod session;
pub mod tools;

pub use codex::{Codex, StartError, SubmitError, Submitter, ThreadInfo, ThreadStart};
pub use config::{
    Config, ConfigError, ConfigOverrides, Env, LoadedConfig, SessionSource, find_codex_home,
    load_config,
};
pub use session::{UserMessageParts, user_message_parts};
/// What the runtime accepts as an image input, for front-ends that check before sending.
pub use tools::{MAX_IMAGE_BYTES, image_mime};

//! The app-server protocol's messages, with Codex's method names, field names and
//! shapes (v2, as Codex 0.169 speaks it): requests and their answers ([`requests`]),
//! notifications and the server's own requests ([`notifications`]), and the objects
//! both carry ([`thread`], [`items`]). The JSON Schema `generate-json-schema` writes is
//! derived from these types.

pub mod items;
pub mod notifications;
pub mod requests;
pub mod thread;

//! Live collaboration on shared sessions: one Yjs document per session, spoken over
//! the y-websocket protocol at `GET /v1/workspaces/{ws}/sessions/{s}/sync` (see
//! [`crate::routes::sync`]). [`room`] is the sans-IO core, [`rooms`] runs one task per
//! open document on this instance, [`store`] keeps documents in the database, and the
//! [`crate::hub`] carries updates and presence between instances.

pub mod room;
pub mod rooms;
pub mod store;
#[cfg(test)]
mod test_docs;

pub use room::{Cutoff, Limits};
pub use rooms::{DocRooms, Joined};

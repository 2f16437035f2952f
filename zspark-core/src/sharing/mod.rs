//! Sessions shared to a workspace: a local session shared to a server and kept in step
//! with it, and a teammate's session continued here with its whole conversation.
//! `address` is the URL of a shared session, `link` what ties it to the local rollout
//! (and so the queue of what is not sent yet), `api` the server calls, `sync` the
//! moves between the two, `files` the files the session's turns produced (sent to
//! the workspace's artifacts), `workspace` a workspace's members, activity and
//! artifacts, `live` its live activity feed, `document` a shared session's live
//! document (presence, shared texts), `commands` the command line.

mod address;
mod api;
pub mod commands;
mod document;
mod files;
mod link;
mod live;
mod sync;
mod workspace;

pub use address::SharedSessionAddress;
pub use api::AppendOutcome;
pub use document::{DocumentEvent, DocumentHandle, DocumentState, Part, Peer, Received};
pub use files::{FileOutcome, FileProgress, SentFile, remove_sent_file, send_changed_files};
pub use link::SharedLink;
pub use live::FeedEnd;
pub use sync::{Continuing, SharingError, Uploaded, continue_here, share, upload};

//! The bodies `zspark serve` takes and answers with, defined once for the server and
//! its clients (the desktop's shared-workspace client): roles, workspaces and members,
//! sessions and their items, artifacts, activity entries, pages and errors. Serde
//! types only; with the `openapi` feature they also describe themselves for the
//! server's OpenAPI document. Request bodies refuse unknown fields. [`rules`] holds what
//! the server accepts (lengths, patterns, ranges), for the check and the document alike.

mod activity;
mod errors;
pub mod rules;
mod sessions;
mod whole_number;
mod workspaces;

pub use activity::Activity;
pub use errors::{ErrorBody, ErrorDetail};
pub use sessions::{
    AppendItems, Appended, Artifact, CreateSession, ForkSession, Item, ItemPage, RenameSession,
    Session,
};
pub use workspaces::{
    ChangeRole, CreateWorkspace, InviteMember, Me, Member, RenameWorkspace, Role, Ticket, Workspace,
};

use serde::{Deserialize, Serialize};

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

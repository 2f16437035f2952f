//! Shared sessions, the conversation items they hold, and artifacts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::uuid))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::uuid))]
    pub workspace_id: String,
    pub title: String,
    pub author: String,
    pub cwd_hint: Option<String>,
    pub model: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::optional_uuid))]
    pub forked_from: Option<String>,
    /// Items before this sequence number were copied from `forked_from`.
    pub forked_at_seq: Option<i64>,
    /// Number of items; the next append's `expected_seq`.
    pub item_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::title))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::cwd_hint))]
    pub cwd_hint: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::model))]
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenameSession {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::title))]
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForkSession {
    /// Copy the items with a sequence number below this (all items when absent); more
    /// than the session holds is a conflict (409).
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    #[serde(default, with = "crate::whole_number::optional")]
    pub up_to_seq: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::optional_title))]
    pub title: Option<String>,
}

/// One conversation item of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub seq: i64,
    pub author: String,
    /// The item's `type` (`message`, `function_call`, ...).
    pub kind: String,
    /// The item itself.
    pub payload: Value,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemPage {
    pub items: Vec<Item>,
    /// The session's item count: the `expected_seq` for the next append.
    pub next_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppendItems {
    /// The sequence number the first item gets: the session's current item count
    /// (another is a conflict, 409).
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    #[serde(with = "crate::whole_number")]
    pub expected_seq: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::rollout_items))]
    pub items: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appended {
    pub first_seq: i64,
    pub next_seq: i64,
}

/// A file shared in a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Artifact {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::uuid))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::uuid))]
    pub workspace_id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::optional_uuid))]
    pub session_id: Option<String>,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_by: String,
    pub created_at: String,
}

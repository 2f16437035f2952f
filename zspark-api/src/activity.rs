//! A workspace's activity feed entries.

use serde::{Deserialize, Serialize};

/// One thing that happened in a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::uuid))]
    pub id: String,
    pub actor: String,
    /// The actor's name, as their sign-in gave it.
    #[serde(default)]
    pub actor_name: Option<String>,
    /// `created`, `renamed`, `deleted`, `forked`, `appended`, `added`, `removed`, ...
    pub verb: String,
    /// `workspace`, `member`, `session` or `artifact`.
    pub object_type: String,
    pub object_id: Option<String>,
    /// One readable sentence (people in it named as they were then).
    pub summary: String,
    pub at: String,
}

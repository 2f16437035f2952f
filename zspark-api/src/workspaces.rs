//! Who is asking, workspaces, their members and roles, WebSocket tickets.

use serde::{Deserialize, Serialize};

/// A member's role; each includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "viewer" => Some(Self::Viewer),
            "editor" => Some(Self::Editor),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

/// The caller, as the server knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub principal: String,
    pub display_name: Option<String>,
    pub tenant_id: Option<String>,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::uuid))]
    pub id: String,
    pub name: String,
    /// The caller's role in it.
    pub role: Role,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspace {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::title))]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenameWorkspace {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::title))]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// The principal key: `tenant:<tid>:oid:<oid>`, `principal:<name>` or `group:<id>`.
    pub principal: String,
    /// Their name, as their sign-in gave it, once they have signed in to the server.
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InviteMember {
    /// A principal key, or the e-mail/UPN of someone who has signed in to the server.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::rules::schema::invitee))]
    pub principal: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    pub role: Role,
}

/// A single-use ticket for a WebSocket upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    /// Pass as `?ticket=` on a WebSocket upgrade; works once.
    pub ticket: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

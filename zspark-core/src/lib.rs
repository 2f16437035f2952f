//! What the desktop and other embedders drive: an [`Engine`] handle over the runtime's
//! queue pair (commands in, events out, a waker after each event) holding any number of
//! open sessions, the conversation model built from their events, the local session
//! catalogue, provider profiles with their keys, the MCP servers of `config.toml`,
//! memories (the summary, the user's notes),
//! attachments going in and artifacts coming out, reviewing the agent's changes (git
//! and the turns' own patches), and the shared-workspace server
//! (sign-in, workspaces, sessions shared and continued). Front-ends reach the runtime only through this crate: it also
//! carries the runtime's command-line entry points ([`exec`], [`mcp`], the sandbox
//! helper).
//!
//! Everything but the entry points is behind the `desktop` feature (on by default).

#[cfg(feature = "desktop")]
pub mod artifacts;
#[cfg(feature = "desktop")]
pub mod attachments;
#[cfg(feature = "desktop")]
pub mod catalogue;
#[cfg(feature = "desktop")]
pub mod conversation;
#[cfg(feature = "desktop")]
pub mod engine;
#[cfg(feature = "desktop")]
pub mod mcp_servers;
#[cfg(feature = "desktop")]
pub mod memory;
#[cfg(feature = "desktop")]
pub mod providers;
#[cfg(feature = "desktop")]
pub mod review;
#[cfg(feature = "desktop")]
pub mod shared;
#[cfg(feature = "desktop")]
pub mod sharing;

#[cfg(feature = "desktop")]
pub use artifacts::{
    Artifact, ArtifactError, ArtifactKind, LaunchError, Launcher, Preview, SystemLauncher,
};
#[cfg(feature = "desktop")]
pub use attachments::{AttachError, Attachment, AttachmentKind};
#[cfg(feature = "desktop")]
pub use catalogue::{FolderGroup, SessionCatalogue};
#[cfg(feature = "desktop")]
pub use conversation::Transcript;
#[cfg(feature = "desktop")]
pub use engine::{
    Engine, EngineCommand, EngineEvent, EngineSetup, FileCommand, McpCommand, MemoryCommand,
    ModelChoice, Presence, ReviewCommand, ReviewEvent, RoomChange, SendError, SessionKey,
    SessionRoom, SessionSettings, SessionShareCommand, SessionStart, SharedCommand,
    SharedSessionRead, SyncReport, SyncState, Waker, WorkspaceCommand, WorkspaceView,
};
#[cfg(feature = "desktop")]
pub use mcp_servers::{McpServerEntry, McpServerSpec, McpSignIn};
#[cfg(feature = "desktop")]
pub use providers::{
    ProviderList, ProviderProfile, ProviderStore, ProviderStoreError, SecretBackend,
};
#[cfg(feature = "desktop")]
pub use shared::{SharedError, SharedIdentity, SharedServer, SharedStatus, SharedWorkspace};

/// The skills a folder's sessions can use, and the broken SKILL.md files.
pub use codex_core::context::SkillCatalog;
/// The environment a session starts with, and where its `CODEX_HOME` is.
pub use codex_core::{ConfigError, Env, find_codex_home};

/// `zspark exec`: one headless agent task.
pub mod exec {
    pub use codex_exec::{ExecArgs, ExecCommand, Process, ResumeArgs, run};
}

/// `zspark app-server`: Codex's app-server protocol for other front-ends.
pub mod app_server {
    pub use codex_app_server::{AppServerArgs, run};
}

/// `zspark mcp`: the MCP servers of `config.toml`.
pub mod mcp {
    pub use codex_exec::mcp::{McpArgs, run};
}

/// The sandbox helper the runtime runs commands through when bubblewrap is missing
/// (`zspark __landlock-sandbox …`); a binary's `main` calls it first.
#[cfg(target_os = "linux")]
pub mod sandbox_helper {
    pub use codex_core::sandbox::landlock::{run_as_helper, supported};
}

//! What the desktop and other embedders drive: an [`Engine`] handle over the runtime's
//! queue pair (commands in, events out, a waker after each event), the local session
//! catalogue, provider profiles with their keys, attachments going in and artifacts
//! coming out, and the shared-workspace server (sign-in, workspaces).

pub mod artifacts;
pub mod attachments;
pub mod catalogue;
pub mod engine;
pub mod providers;
pub mod shared;

pub use artifacts::{Artifact, ArtifactKind, Launcher, Preview, SystemLauncher};
pub use attachments::{Attachment, AttachmentKind};
pub use catalogue::{FolderGroup, SessionCatalogue};
pub use engine::{
    Engine, EngineCommand, EngineEvent, EngineSetup, FileCommand, SendError, SessionSettings,
    SessionStart, SharedCommand, Waker,
};
pub use providers::{ProviderList, ProviderProfile, ProviderStore, SecretBackend};
pub use shared::{SharedIdentity, SharedServer, SharedStatus, SharedWorkspace};

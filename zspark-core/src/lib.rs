//! What the desktop and other embedders drive: an [`Engine`] handle over the runtime's
//! queue pair (commands in, events out, a waker after each event), the local session
//! catalogue, and provider profiles with their keys. Shared workspaces and artifacts
//! join it as the desktop grows.

pub mod catalogue;
pub mod engine;
pub mod providers;

pub use catalogue::{FolderGroup, SessionCatalogue};
pub use engine::{
    Engine, EngineCommand, EngineEvent, EngineSetup, SendError, SessionSettings, SessionStart,
    Waker,
};
pub use providers::{ProviderList, ProviderProfile, ProviderStore, SecretBackend};

//! The state every handler shares.

use std::sync::Arc;

use zspark_auth::TokenValidator;

use crate::collab::DocRooms;
use crate::config::ServerConfig;
use crate::db::Db;
use crate::feed::FeedRooms;
use crate::hub::Hub;
use crate::people::People;
use crate::ratelimit::RateLimiter;
use crate::storage::ArtifactStore;
use crate::tickets::TicketStore;

/// How callers are identified, resolved at start-up.
pub enum Identity {
    Development,
    /// Bearer access tokens checked against Entra ID (or another OpenID provider).
    Entra(Arc<TokenValidator>),
    /// No identity provider: authenticated routes answer 503 saying what to configure.
    Unconfigured,
}

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub config: ServerConfig,
    pub db: Db,
    pub artifacts: ArtifactStore,
    pub limiter: RateLimiter,
    /// Live rooms, shared with the other instances through Redis when configured.
    pub hub: Hub,
    /// This instance's live activity feeds.
    pub feed: FeedRooms,
    /// This instance's open shared-session documents.
    pub docs: Arc<DocRooms>,
    pub identity: Identity,
    /// Tickets for WebSocket upgrades.
    pub tickets: TicketStore,
    /// The names sign-ins give people.
    pub people: People,
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}

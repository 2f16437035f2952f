//! Short-lived, single-use tickets for WebSocket upgrades. Browsers cannot put an
//! `Authorization` header on a WebSocket request, so an authenticated caller first asks
//! for a ticket (`POST /v1/auth/ws-ticket`) and passes it in the upgrade's query. A
//! ticket is 244 random bits, names its principal, lives [`TICKET_LIFETIME`] and is
//! gone once redeemed.
//!
//! With Redis configured tickets live there (`zspark:ticket:<ticket>`, removed as they
//! are read), so the upgrade may reach any instance. When Redis does not answer, a
//! ticket is kept in this instance's memory instead, and redeeming looks in both.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use zspark_auth::Principal;

use crate::hub::RedisLink;

/// How long a ticket may wait to be redeemed.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(30);
/// Tickets waiting in memory at most; asking for more refuses until some expire.
const MAX_TICKETS: usize = 10_000;
const KEY_PREFIX: &str = "zspark:ticket:";

#[derive(Default)]
pub struct TicketStore {
    waiting: Mutex<HashMap<String, (Principal, Instant)>>,
    redis: Option<RedisLink>,
}

impl TicketStore {
    /// Tickets kept in Redis when `redis` is given.
    pub fn new(redis: Option<RedisLink>) -> Self {
        Self {
            waiting: Mutex::default(),
            redis,
        }
    }

    /// A new ticket for `principal`, or `None` when too many are waiting.
    pub async fn issue(&self, principal: Principal) -> Option<String> {
        let ticket = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        if let Some(redis) = &self.redis
            && let Ok(json) = serde_json::to_string(&principal)
        {
            match redis
                .put_new(&format!("{KEY_PREFIX}{ticket}"), &json, TICKET_LIFETIME)
                .await
            {
                Ok(true) => return Some(ticket),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "a WebSocket ticket is kept on this instance only")
                }
            }
        }
        let now = Instant::now();
        let mut waiting = self.waiting();
        waiting.retain(|_, (_, expires)| *expires > now);
        if waiting.len() >= MAX_TICKETS {
            return None;
        }
        waiting.insert(ticket.clone(), (principal, now + TICKET_LIFETIME));
        Some(ticket)
    }

    /// The principal of `ticket` if it is known and not expired; the ticket is used up
    /// either way.
    pub async fn redeem(&self, ticket: &str) -> Option<Principal> {
        if let Some(redis) = &self.redis
            && let Ok(Some(json)) = redis.take(&format!("{KEY_PREFIX}{ticket}")).await
        {
            return serde_json::from_str(&json).ok();
        }
        let (principal, expires) = self.waiting().remove(ticket)?;
        (expires > Instant::now()).then_some(principal)
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Principal, Instant)>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ticket_is_redeemed_once_and_unknown_ones_never() {
        let store = TicketStore::default();
        let alice = Principal::development("alice").unwrap();
        let ticket = store.issue(alice.clone()).await.unwrap();
        assert_eq!(ticket.len(), 64);
        assert_ne!(store.issue(alice.clone()).await.unwrap(), ticket);
        assert_eq!(store.redeem(&ticket).await, Some(alice));
        assert_eq!(store.redeem(&ticket).await, None, "single use");
        assert_eq!(store.redeem("made-up").await, None);
    }

    #[tokio::test]
    async fn an_expired_ticket_is_refused() {
        let store = TicketStore::default();
        let bob = Principal::development("bob").unwrap();
        let ticket = store.issue(bob.clone()).await.unwrap();
        store
            .waiting
            .lock()
            .unwrap()
            .insert(ticket.clone(), (bob, Instant::now()));
        assert_eq!(store.redeem(&ticket).await, None);
    }
}

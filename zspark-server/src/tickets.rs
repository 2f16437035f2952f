//! Short-lived, single-use tickets for WebSocket upgrades. Browsers cannot put an
//! `Authorization` header on a WebSocket request, so an authenticated caller first asks
//! for a ticket (`POST /v1/auth/ws-ticket`) and passes it in the upgrade's query. A
//! ticket is 244 random bits, names its principal, lives [`TICKET_LIFETIME`] and is
//! gone once redeemed. Tickets are kept in memory: an instance redeems only its own,
//! so the ticket request and the upgrade must reach the same instance (which a
//! sticky load balancer, or the desktop's header, provides).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use zspark_auth::Principal;

/// How long a ticket may wait to be redeemed.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(30);
/// Tickets waiting at most; asking for more refuses until some expire.
const MAX_TICKETS: usize = 10_000;

#[derive(Default)]
pub struct TicketStore {
    waiting: Mutex<HashMap<String, (Principal, Instant)>>,
}

impl TicketStore {
    /// A new ticket for `principal`, or `None` when too many are waiting.
    pub fn issue(&self, principal: Principal) -> Option<String> {
        let now = Instant::now();
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.retain(|_, (_, expires)| *expires > now);
        if waiting.len() >= MAX_TICKETS {
            return None;
        }
        let ticket = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        waiting.insert(ticket.clone(), (principal, now + TICKET_LIFETIME));
        Some(ticket)
    }

    /// The principal of `ticket` if it is known and not expired; the ticket is used up
    /// either way.
    pub fn redeem(&self, ticket: &str) -> Option<Principal> {
        let (principal, expires) = self
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(ticket)?;
        (expires > Instant::now()).then_some(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_redeemed_once_and_unknown_ones_never() {
        let store = TicketStore::default();
        let alice = Principal::development("alice").unwrap();
        let ticket = store.issue(alice.clone()).unwrap();
        assert_eq!(ticket.len(), 64);
        assert_ne!(store.issue(alice.clone()).unwrap(), ticket);
        assert_eq!(store.redeem(&ticket), Some(alice));
        assert_eq!(store.redeem(&ticket), None, "single use");
        assert_eq!(store.redeem("made-up"), None);
    }

    #[test]
    fn an_expired_ticket_is_refused() {
        let store = TicketStore::default();
        let bob = Principal::development("bob").unwrap();
        let ticket = store.issue(bob.clone()).unwrap();
        store
            .waiting
            .lock()
            .unwrap()
            .insert(ticket.clone(), (bob, Instant::now()));
        assert_eq!(store.redeem(&ticket), None);
    }
}

//! Accepting connections. `zspark serve` runs its own accept loop (hyper's HTTP/1.1
//! server under the axum router) so that a client cannot hold the server's connections
//! hostage:
//!
//! - a connection that does not send a request's headers within the header time-out,
//!   or sits idle that long between kept-alive requests, is closed;
//! - a request body that pauses longer than the body idle time-out fails;
//! - at most `max_total` connections are open at once, and at most `max_per_address`
//!   from one address; a connection over either cap is answered `503` with the JSON
//!   error shape and closed at once, so it costs one accept and one write.
//!
//! A WebSocket leaves the count when it is upgraded: live activity needs a member's
//! credentials, and its own send time-out ends sockets nobody reads.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio_util::task::TaskTracker;
use tower_http::timeout::RequestBodyTimeout;

use crate::config::ConnectionLimits;
use crate::error::{ErrorBody, ErrorDetail};

/// How long running requests may take to finish after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// The pause after `accept` fails (out of file descriptors, say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then lets
/// running requests finish (for at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = TowerToHyperService::new(RequestBodyTimeout::new(app, limits.body_idle_timeout));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let counts = Arc::new(Counts::new(limits));
    let (stopping, stop) = watch::channel(false);
    let running = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = Counts::claim(&counts, peer.ip()) else {
            turn_away(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection_service = {
            let slot = slot.clone();
            let service = service.clone();
            hyper::service::service_fn(move |request| {
                slot.requested();
                service.call(request)
            })
        };
        let connection = http
            .serve_connection(TokioIo::new(stream), connection_service)
            .with_upgrades();
        let mut stop = stop.clone();
        running.spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = slot.evicted() => return,
                _ = async { drop(stop.wait_for(|stopping| *stopping).await) } => {
                    // Finish the request in flight, take no new one.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    running.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, running.wait())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the shutdown grace period were cut");
    }
    Ok(())
}

/// Answers a connection over a cap and closes it, never waiting for the client.
fn turn_away(stream: TcpStream) {
    let _ = stream.try_write(&over_capacity());
}

/// The answer to a connection over a cap, written without reading the request: `503`
/// in the JSON error shape.
fn over_capacity() -> Vec<u8> {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "unavailable".to_string(),
            message: "too many connections are open; try again in a moment".to_string(),
            request_id: uuid::Uuid::new_v4().to_string(),
        },
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Open connections, in total and per address, and those still waiting for their first
/// request: when every slot is taken, the oldest of those makes room for a newcomer.
/// A flood of connections that never send anything so cannot lock out a client that
/// does, whichever addresses the flood comes from.
struct Counts {
    limits: ConnectionLimits,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
    /// Connections without a request yet, by accept order (oldest first).
    waiting: BTreeMap<u64, Arc<Tracked>>,
    accepted: u64,
}

impl Open {
    fn release(&mut self, address: IpAddr) {
        self.total = self.total.saturating_sub(1);
        if let Some(from_address) = self.by_address.get_mut(&address) {
            *from_address -= 1;
            if *from_address == 0 {
                self.by_address.remove(&address);
            }
        }
    }
}

/// One connection as the counts see it.
struct Tracked {
    number: u64,
    address: IpAddr,
    /// Set once its slot was handed to a newcomer: the connection is to close.
    evicted: AtomicBool,
    evict: Notify,
}

impl Counts {
    fn new(limits: ConnectionLimits) -> Self {
        Self {
            limits,
            open: Mutex::new(Open::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for one more connection from `address`, if the caps allow it (making room
    /// by evicting the oldest connection without a request when the total is reached).
    fn claim(counts: &Arc<Self>, address: IpAddr) -> Option<Slot> {
        let mut open = counts.lock();
        let from_address = open.by_address.get(&address).copied().unwrap_or(0);
        if counts
            .limits
            .max_per_address
            .is_some_and(|cap| from_address >= cap)
        {
            return None;
        }
        if open.total >= counts.limits.max_total {
            let (_, oldest) = open.waiting.pop_first()?;
            oldest.evicted.store(true, Ordering::Release);
            oldest.evict.notify_one();
            open.release(oldest.address);
        }
        *open.by_address.entry(address).or_default() += 1;
        open.total += 1;
        open.accepted += 1;
        let tracked = Arc::new(Tracked {
            number: open.accepted,
            address,
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        open.waiting.insert(tracked.number, tracked.clone());
        Some(Slot(Arc::new(SlotInner {
            counts: counts.clone(),
            tracked,
        })))
    }
}

/// One open connection; dropping the last clone frees the slot.
#[derive(Clone)]
struct Slot(Arc<SlotInner>);

struct SlotInner {
    counts: Arc<Counts>,
    tracked: Arc<Tracked>,
}

impl Slot {
    /// The connection sent a request: it is no longer one to evict.
    fn requested(&self) {
        self.0.counts.lock().waiting.remove(&self.0.tracked.number);
    }

    /// Resolves when the slot was handed to a newcomer.
    async fn evicted(&self) {
        if !self.0.tracked.evicted.load(Ordering::Acquire) {
            self.0.tracked.evict.notified().await;
        }
    }
}

impl Drop for SlotInner {
    fn drop(&mut self) {
        let mut open = self.counts.lock();
        open.waiting.remove(&self.tracked.number);
        if !self.tracked.evicted.load(Ordering::Acquire) {
            open.release(self.tracked.address);
        }
    }
}

/// Raises the soft limit on open files to the hard limit, so the connection cap (not
/// the operating system's default of often 1024) decides how many clients are served.
/// Returns how many files may be open.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = rustix::process::Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => limit.maximum,
        Err(_) => limit.current,
    }
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_address: Option<usize>) -> ConnectionLimits {
        ConnectionLimits {
            max_total: total,
            max_per_address: per_address,
            header_timeout: Duration::from_secs(1),
            body_idle_timeout: Duration::from_secs(1),
        }
    }

    fn is_evicted(slot: &Slot) -> bool {
        slot.0.tracked.evicted.load(Ordering::Acquire)
    }

    #[test]
    fn one_address_is_capped_and_a_freed_slot_is_free_again() {
        let counts = Arc::new(Counts::new(limits(10, Some(2))));
        let one: IpAddr = "10.0.0.1".parse().unwrap();
        let first = Counts::claim(&counts, one).unwrap();
        let _second = Counts::claim(&counts, one).unwrap();
        assert!(Counts::claim(&counts, one).is_none(), "per-address cap");
        assert!(Counts::claim(&counts, "10.0.0.2".parse().unwrap()).is_some());
        drop(first);
        assert!(
            Counts::claim(&counts, one).is_some(),
            "a freed slot is free"
        );
    }

    #[test]
    fn a_full_server_evicts_the_oldest_connection_without_a_request() {
        let counts = Arc::new(Counts::new(limits(3, None)));
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        let busy = Counts::claim(&counts, address).unwrap();
        busy.requested();
        let idle_old = Counts::claim(&counts, address).unwrap();
        let idle_new = Counts::claim(&counts, address).unwrap();

        let newcomer = Counts::claim(&counts, address).expect("room is made");
        assert!(is_evicted(&idle_old), "the oldest idle one goes");
        assert!(!is_evicted(&busy) && !is_evicted(&idle_new));
        drop(idle_old);
        assert_eq!(counts.lock().total, 3, "an evicted slot is counted once");

        newcomer.requested();
        idle_new.requested();
        assert!(
            Counts::claim(&counts, address).is_none(),
            "with every connection busy, a newcomer is turned away"
        );
        drop(busy);
        assert!(Counts::claim(&counts, address).is_some());
    }

    #[test]
    fn the_refusal_is_a_complete_json_answer() {
        let answer = over_capacity();
        let text = std::str::from_utf8(&answer).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(value["error"]["code"], "unavailable");
    }
}

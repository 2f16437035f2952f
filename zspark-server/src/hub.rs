//! The hub: named rooms with publish and subscribe, shared by everything live on the
//! server (the workspace activity feed, the Yjs documents of shared sessions).
//!
//! Every instance keeps its local subscribers per room in a broadcast channel, and a
//! message published here reaches them at once. With Redis configured
//! (`--redis-url`), the message also goes out on the Redis channel `zspark:hub:<room>`,
//! and each instance subscribes on Redis to the rooms it has local subscribers for, so
//! several `zspark serve` instances behind a load balancer serve the same rooms. A
//! message carries its instance's id, so an instance skips its own echo.
//!
//! When Redis is away the hub keeps serving this instance's subscribers and says so
//! ([`Hub::status`]); once Redis answers again every room gets [`HubEvent::Resync`],
//! so its users catch up on what the other instances did meanwhile (the feed reads the
//! database, a document exchanges state vectors).

mod redis;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::broadcast;

pub use self::redis::{RedisError, RedisLink};

/// How many messages a slow subscriber may fall behind before it is told it lagged.
const ROOM_CAPACITY: usize = 1024;

/// What a room's subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEvent {
    /// A message published to the room, by this instance or another.
    Message(Bytes),
    /// Messages may have been missed (Redis came back, or this subscriber lagged):
    /// catch up from the source of truth.
    Resync,
}

/// Whether rooms reach other instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubStatus {
    /// No Redis configured: this instance alone.
    Local,
    /// Redis configured and answering.
    Shared,
    /// Redis configured but not answering: serving this instance's clients alone.
    Degraded,
}

impl HubStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Shared => "shared",
            Self::Degraded => "degraded",
        }
    }
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    /// Tags this instance's messages on Redis.
    instance: [u8; 16],
    rooms: Mutex<HashMap<String, broadcast::Sender<Delivery>>>,
    redis: Option<RedisLink>,
    next_subscription: AtomicU64,
}

/// An event as the local channel carries it: with the subscription that published it
/// (0: none here), which does not get its own messages back.
#[derive(Debug, Clone)]
struct Delivery {
    from: u64,
    event: HubEvent,
}

/// A subscription to one room; leaving the room when dropped.
pub struct Subscription {
    hub: Hub,
    id: u64,
    room: String,
    receiver: broadcast::Receiver<Delivery>,
}

impl Hub {
    /// A hub for this instance alone.
    pub fn local() -> Self {
        Self::with_redis(None)
    }

    /// A hub shared through the Redis server at `url`. Fails only on a URL that cannot
    /// be used; a Redis that is down is waited for in the background.
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let instance = *uuid::Uuid::new_v4().as_bytes();
        let (link, incoming) = RedisLink::connect(url, instance).await?;
        let hub = Self::with_redis(Some(link));
        tokio::spawn(hub.clone().deliver_from_redis(incoming));
        Ok(hub)
    }

    fn with_redis(redis: Option<RedisLink>) -> Self {
        Self {
            inner: Arc::new(HubInner {
                instance: redis.as_ref().map_or([0; 16], |link| link.instance()),
                rooms: Mutex::new(HashMap::new()),
                redis,
                next_subscription: AtomicU64::new(1),
            }),
        }
    }

    pub fn status(&self) -> HubStatus {
        match &self.inner.redis {
            None => HubStatus::Local,
            Some(link) if link.is_connected() => HubStatus::Shared,
            Some(_) => HubStatus::Degraded,
        }
    }

    /// The Redis link, for the stores that keep shared state there.
    pub(crate) fn redis(&self) -> Option<&RedisLink> {
        self.inner.redis.as_ref()
    }

    /// Joins `room`.
    pub fn subscribe(&self, room: &str) -> Subscription {
        let (receiver, first) = {
            let mut rooms = self.rooms();
            match rooms.get(room) {
                Some(sender) => (sender.subscribe(), false),
                None => {
                    let (sender, receiver) = broadcast::channel(ROOM_CAPACITY);
                    rooms.insert(room.to_string(), sender);
                    (receiver, true)
                }
            }
        };
        if first && let Some(link) = &self.inner.redis {
            link.follow(room);
        }
        Subscription {
            hub: self.clone(),
            id: self.inner.next_subscription.fetch_add(1, Ordering::Relaxed),
            room: room.to_string(),
            receiver,
        }
    }

    /// Sends `message` to every subscriber of `room`, here and on the other instances.
    pub async fn publish(&self, room: &str, message: Bytes) {
        self.publish_from(0, room, message).await;
    }

    async fn publish_from(&self, from: u64, room: &str, message: Bytes) {
        self.deliver_locally(
            room,
            Delivery {
                from,
                event: HubEvent::Message(message.clone()),
            },
        );
        if let Some(link) = &self.inner.redis {
            link.publish(room, &message).await;
        }
    }

    /// How many local subscribers `room` has.
    pub fn local_subscribers(&self, room: &str) -> usize {
        self.rooms()
            .get(room)
            .map_or(0, broadcast::Sender::receiver_count)
    }

    fn deliver_locally(&self, room: &str, delivery: Delivery) {
        if let Some(sender) = self.rooms().get(room) {
            // No receivers left is not an error: the room is being left.
            let _ = sender.send(delivery);
        }
    }

    fn resync_all(&self) {
        for sender in self.rooms().values() {
            let _ = sender.send(Delivery {
                from: 0,
                event: HubEvent::Resync,
            });
        }
    }

    /// Hands what arrives on Redis to the local subscribers until the link closes.
    async fn deliver_from_redis(self, mut incoming: tokio::sync::mpsc::Receiver<redis::Incoming>) {
        while let Some(incoming) = incoming.recv().await {
            match incoming {
                redis::Incoming::Message {
                    room,
                    instance,
                    message,
                } => {
                    if instance != self.inner.instance {
                        let delivery = Delivery {
                            from: 0,
                            event: HubEvent::Message(message),
                        };
                        self.deliver_locally(&room, delivery);
                    }
                }
                redis::Incoming::Resync => self.resync_all(),
            }
        }
    }

    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<Delivery>>> {
        self.inner
            .rooms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn leave(&self, room: &str) {
        let emptied = {
            let mut rooms = self.rooms();
            match rooms.get(room) {
                // The subscription being dropped still holds its receiver.
                Some(sender) if sender.receiver_count() <= 1 => {
                    rooms.remove(room);
                    true
                }
                _ => false,
            }
        };
        if emptied && let Some(link) = &self.inner.redis {
            link.unfollow(room);
        }
    }
}

impl Subscription {
    /// The next event (never one this subscription published); [`HubEvent::Resync`]
    /// when this subscriber fell behind.
    pub async fn recv(&mut self) -> HubEvent {
        loop {
            match self.receiver.recv().await {
                Ok(delivery) if delivery.from == self.id => {}
                Ok(delivery) => return delivery.event,
                Err(broadcast::error::RecvError::Lagged(_)) => return HubEvent::Resync,
                // The hub keeps the sender while any subscription lives.
                Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
            }
        }
    }

    /// Sends `message` to the room's other subscribers, here and on other instances.
    pub async fn publish(&self, message: Bytes) {
        self.hub.publish_from(self.id, &self.room, message).await;
    }

    pub fn room(&self) -> &str {
        &self.room
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.leave(&self.room);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_reaches_every_subscriber_of_its_room_only() {
        let hub = Hub::local();
        let mut first = hub.subscribe("a");
        let mut second = hub.subscribe("a");
        let mut other = hub.subscribe("b");
        hub.publish("a", Bytes::from_static(b"hello")).await;
        hub.publish("b", Bytes::from_static(b"other")).await;
        assert_eq!(
            first.recv().await,
            HubEvent::Message(Bytes::from_static(b"hello"))
        );
        assert_eq!(
            second.recv().await,
            HubEvent::Message(Bytes::from_static(b"hello"))
        );
        assert_eq!(
            other.recv().await,
            HubEvent::Message(Bytes::from_static(b"other"))
        );
        assert_eq!(hub.status(), HubStatus::Local);
    }

    #[tokio::test]
    async fn a_subscription_does_not_hear_its_own_messages() {
        let hub = Hub::local();
        let mut speaker = hub.subscribe("a");
        let mut listener = hub.subscribe("a");
        speaker.publish(Bytes::from_static(b"mine")).await;
        hub.publish("a", Bytes::from_static(b"everyone's")).await;
        assert_eq!(
            listener.recv().await,
            HubEvent::Message(Bytes::from_static(b"mine"))
        );
        assert_eq!(
            listener.recv().await,
            HubEvent::Message(Bytes::from_static(b"everyone's"))
        );
        assert_eq!(
            speaker.recv().await,
            HubEvent::Message(Bytes::from_static(b"everyone's"))
        );
    }

    #[tokio::test]
    async fn a_room_is_left_when_its_last_subscriber_goes() {
        let hub = Hub::local();
        let first = hub.subscribe("a");
        let second = hub.subscribe("a");
        assert_eq!(hub.local_subscribers("a"), 2);
        drop(first);
        assert_eq!(hub.local_subscribers("a"), 1);
        drop(second);
        assert_eq!(hub.local_subscribers("a"), 0);
        assert!(hub.rooms().is_empty());
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_resync() {
        let hub = Hub::local();
        let mut slow = hub.subscribe("a");
        for n in 0..=ROOM_CAPACITY {
            hub.publish("a", Bytes::from(n.to_string())).await;
        }
        assert_eq!(slow.recv().await, HubEvent::Resync);
    }
}

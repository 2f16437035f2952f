//! The hub's Redis link (through `fred`): one connection publishes and runs the few
//! commands the shared stores need (tickets, rate-limit counters), one subscribes to
//! the rooms this instance has subscribers for.
//!
//! Redis being down never fails a request: commands fail fast and their callers fall
//! back to this instance alone; both connections reconnect by themselves, and a
//! reconnect tells every room to resync. Subscriptions are kept by one task that
//! applies follow and unfollow in the order they were asked for and renews them all
//! after a reconnect.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use fred::clients::SubscriberClient;
use fred::prelude::{
    Builder, Client, ClientLike, Config, EventInterface, Expiration, KeysInterface, LuaInterface,
    Options, PubsubInterface, ReconnectPolicy, SetOptions, Value,
};
use tokio::sync::{broadcast, mpsc};

/// Channels of the hub's rooms start with this.
const CHANNEL_PREFIX: &str = "zspark:hub:";
/// How long a command may wait for Redis before the caller falls back.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// How long start-up waits for a first connection before serving without Redis.
const FIRST_CONNECT_WAIT: Duration = Duration::from_secs(3);
/// Messages from Redis waiting for the hub; more means the hub resyncs its rooms.
const INCOMING_CAPACITY: usize = 4096;

/// One request counted in a fixed window: `INCR`, the window's expiry set by the
/// first request, and the time left. Atomic, as a script.
const COUNT_REQUEST: &str = "local n = redis.call('INCR', KEYS[1]) \
     if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
     return {n, redis.call('PTTL', KEYS[1])}";

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error(
        "the Redis URL cannot be used ({0}); expected redis://[user:password@]host[:port][/db]"
    )]
    Url(String),
    #[error("Redis: {0}")]
    Command(String),
}

impl From<fred::error::Error> for RedisError {
    fn from(error: fred::error::Error) -> Self {
        Self::Command(error.to_string())
    }
}

/// What arrives from Redis for the hub.
pub enum Incoming {
    Message {
        room: String,
        instance: [u8; 16],
        message: Bytes,
    },
    /// A connection came back or messages were dropped.
    Resync,
}

#[derive(Clone)]
pub struct RedisLink {
    instance: [u8; 16],
    client: Client,
    subscriber: SubscriberClient,
    followed: Arc<Mutex<HashSet<String>>>,
    follow_changes: mpsc::UnboundedSender<String>,
}

impl RedisLink {
    /// Connects both clients in the background (waiting briefly for the first
    /// connection) and starts the tasks that keep subscriptions and read messages.
    pub async fn connect(
        url: &str,
        instance: [u8; 16],
    ) -> Result<(Self, mpsc::Receiver<Incoming>), RedisError> {
        let mut config =
            Config::from_url(url).map_err(|error| RedisError::Url(error.to_string()))?;
        config.fail_fast = false;
        let mut builder = Builder::from_config(config);
        builder
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
            .with_connection_config(|connection| {
                connection.connection_timeout = COMMAND_TIMEOUT;
                connection.internal_command_timeout = COMMAND_TIMEOUT;
            })
            .with_performance_config(|performance| {
                performance.default_command_timeout = COMMAND_TIMEOUT;
                performance.broadcast_channel_capacity = INCOMING_CAPACITY;
            });
        let client = builder.build()?;
        let subscriber = builder.build_subscriber_client()?;
        let (follow_changes, changes) = mpsc::unbounded_channel();
        let link = Self {
            instance,
            client,
            subscriber,
            followed: Arc::default(),
            follow_changes,
        };
        let (incoming_sender, incoming) = mpsc::channel(INCOMING_CAPACITY);
        let messages = link.subscriber.message_rx();
        let reconnects = (link.client.reconnect_rx(), link.subscriber.reconnect_rx());
        tokio::spawn(link.clone().keep_subscriptions(changes));
        tokio::spawn(forward_messages(messages, reconnects, incoming_sender));
        let _client_task = link.client.connect();
        let _subscriber_task = link.subscriber.connect();
        let first = async {
            link.client.wait_for_connect().await?;
            link.subscriber.wait_for_connect().await
        };
        match tokio::time::timeout(FIRST_CONNECT_WAIT, first).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "Redis is not answering; serving this instance alone until it does")
            }
            Err(_) => {
                tracing::warn!("Redis is not answering; serving this instance alone until it does")
            }
        }
        Ok((link, incoming))
    }

    pub fn instance(&self) -> [u8; 16] {
        self.instance
    }

    pub fn is_connected(&self) -> bool {
        self.client.is_connected() && self.subscriber.is_connected()
    }

    /// Starts receiving `room`'s messages from the other instances.
    pub fn follow(&self, room: &str) {
        self.followed_rooms().insert(room.to_string());
        let _ = self.follow_changes.send(room.to_string());
    }

    /// Stops receiving `room`'s messages.
    pub fn unfollow(&self, room: &str) {
        self.followed_rooms().remove(room);
        let _ = self.follow_changes.send(room.to_string());
    }

    /// Publishes `message` to `room` on the other instances; a Redis that does not
    /// answer leaves them out (they resync when it is back).
    pub async fn publish(&self, room: &str, message: &[u8]) {
        let mut framed = Vec::with_capacity(16 + message.len());
        framed.extend_from_slice(&self.instance);
        framed.extend_from_slice(message);
        let sent: Result<i64, _> = self
            .fast()
            .publish(channel_of(room), Bytes::from(framed))
            .await;
        if let Err(error) = sent {
            tracing::debug!(%error, room, "a hub message did not reach Redis");
        }
    }

    /// Stores `value` under `key` for `lifetime` unless the key exists; `false` when
    /// it did.
    pub async fn put_new(
        &self,
        key: &str,
        value: &str,
        lifetime: Duration,
    ) -> Result<bool, RedisError> {
        let seconds = i64::try_from(lifetime.as_secs().max(1)).unwrap_or(i64::MAX);
        let stored: Option<String> = self
            .fast()
            .set(
                key,
                value,
                Some(Expiration::EX(seconds)),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        Ok(stored.is_some())
    }

    /// The value under `key`, removed.
    pub async fn take(&self, key: &str) -> Result<Option<String>, RedisError> {
        Ok(self.fast().getdel(key).await?)
    }

    /// Counts one request under `key` in a window of `window`: the count so far and
    /// the time left in the window.
    pub async fn count_request(
        &self,
        key: &str,
        window: Duration,
    ) -> Result<(u64, Duration), RedisError> {
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let (count, left_ms): (u64, i64) = self
            .fast()
            .eval(COUNT_REQUEST, vec![key], vec![window_ms])
            .await?;
        let left = Duration::from_millis(u64::try_from(left_ms).unwrap_or(window_ms));
        Ok((count, left))
    }

    /// The publishing client, failing at once instead of queueing while Redis is away.
    fn fast(&self) -> fred::clients::WithOptions<Client> {
        self.client.with_options(&Options {
            fail_fast: true,
            timeout: Some(COMMAND_TIMEOUT),
            max_attempts: Some(1),
            ..Options::default()
        })
    }

    fn followed_rooms(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.followed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies follow changes in order; after a reconnect of the subscriber, subscribes
    /// to every followed room again.
    async fn keep_subscriptions(self, mut changes: mpsc::UnboundedReceiver<String>) {
        let mut reconnects = self.subscriber.reconnect_rx();
        loop {
            tokio::select! {
                change = changes.recv() => {
                    let Some(room) = change else { return };
                    let wanted = self.followed_rooms().contains(&room);
                    let subscriber = self.subscriber.with_options(&Options {
                        fail_fast: true,
                        timeout: Some(COMMAND_TIMEOUT),
                        ..Options::default()
                    });
                    let done = if wanted {
                        subscriber.subscribe(channel_of(&room)).await
                    } else {
                        subscriber.unsubscribe(channel_of(&room)).await
                    };
                    if let Err(error) = done {
                        tracing::debug!(%error, room, "Redis subscription deferred to the next reconnect");
                    }
                }
                reconnected = reconnects.recv() => {
                    if let Err(broadcast::error::RecvError::Closed) = reconnected {
                        return;
                    }
                    let rooms: Vec<String> = self.followed_rooms().iter().cloned().collect();
                    let channels: Vec<String> = rooms.iter().map(|room| channel_of(room)).collect();
                    if !channels.is_empty()
                        && let Err(error) = self.subscriber.subscribe(channels).await
                    {
                        tracing::warn!(%error, "could not renew the hub's Redis subscriptions");
                    }
                }
            }
        }
    }
}

/// Turns Redis messages into [`Incoming`]s; reconnects and dropped messages become
/// [`Incoming::Resync`].
async fn forward_messages(
    mut messages: broadcast::Receiver<fred::types::Message>,
    (mut client_reconnects, mut subscriber_reconnects): (
        broadcast::Receiver<fred::types::config::Server>,
        broadcast::Receiver<fred::types::config::Server>,
    ),
    incoming: mpsc::Sender<Incoming>,
) {
    loop {
        let next = tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => decode(message),
                Err(broadcast::error::RecvError::Lagged(_)) => Some(Incoming::Resync),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) = client_reconnects.recv() => Some(Incoming::Resync),
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) = subscriber_reconnects.recv() => Some(Incoming::Resync),
        };
        let Some(next) = next else { continue };
        match incoming.try_send(next) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                // The hub is behind: what is dropped here is recovered by a resync.
                if incoming.send(Incoming::Resync).await.is_err() {
                    return;
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

fn decode(message: fred::types::Message) -> Option<Incoming> {
    let room = message.channel.strip_prefix(CHANNEL_PREFIX)?.to_string();
    let bytes = match message.value {
        Value::Bytes(bytes) => bytes,
        Value::String(text) => text.into_inner(),
        _ => return None,
    };
    if bytes.len() < 16 {
        return None;
    }
    let mut instance = [0; 16];
    instance.copy_from_slice(&bytes[..16]);
    Some(Incoming::Message {
        room,
        instance,
        message: bytes.slice(16..),
    })
}

fn channel_of(room: &str) -> String {
    format!("{CHANNEL_PREFIX}{room}")
}

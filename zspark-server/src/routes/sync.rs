//! The WebSocket shell of a shared session's document:
//! `GET /v1/workspaces/{workspace_id}/sessions/{session_id}/sync` speaks the
//! y-websocket protocol (binary frames; see [`crate::collab::room`]), so the stock
//! `yjs` + `y-websocket` clients work unchanged. The room is the session in the URL.
//!
//! Authentication happens before the upgrade, as for the live feed (bearer header or a
//! `ticket` query parameter); members of every role may join, viewers read-only. The
//! connection is closed with a code that says why: 4403 when the caller stops being a
//! member, 4404 when the session is deleted, 4400 for frames that are not the protocol
//! (text frames among them), 4413 when the document is full, 1009 for a message over
//! [`MAX_MESSAGE`], 4508 for a client that does not read, 4509 for one that says
//! nothing (not even a pong to the pings sent every [`PING_EVERY`]) for [`SILENCE`],
//! 4503 when the document cannot be loaded, 1012 when the server stops.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use bytes::Bytes;
use futures::SinkExt;
use tokio::sync::broadcast;
use tokio::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zspark_auth::Principal;

use super::SessionPath;
use super::live::{LiveCaller, LiveQuery};
use super::sessions::load_session;
use crate::auth::{Role, require_role, role_in};
use crate::collab::{Cutoff, Joined};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, parse_id};
use crate::feed::{FeedEvent, FeedRoom};
use crate::state::AppState;

/// The largest message a client may send.
pub const MAX_MESSAGE: usize = 8 * 1024 * 1024;
/// The socket's read buffer, and how much is written at once (the library's 128 KiB
/// each would be most of a connection's memory).
pub(super) const SOCKET_BUFFER: usize = 16 * 1024;
/// Frames written before one flush at most, when several are waiting.
const FRAMES_PER_FLUSH: usize = 64;
/// How often the server pings.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A client that sends nothing for this long is disconnected.
const SILENCE: Duration = Duration::from_secs(60);
/// How long one send may wait for a client that does not read.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const CLOSE_NOT_A_MEMBER: u16 = 4403;
const CLOSE_SESSION_DELETED: u16 = 4404;
const CLOSE_TOO_BIG: u16 = 1009;
const CLOSE_GOING_AWAY: u16 = 1001;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sync_session))
}

/// The session's shared document (presence, the watched turn, the shared draft, the
/// turn lease) over the y-websocket protocol.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/sessions/{session_id}/sync",
    params(SessionPath, LiveQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol (y-websocket: binary sync and awareness messages)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn sync_session(
    State(state): State<AppState>,
    LiveCaller(user): LiveCaller,
    ApiPath(path): ApiPath<SessionPath>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let session_id = parse_id(&path.session_id, "session")?;
    let role = require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    load_session(&state, &workspace_id, &session_id).await?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "this address speaks WebSocket only ({}); connect with a y-websocket client",
            rejection.body_text().to_lowercase()
        ))
    })?;
    // Joined to the workspace's feed first, to hear of membership changes and the
    // session's deletion from now on.
    let feed = state.feed.join(&state, &workspace_id).await?;
    let events = feed.subscribe();
    let joined = state
        .docs
        .join(&state.db, &state.hub, &session_id, role >= Role::Editor)
        .map_err(|busy| ApiError::Unavailable(busy.to_string()))?;
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| async move {
            let connection = SyncConnection {
                state,
                workspace_id,
                session_id,
                user,
                joined,
                _feed: feed,
            };
            connection.run(socket, events).await;
        }))
}

struct SyncConnection {
    state: AppState,
    workspace_id: String,
    session_id: String,
    user: Principal,
    joined: Joined,
    /// Kept so the workspace's feed stays open while the connection lives.
    _feed: Arc<FeedRoom>,
}

/// How a connection ends.
struct Close {
    code: u16,
    reason: String,
}

impl Close {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    fn cutoff(cutoff: &Cutoff) -> Self {
        Self::new(cutoff.code(), cutoff.reason())
    }
}

impl SyncConnection {
    async fn run(mut self, mut socket: WebSocket, mut feed: broadcast::Receiver<FeedEvent>) {
        let mut pings = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut last_heard = Instant::now();
        // Removed between the role check and listening to the feed: said at once.
        let checked = self.on_feed_event(Ok(FeedEvent::Members)).await;
        let close = if let Err(close) = checked {
            close
        } else {
            loop {
                let step = tokio::select! {
                    incoming = socket.recv() => {
                        last_heard = Instant::now();
                        self.on_client_message(incoming).await
                    }
                    outgoing = self.joined.next_frame() => match (outgoing, self.joined.cutoff()) {
                        // Cut off: what is still queued is not worth waiting for.
                        (_, Some(cutoff)) => Err(Some(Close::cutoff(&cutoff))),
                        // A client that takes nothing for the send time-out is too slow.
                        (Some(frame), None) => self.send_waiting(&mut socket, frame)
                            .await
                            .map_err(|()| Some(Close::cutoff(&Cutoff::TooSlow))),
                        (None, None) => Err(Some(Close::new(CLOSE_GOING_AWAY, "the document closed"))),
                    },
                    event = feed.recv() => self.on_feed_event(event).await,
                    _ = pings.tick() => {
                        if last_heard.elapsed() >= SILENCE {
                            Err(Some(Close::cutoff(&Cutoff::Silent)))
                        } else {
                            send(&mut socket, Message::Ping(Default::default())).await.map_err(|()| None)
                        }
                    }
                };
                if let Err(close) = step {
                    break close;
                }
            }
        };
        // The close frame waits behind whatever the client has not read yet, for at most
        // another send time-out.
        if let Some(close) = close {
            let frame = CloseFrame {
                code: close.code,
                reason: close.reason.into(),
            };
            let _ = send(&mut socket, Message::Close(Some(frame))).await;
        }
    }

    /// Writes `first` and whatever else is already waiting (up to [`FRAMES_PER_FLUSH`]),
    /// then flushes once.
    async fn send_waiting(&mut self, socket: &mut WebSocket, first: Bytes) -> Result<(), ()> {
        let write = async {
            socket.feed(Message::Binary(first)).await?;
            for _ in 1..FRAMES_PER_FLUSH {
                let Some(frame) = self.joined.try_next_frame() else {
                    break;
                };
                socket.feed(Message::Binary(frame)).await?;
            }
            socket.flush().await
        };
        match tokio::time::timeout(SEND_TIMEOUT, write).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }

    /// `Err(None)`: the client is gone; `Err(Some)`: close it with that reason.
    async fn on_client_message(
        &self,
        incoming: Option<Result<Message, axum::Error>>,
    ) -> Result<(), Option<Close>> {
        match incoming {
            Some(Ok(Message::Binary(frame))) => {
                if self.joined.send(frame).await {
                    Ok(())
                } else {
                    Err(Some(Close::cutoff(&Cutoff::Unavailable)))
                }
            }
            Some(Ok(Message::Text(_))) => Err(Some(Close::cutoff(&Cutoff::BadMessage(
                "text frames are not part of the protocol; send binary frames".to_string(),
            )))),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
            Some(Ok(Message::Close(_))) | None => Err(None),
            Some(Err(error)) => {
                let text = error.to_string();
                if text.contains("too long")
                    || text.contains("too big")
                    || text.contains("Space limit")
                {
                    Err(Some(Close::new(
                        CLOSE_TOO_BIG,
                        format!(
                            "messages are limited to {} MiB",
                            MAX_MESSAGE / (1024 * 1024)
                        ),
                    )))
                } else {
                    Err(None)
                }
            }
        }
    }

    async fn on_feed_event(
        &mut self,
        event: Result<FeedEvent, broadcast::error::RecvError>,
    ) -> Result<(), Option<Close>> {
        match event {
            Ok(FeedEvent::Members) | Err(broadcast::error::RecvError::Lagged(_)) => {
                match role_in(&self.state, &self.workspace_id, &self.user).await {
                    Ok(None) => Err(Some(Close::new(
                        CLOSE_NOT_A_MEMBER,
                        "you are no longer a member of this workspace",
                    ))),
                    Ok(Some(role)) => {
                        self.joined.set_can_write(role >= Role::Editor).await;
                        Ok(())
                    }
                    // A database hiccup keeps the connection as it is.
                    Err(_) => Ok(()),
                }
            }
            Ok(FeedEvent::Entries(entries)) => {
                let deleted = entries.iter().any(|entry| {
                    entry.object_type == "session"
                        && entry.verb == "deleted"
                        && entry.object_id.as_deref() == Some(self.session_id.as_str())
                });
                if deleted {
                    Err(Some(Close::new(
                        CLOSE_SESSION_DELETED,
                        "the session was deleted",
                    )))
                } else {
                    Ok(())
                }
            }
            Err(broadcast::error::RecvError::Closed) => Err(None),
        }
    }
}

async fn send(socket: &mut WebSocket, message: Message) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

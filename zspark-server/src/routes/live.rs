//! Live activity over a WebSocket: `GET /v1/workspaces/{id}/live` upgrades for a member
//! (viewer or above) and then sends each new activity entry of the workspace as it is
//! recorded, by any instance of the server: the feed rooms of [`crate::feed`] hand the
//! entries out as changes announce themselves on the hub.
//!
//! Authentication happens before the upgrade: a bearer token in the `Authorization`
//! header, or a ticket from `POST /v1/auth/ws-ticket` in the `ticket` query parameter
//! (browsers cannot set headers on a WebSocket). A non-member gets 404, as everywhere.
//!
//! Messages are JSON text frames: `{"type": "ready", "role": ...}` once, then
//! `{"type": "activity", "entry": {...}}` per entry, oldest first. With `?after=<entry
//! id>` the entries after that one are sent first, so a client that reconnects misses
//! nothing. The socket is closed with code 4403 when the caller stops being a member, and
//! a client that does not take messages for [`SEND_TIMEOUT`] is disconnected (one that
//! merely falls behind catches up from the database).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zspark_auth::Principal;

use super::WorkspacePath;
use super::activity::{Activity, entries_after, newest_entry_id};
use super::sync::SOCKET_BUFFER;
use crate::auth::{AuthUser, Role, require_role, role_in};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, parse_id};
use crate::feed::{FeedEvent, FeedRoom};
use crate::state::AppState;
use crate::tickets::TICKET_LIFETIME;
pub use zspark_api::Ticket;

/// Entries read per catch-up query at most.
const BATCH: i64 = 200;
/// How long a send may wait for a client that does not read.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The close code for "you are no longer a member".
const CLOSE_NOT_A_MEMBER: u16 = 4403;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_ticket))
        .routes(routes!(live_activity))
}

/// A single-use ticket that authenticates one WebSocket upgrade.
#[utoipa::path(post, path = "/v1/auth/ws-ticket",
    responses((status = 201, body = Ticket), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn issue_ticket(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> ApiResult<(axum::http::StatusCode, axum::Json<Ticket>)> {
    let ticket = state.tickets.issue(user).await.ok_or_else(|| {
        ApiError::Unavailable("too many tickets are waiting; try again in a minute".to_string())
    })?;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(Ticket {
            ticket,
            expires_in: TICKET_LIFETIME.as_secs(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// A ticket from `POST /v1/auth/ws-ticket`, instead of an `Authorization` header.
    pub ticket: Option<String>,
    /// An entry id: send the entries after it first.
    pub after: Option<String>,
}

/// The caller of a WebSocket upgrade: a ticket when the query has one, otherwise the
/// usual bearer token (or development identity).
pub struct LiveCaller(pub Principal);

impl FromRequestParts<AppState> for LiveCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let query: Query<LiveQuery> = Query::try_from_uri(&parts.uri).map_err(|_| {
            ApiError::BadRequest("the query takes `ticket` and `after`".to_string())
        })?;
        let Some(ticket) = &query.ticket else {
            return AuthUser::from_request_parts(parts, state)
                .await
                .map(|AuthUser(user)| Self(user));
        };
        let user = state
            .tickets
            .redeem(ticket)
            .await
            .ok_or_else(|| ApiError::Unauthenticated {
                message: "the ticket is unknown, used or expired; ask POST /v1/auth/ws-ticket for a new one".to_string(),
                challenge: Some("Bearer realm=\"zspark\", error=\"invalid_token\", error_description=\"ticket\"".to_string()),
            })?;
        state
            .limiter
            .check(&user.key)
            .await
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
        Ok(Self(user))
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum LiveMessage<'a> {
    Ready { role: &'a str },
    Activity { entry: &'a Activity },
}

/// The workspace's activity as it happens, over a WebSocket.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/live", params(WorkspacePath, LiveQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn live_activity(
    State(state): State<AppState>,
    LiveCaller(user): LiveCaller,
    ApiPath(path): ApiPath<WorkspacePath>,
    Query(query): Query<LiveQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let role = require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "this address speaks WebSocket only ({}); connect with a WebSocket client",
            rejection.body_text().to_lowercase()
        ))
    })?;
    let room = state.feed.join(&state, &workspace_id).await?;
    // Listening from here on: what changes after the role check and the cursor is heard.
    let events = room.subscribe();
    let after = match query.after.as_deref() {
        Some(after) => parse_id(after, "after")?,
        None => newest_entry_id(&state, &workspace_id).await?,
    };
    Ok(upgrade
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| async move {
            let feed = Feed {
                state,
                workspace_id,
                user,
                after,
            };
            feed.run(socket, role, events, room).await;
        }))
}

/// One connection's feed.
struct Feed {
    state: AppState,
    workspace_id: String,
    user: Principal,
    /// The last entry sent.
    after: String,
}

/// Why a connection's feed stops.
enum Stop {
    /// The connection is gone or the client does not read.
    Gone,
    NotAMember,
}

impl Feed {
    async fn run(
        mut self,
        mut socket: WebSocket,
        role: Role,
        mut events: broadcast::Receiver<FeedEvent>,
        _room: Arc<FeedRoom>,
    ) {
        let ready = LiveMessage::Ready {
            role: role.as_str(),
        };
        // Removed between the role check and listening: said at once.
        let mut outcome = self.check_membership().await;
        if outcome.is_ok()
            && (send(&mut socket, &ready).await.is_err()
                || self.catch_up(&mut socket).await.is_err())
        {
            return;
        }
        while outcome.is_ok() {
            outcome = self.next_step(&mut socket, &mut events).await;
        }
        if let Err(Stop::NotAMember) = outcome {
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code: CLOSE_NOT_A_MEMBER,
                    reason: "you are no longer a member of this workspace".into(),
                })))
                .await;
        }
    }

    /// Waits for the client or the workspace's feed, and does what it asks.
    async fn next_step(
        &mut self,
        socket: &mut WebSocket,
        events: &mut broadcast::Receiver<FeedEvent>,
    ) -> Result<(), Stop> {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                // Clients have nothing to say; pings are answered by the library.
                Some(Ok(Message::Close(_)) | Err(_)) | None => Err(Stop::Gone),
                Some(Ok(_)) => Ok(()),
            },
            event = events.recv() => match event {
                Ok(FeedEvent::Entries(entries)) => self.send_new(socket, &entries).await,
                Ok(FeedEvent::Members) => self.check_membership().await,
                // Missed events may have been membership changes too.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.check_membership().await?;
                    self.catch_up(socket).await
                }
                Err(broadcast::error::RecvError::Closed) => Err(Stop::Gone),
            },
        }
    }

    /// Sends what the database has after the last entry sent.
    async fn catch_up(&mut self, socket: &mut WebSocket) -> Result<(), Stop> {
        loop {
            // A database hiccup: the next change brings the entries.
            let Ok(entries) =
                entries_after(&self.state, &self.workspace_id, &self.after, BATCH).await
            else {
                return Ok(());
            };
            self.send_new(socket, &entries).await?;
            if entries.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                return Ok(());
            }
        }
    }

    /// Sends the entries this connection has not had yet.
    async fn send_new(&mut self, socket: &mut WebSocket, entries: &[Activity]) -> Result<(), Stop> {
        for entry in entries {
            if entry.id <= self.after {
                continue;
            }
            send(socket, &LiveMessage::Activity { entry })
                .await
                .map_err(|()| Stop::Gone)?;
            self.after.clone_from(&entry.id);
        }
        Ok(())
    }

    async fn check_membership(&self) -> Result<(), Stop> {
        match role_in(&self.state, &self.workspace_id, &self.user).await {
            Ok(None) => Err(Stop::NotAMember),
            // A database hiccup keeps the connection; the next change checks again.
            Ok(Some(_)) | Err(_) => Ok(()),
        }
    }
}

async fn send(socket: &mut WebSocket, message: &LiveMessage<'_>) -> Result<(), ()> {
    let text = serde_json::to_string(message).map_err(|_| ())?;
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

//! The HTTP API, one module per resource, each with `routes()`; and the types they
//! share: path parameters, paging.

pub mod activity;
mod artifacts;
mod health;
mod items;
mod live;
mod members;
mod sessions;
mod workspaces;

use base64::Engine;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::body_limits;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub use health::routes as health_routes;

/// Every authenticated route. The routes that take JSON refuse a declared body over
/// the limit before reading it; uploads check against their own limit.
pub fn api() -> OpenApiRouter<AppState> {
    let json = OpenApiRouter::new()
        .merge(health::me_routes())
        .merge(workspaces::routes())
        .merge(members::routes())
        .merge(sessions::routes())
        .merge(items::routes())
        .merge(activity::routes())
        .layer(axum::middleware::from_fn(
            body_limits::refuse_declared_oversize,
        ));
    OpenApiRouter::new()
        .merge(json)
        .merge(artifacts::routes())
        .merge(live::routes())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WorkspacePath {
    /// The workspace id (a UUID).
    pub workspace_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SessionPath {
    pub workspace_id: String,
    /// The session id (a UUID).
    pub session_id: String,
}

/// `?limit=&cursor=` for lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items (1 to 200, default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(50).clamp(1, 200))
    }
}

pub use zspark_api::Page;

/// A page from up to `limit + 1` rows: the extra row only says there is more.
pub fn page_from_rows<T>(
    mut items: Vec<T>,
    limit: i64,
    cursor_of: impl Fn(&T) -> String,
) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(cursor_of)
    } else {
        None
    };
    Page { items, next_cursor }
}

/// A cursor for lists ordered by (time, id), newest first.
pub fn encode_cursor(time_rfc3339: &str, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{time_rfc3339}|{id}"))
}

/// The (time in ms, id) a cursor points after; the start of the list without one.
pub fn decode_cursor(cursor: Option<&str>) -> ApiResult<(i64, String)> {
    let Some(cursor) = cursor else {
        return Ok((i64::MAX, String::new()));
    };
    let invalid = || {
        ApiError::BadRequest(
            "the cursor is not one this server gave out; start the list again without it"
                .to_string(),
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (time, id) = text.split_once('|').ok_or_else(invalid)?;
    let time = chrono::DateTime::parse_from_rfc3339(time).map_err(|_| invalid())?;
    Ok((time.timestamp_millis(), id.to_string()))
}

//! The HTTP API, one module per resource, each with `routes()`; and the types they
//! share: path parameters, paging.

pub mod activity;
mod artifacts;
mod health;
mod items;
mod live;
mod members;
mod sessions;
mod sync;
mod workspaces;

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::body_limits;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use zspark_api::rules;

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
        .merge(sync::routes())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WorkspacePath {
    /// The workspace id.
    pub workspace_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SessionPath {
    /// The workspace id.
    pub workspace_id: String,
    /// The session id.
    pub session_id: String,
}

/// `?limit=&cursor=` for lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many entries (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size asked for; outside 1 to 200 is a 400.
    pub fn limit(&self) -> ApiResult<i64> {
        checked_limit(self.limit, rules::PAGE_LIMIT_DEFAULT, rules::PAGE_LIMIT_MAX)
    }
}

/// `limit`, or `default` without one; outside 1 to `max` is a 400.
pub fn checked_limit(limit: Option<u32>, default: u32, max: u32) -> ApiResult<i64> {
    match limit.unwrap_or(default) {
        limit if (1..=max).contains(&limit) => Ok(i64::from(limit)),
        _ => Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {max}"
        ))),
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

/// A cursor for lists ordered by (time, id), newest first: `<milliseconds>_<id>` of the
/// page's last entry.
pub fn encode_cursor(time_rfc3339: &str, id: &str) -> String {
    let millis = chrono::DateTime::parse_from_rfc3339(time_rfc3339)
        .map(|time| time.timestamp_millis())
        .unwrap_or_default();
    format!("{millis}_{id}")
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
    if !rules::CURSOR.accepts(cursor) {
        return Err(invalid());
    }
    let (millis, id) = cursor.split_once('_').ok_or_else(invalid)?;
    let millis = millis.parse::<i64>().map_err(|_| invalid())?;
    Ok((millis, id.to_ascii_lowercase()))
}

//! A session's conversation items, as the runtime records them (rollout items):
//! read from a sequence number (viewer), append a batch (editor). Appends name the
//! sequence number they expect next; a stale one is a 409, so two writers never
//! interleave or overwrite.

use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use sqlx::Row;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::activity::record;
use super::sessions::load_session;
use super::{SessionPath, checked_limit};
use crate::auth::{AuthUser, Role, require_role};
use crate::db::{now_ms, rfc3339};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_id};
use crate::feed::{Change, announce};
use crate::state::AppState;
use zspark_api::rules;
pub use zspark_api::{AppendItems, Appended, Item, ItemPage};

/// Largest single item, serialised.
const MAX_ITEM_BYTES: usize = 4 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_items, append_items))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// Return items with a sequence number above this (from the start when absent).
    pub after: Option<i64>,
    /// How many (default 500).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Items in order, from `after`.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/sessions/{session_id}/items", params(SessionPath, ItemsQuery),
    responses((status = 200, body = ItemPage), (status = 404, body = ErrorBody)))]
pub async fn list_items(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<SessionPath>,
    ApiQuery(query): ApiQuery<ItemsQuery>,
) -> ApiResult<axum::Json<ItemPage>> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let session_id = parse_id(&path.session_id, "session")?;
    require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    let session = load_session(&state, &workspace_id, &session_id).await?;
    let limit = checked_limit(
        query.limit,
        rules::ITEMS_LIMIT_DEFAULT,
        rules::ITEMS_LIMIT_MAX,
    )?;
    let rows = sqlx::query(
        "SELECT seq, author, kind, payload, created_at FROM session_items WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(&session_id)
    .bind(query.after.unwrap_or(-1))
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let payload: String = row.try_get("payload")?;
        items.push(Item {
            seq: row.try_get("seq")?,
            author: row.try_get("author")?,
            kind: row.try_get("kind")?,
            payload: serde_json::from_str(&payload)
                .map_err(|error| ApiError::Internal(format!("stored item is not JSON: {error}")))?,
            created_at: rfc3339(row.try_get("created_at")?),
        });
    }
    Ok(axum::Json(ItemPage {
        items,
        next_seq: session.item_count,
    }))
}

/// Appends items at `expected_seq`; 409 when someone appended first.
#[utoipa::path(post, path = "/v1/workspaces/{workspace_id}/sessions/{session_id}/items", params(SessionPath), request_body = AppendItems,
    responses((status = 200, body = Appended), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn append_items(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<AppendItems>,
) -> ApiResult<axum::Json<Appended>> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let session_id = parse_id(&path.session_id, "session")?;
    require_role(&state, &workspace_id, &user, Role::Editor).await?;
    if body.expected_seq < 0 {
        return Err(ApiError::Unprocessable(
            "expected_seq must be 0 or more: the session's item count".to_string(),
        ));
    }
    if body.items.is_empty() || body.items.len() > rules::MAX_ITEMS_PER_APPEND {
        return Err(ApiError::Unprocessable(format!(
            "append 1 to {} items at a time",
            rules::MAX_ITEMS_PER_APPEND
        )));
    }
    let mut prepared = Vec::with_capacity(body.items.len());
    for (index, item) in body.items.iter().enumerate() {
        let kind = item
            .get("type")
            .and_then(Value::as_str)
            .filter(|kind| (1..=rules::MAX_ITEM_TYPE_CHARS).contains(&kind.chars().count()))
            .ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "item {index} must be a JSON object with a `type` of 1 to {} characters",
                    rules::MAX_ITEM_TYPE_CHARS
                ))
            })?;
        let payload = item.to_string();
        if payload.len() > MAX_ITEM_BYTES {
            return Err(ApiError::PayloadTooLarge(format!(
                "item {index} is larger than {MAX_ITEM_BYTES} bytes"
            )));
        }
        prepared.push((kind.to_string(), payload));
    }
    let count = i64::try_from(prepared.len()).unwrap_or(i64::MAX);
    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    // The compare-and-set is the first write: it takes the lock, and only one appender
    // at `expected_seq` can win it.
    let claimed = sqlx::query(
        "UPDATE sessions SET item_count = item_count + $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4 AND item_count = $5",
    )
    .bind(count)
    .bind(now)
    .bind(&session_id)
    .bind(&workspace_id)
    .bind(body.expected_seq)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        drop(tx);
        let session = load_session(&state, &workspace_id, &session_id).await?;
        return Err(ApiError::Conflict(format!(
            "expected_seq {} is stale: the session has {} items; read the new ones and append at {}",
            body.expected_seq, session.item_count, session.item_count
        )));
    }
    for (offset, (kind, payload)) in prepared.iter().enumerate() {
        sqlx::query("INSERT INTO session_items (session_id, seq, author, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&session_id)
            .bind(body.expected_seq + i64::try_from(offset).unwrap_or(i64::MAX))
            .bind(&user.key)
            .bind(kind)
            .bind(payload)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    let summary = format!(
        "added {count} item{} to a session",
        if count == 1 { "" } else { "s" }
    );
    record(
        &mut tx,
        &workspace_id,
        &user.key,
        "appended",
        "session",
        Some(&session_id),
        &summary,
    )
    .await?;
    tx.commit().await?;
    announce(&state, &workspace_id, Change::Activity).await;
    Ok(axum::Json(Appended {
        first_seq: body.expected_seq,
        next_seq: body.expected_seq + count,
    }))
}

//! The activity feed: who did what in a workspace, written in the same transaction as
//! the change it describes; listed newest first (viewer).

use axum::extract::State;
use sqlx::Row;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, PageQuery, WorkspacePath, decode_cursor, encode_cursor, page_from_rows};
use crate::auth::{AuthUser, Role, require_role};
use crate::db::{now_ms, rfc3339};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, parse_id};
use crate::state::AppState;
pub use zspark_api::Activity;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_activity))
}

/// Records an activity entry inside the caller's transaction.
pub async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    actor: &str,
    verb: &str,
    object_type: &str,
    object_id: Option<&str>,
    summary: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO activity (id, workspace_id, actor, verb, object_type, object_id, summary, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(workspace_id)
    .bind(actor)
    .bind(verb)
    .bind(object_type)
    .bind(object_id)
    .bind(summary)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Who did what, newest first.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/activity", params(WorkspacePath, PageQuery),
    responses((status = 200, body = Page<Activity>), (status = 404, body = ErrorBody)))]
pub async fn list_activity(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<Activity>>> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    // Entry ids are UUIDv7, so they order by time: the cursor's id is enough.
    let (_, before) = decode_cursor(page.cursor.as_deref())?;
    let limit = page.limit()?;
    let rows = sqlx::query(
        "SELECT activity.id, actor, people.display_name AS actor_name, verb, object_type, object_id, summary, at FROM activity LEFT JOIN people ON people.principal = activity.actor WHERE activity.workspace_id = $1 AND ($2 = '' OR activity.id < $2) ORDER BY activity.id DESC LIMIT $3",
    )
    .bind(&workspace_id)
    .bind(&before)
    .bind(limit + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let entries = rows
        .iter()
        .map(activity_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(page_from_rows(entries, limit, |entry| {
        encode_cursor(&entry.at, &entry.id)
    })))
}

/// Up to `limit` entries recorded after the entry `after` (all, when it is empty),
/// oldest first.
pub async fn entries_after(
    state: &AppState,
    workspace_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Activity>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT activity.id, actor, people.display_name AS actor_name, verb, object_type, object_id, summary, at FROM activity LEFT JOIN people ON people.principal = activity.actor WHERE activity.workspace_id = $1 AND activity.id > $2 ORDER BY activity.id ASC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(after)
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter().map(activity_from_row).collect()
}

/// The id of the newest entry, or an empty string when there is none.
pub async fn newest_entry_id(state: &AppState, workspace_id: &str) -> Result<String, sqlx::Error> {
    let row =
        sqlx::query("SELECT id FROM activity WHERE workspace_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(workspace_id)
            .fetch_optional(&state.db.pool)
            .await?;
    row.map_or(Ok(String::new()), |row| row.try_get("id"))
}

fn activity_from_row(row: &sqlx::any::AnyRow) -> Result<Activity, sqlx::Error> {
    Ok(Activity {
        id: row.try_get("id")?,
        actor: row.try_get("actor")?,
        actor_name: row.try_get("actor_name")?,
        verb: row.try_get("verb")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        summary: row.try_get("summary")?,
        at: rfc3339(row.try_get("at")?),
    })
}

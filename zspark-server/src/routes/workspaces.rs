//! Workspaces: list mine, create (the creator becomes owner), get, rename, delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use sqlx::{AssertSqlSafe, Row};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::activity::record;
use super::{Page, PageQuery, WorkspacePath, decode_cursor, encode_cursor, page_from_rows};
use crate::auth::{AuthUser, Role, require_role};
use crate::db::{now_ms, placeholders, rfc3339};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_id, title};
use crate::feed::{Change, announce};
use crate::state::AppState;
pub use zspark_api::{CreateWorkspace, RenameWorkspace, Workspace};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workspaces, create_workspace))
        .routes(routes!(get_workspace, rename_workspace, delete_workspace))
}

fn workspace_from(row: &sqlx::any::AnyRow, role: Role) -> ApiResult<Workspace> {
    Ok(Workspace {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role,
        created_by: row.try_get("created_by")?,
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

/// The workspaces the caller belongs to (directly or through a group), newest first.
#[utoipa::path(get, path = "/v1/workspaces", params(PageQuery),
    responses((status = 200, body = Page<Workspace>), (status = 401, body = ErrorBody)))]
pub async fn list_workspaces(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<Workspace>>> {
    let keys = user.access_keys();
    let (after_time, after_id) = decode_cursor(page.cursor.as_deref())?;
    let limit = page.limit()?;
    // A caller may reach a workspace through several keys: the highest role counts.
    let sql = format!(
        "SELECT w.id, w.name, w.created_by, w.created_at, w.updated_at, \
         CAST(MAX(CASE m.role WHEN 'owner' THEN 3 WHEN 'editor' THEN 2 ELSE 1 END) AS BIGINT) AS rank \
         FROM workspaces w JOIN members m ON m.workspace_id = w.id \
         WHERE m.principal IN ({}) AND (w.created_at < $1 OR (w.created_at = $1 AND w.id < $2)) \
         GROUP BY w.id, w.name, w.created_by, w.created_at, w.updated_at \
         ORDER BY w.created_at DESC, w.id DESC LIMIT $3",
        placeholders(4, keys.len())
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(after_time)
        .bind(after_id)
        .bind(limit + 1);
    for key in &keys {
        query = query.bind(key);
    }
    let rows = query.fetch_all(&state.db.pool).await?;
    let mut workspaces = Vec::with_capacity(rows.len());
    for row in &rows {
        let role = match row.try_get::<i64, _>("rank")? {
            3 => Role::Owner,
            2 => Role::Editor,
            _ => Role::Viewer,
        };
        workspaces.push(workspace_from(row, role)?);
    }
    Ok(axum::Json(page_from_rows(workspaces, limit, |workspace| {
        encode_cursor(&workspace.created_at, &workspace.id)
    })))
}

/// Creates a workspace; the caller becomes its owner.
#[utoipa::path(post, path = "/v1/workspaces", request_body = CreateWorkspace,
    responses((status = 201, body = Workspace), (status = 422, body = ErrorBody)))]
pub async fn create_workspace(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<CreateWorkspace>,
) -> ApiResult<impl IntoResponse> {
    let name = title(&body.name, "workspace name")?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(&id)
        .bind(&name)
        .bind(&user.key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO members (workspace_id, principal, role, added_by, added_at) VALUES ($1, $2, 'owner', $2, $3)")
        .bind(&id)
        .bind(&user.key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &id,
        &user.key,
        "created",
        "workspace",
        Some(&id),
        &format!("created the workspace “{name}”"),
    )
    .await?;
    tx.commit().await?;
    announce(&state, &id, Change::Activity).await;
    let workspace = Workspace {
        id,
        name,
        role: Role::Owner,
        created_by: user.key,
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    Ok((StatusCode::CREATED, axum::Json(workspace)))
}

/// One workspace the caller belongs to.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}", params(WorkspacePath),
    responses((status = 200, body = Workspace), (status = 404, body = ErrorBody)))]
pub async fn get_workspace(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
) -> ApiResult<axum::Json<Workspace>> {
    let id = parse_id(&path.workspace_id, "workspace")?;
    let role = require_role(&state, &id, &user, Role::Viewer).await?;
    let row = sqlx::query(
        "SELECT id, name, created_by, created_at, updated_at FROM workspaces WHERE id = $1",
    )
    .bind(&id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("the workspace"))?;
    Ok(axum::Json(workspace_from(&row, role)?))
}

/// Renames a workspace (owner).
#[utoipa::path(patch, path = "/v1/workspaces/{workspace_id}", params(WorkspacePath), request_body = RenameWorkspace,
    responses((status = 200, body = Workspace), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rename_workspace(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
    ApiJson(body): ApiJson<RenameWorkspace>,
) -> ApiResult<axum::Json<Workspace>> {
    let id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &id, &user, Role::Owner).await?;
    let name = title(&body.name, "workspace name")?;
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE workspaces SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(&name)
        .bind(now_ms())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &id,
        &user.key,
        "renamed",
        "workspace",
        Some(&id),
        &format!("renamed the workspace to “{name}”"),
    )
    .await?;
    tx.commit().await?;
    announce(&state, &id, Change::Activity).await;
    get_workspace(State(state), AuthUser(user), ApiPath(path)).await
}

/// Deletes a workspace with its sessions, items, activity and artifacts (owner).
#[utoipa::path(delete, path = "/v1/workspaces/{workspace_id}", params(WorkspacePath),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_workspace(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &id, &user, Role::Owner).await?;
    let keys: Vec<String> =
        sqlx::query("SELECT storage_key FROM artifacts WHERE workspace_id = $1")
            .bind(&id)
            .fetch_all(&state.db.pool)
            .await?
            .iter()
            .filter_map(|row| row.try_get("storage_key").ok())
            .collect();
    sqlx::query("DELETE FROM workspaces WHERE id = $1")
        .bind(&id)
        .execute(&state.db.pool)
        .await?;
    announce(&state, &id, Change::Members).await;
    for key in keys {
        state.artifacts.remove(&key).await?;
    }
    // Files of uploads that were still running are in the folder too.
    state.artifacts.remove_workspace(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Sessions in a workspace: list (viewer), create (editor), get (viewer), rename
//! (editor), delete (owner or the session's author), fork (editor: a new session with
//! the items before a sequence number).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use sqlx::Row;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::activity::record;
use super::{
    Page, PageQuery, SessionPath, WorkspacePath, decode_cursor, encode_cursor, page_from_rows,
};
use crate::auth::{AuthUser, Role, require_role};
use crate::db::{now_ms, rfc3339};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_id, title};
use crate::feed::{Change, announce};
use crate::state::AppState;
use zspark_api::rules;
pub use zspark_api::{CreateSession, ForkSession, RenameSession, Session};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, create_session))
        .routes(routes!(get_session, rename_session, delete_session))
        .routes(routes!(fork_session))
}

/// The columns every session query reads (a macro so queries stay string literals).
macro_rules! columns {
    () => {
        "id, workspace_id, title, author, cwd_hint, model, forked_from, forked_at_seq, item_count, created_at, updated_at"
    };
}

fn session_from(row: &sqlx::any::AnyRow) -> ApiResult<Session> {
    Ok(Session {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        title: row.try_get("title")?,
        author: row.try_get("author")?,
        cwd_hint: row.try_get("cwd_hint")?,
        model: row.try_get("model")?,
        forked_from: row.try_get("forked_from")?,
        forked_at_seq: row.try_get("forked_at_seq")?,
        item_count: row.try_get("item_count")?,
        created_at: rfc3339(row.try_get("created_at")?),
        updated_at: rfc3339(row.try_get("updated_at")?),
    })
}

/// Reads one session of `workspace_id`, or 404.
pub async fn load_session(
    state: &AppState,
    workspace_id: &str,
    session_id: &str,
) -> ApiResult<Session> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM sessions WHERE id = $1 AND workspace_id = $2"
    ))
    .bind(session_id)
    .bind(workspace_id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("the session"))?;
    session_from(&row)
}

/// Optional free text under `rule`; blank means none.
fn optional_text(
    value: Option<String>,
    what: &str,
    rule: &rules::TextRule,
) -> ApiResult<Option<String>> {
    match value {
        Some(text) if !rule.accepts(&text) => Err(ApiError::Unprocessable(format!(
            "{what} must be at most {} characters without control characters",
            rule.max_chars
        ))),
        other => Ok(other.filter(|text| !text.trim().is_empty())),
    }
}

/// The workspace's sessions, most recently updated first.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/sessions", params(WorkspacePath, PageQuery),
    responses((status = 200, body = Page<Session>), (status = 404, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<Session>>> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    let (after_time, after_id) = decode_cursor(page.cursor.as_deref())?;
    let limit = page.limit()?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM sessions WHERE workspace_id = $1 AND (updated_at < $2 OR (updated_at = $2 AND id < $3)) \
         ORDER BY updated_at DESC, id DESC LIMIT $4"
    ))
    .bind(&workspace_id)
    .bind(after_time)
    .bind(after_id)
    .bind(limit + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let sessions = rows
        .iter()
        .map(session_from)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(axum::Json(page_from_rows(sessions, limit, |session| {
        encode_cursor(&session.updated_at, &session.id)
    })))
}

/// Creates an empty session (editor).
#[utoipa::path(post, path = "/v1/workspaces/{workspace_id}/sessions", params(WorkspacePath), request_body = CreateSession,
    responses((status = 201, body = Session), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
    ApiJson(body): ApiJson<CreateSession>,
) -> ApiResult<impl IntoResponse> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &workspace_id, &user, Role::Editor).await?;
    let title = title(&body.title, "session title")?;
    let cwd_hint = optional_text(body.cwd_hint, "cwd_hint", &rules::CWD_HINT)?;
    let model = optional_text(body.model, "model", &rules::MODEL)?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id, workspace_id, title, author, cwd_hint, model, item_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
    )
    .bind(&id)
    .bind(&workspace_id)
    .bind(&title)
    .bind(&user.key)
    .bind(&cwd_hint)
    .bind(&model)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &workspace_id,
        &user.key,
        "created",
        "session",
        Some(&id),
        &format!("started the session “{title}”"),
    )
    .await?;
    tx.commit().await?;
    announce(&state, &workspace_id, Change::Activity).await;
    Ok((
        StatusCode::CREATED,
        axum::Json(load_session(&state, &workspace_id, &id).await?),
    ))
}

/// One session.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/sessions/{session_id}", params(SessionPath),
    responses((status = 200, body = Session), (status = 404, body = ErrorBody)))]
pub async fn get_session(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<SessionPath>,
) -> ApiResult<axum::Json<Session>> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let session_id = parse_id(&path.session_id, "session")?;
    require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    Ok(axum::Json(
        load_session(&state, &workspace_id, &session_id).await?,
    ))
}

/// Renames a session (editor).
#[utoipa::path(patch, path = "/v1/workspaces/{workspace_id}/sessions/{session_id}", params(SessionPath), request_body = RenameSession,
    responses((status = 200, body = Session), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rename_session(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<RenameSession>,
) -> ApiResult<axum::Json<Session>> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let session_id = parse_id(&path.session_id, "session")?;
    require_role(&state, &workspace_id, &user, Role::Editor).await?;
    let title = title(&body.title, "session title")?;
    load_session(&state, &workspace_id, &session_id).await?;
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE sessions SET title = $1, updated_at = $2 WHERE id = $3")
        .bind(&title)
        .bind(now_ms())
        .bind(&session_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &workspace_id,
        &user.key,
        "renamed",
        "session",
        Some(&session_id),
        &format!("renamed a session to “{title}”"),
    )
    .await?;
    tx.commit().await?;
    announce(&state, &workspace_id, Change::Activity).await;
    Ok(axum::Json(
        load_session(&state, &workspace_id, &session_id).await?,
    ))
}

/// Deletes a session and its items (the workspace's owners, or the session's author
/// while an editor).
#[utoipa::path(delete, path = "/v1/workspaces/{workspace_id}/sessions/{session_id}", params(SessionPath),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_session(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<SessionPath>,
) -> ApiResult<StatusCode> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let session_id = parse_id(&path.session_id, "session")?;
    let role = require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    let session = load_session(&state, &workspace_id, &session_id).await?;
    let allowed = role == Role::Owner || (role == Role::Editor && session.author == user.key);
    if !allowed {
        return Err(ApiError::Forbidden(
            "only the workspace's owners or the session's author (as an editor) can delete it"
                .to_string(),
        ));
    }
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(&session_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &workspace_id,
        &user.key,
        "deleted",
        "session",
        Some(&session_id),
        &format!("deleted the session “{}”", session.title),
    )
    .await?;
    tx.commit().await?;
    announce(&state, &workspace_id, Change::Activity).await;
    Ok(StatusCode::NO_CONTENT)
}

/// A new session holding a copy of this one's items before `up_to_seq` (editor).
#[utoipa::path(post, path = "/v1/workspaces/{workspace_id}/sessions/{session_id}/fork", params(SessionPath), request_body = ForkSession,
    responses((status = 201, body = Session), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "up_to_seq is beyond the session's items", body = ErrorBody)))]
pub async fn fork_session(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<ForkSession>,
) -> ApiResult<impl IntoResponse> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let source_id = parse_id(&path.session_id, "session")?;
    require_role(&state, &workspace_id, &user, Role::Editor).await?;
    let source = load_session(&state, &workspace_id, &source_id).await?;
    let up_to = body.up_to_seq.unwrap_or(source.item_count);
    if up_to < 0 {
        return Err(ApiError::Unprocessable(
            "up_to_seq must be 0 or more".to_string(),
        ));
    }
    if up_to > source.item_count {
        return Err(ApiError::Conflict(format!(
            "the session holds {} items, so up_to_seq can be at most that; reload it and try again",
            source.item_count
        )));
    }
    let title = match body.title {
        Some(text) => title(&text, "session title")?,
        None => format!("{} (fork)", source.title)
            .chars()
            .take(200)
            .collect(),
    };
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id, workspace_id, title, author, cwd_hint, model, forked_from, forked_at_seq, item_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9)",
    )
    .bind(&id)
    .bind(&workspace_id)
    .bind(&title)
    .bind(&user.key)
    .bind(&source.cwd_hint)
    .bind(&source.model)
    .bind(&source_id)
    .bind(up_to)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO session_items (session_id, seq, author, kind, payload, created_at) \
         SELECT $1, seq, author, kind, payload, created_at FROM session_items WHERE session_id = $2 AND seq < $3",
    )
    .bind(&id)
    .bind(&source_id)
    .bind(up_to)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &workspace_id,
        &user.key,
        "forked",
        "session",
        Some(&id),
        &format!("forked “{}” as “{title}”", source.title),
    )
    .await?;
    tx.commit().await?;
    announce(&state, &workspace_id, Change::Activity).await;
    Ok((
        StatusCode::CREATED,
        axum::Json(load_session(&state, &workspace_id, &id).await?),
    ))
}

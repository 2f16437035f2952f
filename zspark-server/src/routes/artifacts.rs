//! Artifacts: files shared in a workspace. Upload streams the raw body (editor) with the
//! name and session in the query and the claimed SHA-256 in `x-content-sha256`; list
//! and download (viewer); delete (editor).

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::activity::record;
use super::sessions::load_session;
use super::{Page, PageQuery, WorkspacePath, decode_cursor, encode_cursor, page_from_rows};
use crate::auth::{AuthUser, Role, require_role};
use crate::body_limits;
use crate::db::{now_ms, rfc3339};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, file_name, parse_id};
use crate::feed::{Change, announce};
use crate::state::AppState;
use crate::storage::{UploadError, content_disposition, safe_media_type};
pub use zspark_api::Artifact;
use zspark_api::rules;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_artifacts, upload_artifact))
        .routes(routes!(download_artifact, delete_artifact))
        // Uploads stream to disk under their own limit.
        .layer(DefaultBodyLimit::disable())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file name shown to people.
    pub name: String,
    /// The session the file belongs to, if any.
    pub session_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ArtifactPath {
    /// The workspace id.
    pub workspace_id: String,
    /// The artifact id.
    pub artifact_id: String,
}

/// The columns every artifact query reads (a macro so queries stay string literals).
macro_rules! columns {
    () => {
        "id, workspace_id, session_id, name, media_type, size, sha256, storage_key, created_by, created_at"
    };
}

fn artifact_from(row: &sqlx::any::AnyRow) -> ApiResult<Artifact> {
    Ok(Artifact {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        session_id: row.try_get("session_id")?,
        name: row.try_get("name")?,
        media_type: row.try_get("media_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        created_by: row.try_get("created_by")?,
        created_at: rfc3339(row.try_get("created_at")?),
    })
}

async fn load(
    state: &AppState,
    workspace_id: &str,
    artifact_id: &str,
) -> ApiResult<(Artifact, String)> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM artifacts WHERE id = $1 AND workspace_id = $2"
    ))
    .bind(artifact_id)
    .bind(workspace_id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("the artifact"))?;
    Ok((artifact_from(&row)?, row.try_get("storage_key")?))
}

/// The workspace's artifacts, newest first.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/artifacts", params(WorkspacePath, PageQuery),
    responses((status = 200, body = Page<Artifact>), (status = 404, body = ErrorBody)))]
pub async fn list_artifacts(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<Artifact>>> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    // Artifact ids are UUIDv7, so they order by time: the cursor's id is enough.
    let (_, before) = decode_cursor(page.cursor.as_deref())?;
    let limit = page.limit()?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM artifacts WHERE workspace_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3"
    ))
    .bind(&workspace_id)
    .bind(&before)
    .bind(limit + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let artifacts = rows
        .iter()
        .map(artifact_from)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(axum::Json(page_from_rows(artifacts, limit, |artifact| {
        encode_cursor(&artifact.created_at, &artifact.id)
    })))
}

/// Uploads a file (editor): the raw body, streamed to disk with its size limited and its
/// SHA-256 computed (and compared with `x-content-sha256` when sent).
#[utoipa::path(post, path = "/v1/workspaces/{workspace_id}/artifacts", params(WorkspacePath, UploadQuery,
        ("x-content-sha256" = Option<String>, Header,
            description = "The file's SHA-256 in hexadecimal; the upload is refused (422) when the file's differs.")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file's bytes. Any Content-Type may be sent; it becomes the file's type."),
    responses((status = 201, body = Artifact), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_artifact(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &workspace_id, &user, Role::Editor).await?;
    let name = file_name(&query.name)?;
    let session_id = match &query.session_id {
        Some(id) => {
            let id = parse_id(id, "session")?;
            load_session(&state, &workspace_id, &id).await?;
            Some(id)
        }
        None => None,
    };
    let claimed = match headers.get("x-content-sha256") {
        Some(value) => {
            let text = value.to_str().unwrap_or_default();
            if !rules::SHA256_HEX.accepts(text) {
                return Err(ApiError::BadRequest(
                    "x-content-sha256 must be 64 hexadecimal characters".to_string(),
                ));
            }
            Some(text.to_ascii_lowercase())
        }
        None => None,
    };
    let limit = state.config.max_artifact_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|value| !value.is_empty() && value.len() <= 200)
        .unwrap_or_else(|| "application/octet-stream".to_string());

    let received = state
        .artifacts
        .receive(body, limit)
        .await
        .map_err(|error| match error {
            UploadError::TooLarge { limit } => too_large(limit),
            UploadError::Interrupted(error) if body_limits::is_idle_timeout(&error) => {
                body_limits::stalled()
            }
            UploadError::Interrupted(error) => {
                ApiError::BadRequest(format!("the upload ended early: {error}"))
            }
            UploadError::Io(error) => ApiError::Internal(format!("storing an upload: {error}")),
        })?;
    if let Some(claimed) = &claimed
        && *claimed != received.sha256
    {
        state.artifacts.discard(&received).await;
        return Err(ApiError::Unprocessable(format!(
            "the file's SHA-256 is {}, not the {claimed} sent in x-content-sha256; it was not stored",
            received.sha256
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let storage_key = format!("{workspace_id}/{id}");
    if let Err(error) = state.artifacts.commit(&received, &storage_key).await {
        state.artifacts.discard(&received).await;
        return Err(error.into());
    }
    // Until the row is written the file may not stay: not when writing it fails (the
    // workspace was deleted meanwhile, say), nor when the client goes away.
    let committed = state.artifacts.guard(&storage_key);
    let now = now_ms();
    let size = i64::try_from(received.size).unwrap_or(i64::MAX);
    let stored = async {
        let mut tx = state.db.pool.begin().await?;
        sqlx::query(concat!(
            "INSERT INTO artifacts (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&id)
        .bind(&workspace_id)
        .bind(&session_id)
        .bind(&name)
        .bind(&media_type)
        .bind(size)
        .bind(&received.sha256)
        .bind(&storage_key)
        .bind(&user.key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            &workspace_id,
            &user.key,
            "uploaded",
            "artifact",
            Some(&id),
            &format!("shared {name}"),
        )
        .await?;
        tx.commit().await?;
        announce(&state, &workspace_id, Change::Activity).await;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    if let Err(error) = stored {
        let workspace_gone = matches!(&error, sqlx::Error::Database(database)
            if database.kind() == sqlx::error::ErrorKind::ForeignKeyViolation);
        return Err(if workspace_gone {
            ApiError::NotFound(
                "the workspace or session was deleted while the file was uploading; nothing was stored"
                    .to_string(),
            )
        } else {
            error.into()
        });
    }
    committed.keep();
    let (artifact, _) = load(&state, &workspace_id, &id).await?;
    Ok((StatusCode::CREATED, axum::Json(artifact)))
}

fn too_large(limit: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "artifacts may be at most {} MiB on this server",
        limit / (1024 * 1024)
    ))
}

/// Downloads a file, as an attachment with its exact name (RFC 5987) and a safe type.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/artifacts/{artifact_id}", params(ArtifactPath),
    responses((status = 200, content_type = "*/*",
            description = "The file, typed as it was uploaded (active types such as HTML or SVG as application/octet-stream).",
            headers(("content-disposition" = String, description = "attachment, with the exact name (RFC 5987)"),
                ("x-content-sha256" = String, description = "The file's SHA-256 in hexadecimal"))),
        (status = 404, body = ErrorBody)))]
pub async fn download_artifact(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<ArtifactPath>,
) -> ApiResult<Response> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let artifact_id = parse_id(&path.artifact_id, "artifact")?;
    require_role(&state, &workspace_id, &user, Role::Viewer).await?;
    let (artifact, storage_key) = load(&state, &workspace_id, &artifact_id).await?;
    let body = state
        .artifacts
        .download(&storage_key)
        .await
        .map_err(|error| {
            ApiError::Internal(format!(
                "artifact {artifact_id} has a row but no file: {error}"
            ))
        })?;
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    let value = |text: String| {
        HeaderValue::from_str(&text).map_err(|error| ApiError::Internal(error.to_string()))
    };
    headers.insert(
        header::CONTENT_TYPE,
        value(safe_media_type(&artifact.media_type))?,
    );
    headers.insert(header::CONTENT_LENGTH, value(artifact.size.to_string())?);
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(content_disposition(&artifact.name))?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-content-sha256", value(artifact.sha256)?);
    Ok(response)
}

/// Deletes a file (editor).
#[utoipa::path(delete, path = "/v1/workspaces/{workspace_id}/artifacts/{artifact_id}", params(ArtifactPath),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_artifact(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<ArtifactPath>,
) -> ApiResult<StatusCode> {
    let workspace_id = parse_id(&path.workspace_id, "workspace")?;
    let artifact_id = parse_id(&path.artifact_id, "artifact")?;
    require_role(&state, &workspace_id, &user, Role::Editor).await?;
    let (artifact, storage_key) = load(&state, &workspace_id, &artifact_id).await?;
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("DELETE FROM artifacts WHERE id = $1")
        .bind(&artifact_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &workspace_id,
        &user.key,
        "deleted",
        "artifact",
        Some(&artifact_id),
        &format!("deleted {}", artifact.name),
    )
    .await?;
    tx.commit().await?;
    announce(&state, &workspace_id, Change::Activity).await;
    state.artifacts.remove(&storage_key).await?;
    Ok(StatusCode::NO_CONTENT)
}

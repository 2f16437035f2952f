//! Members of a workspace: list (viewer), invite and change roles (owner), remove
//! (owner, or anyone leaving). The last owner can neither leave nor be demoted.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use sqlx::Row;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zspark_api::rules;

use super::WorkspacePath;
use super::activity::record;
use crate::auth::{AuthUser, Role, require_role};
use crate::db::{now_ms, rfc3339};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, parse_id};
use crate::feed::{Change, announce};
use crate::state::AppState;
pub use zspark_api::{ChangeRole, InviteMember, Member};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, invite_member))
        .routes(routes!(change_role, remove_member))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberPath {
    /// The workspace id.
    pub workspace_id: String,
    /// The member's principal key.
    pub principal: String,
}

/// The principal key `invited` names: a key as it is, or the e-mail/UPN (or, on a
/// development server, the user name) of exactly one person who has signed in here.
async fn invitee(state: &AppState, invited: &str) -> ApiResult<String> {
    let invited = invited.trim();
    if rules::PRINCIPAL_KEY.accepts(invited) {
        return Ok(invited.to_string());
    }
    let advice = "invite a principal key such as tenant:<tenant-id>:oid:<object-id> or principal:<name>, or the e-mail/UPN of someone who has signed in here (no spaces, at most 320 characters)";
    if !rules::INVITEE.accepts(invited) {
        return Err(ApiError::Unprocessable(advice.to_string()));
    }
    // Well-formed, but like a mistyped principal key: it names nobody.
    if invited.contains(':') && !invited.contains('@') {
        return Err(ApiError::NotFound(format!(
            "{invited} is not a principal key, and not a sign-in name: {advice}"
        )));
    }
    match crate::people::principals_named(&state.db, invited)
        .await?
        .as_slice()
    {
        [one] => Ok(one.clone()),
        // Well-formed, but naming nobody known here (404) or several people (409).
        [] => Err(ApiError::NotFound(format!(
            "nobody has signed in to this server as {invited} yet: ask them to sign in once (in the desktop or with zspark auth login), then invite them again, or invite their principal key (tenant:<tenant-id>:oid:<object-id>)"
        ))),
        _ => Err(ApiError::Conflict(format!(
            "more than one person has signed in as {invited}: invite by principal key (tenant:<tenant-id>:oid:<object-id>) instead"
        ))),
    }
}

async fn owner_count(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
) -> ApiResult<i64> {
    Ok(sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS owners FROM members WHERE workspace_id = $1 AND role = 'owner'")
        .bind(workspace_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("owners")?)
}

/// The workspace's members.
#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/members", params(WorkspacePath),
    responses((status = 200, body = Vec<Member>), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    let id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &id, &user, Role::Viewer).await?;
    let rows = sqlx::query("SELECT members.principal, people.display_name, role, added_by, added_at FROM members LEFT JOIN people ON people.principal = members.principal WHERE workspace_id = $1 ORDER BY added_at, members.principal")
        .bind(&id)
        .fetch_all(&state.db.pool)
        .await?;
    let mut members = Vec::with_capacity(rows.len());
    for row in rows {
        members.push(Member {
            principal: row.try_get("principal")?,
            display_name: row.try_get("display_name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::Viewer),
            added_by: row.try_get("added_by")?,
            added_at: rfc3339(row.try_get("added_at")?),
        });
    }
    Ok(axum::Json(members))
}

/// Adds a member (owner). A principal already in the workspace is a conflict.
#[utoipa::path(post, path = "/v1/workspaces/{workspace_id}/members", params(WorkspacePath), request_body = InviteMember,
    responses((status = 201, body = Member), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invite_member(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<WorkspacePath>,
    ApiJson(body): ApiJson<InviteMember>,
) -> ApiResult<impl IntoResponse> {
    let id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &id, &user, Role::Owner).await?;
    let mut body = body;
    body.principal = invitee(&state, &body.principal).await?;
    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("INSERT INTO members (workspace_id, principal, role, added_by, added_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(&body.principal)
        .bind(body.role.as_str())
        .bind(&user.key)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|error| match ApiError::from(error) {
            ApiError::Conflict(_) => ApiError::Conflict(format!("{} is already a member; change their role instead", body.principal)),
            other => other,
        })?;
    let display_name = crate::people::name_of(&mut tx, &body.principal).await?;
    let summary = format!(
        "added {} as {}",
        display_name.as_deref().unwrap_or(&body.principal),
        body.role.as_str()
    );
    record(
        &mut tx,
        &id,
        &user.key,
        "added",
        "member",
        Some(&body.principal),
        &summary,
    )
    .await?;
    tx.commit().await?;
    announce(&state, &id, Change::Members).await;
    let member = Member {
        principal: body.principal,
        display_name,
        role: body.role,
        added_by: user.key,
        added_at: rfc3339(now),
    };
    Ok((StatusCode::CREATED, axum::Json(member)))
}

/// Changes a member's role (owner). The last owner cannot be demoted.
#[utoipa::path(patch, path = "/v1/workspaces/{workspace_id}/members/{principal}", params(MemberPath), request_body = ChangeRole,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn change_role(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<MemberPath>,
    ApiJson(body): ApiJson<ChangeRole>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&path.workspace_id, "workspace")?;
    require_role(&state, &id, &user, Role::Owner).await?;
    let mut tx = state.db.pool.begin().await?;
    lock_workspace(&mut tx, &id).await?;
    let current = current_role(&mut tx, &id, &path.principal).await?;
    if current == Role::Owner && body.role != Role::Owner && owner_count(&mut tx, &id).await? <= 1 {
        return Err(ApiError::Conflict(
            "the workspace's last owner cannot be demoted; make someone else owner first"
                .to_string(),
        ));
    }
    sqlx::query("UPDATE members SET role = $1 WHERE workspace_id = $2 AND principal = $3")
        .bind(body.role.as_str())
        .bind(&id)
        .bind(&path.principal)
        .execute(&mut *tx)
        .await?;
    let named = crate::people::name_of(&mut tx, &path.principal).await?;
    let summary = format!(
        "made {} {}",
        named.as_deref().unwrap_or(&path.principal),
        body.role.as_str()
    );
    record(
        &mut tx,
        &id,
        &user.key,
        "changed_role",
        "member",
        Some(&path.principal),
        &summary,
    )
    .await?;
    tx.commit().await?;
    announce(&state, &id, Change::Members).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member (owner), or leaves (any member removing themselves). The last owner
/// cannot go.
#[utoipa::path(delete, path = "/v1/workspaces/{workspace_id}/members/{principal}", params(MemberPath),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiPath(path): ApiPath<MemberPath>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&path.workspace_id, "workspace")?;
    let leaving = path.principal == user.key;
    require_role(
        &state,
        &id,
        &user,
        if leaving { Role::Viewer } else { Role::Owner },
    )
    .await?;
    let mut tx = state.db.pool.begin().await?;
    lock_workspace(&mut tx, &id).await?;
    let current = current_role(&mut tx, &id, &path.principal).await?;
    if current == Role::Owner && owner_count(&mut tx, &id).await? <= 1 {
        return Err(ApiError::Conflict("the workspace's last owner cannot leave; make someone else owner first, or delete the workspace".to_string()));
    }
    sqlx::query("DELETE FROM members WHERE workspace_id = $1 AND principal = $2")
        .bind(&id)
        .bind(&path.principal)
        .execute(&mut *tx)
        .await?;
    let (verb, summary) = if leaving {
        ("left", "left the workspace".to_string())
    } else {
        let named = crate::people::name_of(&mut tx, &path.principal).await?;
        (
            "removed",
            format!("removed {}", named.as_deref().unwrap_or(&path.principal)),
        )
    };
    record(
        &mut tx,
        &id,
        &user.key,
        verb,
        "member",
        Some(&path.principal),
        &summary,
    )
    .await?;
    tx.commit().await?;
    announce(&state, &id, Change::Members).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Serialises membership changes in one workspace (a row lock on PostgreSQL, the write
/// lock on SQLite), so two owners cannot demote each other at once.
async fn lock_workspace(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
) -> ApiResult<()> {
    sqlx::query("UPDATE workspaces SET updated_at = updated_at WHERE id = $1")
        .bind(workspace_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn current_role(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    principal: &str,
) -> ApiResult<Role> {
    let row = sqlx::query("SELECT role FROM members WHERE workspace_id = $1 AND principal = $2")
        .bind(workspace_id)
        .bind(principal)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| ApiError::not_found("that member"))?;
    Ok(Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::Viewer))
}

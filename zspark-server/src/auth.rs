//! [`AuthUser`]: the authenticated caller, extracted before any handler runs, with the
//! per-principal rate limit applied. Roles inside a workspace are checked by
//! [`require_role`].

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use sqlx::{AssertSqlSafe, Row};
use zspark_auth::{Principal, TokenError};

use crate::db::placeholders;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Identity};
pub use zspark_api::Role;

/// The development identity header.
pub const DEV_HEADER: &str = "x-domain-user";

pub struct AuthUser(pub Principal);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = match &state.identity {
            Identity::Development => {
                let name = parts
                    .headers
                    .get(DEV_HEADER)
                    .ok_or_else(|| ApiError::Unauthenticated {
                        message:
                            "development mode: send your user name in the X-Domain-User header"
                                .to_string(),
                        challenge: None,
                    })?
                    .to_str()
                    .map_err(|_| {
                        ApiError::BadRequest(
                            "X-Domain-User must be printable ASCII or UTF-8 text".to_string(),
                        )
                    })?;
                Principal::development(name)
                    .map_err(|error| ApiError::BadRequest(error.to_string()))?
            }
            Identity::Entra(validator) => {
                let token = bearer_token(parts)?;
                validator.validate(token).await.map_err(|error| {
                    // The request span carries the request id; the token itself is never logged.
                    tracing::warn!(class = error.class(), reason = %error.message(), "refused an access token");
                    match error {
                        TokenError::Unavailable(_) => ApiError::Unavailable(error.message()),
                        _ => ApiError::Unauthenticated {
                            message: error.message(),
                            challenge: Some(format!(
                                "Bearer realm=\"zspark\", error=\"{}\", error_description=\"{}\"",
                                if error == TokenError::MissingScope { "insufficient_scope" } else { "invalid_token" },
                                error.class()
                            )),
                        },
                    }
                })?
            }
            Identity::Unconfigured => {
                return Err(ApiError::Unavailable(
                    "this server has no identity provider: set ZSPARK_TENANT_ID, ZSPARK_CLIENT_ID and ZSPARK_AUTHORITY for Entra ID, or run `zspark serve --dev` on loopback for local development".to_string(),
                ));
            }
        };
        state
            .limiter
            .check(&principal.key)
            .await
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
        state.people.saw(&state.db, &principal).await;
        Ok(Self(principal))
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let missing = || ApiError::Unauthenticated {
        message: "send an Entra ID access token in the Authorization header: Bearer <token>"
            .to_string(),
        challenge: Some("Bearer realm=\"zspark\"".to_string()),
    };
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(missing()),
    }
}

/// The caller's role in `workspace_id` (through their own key or a group), if any.
pub async fn role_in(
    state: &AppState,
    workspace_id: &str,
    user: &Principal,
) -> ApiResult<Option<Role>> {
    let keys = user.access_keys();
    let sql = format!(
        "SELECT role FROM members WHERE workspace_id = $1 AND principal IN ({})",
        placeholders(2, keys.len())
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(workspace_id);
    for key in &keys {
        query = query.bind(key);
    }
    let rows = query.fetch_all(&state.db.pool).await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.try_get::<String, _>("role").ok())
        .filter_map(|role| Role::parse(&role))
        .max())
}

/// The caller's role, if it is at least `minimum`. A caller who is not a member gets
/// 404 (they do not learn the workspace exists); a member with too low a role, 403.
pub async fn require_role(
    state: &AppState,
    workspace_id: &str,
    user: &Principal,
    minimum: Role,
) -> ApiResult<Role> {
    match role_in(state, workspace_id, user).await? {
        None => Err(ApiError::not_found("the workspace")),
        Some(role) if role < minimum => Err(ApiError::Forbidden(format!(
            "this needs the {} role in the workspace; you are {}",
            minimum.as_str(),
            role.as_str()
        ))),
        Some(role) => Ok(role),
    }
}

//! Health (`/healthz`: the process is up; `/readyz`: the database answers; both say
//! whether live rooms are shared through Redis), and
//! `/v1/me`: who the server thinks the caller is.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::state::AppState;
pub use zspark_api::Me;

/// The unauthenticated health routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

pub fn me_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// Up, and whether live rooms reach the other instances (`hub`: `local` without
/// Redis, `shared`, or `degraded` while Redis does not answer).
async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "hub": state.hub.status().as_str()}))
}

/// Ready when the database answers; a Redis that does not answer leaves the instance
/// serving its own clients, so it is reported but does not make it unready.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let hub = state.hub.status().as_str();
    if state.db.ping().await {
        (StatusCode::OK, Json(json!({"status": "ready", "hub": hub})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database unreachable", "hub": hub})),
        )
    }
}

/// The caller's identity as the server sees it.
#[utoipa::path(get, path = "/v1/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(AuthUser(user): AuthUser) -> Json<Me> {
    Json(Me {
        principal: user.key,
        display_name: user.display_name,
        tenant_id: user.tenant_id,
        groups: user.groups,
    })
}

//! `zspark serve`: the self-hosted shared-workspace server. Workspaces with members and
//! roles, sessions holding the conversation items their runtimes recorded, an activity
//! feed (also live, over a WebSocket) and artifacts, stored through sqlx on SQLite
//! (default) or PostgreSQL.
//!
//! [`router`] builds the whole API from an [`AppState`], so tests drive it without a
//! socket; [`serve`] runs it with graceful shutdown. The OpenAPI document at
//! `/openapi.json` is generated from the handlers.

mod auth;
mod body_limits;
mod collab;
pub mod config;
mod connections;
mod db;
mod error;
mod extract;
mod feed;
mod hub;
mod openapi;
mod people;
mod ratelimit;
mod request_id;
mod routes;
mod state;
mod storage;
mod tickets;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::routing::get;
use sqlx::Row;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use zspark_auth::{KeyCacheOptions, TokenValidator};

pub use config::{ConfigError, ConnectionLimits, IdentityMode, ServeArgs, ServerConfig};
pub use db::{Backend, DbError};
pub use state::AppState;

use crate::collab::DocRooms;
use crate::db::Db;
use crate::error::ApiError;
use crate::feed::FeedRooms;
use crate::hub::Hub;
use crate::people::People;
use crate::ratelimit::RateLimiter;
use crate::state::{Identity, Inner};
use crate::storage::ArtifactStore;
use crate::tickets::TicketStore;

/// The largest encoded shared-session document.
const MAX_DOCUMENT: usize = 64 * 1024 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    HttpClient(#[from] zspark_auth::HttpClientError),
    #[error("Entra ID settings: {0}")]
    Entra(#[source] zspark_auth::ValidatorSettingsError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("--redis-url: {0}")]
    Redis(#[from] hub::RedisError),
    #[error(transparent)]
    ArtifactStore(#[from] storage::ObjectStoreSettingsError),
    #[error("cannot use the artifact directory {}: {source}", path.display())]
    ArtifactDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read artifacts: {0}")]
    ReadArtifacts(#[source] sqlx::Error),
    #[error("cannot check the artifact directory: {0}")]
    SweepArtifacts(#[source] std::io::Error),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Serve(#[source] std::io::Error),
}

/// Opens the database (migrating it) and the artifact store, and sweeps files left
/// without a row by an interrupted upload.
pub async fn open(config: ServerConfig) -> Result<AppState, StartError> {
    let identity = match &config.identity {
        IdentityMode::Development => Identity::Development,
        IdentityMode::Unconfigured => Identity::Unconfigured,
        IdentityMode::Entra(settings) => {
            let http = zspark_auth::http_client()?;
            let validator = TokenValidator::new(settings, http, KeyCacheOptions::default())
                .map_err(StartError::Entra)?;
            Identity::Entra(Arc::new(validator))
        }
    };
    let db = Db::connect(&config.database_url).await?;
    let objects = match &config.artifact_store {
        Some(url) => {
            let settings = &config.artifact_store_settings;
            Some(storage::ObjectArtifacts::open(url, settings).await?)
        }
        None => None,
    };
    let artifacts = ArtifactStore::open(&config.artifact_dir, objects).map_err(|source| {
        StartError::ArtifactDir {
            path: config.artifact_dir.clone(),
            source,
        }
    })?;
    let known: HashSet<String> = sqlx::query("SELECT storage_key FROM artifacts")
        .fetch_all(&db.pool)
        .await
        .map_err(StartError::ReadArtifacts)?
        .iter()
        .filter_map(|row| row.try_get("storage_key").ok())
        .collect();
    let swept = artifacts
        .sweep_orphans(&known)
        .await
        .map_err(StartError::SweepArtifacts)?;
    if swept > 0 {
        tracing::warn!(
            files = swept,
            "removed artifact files left by interrupted uploads"
        );
    }
    let hub = match &config.redis_url {
        Some(url) => Hub::connect(url).await?,
        None => Hub::local(),
    };
    let limiter = RateLimiter::new(
        config.rate_limit_window,
        config.rate_limit_max,
        hub.redis().cloned(),
    );
    Ok(AppState {
        inner: Arc::new(Inner {
            config,
            db,
            artifacts,
            limiter,
            identity,
            tickets: TicketStore::new(hub.redis().cloned()),
            hub,
            feed: FeedRooms::default(),
            docs: Arc::new(DocRooms::new(collab::Limits {
                max_document: MAX_DOCUMENT,
            })),
            people: People::default(),
        }),
    })
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let (api, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::api())
        .split_for_parts();
    let document = Arc::new(openapi::complete(document));
    let cors = cors_layer(&state.config.cors_origins);
    Router::new()
        .merge(routes::health_routes())
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .merge(api)
        .fallback(|| async {
            ApiError::NotFound("no such route; the API is described at /openapi.json".to_string())
        })
        .method_not_allowed_fallback(|| async {
            ApiError::MethodNotAllowed(
                "this route does not take that method; see /openapi.json".to_string(),
            )
        })
        .layer(DefaultBodyLimit::max(body_limits::MAX_JSON_BODY))
        .layer(axum::middleware::from_fn(request_id::middleware))
        .layer(cors)
        .with_state(state)
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            HeaderName::from_static("x-content-sha256"),
            request_id::HEADER,
        ])
        .expose_headers([request_id::HEADER])
        .max_age(Duration::from_secs(600))
}

/// Serves on `listener` within the configured connection limits until `shutdown`
/// resolves, then lets running requests finish.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.connections;
    let docs = state.docs.clone();
    let served = connections::serve(listener, router(state), limits, shutdown).await;
    // What clients wrote into shared documents is stored before the process ends, and
    // their clients are told to reconnect (to another instance, or this one restarted).
    docs.close_all().await;
    served
}

/// `zspark serve`: resolves the arguments, opens everything, serves until Ctrl-C or
/// SIGTERM.
pub async fn run(args: ServeArgs, mut report: impl FnMut(&str)) -> std::process::ExitCode {
    let outcome = async {
        let mut config = ServerConfig::from_args(&args)?;
        fit_connections_to_open_files(&mut config.connections);
        let listen = config.listen;
        let backend = if config.database_url.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        };
        let identity = match &config.identity {
            IdentityMode::Development => "development identities (X-Domain-User)",
            IdentityMode::Entra(_) => "Entra ID",
            IdentityMode::Unconfigured => {
                "no identity provider: /v1 answers 503 until one is configured"
            }
        };
        let sharing = match &config.redis_url {
            Some(url) => format!("shared through Redis at {}", config::redact_url(url)),
            None => "this instance alone".to_string(),
        };
        let state = open(config).await?;
        let listener = bind(listen).map_err(|source| StartError::Listen {
            address: listen,
            source,
        })?;
        report(&format!(
            "zspark serve: listening on http://{listen} ({backend}; {identity}; {sharing})"
        ));
        if state.hub.status() == hub::HubStatus::Degraded {
            report("zspark serve: Redis is not answering; serving this instance's clients alone until it does");
        }
        serve_on(listener, state, shutdown_signal())
            .await
            .map_err(StartError::Serve)
    }
    .await;
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            report(&format!("zspark serve: {error}"));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Connections the kernel may hold waiting to be accepted (it caps this at its own
/// `somaxconn`). The usual 1024 makes a reconnect storm (a restart met by thousands of
/// clients at once) drop connection attempts, which clients then retry only after
/// doubling pauses of seconds.
const ACCEPT_BACKLOG: u32 = 4096;

/// The listening socket on `address`, with [`ACCEPT_BACKLOG`].
fn bind(address: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As the standard listener: a restarted server takes its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Lowers the connection cap below the open-file limit (raised first as far as allowed):
/// running out of file descriptors would stop the server answering anyone, `/healthz`
/// included. Some files stay for the database, artifacts and logs.
fn fit_connections_to_open_files(limits: &mut ConnectionLimits) {
    const RESERVED_FILES: u64 = 256;
    let Some(open_files) = connections::raise_open_file_limit() else {
        return;
    };
    let room =
        usize::try_from(open_files.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX);
    if limits.max_total > room {
        tracing::warn!(
            configured = limits.max_total,
            serving = room,
            "the open-file limit is lower than --max-connections; serving fewer at once"
        );
        limits.max_total = room;
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

//! `zspark serve` settings: clap arguments, each also read from a `ZSPARK_*`
//! environment variable, resolved into [`ServerConfig`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use zspark_auth::ValidatorSettings;

/// Run the shared-workspace server: workspaces, members, sessions with their
/// conversation items, activity and artifacts, on SQLite (default) or PostgreSQL.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines
    /// (only with Entra ID configured).
    #[arg(long, env = "ZSPARK_HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,

    /// Port to listen on.
    #[arg(long, env = "ZSPARK_PORT", default_value_t = 8787)]
    pub port: u16,

    /// Directory for the SQLite database and artifacts.
    #[arg(long, env = "ZSPARK_DATA_DIR", default_value = "zspark-data")]
    pub data_dir: PathBuf,

    /// Database URL: `postgres://…` for PostgreSQL; default is SQLite in the data directory.
    #[arg(long, env = "ZSPARK_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Where uploaded artifacts are stored (default: <data-dir>/artifacts; uploads in
    /// progress stay there with --artifact-store).
    #[arg(long, env = "ZSPARK_ARTIFACT_STORAGE_DIR")]
    pub artifact_storage_dir: Option<PathBuf>,

    /// Keep artifacts in S3-compatible object storage instead (`s3://bucket/prefix`),
    /// so every instance serves every file. Credentials, region and endpoint come from
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL.
    #[arg(long, env = "ZSPARK_ARTIFACT_STORE")]
    pub artifact_store: Option<String>,

    /// The public URL clients reach this server at (used in links).
    #[arg(long, env = "ZSPARK_SERVER_URL")]
    pub server_url: Option<String>,

    /// Browser origins allowed to call the API (comma-separated; none by default).
    #[arg(long, env = "ZSPARK_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Redis for several instances behind one load balancer (`redis://host:6379`): live
    /// rooms, WebSocket tickets and rate limits are shared through it. Without it this
    /// instance serves alone.
    #[arg(long, env = "ZSPARK_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Rate-limit window in milliseconds.
    #[arg(long, env = "ZSPARK_RATE_LIMIT_WINDOW_MS", default_value_t = 60_000)]
    pub rate_limit_window_ms: u64,

    /// Requests allowed per principal in each window.
    #[arg(long, env = "ZSPARK_RATE_LIMIT_MAX", default_value_t = 600)]
    pub rate_limit_max: u32,

    /// Largest artifact accepted, in MiB.
    #[arg(long, env = "ZSPARK_MAX_ARTIFACT_MIB", default_value_t = 1024)]
    pub max_artifact_mib: u64,

    /// Connections open at once, in total; more are answered 503 and closed.
    #[arg(long, env = "ZSPARK_MAX_CONNECTIONS", default_value_t = 8192)]
    pub max_connections: usize,

    /// Connections open at once from one address (0: no per-address cap, for a server
    /// behind a reverse proxy, where every connection comes from the proxy).
    #[arg(
        long,
        env = "ZSPARK_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 256
    )]
    pub max_connections_per_address: usize,

    /// Seconds a client has to send a request's headers, and that a kept-alive
    /// connection may sit idle between requests.
    #[arg(long, env = "ZSPARK_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request body may pause between two pieces before the request fails.
    #[arg(long, env = "ZSPARK_BODY_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub body_idle_timeout_secs: u64,

    /// Development mode: trust the `X-Domain-User` header as the caller's identity.
    /// Only on loopback and only without Entra settings.
    #[arg(long, env = "ZSPARK_DEV")]
    pub dev: bool,

    /// Entra ID tenant id (with client id and authority, turns on token checks).
    #[arg(long, env = "ZSPARK_TENANT_ID")]
    pub tenant_id: Option<String>,

    /// Entra ID application (client) id of this API.
    #[arg(long, env = "ZSPARK_CLIENT_ID")]
    pub client_id: Option<String>,

    /// Scope a token must carry, e.g. api://<client-id>/access_as_user.
    #[arg(long, env = "ZSPARK_API_SCOPE")]
    pub api_scope: Option<String>,

    /// Entra authority, e.g. https://login.microsoftonline.com/<tenant-id>.
    #[arg(long, env = "ZSPARK_AUTHORITY")]
    pub authority: Option<String>,

    /// App roles that admit app-only (daemon) tokens, comma-separated; none by default.
    #[arg(long, env = "ZSPARK_API_ROLES", value_delimiter = ',')]
    pub api_roles: Vec<String>,
}

/// How callers are identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityMode {
    /// `X-Domain-User` is trusted (development only).
    Development,
    /// Entra ID bearer tokens.
    Entra(ValidatorSettings),
    /// Nothing is configured: every authenticated route answers 503 with the reason.
    Unconfigured,
}

/// Server arguments that do not fit together; each says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "--dev (ZSPARK_DEV) cannot be combined with Entra settings: unset ZSPARK_TENANT_ID, ZSPARK_CLIENT_ID, ZSPARK_API_SCOPE and ZSPARK_AUTHORITY, or drop --dev"
    )]
    DevWithEntra,
    #[error(
        "--dev trusts the X-Domain-User header, so it only runs on loopback; {0} is reachable from other machines. Use --host 127.0.0.1 or configure Entra ID"
    )]
    DevNotOnLoopback(std::net::IpAddr),
    #[error("Entra ID needs all of ZSPARK_TENANT_ID, ZSPARK_CLIENT_ID and ZSPARK_AUTHORITY")]
    IncompleteEntra,
    /// The URL with its password hidden.
    #[error("unsupported database URL `{0}`: use postgres://… or sqlite:…")]
    UnsupportedDatabase(String),
    /// The URL with its password hidden.
    #[error("unsupported Redis URL `{0}`: use redis://host[:port][/db] (rediss:// for TLS)")]
    UnsupportedRedis(String),
}

/// Resolved server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub artifact_dir: PathBuf,
    /// `s3://bucket/prefix`, when artifacts live in object storage.
    pub artifact_store: Option<String>,
    /// The object store's `AWS_*` settings, read from the environment.
    pub artifact_store_settings: Vec<(String, String)>,
    pub server_url: Option<String>,
    pub cors_origins: Vec<String>,
    pub rate_limit_window: Duration,
    pub rate_limit_max: u32,
    pub redis_url: Option<String>,
    pub max_artifact_bytes: u64,
    pub identity: IdentityMode,
    pub connections: ConnectionLimits,
}

/// What one client may hold of the server's connections, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_total: usize,
    /// `None`: no per-address cap.
    pub max_per_address: Option<usize>,
    /// For a request's headers, and for the idle time between kept-alive requests.
    pub header_timeout: Duration,
    /// The longest pause inside a request body.
    pub body_idle_timeout: Duration,
}

impl ServerConfig {
    /// Checks the arguments and says what to change when they do not fit together.
    pub fn from_args(args: &ServeArgs) -> Result<Self, ConfigError> {
        let listen = SocketAddr::new(args.host, args.port);
        let entra_fields = [&args.tenant_id, &args.client_id, &args.authority];
        let entra_given =
            entra_fields.iter().any(|field| field.is_some()) || args.api_scope.is_some();
        let identity = match (args.dev, entra_given) {
            (true, true) => {
                return Err(ConfigError::DevWithEntra);
            }
            (true, false) if !args.host.is_loopback() => {
                return Err(ConfigError::DevNotOnLoopback(args.host));
            }
            (true, false) => IdentityMode::Development,
            (false, true) => match (&args.tenant_id, &args.client_id, &args.authority) {
                (Some(tenant_id), Some(client_id), Some(authority)) => {
                    IdentityMode::Entra(ValidatorSettings {
                        tenant_id: tenant_id.clone(),
                        client_id: client_id.clone(),
                        api_scope: args.api_scope.clone(),
                        allowed_roles: args
                            .api_roles
                            .iter()
                            .map(|role| role.trim().to_string())
                            .filter(|role| !role.is_empty())
                            .collect(),
                        authority: authority.trim_end_matches('/').to_string(),
                    })
                }
                _ => {
                    return Err(ConfigError::IncompleteEntra);
                }
            },
            (false, false) => IdentityMode::Unconfigured,
        };
        let redis_url = match args.redis_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                Some(url.to_string())
            }
            Some(url) => return Err(ConfigError::UnsupportedRedis(redact_url(url))),
        };
        let database_url = match &args.database_url {
            Some(url)
                if url.starts_with("postgres://")
                    || url.starts_with("postgresql://")
                    || url.starts_with("sqlite:") =>
            {
                url.clone()
            }
            Some(url) => {
                return Err(ConfigError::UnsupportedDatabase(redact_url(url)));
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                args.data_dir.join("zspark.db").display()
            ),
        };
        Ok(Self {
            listen,
            data_dir: args.data_dir.clone(),
            database_url,
            artifact_store: args
                .artifact_store
                .as_deref()
                .map(str::trim)
                .filter(|url| !url.is_empty())
                .map(str::to_string),
            artifact_store_settings: std::env::vars()
                .filter(|(name, _)| name.starts_with("AWS_"))
                .collect(),
            artifact_dir: args
                .artifact_storage_dir
                .clone()
                .unwrap_or_else(|| args.data_dir.join("artifacts")),
            server_url: args.server_url.clone(),
            cors_origins: args
                .cors_origins
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            rate_limit_window: Duration::from_millis(args.rate_limit_window_ms.max(1)),
            rate_limit_max: args.rate_limit_max.max(1),
            redis_url,
            max_artifact_bytes: args.max_artifact_mib.max(1).saturating_mul(1024 * 1024),
            identity,
            connections: ConnectionLimits {
                max_total: args.max_connections.max(1),
                max_per_address: (args.max_connections_per_address > 0)
                    .then_some(args.max_connections_per_address),
                header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
                body_idle_timeout: Duration::from_secs(args.body_idle_timeout_secs.max(1)),
            },
        })
    }
}

/// A database URL with its password hidden, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn resolve(args: &[&str]) -> Result<ServerConfig, String> {
        let mut argv = vec!["serve"];
        argv.extend_from_slice(args);
        ServerConfig::from_args(&Cli::try_parse_from(argv).unwrap().serve)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn identity_rules() {
        assert_eq!(
            resolve(&["--dev"]).unwrap().identity,
            IdentityMode::Development
        );
        assert!(
            resolve(&["--dev", "--host", "0.0.0.0"])
                .unwrap_err()
                .contains("only runs on loopback")
        );
        assert!(
            resolve(&["--dev", "--tenant-id", "t"])
                .unwrap_err()
                .contains("cannot be combined")
        );
        assert!(
            resolve(&["--tenant-id", "t"])
                .unwrap_err()
                .contains("needs all of")
        );
        assert_eq!(resolve(&[]).unwrap().identity, IdentityMode::Unconfigured);
        let entra = resolve(&[
            "--tenant-id",
            "t",
            "--client-id",
            "c",
            "--authority",
            "https://login.microsoftonline.com/t/",
        ])
        .unwrap();
        assert!(
            matches!(entra.identity, IdentityMode::Entra(ValidatorSettings { ref authority, .. }) if authority == "https://login.microsoftonline.com/t")
        );
    }

    #[test]
    fn database_urls() {
        let default = resolve(&["--data-dir", "/srv/z"]).unwrap();
        assert_eq!(default.database_url, "sqlite:///srv/z/zspark.db?mode=rwc");
        assert_eq!(default.artifact_dir, PathBuf::from("/srv/z/artifacts"));
        let bad = resolve(&["--database-url", "mysql://u:secret@h/db"]).unwrap_err();
        assert!(
            bad.contains("mysql://u:***@h/db") && !bad.contains("secret"),
            "{bad}"
        );
    }

    #[test]
    fn redis_urls() {
        assert_eq!(resolve(&[]).unwrap().redis_url, None);
        let given = resolve(&["--redis-url", " redis://cache:6379/2 "]).unwrap();
        assert_eq!(given.redis_url.as_deref(), Some("redis://cache:6379/2"));
        let bad = resolve(&["--redis-url", "http://u:secret@cache"]).unwrap_err();
        assert!(
            bad.starts_with("unsupported Redis URL `http://u:***@cache`")
                && !bad.contains("secret"),
            "{bad}"
        );
    }
}

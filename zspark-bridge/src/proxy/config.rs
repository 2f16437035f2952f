//! `zspark bridge` arguments and the settings the proxy runs with.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::profile::Profile;

/// Serve the OpenAI Responses API on a local port, translating to a provider that only
/// speaks Chat Completions. Point any Responses client (the openai SDK, the Codex CLI)
/// at http://LISTEN/v1.
#[derive(Debug, Clone, Args)]
pub struct BridgeArgs {
    /// Address to listen on. Anything but loopback requires a bearer token (see --token-env).
    #[arg(long, env = "ZSPARK_BRIDGE_LISTEN", default_value = "127.0.0.1:8788")]
    pub listen: SocketAddr,

    /// Base URL of the Chat Completions provider, e.g. https://api.deepseek.com/v1.
    #[arg(long, env = "ZSPARK_BRIDGE_UPSTREAM")]
    pub upstream: String,

    /// Environment variable holding the provider's API key. Without it, the client's
    /// own `Authorization` header is passed on (loopback only).
    #[arg(long, env = "ZSPARK_BRIDGE_API_KEY_ENV", value_name = "VAR")]
    pub api_key_env: Option<String>,

    /// Provider profile (deepseek, kimi, ollama, azure, vllm, ...); detected from the
    /// upstream URL when omitted.
    #[arg(long, env = "ZSPARK_BRIDGE_PROFILE")]
    pub profile: Option<String>,

    /// Environment variable holding the bearer token clients must send to the bridge.
    #[arg(
        long,
        env = "ZSPARK_BRIDGE_TOKEN_ENV",
        value_name = "VAR",
        default_value = "ZSPARK_BRIDGE_TOKEN"
    )]
    pub token_env: String,

    /// Query parameter added to every upstream request, e.g. api-version=2024-10-21 for
    /// Azure (repeatable).
    #[arg(long = "query", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub query: Vec<(String, String)>,

    /// Largest request body accepted, in MiB.
    #[arg(long, env = "ZSPARK_BRIDGE_MAX_BODY_MIB", default_value_t = 32)]
    pub max_body_mib: usize,

    /// Give up on the upstream when it sends nothing for this many seconds.
    #[arg(
        long,
        env = "ZSPARK_BRIDGE_UPSTREAM_TIMEOUT_SECS",
        default_value_t = 300
    )]
    pub upstream_timeout_secs: u64,
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

/// Bridge arguments that cannot work; each says what to set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyConfigError {
    #[error("--upstream must be an http:// or https:// URL, got `{0}`")]
    Upstream(String),
    #[error("unknown profile `{name}`; known profiles: {}", Profile::names().join(", "))]
    UnknownProfile { name: String },
    #[error("--api-key-env names {0}, but that variable is not set")]
    ApiKeyUnset(String),
    #[error(
        "listening on {listen} (beyond this machine) needs a bearer token: set {token_env} to a long random value and send it as `Authorization: Bearer ...`"
    )]
    TokenNeeded {
        listen: SocketAddr,
        token_env: String,
    },
    #[error(
        "listening beyond loopback needs --api-key-env: clients' own keys are only passed on for local use"
    )]
    ApiKeyNeeded,
}

/// The proxy's resolved settings.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub listen: SocketAddr,
    pub upstream: String,
    pub api_key: Option<String>,
    pub profile: Profile,
    /// Required from clients when set.
    pub token: Option<String>,
    pub query: BTreeMap<String, String>,
    pub max_body_bytes: usize,
    pub upstream_timeout: Duration,
}

impl ProxyConfig {
    /// Resolves the arguments against `env`; errors say what to set.
    pub fn from_args(
        args: &BridgeArgs,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, ProxyConfigError> {
        let upstream = args.upstream.trim().trim_end_matches('/').to_string();
        if !(upstream.starts_with("http://") || upstream.starts_with("https://")) {
            return Err(ProxyConfigError::Upstream(args.upstream.clone()));
        }
        let profile = match &args.profile {
            Some(name) => Profile::named(name)
                .ok_or_else(|| ProxyConfigError::UnknownProfile { name: name.clone() })?,
            None => Profile::detect(&upstream),
        };
        let api_key = match &args.api_key_env {
            Some(variable) => Some(
                env.get(variable)
                    .filter(|value| !value.trim().is_empty())
                    .cloned()
                    .ok_or_else(|| ProxyConfigError::ApiKeyUnset(variable.clone()))?,
            ),
            None => None,
        };
        let token = env
            .get(&args.token_env)
            .filter(|token| !token.trim().is_empty())
            .cloned();
        if !args.listen.ip().is_loopback() && token.is_none() {
            return Err(ProxyConfigError::TokenNeeded {
                listen: args.listen,
                token_env: args.token_env.clone(),
            });
        }
        if !args.listen.ip().is_loopback() && api_key.is_none() {
            return Err(ProxyConfigError::ApiKeyNeeded);
        }
        Ok(Self {
            listen: args.listen,
            upstream,
            api_key,
            profile,
            token,
            query: args.query.iter().cloned().collect(),
            max_body_bytes: args.max_body_mib.max(1) * 1024 * 1024,
            upstream_timeout: Duration::from_secs(args.upstream_timeout_secs.max(1)),
        })
    }
}

//! Model providers: the `[model_providers.<id>]` tables of `config.toml` and the
//! built-in ones (`openai`, `ollama`, `lmstudio`).

use std::collections::BTreeMap;
use std::time::Duration;

use codex_protocol::WireApi;
use serde::{Deserialize, Serialize};

use super::Env;

/// One provider, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelProviderInfo {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Base URL the API paths are appended to, e.g. `https://api.openai.com/v1`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Environment variable holding the key sent as `Authorization: Bearer`.
    #[serde(default)]
    pub env_key: Option<String>,
    /// Extra words for the "missing key" message (where to get a key).
    #[serde(default)]
    pub env_key_instructions: Option<String>,
    /// A key written in the config itself (discouraged, but Codex accepts it).
    #[serde(default)]
    pub experimental_bearer_token: Option<String>,
    #[serde(default)]
    pub wire_api: WireApi,
    /// Appended to every request URL (Azure's `api-version`).
    #[serde(default)]
    pub query_params: BTreeMap<String, String>,
    /// Sent with every request.
    #[serde(default)]
    pub http_headers: BTreeMap<String, String>,
    /// Header name -> environment variable; sent when the variable is set and non-empty.
    #[serde(default)]
    pub env_http_headers: BTreeMap<String, String>,
    #[serde(default)]
    pub request_max_retries: Option<u32>,
    #[serde(default)]
    pub stream_max_retries: Option<u32>,
    #[serde(default)]
    pub stream_idle_timeout_ms: Option<u64>,
    /// Set for OpenAI itself: a key may also come from `$CODEX_HOME/auth.json`.
    #[serde(default)]
    pub requires_openai_auth: bool,
    /// zspark only: the `zspark-bridge` profile for a `wire_api = "chat"` provider
    /// (deepseek, kimi, ollama, azure, ...); detected from `base_url` when absent.
    #[serde(default)]
    pub bridge_profile: Option<String>,
}

const DEFAULT_REQUEST_MAX_RETRIES: u32 = 4;
const DEFAULT_STREAM_MAX_RETRIES: u32 = 5;
const DEFAULT_STREAM_IDLE_TIMEOUT: Duration = Duration::from_millis(300_000);
/// Retries are capped so a typo in the config cannot make a turn retry forever.
const MAX_RETRIES_CAP: u32 = 100;

impl ModelProviderInfo {
    pub fn request_max_retries(&self) -> u32 {
        self.request_max_retries
            .unwrap_or(DEFAULT_REQUEST_MAX_RETRIES)
            .min(MAX_RETRIES_CAP)
    }

    pub fn stream_max_retries(&self) -> u32 {
        self.stream_max_retries
            .unwrap_or(DEFAULT_STREAM_MAX_RETRIES)
            .min(MAX_RETRIES_CAP)
    }

    pub fn stream_idle_timeout(&self) -> Duration {
        self.stream_idle_timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_STREAM_IDLE_TIMEOUT)
    }

    /// The `env_http_headers` whose variables are set and non-empty, resolved.
    pub fn resolved_env_headers(&self, env: &Env) -> Vec<(String, String)> {
        self.env_http_headers
            .iter()
            .filter_map(|(header, variable)| {
                let value = env.get(variable)?.trim();
                (!value.is_empty()).then(|| (header.clone(), value.to_string()))
            })
            .collect()
    }
}

/// The providers every configuration has; user tables with the same id replace them.
pub fn built_in_providers(env: &Env) -> BTreeMap<String, ModelProviderInfo> {
    let local = |name: &str, port: u16, variable: &str| {
        let base_url = env
            .get(variable)
            .filter(|url| !url.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| format!("http://localhost:{port}/v1"));
        ModelProviderInfo {
            name: name.to_string(),
            base_url: Some(base_url),
            ..ModelProviderInfo::default()
        }
    };
    let openai_base_url = env
        .get("OPENAI_BASE_URL")
        .filter(|url| !url.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| "https://api.openai.com/v1".to_string());
    BTreeMap::from([
        (
            "openai".to_string(),
            ModelProviderInfo {
                name: "OpenAI".to_string(),
                base_url: Some(openai_base_url),
                env_key: Some("OPENAI_API_KEY".to_string()),
                env_key_instructions: Some(
                    "Create a key at https://platform.openai.com/api-keys".to_string(),
                ),
                requires_openai_auth: true,
                ..ModelProviderInfo::default()
            },
        ),
        (
            "ollama".to_string(),
            local("Ollama", 11434, "CODEX_OSS_BASE_URL"),
        ),
        (
            "lmstudio".to_string(),
            local("LM Studio", 1234, "CODEX_LMSTUDIO_BASE_URL"),
        ),
    ])
}

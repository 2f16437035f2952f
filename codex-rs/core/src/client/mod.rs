//! The model client: builds a Responses request from a [`Prompt`], sends it to the
//! configured provider and reads the streamed answer as [`ResponseEvent`]s.
//!
//! One request per call, no retries here: the turn loop decides about retries because
//! it knows what has already been done with a partial answer.

mod error;
mod events;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use codex_protocol::{ReasoningEffort, ReasoningSummary, ResponseItem, Verbosity, WireApi};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

pub use error::{ModelError, RetryClass, parse_retry_after};
pub use events::{ResponseEvent, excerpt, parse_event, parse_event_value, parse_usage};

use zspark_bridge::sse::{MAX_EVENT_BYTES, SseDecoder};
use zspark_bridge::{AuthStyle, Profile, StreamTranslator, to_chat_request};

use crate::config::{Config, Env, ModelProviderInfo};
use crate::model_info;
use crate::tools::ToolSpec;

/// The API key `zspark exec` (like `codex exec`) takes for OpenAI providers when their
/// own variable is unset; the Codex SDK passes its `apiKey` this way.
const EXEC_API_KEY_VARIABLE: &str = "CODEX_API_KEY";
/// How long a provider may take to list its models.
const MODEL_LIST_TIMEOUT: Duration = Duration::from_secs(5);
/// Error bodies are read up to this size for the message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// What one model request carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// Sent first, as a developer message.
    pub base_instructions: String,
    /// The conversation so far: context items, then history.
    pub input: Vec<ResponseItem>,
    /// The tools offered.
    pub tools: Vec<ToolSpec>,
}

/// Per-request model settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    pub model: String,
    pub effort: Option<ReasoningEffort>,
    pub summary: ReasoningSummary,
    pub verbosity: Option<Verbosity>,
    /// The JSON Schema the answer must follow, sent as a strict `json_schema` format.
    pub output_schema: Option<Value>,
}

/// The name the output schema's text format carries (Codex's).
const OUTPUT_SCHEMA_NAME: &str = "codex_output_schema";

/// Sends requests to one provider for one session.
#[derive(Clone)]
pub struct ModelClient {
    http: reqwest::Client,
    provider_id: String,
    provider: ModelProviderInfo,
    env: Env,
    codex_home: PathBuf,
    session_id: String,
    /// Sent as `originator` so providers can tell the front-end's traffic apart.
    originator: String,
}

impl ModelClient {
    pub fn new(
        provider_id: String,
        provider: ModelProviderInfo,
        env: Env,
        codex_home: PathBuf,
        session_id: String,
    ) -> Result<Self, ModelError> {
        Ok(Self {
            http: http_client()?,
            provider_id,
            provider,
            env,
            codex_home,
            session_id,
            originator: "zspark".to_string(),
        })
    }

    /// A client for `config`'s provider, naming its originator, for `session_id`.
    pub fn for_config(config: &Config, session_id: String) -> Result<Self, ModelError> {
        Ok(Self::new(
            config.model_provider_id.clone(),
            config.model_provider.clone(),
            config.env.clone(),
            config.codex_home.clone(),
            session_id,
        )?
        .with_originator(config.originator.clone()))
    }

    /// The client, naming `originator` as the program sending its requests.
    pub fn with_originator(mut self, originator: String) -> Self {
        self.originator = originator;
        self
    }

    pub fn provider(&self) -> &ModelProviderInfo {
        &self.provider
    }

    /// The Responses request body for `prompt`.
    pub fn request_body(&self, prompt: &Prompt, settings: &ModelSettings) -> Value {
        let mut input = Vec::with_capacity(prompt.input.len() + 1);
        input.push(ResponseItem::developer_text(&prompt.base_instructions));
        input.extend(prompt.input.iter().filter_map(|item| match item {
            ResponseItem::Other => None,
            // Not every Responses provider knows the item; every one knows its text.
            ResponseItem::AgentMessage { .. } => {
                item.agent_message_text().map(ResponseItem::user_text)
            }
            _ => Some(item.clone()),
        }));
        let mut body = json!({
            "model": settings.model,
            "input": input,
            "tools": prompt.tools,
            "tool_choice": "auto",
            "parallel_tool_calls": !prompt.tools.is_empty(),
            "store": false,
            "stream": true,
            "prompt_cache_key": self.session_id,
        });
        if model_info::supports_reasoning(&settings.model) || settings.effort.is_some() {
            let mut reasoning = json!({});
            if let Some(effort) = settings.effort {
                reasoning["effort"] = json!(effort);
            }
            if settings.summary != ReasoningSummary::None {
                reasoning["summary"] = json!(settings.summary);
            }
            body["reasoning"] = reasoning;
            body["include"] = json!(["reasoning.encrypted_content"]);
        }
        if let Some(verbosity) = settings.verbosity {
            body["text"] = json!({"verbosity": verbosity});
        }
        if let Some(schema) = &settings.output_schema {
            body["text"]["format"] = json!({
                "type": "json_schema",
                "strict": true,
                "schema": schema,
                "name": OUTPUT_SCHEMA_NAME,
            });
        }
        body
    }

    /// Sends one request and returns the stream of its answer. Errors before the
    /// stream starts (status, connection) come back here.
    pub async fn stream(
        &self,
        prompt: &Prompt,
        settings: &ModelSettings,
    ) -> Result<ResponseStream, ModelError> {
        let body = self.request_body(prompt, settings);
        let idle_timeout = self.provider.stream_idle_timeout();
        match self.provider.wire_api {
            WireApi::Responses => {
                let response = self.post("responses", &body, AuthStyle::Bearer).await?;
                Ok(ResponseStream::new(
                    Box::pin(response.bytes_stream()),
                    idle_timeout,
                    None,
                ))
            }
            WireApi::Chat => {
                let profile = self.bridge_profile();
                let (chat, facts) =
                    to_chat_request(&body, &profile).map_err(|error| ModelError::Unsupported {
                        message: error.to_string(),
                    })?;
                let response = self.post("chat/completions", &chat, profile.auth).await?;
                let translator = StreamTranslator::new(facts.model, facts.tools);
                Ok(ResponseStream::new(
                    Box::pin(response.bytes_stream()),
                    idle_timeout,
                    Some(translator),
                ))
            }
        }
    }

    /// The models the provider lists at `GET <base_url>/models` (OpenAI's shape, which
    /// Ollama, vLLM, SGLang, DeepSeek and most gateways serve too), in its order.
    pub async fn list_models(&self) -> Result<Vec<String>, ModelError> {
        let base = self
            .provider
            .base_url
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/');
        let url = format!("{base}/models");
        let auth = match self.provider.wire_api {
            WireApi::Responses => AuthStyle::Bearer,
            WireApi::Chat => self.bridge_profile().auth,
        };
        let request = self.with_credentials(
            self.http
                .get(&url)
                .query(&self.provider.query_params)
                .header("originator", &self.originator),
            auth,
        )?;
        let connect_failed = |reason: String| ModelError::Connect {
            url: url.clone(),
            reason,
        };
        let response = tokio::time::timeout(MODEL_LIST_TIMEOUT, request.send())
            .await
            .map_err(|_| connect_failed("no answer within 5 s".to_string()))?
            .map_err(|error| connect_failed(describe_transport_error(&error)))?;
        let status = response.status();
        let body = read_limited(response).await;
        if !status.is_success() {
            let (message, code) = provider_error_message(&body);
            return Err(ModelError::Http {
                url,
                status: status.as_u16(),
                message,
                code,
                retry_after: None,
            });
        }
        let listed: Value = serde_json::from_str(&body)
            .map_err(|error| connect_failed(format!("the model list is not JSON: {error}")))?;
        Ok(listed
            .get("data")
            .and_then(Value::as_array)
            .map(|models| {
                models
                    .iter()
                    .filter_map(|model| model.get("id").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The bridge profile for a chat provider: named by `bridge_profile`, or detected
    /// from the base URL.
    fn bridge_profile(&self) -> Profile {
        self.provider
            .bridge_profile
            .as_deref()
            .and_then(Profile::named)
            .unwrap_or_else(|| {
                Profile::detect(self.provider.base_url.as_deref().unwrap_or_default())
            })
    }

    async fn post(
        &self,
        path: &str,
        body: &Value,
        auth: AuthStyle,
    ) -> Result<reqwest::Response, ModelError> {
        let base = self
            .provider
            .base_url
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/');
        let url = format!("{base}/{path}");
        let request = self.with_credentials(
            self.http
                .post(&url)
                .query(&self.provider.query_params)
                .header("accept", "text/event-stream")
                .header("originator", &self.originator)
                .header("session_id", &self.session_id)
                .header("thread-id", &self.session_id)
                .json(body),
            auth,
        )?;
        // The stream's own idle time-out starts with its first byte; until then, the
        // wait for the response headers is bounded the same way.
        let idle_timeout = self.provider.stream_idle_timeout();
        let response = tokio::time::timeout(idle_timeout, request.send())
            .await
            .map_err(|_| ModelError::Connect {
                url: url.clone(),
                reason: format!(
                    "no response headers within {} s (stream_idle_timeout_ms)",
                    idle_timeout.as_secs_f64()
                ),
            })?
            .map_err(|error| ModelError::Connect {
                url: url.clone(),
                reason: describe_transport_error(&error),
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_header = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let body = read_limited(response).await;
        let (message, code) = provider_error_message(&body);
        let retry_after = parse_retry_after(retry_header.as_deref(), &message);
        let fallback = ModelError::Http {
            url,
            status: status.as_u16(),
            message: message.clone(),
            code: code.clone(),
            retry_after,
        };
        Err(ModelError::from_provider_code(code, message, fallback))
    }

    /// `request` with the provider's key (as `auth` wants it) and its extra headers.
    fn with_credentials(
        &self,
        mut request: reqwest::RequestBuilder,
        auth: AuthStyle,
    ) -> Result<reqwest::RequestBuilder, ModelError> {
        if let Some(token) = self.bearer_token()? {
            request = match auth {
                AuthStyle::Bearer => request.bearer_auth(token),
                AuthStyle::ApiKeyHeader => request.header("api-key", token),
            };
        }
        for (name, value) in self
            .provider
            .http_headers
            .clone()
            .into_iter()
            .chain(self.provider.resolved_env_headers(&self.env))
        {
            request = request.header(name, value);
        }
        Ok(request)
    }

    /// The bearer token for the provider: `experimental_bearer_token`, the `env_key`
    /// variable, or (for OpenAI) `CODEX_API_KEY` or the key `codex login --api-key`
    /// stored in auth.json.
    fn bearer_token(&self) -> Result<Option<String>, ModelError> {
        if let Some(token) = self
            .provider
            .experimental_bearer_token
            .as_ref()
            .filter(|token| !token.trim().is_empty())
        {
            return Ok(Some(token.clone()));
        }
        let Some(variable) = &self.provider.env_key else {
            return Ok(None);
        };
        if let Some(value) = self
            .env
            .get(variable)
            .filter(|value| !value.trim().is_empty())
        {
            return Ok(Some(value.trim().to_string()));
        }
        if self.provider.requires_openai_auth
            && let Some(key) = self
                .env
                .get(EXEC_API_KEY_VARIABLE)
                .map(|key| key.trim().to_string())
                .filter(|key| !key.is_empty())
                .or_else(|| api_key_from_auth_json(&self.codex_home))
        {
            return Ok(Some(key));
        }
        Err(ModelError::MissingApiKey {
            provider_id: self.provider_id.clone(),
            variable: variable.clone(),
            instructions: self.provider.env_key_instructions.clone(),
        })
    }
}

/// An HTTP client for model requests.
pub fn http_client() -> Result<reqwest::Client, ModelError> {
    zspark_bridge::http::client_builder()
        .build()
        .map_err(|error| ModelError::Unsupported {
            message: format!("could not set up the HTTP client: {error}"),
        })
}

fn api_key_from_auth_json(codex_home: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(codex_home.join("auth.json")).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value
        .get("OPENAI_API_KEY")
        .and_then(Value::as_str)
        .filter(|key| !key.trim().is_empty())
        .map(str::to_string)
}

/// A transport error with its cause chain, e.g. "connection refused".
fn describe_transport_error(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn read_limited(response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The provider's error message and code from a JSON error body, or an excerpt of a
/// body that is not JSON (an HTML error page, say).
fn provider_error_message(body: &str) -> (String, Option<String>) {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        let error = value.get("error").unwrap_or(&value);
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| error.as_str())
            .map(str::to_string);
        let code = error.get("code").and_then(|code| {
            code.as_str()
                .map(str::to_string)
                .or_else(|| code.as_u64().map(|n| n.to_string()))
        });
        if let Some(message) = message {
            return (message, code);
        }
    }
    let text = if body.trim().is_empty() {
        "(empty body)"
    } else {
        body
    };
    (excerpt(text), None)
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The answer to one request, read event by event. For a chat provider the bridge's
/// translator turns each chat chunk into Responses events first.
pub struct ResponseStream {
    body: ByteStream,
    decoder: SseDecoder,
    translator: Option<StreamTranslator>,
    pending: VecDeque<Result<ResponseEvent, ModelError>>,
    idle_timeout: Duration,
    completed: bool,
    finished: bool,
}

impl ResponseStream {
    fn new(body: ByteStream, idle_timeout: Duration, translator: Option<StreamTranslator>) -> Self {
        Self {
            body,
            decoder: SseDecoder::new(),
            translator,
            pending: VecDeque::new(),
            idle_timeout,
            completed: false,
            finished: false,
        }
    }

    /// Queues the events carried by one SSE data payload.
    fn accept_data(&mut self, data: &str) {
        match &mut self.translator {
            Some(translator) => {
                for event in translator.push_data(data) {
                    self.pending.extend(parse_event_value(&event).transpose());
                }
            }
            None => self.pending.extend(parse_event(data).transpose()),
        }
    }

    /// The next event; `None` after `Completed` or after an error was returned.
    pub async fn next(&mut self) -> Option<Result<ResponseEvent, ModelError>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                match &event {
                    Ok(ResponseEvent::Completed { .. }) => {
                        self.completed = true;
                        self.finished = true;
                        self.pending.clear();
                    }
                    Err(_) => {
                        self.finished = true;
                        self.pending.clear();
                    }
                    Ok(_) => {}
                }
                return Some(event);
            }
            if self.finished {
                return None;
            }
            match tokio::time::timeout(self.idle_timeout, self.body.next()).await {
                Err(_) => {
                    self.pending.push_back(Err(ModelError::Stream {
                        message: format!(
                            "no data from the provider for {} s (stream_idle_timeout_ms)",
                            self.idle_timeout.as_secs_f64()
                        ),
                    }));
                }
                Ok(None) => {
                    if let Some(translator) = &mut self.translator {
                        for event in translator.finish() {
                            self.pending.extend(parse_event_value(&event).transpose());
                        }
                    }
                    if self.pending.is_empty() {
                        if self.completed {
                            self.finished = true;
                        } else {
                            self.pending.push_back(Err(ModelError::Stream {
                                message: "the stream closed before response.completed".to_string(),
                            }));
                        }
                    }
                }
                Ok(Some(Err(error))) => {
                    self.pending.push_back(Err(ModelError::Stream {
                        message: format!(
                            "the connection broke: {}",
                            describe_transport_error(&error)
                        ),
                    }));
                }
                Ok(Some(Ok(bytes))) => match self.decoder.push(&bytes) {
                    Ok(frames) => {
                        for frame in frames {
                            self.accept_data(&frame.data);
                        }
                    }
                    Err(_) => self.pending.push_back(Err(ModelError::Stream {
                        message: format!(
                            "the provider sent an event larger than {} bytes",
                            MAX_EVENT_BYTES
                        ),
                    })),
                },
            }
        }
    }
}

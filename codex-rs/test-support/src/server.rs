//! The scripted model server: a real HTTP server on a loopback port that answers
//! `POST …/responses` and `POST …/chat/completions` from a script, serves
//! `GET …/models`, and records every request.
//!
//! It runs on a thread and runtime of its own, so synchronous tests (the GUI's) and
//! async tests use it the same way, and a test's runtime being paused or blocked does
//! not stall it. Dropping the server stops it and closes any open streams.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};

use crate::script::{Ending, Reply, Turn};
use crate::tool_pairs::{ToolPairProblem, check_chat_request, check_responses_request};
use crate::{chat_wire, references, responses_wire};

/// A request the server received, kept for assertions.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// The path without the query string, e.g. `/v1/responses`.
    pub path: String,
    pub query: Option<String>,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub body: Value,
    pub body_text: String,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The Responses `input` array (empty when absent).
    pub fn input_items(&self) -> Vec<Value> {
        self.body
            .get("input")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Tool call/output pairing problems in this request (Responses or Chat shape).
    pub fn tool_pair_problems(&self) -> Vec<ToolPairProblem> {
        match Endpoint::of(&self.method, &self.path) {
            Endpoint::Responses => check_responses_request(&self.body),
            Endpoint::ChatCompletions => check_chat_request(&self.body),
            Endpoint::Models | Endpoint::Unknown => Vec::new(),
        }
    }
}

/// Which API a request path addresses. Matching is by suffix so Azure-style paths
/// (`/openai/deployments/x/chat/completions`) work too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Responses,
    ChatCompletions,
    Models,
    Unknown,
}

impl Endpoint {
    fn of(method: &str, path: &str) -> Self {
        let path = path.trim_end_matches('/');
        match method {
            "POST" if path.ends_with("/responses") => Self::Responses,
            "POST" if path.ends_with("/chat/completions") => Self::ChatCompletions,
            "GET" if path.ends_with("/models") => Self::Models,
            _ => Self::Unknown,
        }
    }
}

/// Options for starting a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    turns: Vec<Turn>,
    model_turns: HashMap<String, VecDeque<Turn>>,
    repeat: Option<Turn>,
    enforce_tool_pairs: bool,
    listed_models: ModelList,
}

/// How the server answers `GET …/models`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelList {
    /// These model ids.
    Models(Vec<String>),
    /// A 500 with an error body, as a provider whose listing is broken answers.
    Fails,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            turns: Vec::new(),
            model_turns: HashMap::new(),
            repeat: None,
            enforce_tool_pairs: true,
            listed_models: ModelList::Models(vec!["scripted-model".to_string()]),
        }
    }
}

impl ServerOptions {
    /// Answer requests with these turns, in order.
    pub fn turns(mut self, turns: impl IntoIterator<Item = Turn>) -> Self {
        self.turns.extend(turns);
        self
    }

    /// Answer requests for model `model` with these turns, in order, apart from the
    /// others: threads running at once (a parent and its sub-agents) each get their
    /// own script when they use different models.
    pub fn model_turns(mut self, model: &str, turns: impl IntoIterator<Item = Turn>) -> Self {
        self.model_turns
            .entry(model.to_string())
            .or_default()
            .extend(turns);
        self
    }

    /// Once the scripted turns are used up, answer every further request with `turn`
    /// (for load tests and benchmarks).
    pub fn repeat(mut self, turn: Turn) -> Self {
        self.repeat = Some(turn);
        self
    }

    /// Whether requests with broken tool call/output pairing get a 400, as the real APIs
    /// answer (on by default).
    pub fn enforce_tool_pairs(mut self, enforce: bool) -> Self {
        self.enforce_tool_pairs = enforce;
        self
    }

    /// What `GET …/models` answers (by default the one model `scripted-model`).
    pub fn listed_models(mut self, list: ModelList) -> Self {
        self.listed_models = list;
        self
    }

    /// Binds a loopback port and starts serving.
    pub fn start(self) -> io::Result<ScriptedModelServer> {
        ScriptedModelServer::start_with(self)
    }
}

struct Shared {
    turns: Mutex<VecDeque<Turn>>,
    model_turns: Mutex<HashMap<String, VecDeque<Turn>>>,
    repeat: Option<Turn>,
    enforce_tool_pairs: bool,
    listed_models: ModelList,
    requests: Mutex<Vec<RecordedRequest>>,
    request_arrived: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running scripted model server; see the module docs.
pub struct ScriptedModelServer {
    background: BackgroundServer,
    shared: Arc<Shared>,
}

impl ScriptedModelServer {
    /// Starts a server answering with `turns` in order.
    pub fn start(turns: impl IntoIterator<Item = Turn>) -> io::Result<Self> {
        ServerOptions::default().turns(turns).start()
    }

    /// Options for a server with non-default behaviour.
    pub fn options() -> ServerOptions {
        ServerOptions::default()
    }

    fn start_with(options: ServerOptions) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            turns: Mutex::new(options.turns.into()),
            model_turns: Mutex::new(options.model_turns),
            repeat: options.repeat,
            enforce_tool_pairs: options.enforce_tool_pairs,
            listed_models: options.listed_models,
            requests: Mutex::new(Vec::new()),
            request_arrived: Notify::new(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        Ok(Self {
            background: BackgroundServer::start("scripted-model-server", app)?,
            shared,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.background.addr
    }

    /// The base URL a provider configuration points at: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.background.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Only the model requests (`/responses` and `/chat/completions`).
    pub fn model_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| {
                matches!(
                    Endpoint::of(&request.method, &request.path),
                    Endpoint::Responses | Endpoint::ChatCompletions
                )
            })
            .collect()
    }

    /// Adds turns to the end of the script while the server runs.
    pub fn push_turns(&self, turns: impl IntoIterator<Item = Turn>) {
        lock(&self.shared.turns).extend(turns);
    }

    /// How many scripted turns are still unused.
    pub fn remaining_turns(&self) -> usize {
        lock(&self.shared.turns).len()
    }

    /// Waits until at least `count` requests have arrived, or `timeout` passes. Returns
    /// whether the count was reached.
    pub async fn wait_for_requests(&self, count: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.request_arrived.notified();
            if lock(&self.shared.requests).len() >= count {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return lock(&self.shared.requests).len() >= count;
            }
        }
    }
}

/// An axum app served on loopback from a thread with its own runtime, so sync and
/// async tests alike can use it; stopped when dropped.
pub(crate) struct BackgroundServer {
    pub(crate) addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundServer {
    pub(crate) fn start(name: &str, app: Router) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || serve_on_own_runtime(listener, app, shutdown_rx, ready_tx))?;
        ready_rx
            .recv()
            .map_err(|_| io::Error::other(format!("{name} thread exited during start-up")))??;
        Ok(Self {
            addr,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_on_own_runtime(
    listener: std::net::TcpListener,
    app: Router,
    shutdown: oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let listener = listener.tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
        tokio::select! {
            _ = axum::serve(listener, app) => {}
            _ = shutdown => {}
        }
    });
    // Open streams (stalled ones included) are dropped with the runtime.
    runtime.shutdown_background();
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body_text: String::from_utf8_lossy(&body).into_owned(),
    };
    let endpoint = Endpoint::of(&request.method, &request.path);
    let problems = request.tool_pair_problems();
    let model = request
        .body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("scripted-model")
        .to_string();
    let wants_stream = request
        .body
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let include_usage = request
        .body
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // What the request sent (Responses `input` or Chat `messages`), for references.
    let sent_items = ["input", "messages"]
        .iter()
        .find_map(|key| request.body.get(*key).and_then(Value::as_array).cloned())
        .unwrap_or_default();
    let request_number = {
        let mut requests = lock(&shared.requests);
        requests.push(request);
        requests.len()
    };
    shared.request_arrived.notify_waiters();

    match endpoint {
        Endpoint::Models => {
            return match &shared.listed_models {
                ModelList::Models(ids) => {
                    let data: Vec<Value> = ids
                        .iter()
                        .map(|id| json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "zspark-tests"}))
                        .collect();
                    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
                }
                ModelList::Fails => error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the model list is not available right now",
                ),
            };
        }
        Endpoint::Unknown => {
            return error_response(
                StatusCode::NOT_FOUND,
                &format!(
                    "scripted model server has no route for {method} {}",
                    uri.path()
                ),
            );
        }
        Endpoint::Responses | Endpoint::ChatCompletions => {}
    }
    if shared.enforce_tool_pairs
        && let Some(problem) = problems.first()
    {
        return error_response(StatusCode::BAD_REQUEST, &problem.to_string());
    }
    let for_model = lock(&shared.model_turns)
        .get_mut(&model)
        .map(VecDeque::pop_front);
    let next_turn = match for_model {
        Some(turn) => turn,
        None => lock(&shared.turns).pop_front(),
    }
    .or_else(|| shared.repeat.clone());
    let Some(turn) = next_turn else {
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!(
                "scripted model server: the script has no turn left for request #{request_number}"
            ),
        );
    };

    let turn = match turn {
        Turn::Reply(reply) => Turn::Reply(references::resolve(reply, &sent_items)),
        other => other,
    };
    match turn {
        Turn::HttpError {
            status,
            body,
            retry_after,
        } => {
            let mut response = raw_response(status, "application/json", body);
            if let Some(value) = retry_after.and_then(|value| HeaderValue::from_str(&value).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Turn::RawBody {
            status,
            content_type,
            body,
        } => raw_response(status, &content_type, body),
        Turn::RawSse { frames } => sse_response(frames, Duration::ZERO, AfterFrames::End),
        Turn::Silent => std::future::pending().await,
        Turn::Reply(reply) => match endpoint {
            Endpoint::Responses => {
                let response_id = format!("resp_{request_number}");
                let events = responses_wire::render_events(&reply, &response_id, &model);
                if wants_stream {
                    let frames = events
                        .iter()
                        .map(responses_wire::SseEvent::to_frame)
                        .collect();
                    stream_reply(&reply, frames)
                } else {
                    let last = events.last().map(|event| event.data["response"].clone());
                    json_response(StatusCode::OK, &last.unwrap_or(Value::Null))
                }
            }
            _ => {
                let completion_id = format!("chatcmpl-{request_number}");
                if wants_stream {
                    let frames =
                        chat_wire::render_chunks(&reply, &completion_id, &model, include_usage)
                            .into_iter()
                            .map(|data| format!("data: {data}\n\n"))
                            .collect();
                    stream_reply(&reply, frames)
                } else if let Ending::Failed { message, .. } = &reply.ending {
                    error_response(StatusCode::INTERNAL_SERVER_ERROR, message)
                } else {
                    json_response(
                        StatusCode::OK,
                        &chat_wire::render_completion(&reply, &completion_id, &model),
                    )
                }
            }
        },
    }
}

/// What happens to the connection after the scripted frames are sent.
#[derive(Debug, Clone, Copy)]
enum AfterFrames {
    End,
    Stall,
    Abort,
}

fn stream_reply(reply: &Reply, mut frames: Vec<String>) -> Response {
    let after = match reply.ending {
        Ending::CutAfter { events } => {
            frames.truncate(events);
            AfterFrames::End
        }
        Ending::AbortAfter { events } => {
            frames.truncate(events);
            AfterFrames::Abort
        }
        Ending::StallAfter { events } => {
            frames.truncate(events);
            AfterFrames::Stall
        }
        Ending::Completed | Ending::Failed { .. } | Ending::Incomplete { .. } => AfterFrames::End,
    };
    sse_response(frames, reply.event_delay, after)
}

fn sse_response(frames: Vec<String>, delay: Duration, after: AfterFrames) -> Response {
    struct StreamState {
        frames: std::vec::IntoIter<String>,
        delay: Duration,
        after: Option<AfterFrames>,
    }
    let state = StreamState {
        frames: frames.into_iter(),
        delay,
        after: Some(after),
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        if let Some(frame) = state.frames.next() {
            if !state.delay.is_zero() {
                tokio::time::sleep(state.delay).await;
            }
            return Some((Ok(Bytes::from(frame)), state));
        }
        match state.after.take()? {
            AfterFrames::End => None,
            AfterFrames::Stall => {
                futures::future::pending::<()>().await;
                None
            }
            AfterFrames::Abort => {
                // Let the frames already written reach the client before the break, as
                // they would when a real connection drops mid-stream.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((Err(io::Error::other("scripted connection abort")), state))
            }
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn raw_response(status: u16, content_type: &str, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    raw_response(status.as_u16(), "application/json", body.to_string())
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {"message": message, "type": "invalid_request_error", "code": status.as_u16().to_string()}}),
    )
}

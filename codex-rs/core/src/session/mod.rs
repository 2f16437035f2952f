//! One agent session (the thread's state): its conversation history with where each
//! turn's user message is, settings, rollout file, approvals, tools and running
//! processes. Created when the runtime starts a thread (new, resumed or forked); its
//! loop (`runner`) takes the thread's submissions, and turns run against it (`turn`).

mod history;
pub(crate) mod runner;
mod turn;

pub(crate) use turn::TurnOutcome;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::Local;
use codex_protocol::{
    ApprovalPolicy, EventMsg, InputItem, ReasoningEffort, ResponseItem, SandboxPolicy,
    SessionConfiguredEvent, ThreadId, TokenUsage, TokenUsageInfo, TurnOverrides,
};
use serde_json::{Value, json};

use crate::agents::{AgentControl, AgentSpawn};
use crate::approvals::Approvals;
use crate::client::{ModelClient, ModelError, ModelSettings, Prompt};
use crate::config::{Config, Env, MultiAgentVersion};
use crate::context::{self, SkillCatalog, SkillRoots, discover_skills};
use crate::events::EventSender;
use crate::execpolicy;
use crate::instructions::{self, BASE_INSTRUCTIONS};
use crate::mcp::servers::McpServers;
use crate::message_history;
use crate::rollout::{
    self, LoadedRollout, PERSISTED_EVENT, RolloutError, RolloutRecord, RolloutRecorder,
    RolloutWriteError, SessionMeta, TurnMark,
};
use crate::sandbox::Enforcer;
use crate::tools::{ProcessRegistry, ToolRegistry};
use tokio_util::task::TaskTracker;

/// How long a session's first request waits for MCP servers still starting.
pub const MCP_STARTUP_GRACE: Duration = Duration::from_secs(5);

pub use history::{
    UserInput, UserMessageParts, close_open_calls, user_message_from_input, user_message_parts,
};

/// The settings of one turn, fixed when it starts.
#[derive(Debug, Clone)]
pub struct TurnContext {
    pub submission_id: String,
    pub turn_id: String,
    pub cwd: PathBuf,
    pub model_settings: ModelSettings,
    pub approval_policy: ApprovalPolicy,
    pub sandbox_policy: SandboxPolicy,
}

/// Settings that persist from turn to turn and that ops may change.
#[derive(Debug, Clone)]
struct Settings {
    model: String,
    effort: Option<ReasoningEffort>,
    approval_policy: ApprovalPolicy,
    sandbox_policy: SandboxPolicy,
    cwd: PathBuf,
}

struct State {
    history: Vec<ResponseItem>,
    /// Where each turn's user message is in `history`, in order.
    marks: Vec<TurnMark>,
    settings: Settings,
    token_info: TokenUsageInfo,
    /// Whether the environment context has been recorded in this session.
    context_recorded: bool,
    /// The id of the turn running, or of the last one.
    last_turn_id: Option<String>,
}

pub struct Session {
    id: String,
    parent: Option<ThreadId>,
    /// For a sub-agent: its place in the session tree.
    agent: Option<AgentSpawn>,
    agents: Arc<AgentControl>,
    forked_from_id: Option<String>,
    config: Config,
    client: ModelClient,
    events: EventSender,
    rollout: RolloutRecorder,
    approvals: Approvals,
    processes: Arc<ProcessRegistry>,
    tools: ToolRegistry,
    base_instructions: String,
    default_shell: String,
    sandbox: Enforcer,
    skills: SkillCatalog,
    /// The conversation a resumed or forked session began with, as events.
    initial_messages: Vec<EventMsg>,
    /// The answer streamed so far and not finished yet.
    partial_answer: Mutex<String>,
    /// Input for the running turn (`Op::Steer`), taken before its next request.
    steered: Mutex<Vec<Vec<InputItem>>>,
    /// The MCP servers still starting, and whether a request has waited for them.
    mcp_starting: TaskTracker,
    mcp_waited: AtomicBool,
    /// The enabled MCP servers and where each stands.
    mcp_servers: McpServers,
    state: Mutex<State>,
}

/// Whose thread a session is: its parent, and for a sub-agent its place in the tree;
/// and the runtime's sub-agents.
pub struct Lineage {
    pub parent: Option<ThreadId>,
    pub agent: Option<AgentSpawn>,
    pub agents: Arc<AgentControl>,
}

/// How a session comes to be.
pub enum Origin {
    New,
    Resumed(LoadedRollout),
    Forked {
        source: LoadedRollout,
        before_turn: Option<String>,
    },
}

/// A session could not be created.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Rollout(#[from] RolloutError),
}

/// A rollback that cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this session has no turn `{0}` to roll back to; it may have been rolled back or compacted away already"
)]
pub struct NoSuchTurn(pub String);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    /// Creates session `id` (for a resumed one, the id its file records), writing a
    /// fork's copied records right away.
    pub async fn create(
        config: Config,
        events: EventSender,
        id: String,
        lineage: Lineage,
        origin: Origin,
    ) -> Result<Arc<Self>, SessionError> {
        let Lineage {
            parent,
            agent,
            agents,
        } = lineage;
        let base_instructions = config
            .base_instructions_override
            .clone()
            .unwrap_or_else(|| BASE_INSTRUCTIONS.to_string());
        let (forked_from_id, rebuilt, rollout, copied) = match origin {
            Origin::Resumed(loaded) => {
                let recorder = RolloutRecorder::append(loaded.path.clone(), loaded.line_count);
                let (rebuilt, _) = loaded.whole();
                (loaded.forked_from_id, rebuilt, recorder, Vec::new())
            }
            Origin::New | Origin::Forked { .. } => {
                let (forked_from_id, rebuilt, copied) = match origin {
                    Origin::Forked {
                        source,
                        before_turn: Some(turn_id),
                    } => {
                        let (rebuilt, records) = source.before_turn(&turn_id)?;
                        (Some(source.session_id), rebuilt, records)
                    }
                    Origin::Forked {
                        source,
                        before_turn: None,
                    } => {
                        let (rebuilt, records) = source.whole();
                        (Some(source.session_id), rebuilt, records)
                    }
                    _ => (None, rollout::Rebuilt::default(), Vec::new()),
                };
                let path = rollout::rollout_path(&config.codex_home, Local::now(), &id);
                let source = match (&agent, &parent) {
                    (Some(agent), Some(parent)) => json!({"subagent": {"thread_spawn": {
                        "parent_thread_id": parent.0,
                        "depth": agent.depth,
                        "agent_path": agent.path,
                        "agent_nickname": agent.nickname,
                        "agent_role": agent.role,
                    }}}),
                    _ => Value::from(config.session_source.as_rollout_str()),
                };
                let meta = SessionMeta {
                    id: id.clone(),
                    session_id: agent
                        .as_ref()
                        .map_or_else(|| id.clone(), |agent| agent.root_session_id.clone()),
                    timestamp: rollout::timestamp_now(),
                    cwd: config.cwd.clone(),
                    originator: config.originator.clone(),
                    cli_version: env!("CARGO_PKG_VERSION").to_string(),
                    source,
                    parent_thread_id: agent
                        .as_ref()
                        .and(parent.as_ref())
                        .map(|parent| parent.0.clone()),
                    thread_source: match &agent {
                        Some(_) => Some("subagent".to_string()),
                        None => config.thread_source.clone(),
                    },
                    agent_nickname: agent.as_ref().map(|agent| agent.nickname.clone()),
                    agent_role: agent.as_ref().and_then(|agent| agent.role.clone()),
                    agent_path: agent.as_ref().and_then(|agent| agent.path.clone()),
                    model_provider: config.model_provider_id.clone(),
                    forked_from_id: forked_from_id.clone(),
                    base_instructions: rollout::BaseInstructions {
                        text: base_instructions.clone(),
                    },
                    git: rollout::git_info(&config.cwd).await,
                    multi_agent_version: (config.agents.enabled
                        && config.agents.version == MultiAgentVersion::V2)
                        .then(|| MultiAgentVersion::V2.as_str().to_string()),
                };
                let recorder =
                    RolloutRecorder::create(path, RolloutRecord::SessionMeta(Box::new(meta)));
                (forked_from_id, rebuilt, recorder, copied)
            }
        };
        let client = ModelClient::for_config(&config, id.clone())?;
        let skill_roots = SkillRoots::standard(
            &config.codex_home,
            config.home_dir().as_deref(),
            &config.cwd,
        );
        let skills = tokio::task::spawn_blocking(move || discover_skills(&skill_roots))
            .await
            .unwrap_or_default();
        let settings = Settings {
            model: config.model.clone(),
            effort: config.model_reasoning_effort,
            approval_policy: config.approval_policy,
            sandbox_policy: config.sandbox_policy.clone(),
            cwd: config.cwd.clone(),
        };
        let context_recorded = !rebuilt.history.is_empty();
        // A resumed session goes on counting its tokens from where it stopped.
        let restored_usage = rebuilt
            .events
            .iter()
            .rev()
            .find_map(|event| match event {
                EventMsg::TokenCount { info } => Some(*info),
                _ => None,
            })
            .unwrap_or_default();
        let session = Arc::new(Self {
            approvals: Approvals::with_prefixes(execpolicy::load_allowed_prefixes(
                &config.codex_home,
            )),
            tools: ToolRegistry::built_in(config.unified_exec, config.apply_patch_freeform),
            default_shell: default_shell(&config.env),
            sandbox: Enforcer::detect(&config.env),
            id,
            parent,
            agent,
            agents,
            forked_from_id,
            client,
            events,
            rollout,
            processes: Arc::new(ProcessRegistry::default()),
            base_instructions,
            skills,
            initial_messages: rebuilt.events,
            partial_answer: Mutex::new(String::new()),
            steered: Mutex::new(Vec::new()),
            mcp_starting: TaskTracker::new(),
            mcp_waited: AtomicBool::new(false),
            mcp_servers: McpServers::new(&config.mcp_servers),
            state: Mutex::new(State {
                history: rebuilt.history,
                marks: rebuilt.marks,
                settings,
                token_info: TokenUsageInfo {
                    model_context_window: config.model_context_window,
                    ..restored_usage
                },
                context_recorded,
                last_turn_id: None,
            }),
            config,
        });
        if !copied.is_empty() {
            for (kind, payload) in copied {
                session
                    .rollout
                    .record(RolloutRecord::Copied { kind, payload })
                    .await;
            }
            // A call still running when the copy was made (a sub-agent's own spawn)
            // has no result here; the next request needs one.
            session
                .close_open_calls(
                    "This call belongs to the conversation this one was copied from; its result is not part of the copy.",
                )
                .await;
            // A forked sub-agent learns its own place in the tree (the copy holds its
            // parent's).
            if session.agent.is_some() {
                let told: Vec<ResponseItem> = crate::agents::team_instructions(&session)
                    .into_iter()
                    .collect();
                session.record_items(&told).await;
            }
            // A fork is announced with its file; make sure the file is there.
            if let Err(error) = session.rollout.flush().await {
                let message = error.to_string();
                session.events.send("", EventMsg::Warning { message }).await;
            }
        }
        Ok(session)
    }

    /// The session's id, which is its thread's.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The parent thread, for a sub-agent.
    pub fn parent(&self) -> Option<&ThreadId> {
        self.parent.as_ref()
    }

    /// For a sub-agent: its place in the session tree.
    pub fn agent(&self) -> Option<&AgentSpawn> {
        self.agent.as_ref()
    }

    /// The runtime's sub-agents.
    pub(crate) fn agents(&self) -> &Arc<AgentControl> {
        &self.agents
    }

    /// The session id of this thread's tree: its own, or its root's for a sub-agent.
    pub fn root_session_id(&self) -> &str {
        self.agent
            .as_ref()
            .map_or(&self.id, |agent| &agent.root_session_id)
    }

    /// The current model and reasoning effort (what a sub-agent inherits).
    pub fn model_settings(&self) -> (String, Option<ReasoningEffort>) {
        let state = lock(&self.state);
        (state.settings.model.clone(), state.settings.effort)
    }

    /// Keeps `items` for the running turn's next step.
    pub(crate) fn steer(&self, items: Vec<InputItem>) {
        lock(&self.steered).push(items);
    }

    /// Whether input was steered into the running turn since it last looked.
    pub(crate) fn has_steered(&self) -> bool {
        !lock(&self.steered).is_empty()
    }

    /// The input steered into the running turn since it last looked.
    pub(crate) fn take_steered(&self) -> Vec<Vec<InputItem>> {
        std::mem::take(&mut *lock(&self.steered))
    }

    /// Writes the rollout file now, even before the first turn.
    pub(crate) async fn write_rollout_now(&self) -> Result<(), RolloutWriteError> {
        self.rollout.write_held_meta().await
    }

    pub(crate) fn rollout_path(&self) -> PathBuf {
        self.rollout.path().to_path_buf()
    }

    /// Writes out what the rollout holds so far (a fork reads the file); a failure is
    /// a warning.
    pub(crate) async fn flush_rollout(&self) {
        if let Err(error) = self.rollout.flush().await {
            let message = error.to_string();
            self.events.send("", EventMsg::Warning { message }).await;
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn events(&self) -> &EventSender {
        &self.events
    }

    /// The tools offered to the model; MCP servers add theirs once they are ready.
    pub(crate) fn tools(&self) -> &ToolRegistry {
        &self.tools
    }

    /// The session's enabled MCP servers.
    pub(crate) fn mcp_servers(&self) -> &McpServers {
        &self.mcp_servers
    }

    /// Where the session's MCP servers start.
    pub(crate) fn mcp_starting(&self) -> &TaskTracker {
        &self.mcp_starting
    }

    /// Before the session's first request: waits up to [`MCP_STARTUP_GRACE`] for MCP
    /// servers still starting, so a server that starts quickly is in the first
    /// request's tools; one that needs longer joins a later request, with a warning.
    async fn wait_for_mcp_servers(&self) {
        if self.mcp_waited.swap(true, Ordering::AcqRel) || self.mcp_starting.is_empty() {
            return;
        }
        if tokio::time::timeout(MCP_STARTUP_GRACE, self.mcp_starting.wait())
            .await
            .is_err()
        {
            let message = format!(
                "{} MCP server(s) still starting after {} s; their tools join a later request",
                self.mcp_starting.len(),
                MCP_STARTUP_GRACE.as_secs()
            );
            self.events.send("", EventMsg::Warning { message }).await;
        }
    }

    pub fn approvals(&self) -> &Approvals {
        &self.approvals
    }

    pub fn processes(&self) -> &Arc<ProcessRegistry> {
        &self.processes
    }

    /// What enforces the sandbox for this session's commands.
    pub fn sandbox(&self) -> &Enforcer {
        &self.sandbox
    }

    pub fn default_shell(&self) -> String {
        self.default_shell.clone()
    }

    /// The environment commands run with: the shell policy applied, provider keys
    /// removed.
    pub fn command_env(&self) -> Env {
        self.config
            .shell_environment_policy
            .build(&self.config.env, &self.config.secret_env_names())
    }

    /// The `SessionConfigured` event for this session.
    pub fn configured_event(&self) -> EventMsg {
        let state = lock(&self.state);
        EventMsg::SessionConfigured(SessionConfiguredEvent {
            session_id: self.id.clone(),
            parent_thread_id: self.parent.clone(),
            agent_nickname: self.agent.as_ref().map(|agent| agent.nickname.clone()),
            forked_from_id: self.forked_from_id.clone(),
            model: state.settings.model.clone(),
            model_provider_id: self.config.model_provider_id.clone(),
            wire_api: self.config.model_provider.wire_api,
            cwd: state.settings.cwd.clone(),
            approval_policy: state.settings.approval_policy,
            sandbox_policy: state.settings.sandbox_policy.clone(),
            reasoning_effort: state.settings.effort,
            model_context_window: state.token_info.model_context_window,
            rollout_path: self.rollout.path().to_path_buf(),
            initial_messages: self.initial_messages.clone(),
        })
    }

    /// Applies `overrides` and returns the context for a new turn.
    pub fn begin_turn(&self, submission_id: &str, overrides: TurnOverrides) -> TurnContext {
        let mut state = lock(&self.state);
        let settings = &mut state.settings;
        if let Some(model) = overrides.model {
            settings.model = model;
        }
        if let Some(effort) = overrides.effort {
            settings.effort = Some(effort);
        }
        if let Some(policy) = overrides.approval_policy {
            settings.approval_policy = policy;
        }
        if let Some(sandbox) = overrides.sandbox_policy {
            settings.sandbox_policy = sandbox;
        }
        if let Some(cwd) = overrides.cwd {
            settings.cwd = cwd;
        }
        let context = TurnContext {
            submission_id: submission_id.to_string(),
            turn_id: uuid::Uuid::now_v7().to_string(),
            cwd: settings.cwd.clone(),
            model_settings: ModelSettings {
                model: settings.model.clone(),
                effort: settings.effort,
                summary: self.config.model_reasoning_summary,
                verbosity: self.config.model_verbosity,
                output_schema: overrides.output_schema,
            },
            approval_policy: settings.approval_policy,
            sandbox_policy: settings.sandbox_policy.clone(),
        };
        state.last_turn_id = Some(context.turn_id.clone());
        context
    }

    pub fn skills(&self) -> &SkillCatalog {
        &self.skills
    }

    /// The context a session starts with (developer instructions, skills, AGENTS.md,
    /// environment) for `turn`'s settings, and warnings about the files read.
    fn initial_context(&self, turn: &TurnContext) -> (Vec<ResponseItem>, Vec<String>) {
        let (mut items, warnings) = context::initial_context(&self.config, &self.skills.skills);
        items.extend(crate::agents::team_instructions(self));
        let now = Local::now();
        let timezone = self
            .config
            .env
            .get("TZ")
            .cloned()
            .unwrap_or_else(|| now.format("%:z").to_string());
        items.push(instructions::environment_context(
            &turn.cwd,
            &self.default_shell,
            turn.approval_policy,
            &turn.sandbox_policy,
            &now.format("%Y-%m-%d").to_string(),
            &timezone,
        ));
        (items, warnings)
    }

    /// The initial context, when the session has not recorded it yet.
    fn take_initial_context(&self, turn: &TurnContext) -> (Vec<ResponseItem>, Vec<String>) {
        {
            let mut state = lock(&self.state);
            if state.context_recorded {
                return (Vec::new(), Vec::new());
            }
            state.context_recorded = true;
        }
        self.initial_context(turn)
    }

    /// Whether the last request used enough of the context window to compact.
    fn needs_compaction(&self) -> bool {
        let state = lock(&self.state);
        let used = state.token_info.last_token_usage.total_tokens;
        self.config
            .model_auto_compact_token_limit
            .is_some_and(|limit| used > 0 && used >= limit)
    }

    /// Replaces the history with `replacement` (the turns' messages it kept stay
    /// marked) and records the compaction.
    async fn replace_history(
        &self,
        summary: &str,
        replacement: Vec<ResponseItem>,
        automatic: bool,
    ) {
        {
            let mut state = lock(&self.state);
            state.marks = rollout::remap_marks(&state.history, &state.marks, &replacement);
            state.history = replacement.clone();
            state.token_info.last_token_usage = TokenUsage::default();
        }
        let payload =
            json!({"message": summary, "replacement_history": replacement, "automatic": automatic});
        self.rollout.record(RolloutRecord::Compacted(payload)).await;
    }

    /// The user messages of the turns still in the history, in order.
    fn turn_messages(&self) -> Vec<ResponseItem> {
        let state = lock(&self.state);
        state
            .marks
            .iter()
            .filter_map(|mark| state.history.get(mark.index))
            .filter(|item| rollout::is_user_turn_message(item))
            .cloned()
            .collect()
    }

    /// Adds the user's prompt to `$CODEX_HOME/history.jsonl` as configured.
    async fn remember_prompt(&self, text: &str) {
        let (home, persistence, max_bytes) = (
            self.config.codex_home.clone(),
            self.config.history_persistence,
            self.config.history_max_bytes,
        );
        let (id, text) = (self.id.clone(), text.to_string());
        let saved = tokio::task::spawn_blocking(move || {
            message_history::append_prompt(&home, persistence, max_bytes, &id, &text)
        })
        .await;
        if let Ok(Err(error)) = saved {
            self.events
                .send(
                    "",
                    EventMsg::Warning {
                        message: format!(
                            "the prompt could not be added to {}: {error}",
                            message_history::history_file(&self.config.codex_home).display()
                        ),
                    },
                )
                .await;
        }
    }

    pub fn history(&self) -> Vec<ResponseItem> {
        lock(&self.state).history.clone()
    }

    /// Appends turn `turn_id`'s user message to the history and the rollout.
    async fn record_user_message(&self, turn_id: &str, message: ResponseItem) {
        {
            let mut state = lock(&self.state);
            let index = state.history.len();
            state.marks.push(TurnMark {
                turn_id: turn_id.to_string(),
                index,
            });
        }
        self.record_items(&[message]).await;
    }

    /// Sends `msg` and records it in full, for the events no Codex record holds (a
    /// command's begin and end, a patch's changes and result), so a resumed session
    /// shows them again.
    pub async fn emit_recorded(&self, submission_id: &str, msg: EventMsg) {
        if let Ok(event) = serde_json::to_value(&msg) {
            self.rollout
                .record(RolloutRecord::EventMsg(
                    json!({"type": PERSISTED_EVENT, "event": event}),
                ))
                .await;
        }
        self.events.send(submission_id, msg).await;
    }

    /// Records a Codex `event_msg` payload as it is; nothing is sent to clients.
    pub(crate) async fn record_event_msg(&self, payload: Value) {
        self.rollout.record(RolloutRecord::EventMsg(payload)).await;
    }

    /// Notes answer text as it streams.
    fn stream_partial(&self, delta: &str) {
        lock(&self.partial_answer).push_str(delta);
    }

    /// Forgets the answer streamed so far (it finished, or a retry replaces it).
    fn take_partial(&self) -> String {
        std::mem::take(&mut *lock(&self.partial_answer))
    }

    /// A turn ended with an answer half streamed: the user saw it, so a resumed
    /// session shows it too (the model's history never had it).
    async fn record_partial_answer(&self) {
        let partial = self.take_partial();
        if partial.is_empty() {
            return;
        }
        let shown = EventMsg::AgentMessage { message: partial };
        if let Ok(event) = serde_json::to_value(&shown) {
            self.rollout
                .record(RolloutRecord::EventMsg(
                    json!({"type": PERSISTED_EVENT, "event": event}),
                ))
                .await;
        }
    }

    /// The id of the turn running, or of the last one (empty before the first).
    pub(crate) fn last_turn_id(&self) -> String {
        lock(&self.state).last_turn_id.clone().unwrap_or_default()
    }

    /// Records the line Codex writes before each message between agents.
    pub(crate) async fn record_mail_metadata(&self, trigger_turn: bool) {
        self.rollout
            .record(RolloutRecord::InterAgentMetadata(
                json!({"trigger_turn": trigger_turn}),
            ))
            .await;
    }

    /// Appends items to the history and the rollout.
    pub async fn record_items(&self, items: &[ResponseItem]) {
        lock(&self.state).history.extend(items.iter().cloned());
        for item in items {
            if let Ok(value) = serde_json::to_value(item) {
                self.rollout
                    .record(RolloutRecord::ResponseItem(value))
                    .await;
            }
        }
    }

    /// Records an `event_msg` line in the rollout.
    pub async fn record_event(&self, kind: &str, fields: Value) {
        let mut payload = json!({"type": kind});
        if let (Value::Object(target), Value::Object(fields)) = (&mut payload, fields) {
            target.extend(fields);
        }
        self.rollout.record(RolloutRecord::EventMsg(payload)).await;
    }

    async fn record_turn_context(&self, turn: &TurnContext) {
        let payload = json!({
            "turn_id": turn.turn_id,
            // This turn's tool events are recorded in full (`zspark_event` lines).
            "zspark_events": true,
            "cwd": turn.cwd,
            "approval_policy": turn.approval_policy,
            "sandbox_policy": turn.sandbox_policy,
            "model": turn.model_settings.model,
            "effort": turn.model_settings.effort,
            "summary": turn.model_settings.summary,
        });
        self.rollout
            .record(RolloutRecord::TurnContext(payload))
            .await;
    }

    /// The request for the next sampling step.
    async fn prompt(&self) -> Prompt {
        self.wait_for_mcp_servers().await;
        Prompt {
            base_instructions: self.base_instructions.clone(),
            input: lock(&self.state).history.clone(),
            tools: self.tools.specs(),
        }
    }

    /// The request asking for a compaction summary: the history, then the summary
    /// prompt, with no tools.
    fn compaction_prompt(&self) -> Prompt {
        let instruction = self
            .config
            .compact_prompt
            .clone()
            .unwrap_or_else(|| context::compact::SUMMARY_PROMPT.to_string());
        let mut input = lock(&self.state).history.clone();
        input.push(ResponseItem::user_text(instruction));
        Prompt {
            base_instructions: self.base_instructions.clone(),
            input,
            tools: Vec::new(),
        }
    }

    /// Adds a request's usage and returns the updated totals.
    fn add_usage(&self, usage: &TokenUsage) -> TokenUsageInfo {
        let mut state = lock(&self.state);
        state.token_info.total_token_usage.add(usage);
        state.token_info.last_token_usage = *usage;
        state.token_info
    }

    /// Gives every tool call in the history that has no output an "aborted" output, so
    /// the next request is valid. Returns the outputs added.
    pub async fn close_open_calls(&self, reason: &str) {
        let added = close_open_calls(&lock(&self.state).history, reason);
        self.record_items(&added).await;
    }

    /// Drops turn `from_turn` and every turn after it; returns how many turns with a
    /// user message went.
    pub async fn rollback(&self, from_turn: &str) -> Result<usize, NoSuchTurn> {
        let num_turns = {
            let mut state = lock(&self.state);
            let position = state
                .marks
                .iter()
                .position(|mark| mark.turn_id == from_turn)
                .ok_or_else(|| NoSuchTurn(from_turn.to_string()))?;
            let cut = state.marks[position].index;
            let num_turns = state.marks.len() - position;
            state.history.truncate(cut);
            state.marks.truncate(position);
            num_turns
        };
        self.record_event("thread_rolled_back", json!({"num_turns": num_turns}))
            .await;
        Ok(num_turns)
    }

    /// Allows `prefix` from now on and saves it in `$CODEX_HOME/rules`.
    pub async fn remember_command_prefix(&self, prefix: Vec<String>) {
        self.approvals.allow_prefix(prefix.clone());
        let home = self.config.codex_home.clone();
        let saved =
            tokio::task::spawn_blocking(move || execpolicy::append_allowed_prefix(&home, &prefix))
                .await;
        if let Ok(Err(error)) | Err(error) = saved.map_err(std::io::Error::other) {
            self.events
                .send(
                    "",
                    EventMsg::Warning {
                        message: format!(
                            "the command prefix is allowed for this session but could not be saved in {}: {error}",
                            execpolicy::rules_file(&self.config.codex_home).display()
                        ),
                    },
                )
                .await;
        }
    }

    /// Ends the session: kills processes and flushes the rollout.
    pub async fn shutdown(&self) -> Result<(), RolloutWriteError> {
        self.approvals.cancel_all();
        self.processes.kill_all();
        self.rollout.flush().await
    }
}

/// `$SHELL`, or bash/sh on Unix and PowerShell on Windows.
fn default_shell(env: &Env) -> String {
    if let Some(shell) = env.get("SHELL").filter(|shell| !shell.trim().is_empty()) {
        return shell.clone();
    }
    if cfg!(windows) {
        return "powershell.exe".to_string();
    }
    if std::path::Path::new("/bin/bash").exists() {
        "/bin/bash".to_string()
    } else {
        "/bin/sh".to_string()
    }
}

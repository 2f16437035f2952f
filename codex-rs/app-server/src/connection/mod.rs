//! One client connection: its lines in, the server's lines out, and one runtime
//! holding the threads it opened. Requests are answered in Codex's order (a
//! `thread/start` once its thread is configured, a `turn/start` when its turn has
//! begun, a `turn/interrupt` when its turn has stopped); runtime events become
//! notifications; approvals become requests of the server's own. When the client goes
//! away, running turns are interrupted and every thread is shut down, so rollouts
//! are complete.

mod queries;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use codex_core::rollout::find_session_file;
use codex_core::{
    Codex, ConfigOverrides, Env, LoadedConfig, SessionSource, ThreadStart, load_config,
};
use codex_protocol::{
    Event, EventMsg, InputItem, Op, SessionConfiguredEvent, ThreadId, TurnOverrides,
};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::catalog::{SessionFacts, list_threads, read_thread};
use crate::events::{ApprovalKind, Outgoing, PendingApproval, ThreadView, now_ms};
use crate::protocol::items::UserInput;
use crate::protocol::notifications::{ApprovalAnswer, ElicitationAnswer, ServerNotification};
use crate::protocol::requests::{
    AskForApproval, ClientRequest, InitializeParams, InitializeResult, SandboxPolicy,
    ThreadForkParams, ThreadListParams, ThreadLoadedListResult, ThreadOpened, ThreadReadParams,
    ThreadReadResult, ThreadResumeParams, ThreadSettings, ThreadStartParams, TurnInterruptParams,
    TurnStartParams, TurnStartResult, TurnSteerParams, TurnSteerResult,
};
use crate::protocol::thread::{Thread, ThreadStatus, Turn};
use crate::wire::{
    Incoming, RequestId, RpcError, error_line, notification_line, parse_line, request_line,
    response_line,
};

/// How long a closing connection waits for its threads to shut down.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// What every connection of a server shares.
#[derive(Debug, Clone)]
pub struct ServerContext {
    pub codex_home: PathBuf,
    pub env: Env,
    /// Where relative `cwd`s are taken from (the server's working directory).
    pub cwd: PathBuf,
}

/// How a thread was asked to open.
enum Opening {
    Start,
    Resume { exclude_turns: bool },
    Fork { exclude_turns: bool },
}

/// A thread this connection has open.
struct LoadedThread {
    view: ThreadView,
    /// The settings it was opened with, as `thread/start` answered them.
    opened: Option<ThreadOpened>,
    preview: String,
    /// A `turn/start` waiting for its turn to begin.
    starting_turn: Option<RequestId>,
    /// `turn/interrupt`s waiting for the turn to stop.
    interrupting: Vec<RequestId>,
}

struct Connection {
    context: ServerContext,
    codex: Codex,
    out: mpsc::Sender<String>,
    client: Option<String>,
    opted_out: HashSet<String>,
    threads: HashMap<String, LoadedThread>,
    /// Threads being opened, with the request that waits for them.
    opening: HashMap<String, (RequestId, Opening)>,
    next_request_id: i64,
    approvals: HashMap<i64, PendingApproval>,
}

/// Serves one connection until its lines end.
pub async fn serve(
    context: ServerContext,
    mut incoming: mpsc::Receiver<String>,
    out: mpsc::Sender<String>,
) {
    let mut connection = Connection {
        context,
        codex: Codex::new(),
        out,
        client: None,
        opted_out: HashSet::new(),
        threads: HashMap::new(),
        opening: HashMap::new(),
        next_request_id: 0,
        approvals: HashMap::new(),
    };
    loop {
        tokio::select! {
            line = incoming.recv() => match line {
                // Boxed: a request's future is large, and this loop lives long.
                Some(line) => Box::pin(connection.handle_line(&line)).await,
                None => break,
            },
            Some(event) = connection.codex.next_event() => connection.handle_event(event).await,
        }
    }
    connection.close().await;
}

impl Connection {
    async fn send(&self, line: String) {
        let _ = self.out.send(line).await;
    }

    async fn respond<T: Serialize>(&self, id: &RequestId, result: &T) {
        let value = serde_json::to_value(result).unwrap_or(Value::Null);
        self.send(response_line(id, &value)).await;
    }

    async fn fail(&self, id: Option<&RequestId>, error: RpcError) {
        self.send(error_line(id, &error)).await;
    }

    async fn notify(&self, note: &ServerNotification) {
        if self.opted_out.contains(note.method()) {
            return;
        }
        let value = serde_json::to_value(note).unwrap_or(Value::Null);
        self.send(notification_line(&value, now_ms())).await;
    }

    async fn emit(&mut self, outgoing: Vec<Outgoing>) {
        for item in outgoing {
            match item {
                Outgoing::Notification(note) => self.notify(&note).await,
                Outgoing::Approval { request, approval } => {
                    let id = self.next_request_id;
                    self.next_request_id += 1;
                    self.approvals.insert(id, approval);
                    let value = serde_json::to_value(&request).unwrap_or(Value::Null);
                    self.send(request_line(&value, id)).await;
                }
            }
        }
    }

    async fn handle_line(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        match parse_line(line) {
            Err(error) => self.fail(None, error).await,
            Ok(Incoming::Notification { .. }) => {}
            Ok(Incoming::Response { id, result }) => self.answered(&id, Some(result)).await,
            Ok(Incoming::ErrorResponse { id, .. }) => self.answered(&id, None).await,
            Ok(Incoming::Request { id, body }) => {
                match serde_json::from_value::<ClientRequest>(body) {
                    Err(error) => {
                        self.fail(
                            Some(&id),
                            RpcError::invalid_request(format!("Invalid request: {error}")),
                        )
                        .await;
                    }
                    Ok(request) => self.handle_request(id, request).await,
                }
            }
        }
    }

    async fn handle_request(&mut self, id: RequestId, request: ClientRequest) {
        match (&self.client, request) {
            (None, ClientRequest::Initialize(params)) => self.initialize(&id, params).await,
            (Some(_), ClientRequest::Initialize(_)) => {
                self.fail(Some(&id), RpcError::invalid_request("Already initialized"))
                    .await;
            }
            (None, _) => {
                self.fail(Some(&id), RpcError::invalid_request("Not initialized"))
                    .await
            }
            (Some(_), request) => {
                let outcome = match request {
                    ClientRequest::Initialize(_) => Ok(()),
                    ClientRequest::ThreadStart(params) => self.thread_start(&id, params).await,
                    ClientRequest::ThreadResume(params) => self.thread_resume(&id, params).await,
                    ClientRequest::ThreadFork(params) => self.thread_fork(&id, params).await,
                    ClientRequest::ThreadList(params) => self.thread_list(&id, params).await,
                    ClientRequest::ThreadLoadedList(_) => self.thread_loaded_list(&id).await,
                    ClientRequest::ThreadRead(params) => self.thread_read(&id, params).await,
                    ClientRequest::TurnStart(params) => self.turn_start(&id, params).await,
                    ClientRequest::TurnSteer(params) => self.turn_steer(&id, params).await,
                    ClientRequest::TurnInterrupt(params) => self.turn_interrupt(&id, params).await,
                    ClientRequest::ModelList(params) => self.model_list(&id, params).await,
                    ClientRequest::SkillsList(params) => self.skills_list(&id, params).await,
                    ClientRequest::ConfigRead(params) => self.config_read(&id, params).await,
                    ClientRequest::McpServerStatusList(params) => {
                        self.mcp_server_status(&id, params).await
                    }
                };
                if let Err(error) = outcome {
                    self.fail(Some(&id), error).await;
                }
            }
        }
    }

    async fn initialize(&mut self, id: &RequestId, params: InitializeParams) {
        let capabilities = params.capabilities.unwrap_or_default();
        self.opted_out = capabilities
            .opt_out_notification_methods
            .unwrap_or_default()
            .into_iter()
            .collect();
        let version = env!("CARGO_PKG_VERSION");
        let name = params.client_info.name;
        let result = InitializeResult {
            user_agent: format!(
                "{name}/{version} ({}; {}) zspark ({name}; {})",
                std::env::consts::OS,
                std::env::consts::ARCH,
                params.client_info.version
            ),
            codex_home: self.context.codex_home.clone(),
            platform_family: std::env::consts::FAMILY.to_string(),
            platform_os: std::env::consts::OS.to_string(),
        };
        self.client = Some(name);
        self.respond(id, &result).await;
    }

    /// The configuration a thread opens with: `config.toml` under `settings`.
    fn load(
        &self,
        settings: &ThreadSettings,
        cwd: Option<PathBuf>,
        thread_source: Option<String>,
    ) -> Result<LoadedConfig, RpcError> {
        let cwd = cwd.map_or_else(
            || self.context.cwd.clone(),
            |cwd| self.context.cwd.join(cwd),
        );
        if !cwd.is_dir() {
            return Err(RpcError::invalid_request(format!(
                "cwd {} is not a directory",
                cwd.display()
            )));
        }
        let mut config_overrides = Vec::new();
        for (key, value) in settings.config.iter().flatten() {
            config_overrides.push(format!("{key}={}", toml_literal(value)?));
        }
        if let Some(text) = &settings.developer_instructions {
            config_overrides.push(format!(
                "developer_instructions={}",
                toml_literal(&Value::from(text.clone()))?
            ));
        }
        let overrides = ConfigOverrides {
            model: settings.model.clone(),
            model_provider: settings.model_provider.clone(),
            sandbox_mode: settings.sandbox.map(Into::into),
            approval_policy: settings.approval_policy.map(Into::into),
            config_overrides,
            thread_source,
            ..ConfigOverrides::default()
        };
        let mut loaded = load_config(
            &self.context.codex_home,
            &cwd,
            &overrides,
            self.context.env.clone(),
            SessionSource::Desktop,
        )
        .map_err(|error| RpcError {
            code: crate::wire::INVALID_REQUEST,
            message: format!("failed to load configuration: {error}"),
            data: Some(json!({"reason": "configLoad"})),
        })?;
        if let Some(client) = &self.client {
            loaded.config.originator = client.clone();
        }
        if let Some(text) = &settings.base_instructions {
            loaded.config.base_instructions_override = Some(text.clone());
        }
        Ok(loaded)
    }

    async fn open_thread(
        &mut self,
        id: &RequestId,
        loaded: LoadedConfig,
        start: ThreadStart,
        opening: Opening,
    ) -> Result<(), RpcError> {
        let thread = self
            .codex
            .start_thread(loaded, start)
            .await
            .map_err(|error| match error {
                codex_core::StartError::Rollout(error) => {
                    RpcError::invalid_request(error.to_string())
                }
                codex_core::StartError::AlreadyRunning(thread) => RpcError::invalid_request(
                    format!("thread {thread} is already loaded on this connection"),
                ),
                other => RpcError::internal(format!("error creating thread: {other}")),
            })?;
        self.opening.insert(thread.0, (id.clone(), opening));
        Ok(())
    }

    async fn thread_start(
        &mut self,
        id: &RequestId,
        params: ThreadStartParams,
    ) -> Result<(), RpcError> {
        let loaded = self.load(
            &params.settings,
            params.settings.cwd.clone(),
            params.thread_source.clone(),
        )?;
        self.open_thread(
            id,
            loaded,
            ThreadStart::new().recorded_from_start(),
            Opening::Start,
        )
        .await
    }

    /// The rollout of stored thread `thread_id`.
    fn rollout_of(&self, thread_id: &str) -> Result<PathBuf, RpcError> {
        find_session_file(&self.context.codex_home, thread_id).ok_or_else(|| {
            RpcError::invalid_request(format!("no rollout found for thread id {thread_id}"))
        })
    }

    async fn thread_resume(
        &mut self,
        id: &RequestId,
        params: ThreadResumeParams,
    ) -> Result<(), RpcError> {
        if let Some(opened) = self
            .threads
            .get(&params.thread_id)
            .and_then(|loaded| loaded.opened.clone())
        {
            // Already open here: answer with what it is now.
            let rollout = self.rollout_of(&params.thread_id)?;
            let thread = self
                .thread_snapshot(&params.thread_id, &rollout, !params.exclude_turns)
                .await?;
            self.respond(id, &ThreadOpened { thread, ..opened }).await;
            return Ok(());
        }
        let rollout = self.rollout_of(&params.thread_id)?;
        let cwd = working_folder(&rollout, &params.settings);
        let mut settings = params.settings.clone();
        if settings.approval_policy.is_none() {
            // The thread goes on asking as it did (the sandbox is not widened back:
            // it comes from the configuration, as in Codex).
            settings.approval_policy = last_approval_policy(&rollout).await;
        }
        let loaded = self.load(&settings, cwd, None)?;
        self.open_thread(
            id,
            loaded,
            ThreadStart::resume(rollout),
            Opening::Resume {
                exclude_turns: params.exclude_turns,
            },
        )
        .await
    }

    async fn thread_fork(
        &mut self,
        id: &RequestId,
        params: ThreadForkParams,
    ) -> Result<(), RpcError> {
        let rollout = self.rollout_of(&params.thread_id)?;
        let before_turn = match &params.last_turn_id {
            None => None,
            Some(last) => {
                let stored = read_stored(&rollout, true).await?;
                let position = stored
                    .turns
                    .iter()
                    .position(|turn| turn.id == *last)
                    .ok_or_else(|| {
                        RpcError::invalid_request(format!(
                            "thread {} has no turn {last}",
                            params.thread_id
                        ))
                    })?;
                stored.turns.get(position + 1).map(|turn| turn.id.clone())
            }
        };
        let cwd = working_folder(&rollout, &params.settings);
        let loaded = self.load(&params.settings, cwd, None)?;
        self.open_thread(
            id,
            loaded,
            ThreadStart::fork(rollout, before_turn),
            Opening::Fork {
                exclude_turns: params.exclude_turns,
            },
        )
        .await
    }

    /// A stored thread as it is now, with its live status when it is open here.
    async fn thread_snapshot(
        &self,
        thread_id: &str,
        rollout: &std::path::Path,
        include_turns: bool,
    ) -> Result<Thread, RpcError> {
        let mut thread = read_stored(rollout, include_turns).await?;
        if thread.id.is_empty() {
            thread.id = thread_id.to_string();
        }
        self.show_live_status(&mut thread);
        Ok(thread)
    }

    fn show_live_status(&self, thread: &mut Thread) {
        if let Some(loaded) = self.threads.get(&thread.id) {
            thread.status = loaded.view.status.clone();
            if thread.preview.is_empty() {
                thread.preview.clone_from(&loaded.preview);
            }
        }
    }

    async fn thread_list(&self, id: &RequestId, params: ThreadListParams) -> Result<(), RpcError> {
        let home = self.context.codex_home.clone();
        let mut page = tokio::task::spawn_blocking(move || list_threads(&home, &params))
            .await
            .map_err(|error| RpcError::internal(error.to_string()))?;
        for thread in &mut page.data {
            self.show_live_status(thread);
        }
        self.respond(id, &page).await;
        Ok(())
    }

    async fn thread_loaded_list(&self, id: &RequestId) -> Result<(), RpcError> {
        let mut data: Vec<String> = self.threads.keys().cloned().collect();
        data.sort();
        let result = ThreadLoadedListResult {
            data,
            next_cursor: None,
        };
        self.respond(id, &result).await;
        Ok(())
    }

    async fn thread_read(&self, id: &RequestId, params: ThreadReadParams) -> Result<(), RpcError> {
        let rollout = self.rollout_of(&params.thread_id)?;
        let thread = self
            .thread_snapshot(&params.thread_id, &rollout, params.include_turns)
            .await?;
        self.respond(
            id,
            &ThreadReadResult {
                thread,
                read_state: None,
            },
        )
        .await;
        Ok(())
    }

    fn loaded(&mut self, thread_id: &str) -> Result<&mut LoadedThread, RpcError> {
        self.threads.get_mut(thread_id).ok_or_else(|| {
            RpcError::invalid_request(format!(
                "thread {thread_id} is not loaded; open it with thread/start or thread/resume first"
            ))
        })
    }

    async fn turn_start(
        &mut self,
        id: &RequestId,
        params: TurnStartParams,
    ) -> Result<(), RpcError> {
        let effort = params
            .effort
            .as_ref()
            .map(|effort| serde_json::from_value(Value::from(effort.clone())))
            .transpose()
            .map_err(|_| {
                RpcError::invalid_request(
                    "Invalid request: effort must be none, minimal, low, medium, high or xhigh",
                )
            })?;
        let items = runtime_input(&params.input)?;
        let loaded = self.loaded(&params.thread_id)?;
        if let Some(running) = loaded.view.running_turn() {
            return Err(RpcError::invalid_request(format!(
                "turn {running} is still running on thread {}; use turn/steer to add to it, or turn/interrupt to stop it",
                params.thread_id
            )));
        }
        if loaded.starting_turn.is_some() {
            return Err(RpcError::invalid_request(format!(
                "a turn is already starting on thread {}; wait for turn/started",
                params.thread_id
            )));
        }
        loaded.starting_turn = Some(id.clone());
        loaded.view.expect_input(params.input.clone());
        if loaded.preview.is_empty() {
            loaded.preview = codex_protocol::InputItem::text_of(&items);
        }
        let overrides = TurnOverrides {
            model: params.model,
            effort,
            approval_policy: params.approval_policy.map(Into::into),
            sandbox_policy: params.sandbox_policy.as_ref().map(Into::into),
            cwd: params.cwd,
            output_schema: params.output_schema,
        };
        let thread = ThreadId(params.thread_id.clone());
        if let Err(error) = self
            .codex
            .submit(&thread, Op::UserTurn { items, overrides })
            .await
        {
            if let Some(loaded) = self.threads.get_mut(&params.thread_id) {
                loaded.starting_turn = None;
            }
            return Err(RpcError::invalid_request(error.to_string()));
        }
        Ok(())
    }

    async fn turn_steer(
        &mut self,
        id: &RequestId,
        params: TurnSteerParams,
    ) -> Result<(), RpcError> {
        let items = runtime_input(&params.input)?;
        let loaded = self.loaded(&params.thread_id)?;
        let Some(running) = loaded.view.running_turn().map(str::to_string) else {
            return Err(RpcError::invalid_request("no active turn to steer"));
        };
        if running != params.expected_turn_id {
            return Err(RpcError::invalid_request(format!(
                "expected active turn id `{}` but found `{running}`",
                params.expected_turn_id
            )));
        }
        loaded.view.expect_input(params.input);
        self.codex
            .submit(&ThreadId(params.thread_id), Op::Steer { items })
            .await
            .map_err(|error| RpcError::invalid_request(error.to_string()))?;
        self.respond(id, &TurnSteerResult { turn_id: running })
            .await;
        Ok(())
    }

    async fn turn_interrupt(
        &mut self,
        id: &RequestId,
        params: TurnInterruptParams,
    ) -> Result<(), RpcError> {
        let loaded = self.loaded(&params.thread_id)?;
        if loaded.view.running_turn() != Some(params.turn_id.as_str()) {
            return Err(RpcError::invalid_request("no active turn to interrupt"));
        }
        loaded.interrupting.push(id.clone());
        self.codex
            .submit(&ThreadId(params.thread_id), Op::Interrupt)
            .await
            .map_err(|error| RpcError::invalid_request(error.to_string()))?;
        Ok(())
    }

    /// The client answered server request `id` (`None`: with an error).
    async fn answered(&mut self, id: &RequestId, result: Option<Value>) {
        let RequestId::Number(number) = id else {
            return;
        };
        let Some(approval) = self.approvals.remove(number) else {
            // Already answered, or never asked: nothing waits for it.
            return;
        };
        let decision = match (approval.kind, result) {
            (_, None) => codex_protocol::ReviewDecision::Decline,
            (ApprovalKind::McpTool, Some(result)) => {
                serde_json::from_value::<ElicitationAnswer>(result)
                    .map_or(codex_protocol::ReviewDecision::Decline, |answer| {
                        answer.to_runtime()
                    })
            }
            (_, Some(result)) => serde_json::from_value::<ApprovalAnswer>(result)
                .map_or(codex_protocol::ReviewDecision::Decline, |answer| {
                    answer.decision.to_runtime()
                }),
        };
        let approved = !matches!(
            decision,
            codex_protocol::ReviewDecision::Decline | codex_protocol::ReviewDecision::Cancel
        );
        let op = match approval.kind {
            ApprovalKind::FileChange => Op::PatchApproval {
                call_id: approval.call_id.clone(),
                decision,
            },
            ApprovalKind::Command | ApprovalKind::McpTool => Op::ExecApproval {
                call_id: approval.call_id.clone(),
                decision,
            },
        };
        let _ = self
            .codex
            .submit(&ThreadId(approval.thread_id.clone()), op)
            .await;
        if let Some(loaded) = self.threads.get_mut(&approval.thread_id) {
            let outgoing = loaded.view.approval_answered(&approval, approved, *number);
            self.emit(outgoing).await;
        }
    }

    async fn handle_event(&mut self, event: Event) {
        let thread_id = event.thread_id.0.clone();
        if let EventMsg::SessionConfigured(configured) = &event.msg {
            self.thread_configured(configured).await;
            return;
        }
        if matches!(event.msg, EventMsg::ShutdownComplete) {
            self.threads.remove(&thread_id);
            return;
        }
        let Some(loaded) = self.threads.get_mut(&thread_id) else {
            return;
        };
        let mut answers = Vec::new();
        match &event.msg {
            EventMsg::TurnStarted { turn_id, .. } => {
                if let Some(request) = loaded.starting_turn.take() {
                    answers.push((
                        request,
                        serde_json::to_value(TurnStartResult {
                            turn: Turn::requested(turn_id),
                        })
                        .unwrap_or(Value::Null),
                    ));
                }
            }
            EventMsg::TurnAborted { .. } => {
                answers.extend(
                    loaded
                        .interrupting
                        .drain(..)
                        .map(|request| (request, json!({}))),
                );
                // As Codex, the thread's usage once more as the turn stops.
                if let Some(note) = loaded.view.usage_note() {
                    self.emit(vec![Outgoing::Notification(note)]).await;
                }
            }
            _ => {}
        }
        for (request, result) in &answers {
            self.send(response_line(request, result)).await;
        }
        let Some(loaded) = self.threads.get_mut(&thread_id) else {
            return;
        };
        let outgoing = loaded.view.apply(&event.msg, now_ms());
        self.emit(outgoing).await;
    }

    async fn thread_configured(&mut self, configured: &SessionConfiguredEvent) {
        let thread_id = configured.session_id.clone();
        let Some((request, opening)) = self.opening.remove(&thread_id) else {
            // A sub-agent's thread: followed, not announced.
            if configured.parent_thread_id.is_some() {
                self.threads.insert(
                    thread_id.clone(),
                    LoadedThread {
                        view: ThreadView::live(&thread_id),
                        opened: None,
                        preview: String::new(),
                        starting_turn: None,
                        interrupting: Vec::new(),
                    },
                );
            }
            return;
        };
        let mut facts = SessionFacts::read(&configured.rollout_path).unwrap_or_default();
        facts.id.clone_from(&thread_id);
        let include_turns = match opening {
            Opening::Start => false,
            Opening::Resume { exclude_turns } | Opening::Fork { exclude_turns } => !exclude_turns,
        };
        let preview = configured
            .initial_messages
            .iter()
            .find_map(|event| match event {
                EventMsg::UserMessage { message, .. } => Some(message.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let now = now_ms() / 1000;
        let mut thread = facts.thread(&configured.rollout_path, preview.clone(), now);
        if facts.created_at == 0 {
            thread.created_at = now;
        }
        thread.model = Some(configured.model.clone());
        thread
            .model_provider
            .clone_from(&configured.model_provider_id);
        thread.cwd.clone_from(&configured.cwd);
        thread.environments = vec![crate::protocol::thread::Environment::local(
            configured.cwd.clone(),
        )];
        thread.forked_from_id.clone_from(&configured.forked_from_id);
        thread.status = ThreadStatus::Idle;
        thread.can_accept_direct_input = Some(true);
        thread.reasoning_effort = configured
            .reasoning_effort
            .and_then(|effort| serde_json::to_value(effort).ok())
            .and_then(|value| value.as_str().map(str::to_string));
        if include_turns {
            thread.turns = ThreadView::turns_of(&thread_id, &configured.initial_messages);
        }
        let opened = ThreadOpened {
            model: configured.model.clone(),
            model_provider: configured.model_provider_id.clone(),
            service_tier: None,
            disabled_plugin_ids: Vec::new(),
            cwd: configured.cwd.clone(),
            runtime_workspace_roots: vec![configured.cwd.clone()],
            instruction_sources: Vec::new(),
            approval_policy: configured.approval_policy.into(),
            approvals_reviewer: "user".to_string(),
            sandbox: SandboxPolicy::from(&configured.sandbox_policy),
            active_permission_profile: permission_profile(&SandboxPolicy::from(
                &configured.sandbox_policy,
            )),
            reasoning_effort: thread.reasoning_effort.clone(),
            thread: thread.clone(),
        };
        let mut view = ThreadView::live(&thread_id);
        view.restore(&configured.initial_messages);
        let resumed = matches!(opening, Opening::Resume { .. });
        if resumed {
            self.notify(&ServerNotification::ThreadStatusChanged {
                thread_id: thread_id.clone(),
                status: ThreadStatus::Idle,
            })
            .await;
        }
        self.respond(&request, &opened).await;
        if resumed && let Some(note) = view.usage_note() {
            self.notify(&note).await;
        }
        let mut kept = opened;
        kept.thread.turns = Vec::new();
        self.threads.insert(
            thread_id.clone(),
            LoadedThread {
                view,
                opened: Some(kept),
                preview,
                starting_turn: None,
                interrupting: Vec::new(),
            },
        );
        if !resumed {
            let mut announced = thread;
            announced.turns = Vec::new();
            self.notify(&ServerNotification::ThreadStarted {
                thread: Box::new(announced),
            })
            .await;
        }
    }

    /// The client went away: stop running turns, shut every thread down and wait
    /// (bounded) until each has flushed its rollout.
    async fn close(mut self) {
        let open: Vec<String> = self.threads.keys().cloned().collect();
        for thread in &open {
            let _ = self
                .codex
                .submit(&ThreadId(thread.clone()), Op::Interrupt)
                .await;
        }
        let submitter = self.codex.submitter();
        submitter.shutdown_all().await;
        let deadline = tokio::time::Instant::now() + SHUTDOWN_WAIT;
        while !submitter.threads().is_empty() {
            match tokio::time::timeout_at(deadline, self.codex.next_event()).await {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
}

/// A stored thread read off the connection's task (rollouts can be large).
async fn read_stored(rollout: &std::path::Path, include_turns: bool) -> Result<Thread, RpcError> {
    let rollout = rollout.to_path_buf();
    tokio::task::spawn_blocking(move || read_thread(&rollout, include_turns))
        .await
        .map_err(|error| RpcError::internal(error.to_string()))?
        .map_err(RpcError::invalid_request)
}

/// Where a stored thread goes on: the folder asked for, else the thread's own when
/// it is still there.
fn working_folder(rollout: &std::path::Path, settings: &ThreadSettings) -> Option<PathBuf> {
    settings.cwd.clone().or_else(|| {
        SessionFacts::read(rollout)
            .map(|facts| facts.cwd)
            .filter(|cwd| cwd.is_dir())
    })
}

/// The approval policy of the last turn recorded in `rollout`.
async fn last_approval_policy(rollout: &std::path::Path) -> Option<AskForApproval> {
    let rollout = rollout.to_path_buf();
    let loaded = tokio::task::spawn_blocking(move || codex_core::rollout::load_rollout(&rollout))
        .await
        .ok()?
        .ok()?;
    loaded
        .records
        .iter()
        .rev()
        .find(|(kind, _)| kind == "turn_context")
        .and_then(|(_, context)| context.get("approval_policy").cloned())
        .and_then(|policy| serde_json::from_value(policy).ok())
}

/// The permission profile Codex names for a sandbox: its built-in read-only one.
fn permission_profile(sandbox: &SandboxPolicy) -> Option<Value> {
    matches!(sandbox, SandboxPolicy::ReadOnly { .. })
        .then(|| json!({"id": ":read-only", "extends": null}))
}

/// The runtime's input for a turn's elements; an image file that is not there is
/// refused before anything is sent.
fn runtime_input(input: &[UserInput]) -> Result<Vec<InputItem>, RpcError> {
    if input.is_empty() {
        return Err(RpcError::invalid_request(
            "Invalid request: `input` is empty; give at least one text element",
        ));
    }
    for element in input {
        if let UserInput::LocalImage { path, .. } = element
            && !path.is_file()
        {
            return Err(RpcError::invalid_request(format!(
                "cannot attach {}: no such file",
                path.display()
            )));
        }
    }
    Ok(input.iter().map(UserInput::to_runtime).collect())
}

/// A JSON value as a TOML literal for a `key=value` override.
fn toml_literal(value: &Value) -> Result<String, RpcError> {
    toml::Value::try_from(value)
        .map(|literal| literal.to_string())
        .map_err(|_| {
            RpcError::invalid_request(format!(
                "Invalid request: config value {value} has no TOML form"
            ))
        })
}

//! One thread's runtime events folded into the protocol's view: its status, the turn
//! that runs with its items, and the notifications (and approval requests) each event
//! stands for, in Codex's order. The same folding turns a rollout's replayed events
//! into the `turns` of `thread/read`.

mod build;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use codex_protocol::{
    AbortReason, EventMsg, ExecApprovalRequestEvent, McpToolApprovalRequestEvent, StepStatus,
    shell_join,
};
use serde_json::{Value, json};

use crate::protocol::items::{ItemKind, ItemStatus, ThreadItem, UserInput};
use crate::protocol::notifications::{
    CommandApprovalParams, FileChangeApprovalParams, McpElicitationParams, PlanStep,
    ServerNotification, ServerRequest,
};
use crate::protocol::thread::{
    ActiveFlag, ItemsView, ThreadStatus, TokenCounts, TokenUsage, Turn, TurnError, TurnStatus,
};
use build::{
    agent_message_item, collab_item, command_actions, command_item, file_change_item, set_status,
    simple_command_words,
};

/// Where one MCP server of a thread stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct McpServerState {
    /// `starting`, `connected` or `failed`.
    pub runtime_status: &'static str,
    pub error: Option<String>,
    /// The tools it offers, by raw name.
    pub tools: Vec<String>,
}

/// What an event makes the server send.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Notification(ServerNotification),
    /// An approval to ask for; answered with `call_id`'s decision.
    Approval {
        request: ServerRequest,
        approval: PendingApproval,
    },
}

/// An approval the client has been asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingApproval {
    pub thread_id: String,
    pub call_id: String,
    pub kind: ApprovalKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalKind {
    Command,
    FileChange,
    McpTool,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The turn that runs (or, while replaying, the one being read).
struct LiveTurn {
    turn: Turn,
    began: Instant,
    /// The input of `turn/start` and of each `turn/steer`, shown as the user messages.
    inputs: Vec<Vec<UserInput>>,
    /// The ids of the agent message and the reasoning streaming now.
    agent_message: Option<String>,
    reasoning: Option<String>,
    /// Items started and not completed, by the model's call id.
    open: HashMap<String, ThreadItem>,
    /// Items announced before they began (an approval came first).
    announced: HashSet<String>,
    final_messages: Vec<ThreadItem>,
    /// Items of the turn given an id of zspark's so far: ids are the turn's id and a
    /// count, so a thread read again names its items as they were named live.
    named_items: usize,
    /// Token usage of the last model response: sent once the tool calls it asked for
    /// have ended (or the turn ends), where Codex sends it.
    held_usage: Option<ServerNotification>,
}

impl LiveTurn {
    /// The next id of the turn's own: `<kind>-<turn id>-<count>`.
    fn item_id(&mut self, kind: &str) -> String {
        let id = format!("{kind}-{}-{}", self.turn.id, self.named_items);
        self.named_items += 1;
        id
    }
}

/// One thread as the protocol sees it.
pub struct ThreadView {
    pub thread_id: String,
    pub status: ThreadStatus,
    live: Option<LiveTurn>,
    /// Input given for a turn that has not started yet.
    pending_input: Vec<Vec<UserInput>>,
    waiting_approvals: usize,
    /// Finished turns, when folding a rollout's history.
    finished: Vec<Turn>,
    /// The last token usage reported, for a turn that stops and a resumed thread.
    last_usage: Option<TokenUsage>,
    /// The id of the turn that started last.
    last_turn: String,
    /// Where each MCP server of the thread stands, and the tools it offers.
    pub mcp_servers: BTreeMap<String, McpServerState>,
    keep_finished: bool,
}

impl ThreadView {
    /// A loaded thread's view, for live events.
    pub fn live(thread_id: &str) -> Self {
        Self {
            thread_id: thread_id.to_string(),
            status: ThreadStatus::Idle,
            live: None,
            pending_input: Vec::new(),
            waiting_approvals: 0,
            finished: Vec::new(),
            last_usage: None,
            last_turn: String::new(),
            mcp_servers: BTreeMap::new(),
            keep_finished: false,
        }
    }

    /// The turns `events` (a rollout's replay) hold, with their items.
    pub fn turns_of(thread_id: &str, events: &[EventMsg]) -> Vec<Turn> {
        let mut view = Self {
            keep_finished: true,
            ..Self::live(thread_id)
        };
        for event in events {
            view.apply(event, 0);
        }
        if let Some(open) = view.live.take() {
            let mut turn = open.turn;
            turn.status = TurnStatus::Interrupted;
            turn.items_view = ItemsView::Full;
            view.finished.push(turn);
        }
        view.finished
    }

    /// The running turn's id.
    pub fn running_turn(&self) -> Option<&str> {
        self.live.as_ref().map(|live| live.turn.id.as_str())
    }

    /// Notes the input of a turn about to start (or being steered into the running
    /// one), shown as its user message.
    pub fn expect_input(&mut self, input: Vec<UserInput>) {
        match &mut self.live {
            Some(live) => live.inputs.push(input),
            None => self.pending_input.push(input),
        }
    }

    fn set_status(&mut self, status: ThreadStatus, out: &mut Vec<Outgoing>) {
        if self.status != status {
            self.status = status.clone();
            out.push(Outgoing::Notification(
                ServerNotification::ThreadStatusChanged {
                    thread_id: self.thread_id.clone(),
                    status,
                },
            ));
        }
    }

    fn active_status(&self) -> ThreadStatus {
        let flags = if self.waiting_approvals > 0 {
            vec![ActiveFlag::WaitingOnApproval]
        } else {
            Vec::new()
        };
        ThreadStatus::Active {
            active_flags: flags,
        }
    }

    /// An approval was answered: the thread stops waiting, and a refused item ends.
    pub fn approval_answered(
        &mut self,
        approval: &PendingApproval,
        approved: bool,
        request_id: i64,
    ) -> Vec<Outgoing> {
        let mut out = vec![Outgoing::Notification(
            ServerNotification::ServerRequestResolved {
                thread_id: self.thread_id.clone(),
                request_id,
            },
        )];
        self.waiting_approvals = self.waiting_approvals.saturating_sub(1);
        if self.live.is_some() {
            let status = self.active_status();
            self.set_status(status, &mut out);
        }
        if !approved && approval.kind != ApprovalKind::McpTool {
            self.complete_open(&approval.call_id, ItemStatus::Declined, now_ms(), &mut out);
        }
        out
    }

    /// What `msg` makes the server send; `at_ms` is when it happened (0 when unknown,
    /// for replayed history).
    pub fn apply(&mut self, msg: &EventMsg, at_ms: i64) -> Vec<Outgoing> {
        let mut out = Vec::new();
        match msg {
            EventMsg::TurnStarted { turn_id, .. } => self.turn_started(turn_id, at_ms, &mut out),
            EventMsg::UserMessage {
                message, images, ..
            } => self.user_message(message, images, at_ms, &mut out),
            EventMsg::AgentMessageDelta { delta } => {
                let (thread, turn) = self.ids();
                if let Some(live) = &mut self.live {
                    let id = start_agent_message(live, at_ms, &thread, &mut out);
                    push_note(
                        &mut out,
                        ServerNotification::AgentMessageDelta {
                            thread_id: thread,
                            turn_id: turn,
                            item_id: id,
                            delta: delta.clone(),
                        },
                    );
                }
            }
            EventMsg::AgentMessage { message } => {
                let (thread, turn) = self.ids();
                if let Some(live) = &mut self.live {
                    let id = start_agent_message(live, at_ms, &thread, &mut out);
                    live.agent_message = None;
                    let mut item = agent_message_item(id, message.clone(), at_ms);
                    item.completed_at_ms = item.started_at_ms;
                    live.final_messages.push(item.clone());
                    complete(&mut out, live, item, &thread, &turn, at_ms);
                }
            }
            EventMsg::AgentReasoningDelta { delta } => {
                let (thread, turn) = self.ids();
                if let Some(live) = &mut self.live {
                    let id = start_reasoning(live, at_ms, &thread, &mut out);
                    push_note(
                        &mut out,
                        ServerNotification::ReasoningSummaryTextDelta {
                            thread_id: thread,
                            turn_id: turn,
                            item_id: id,
                            delta: delta.clone(),
                            summary_index: 0,
                        },
                    );
                }
            }
            EventMsg::AgentReasoning { text, .. } => {
                let (thread, turn) = self.ids();
                if let Some(live) = &mut self.live {
                    let id = start_reasoning(live, at_ms, &thread, &mut out);
                    live.reasoning = None;
                    let item = ThreadItem {
                        kind: ItemKind::Reasoning {
                            id,
                            summary: vec![text.clone()],
                            content: Vec::new(),
                        },
                        started_at_ms: Some(at_ms),
                        completed_at_ms: Some(at_ms),
                    };
                    complete(&mut out, live, item, &thread, &turn, at_ms);
                }
            }
            EventMsg::ExecApprovalRequest(request) => {
                self.command_approval(request, at_ms, &mut out)
            }
            EventMsg::ExecCommandBegin(begin) => {
                let item = command_item(
                    &begin.call_id,
                    &begin.command,
                    &begin.cwd,
                    begin.process_id.clone(),
                    at_ms,
                );
                self.open(item, &mut out, at_ms);
            }
            EventMsg::ExecCommandOutputDelta { call_id, chunk, .. } => {
                let (thread, turn) = self.ids();
                push_note(
                    &mut out,
                    ServerNotification::CommandOutputDelta {
                        thread_id: thread,
                        turn_id: turn,
                        item_id: call_id.clone(),
                        delta: chunk.clone(),
                    },
                );
            }
            EventMsg::ExecCommandEnd(end) => {
                if let Some(mut item) = self.take_open(&end.call_id) {
                    if let ItemKind::CommandExecution {
                        status,
                        aggregated_output,
                        exit_code,
                        duration_ms,
                        process_id,
                        source,
                        ..
                    } = &mut item.kind
                    {
                        *status = if end.exit_code == Some(0) {
                            ItemStatus::Completed
                        } else {
                            ItemStatus::Failed
                        };
                        if process_id.is_some() {
                            "unifiedExecStartup".clone_into(source);
                        }
                        *aggregated_output =
                            Some(end.output.clone()).filter(|text| !text.is_empty());
                        *exit_code = end.exit_code;
                        *duration_ms = Some(end.duration_ms);
                    }
                    self.finish(item, at_ms, &mut out);
                }
            }
            EventMsg::ApplyPatchApprovalRequest(request) => {
                let item = file_change_item(&request.call_id, &request.changes, at_ms);
                self.announce(item, &mut out, at_ms);
                self.begin_waiting(&mut out);
                self.ask(
                    ServerRequest::FileChangeApproval(FileChangeApprovalParams {
                        thread_id: self.thread_id.clone(),
                        turn_id: self.ids().1,
                        item_id: request.call_id.clone(),
                        started_at_ms: at_ms,
                        reason: request.reason.clone(),
                        grant_root: None,
                    }),
                    &request.call_id,
                    ApprovalKind::FileChange,
                    &mut out,
                );
            }
            EventMsg::PatchApplyBegin {
                call_id, changes, ..
            } => {
                let item = file_change_item(call_id, changes, at_ms);
                self.open(item, &mut out, at_ms);
            }
            EventMsg::PatchApplyEnd {
                call_id, success, ..
            } => {
                let status = if *success {
                    ItemStatus::Completed
                } else {
                    ItemStatus::Failed
                };
                self.complete_open(call_id, status, at_ms, &mut out);
            }
            EventMsg::McpToolApprovalRequest(request) => self.mcp_approval(request, &mut out),
            EventMsg::McpToolCallBegin(begin) => {
                let arguments = serde_json::from_str(&begin.arguments).unwrap_or(json!({}));
                let item = ThreadItem {
                    kind: ItemKind::McpToolCall {
                        id: begin.call_id.clone(),
                        server: begin.server.clone(),
                        tool: begin.tool.clone(),
                        status: ItemStatus::InProgress,
                        arguments,
                        result: None,
                        error: None,
                        duration_ms: None,
                        app_context: None,
                        mcp_app_ui: None,
                        plugin_id: None,
                        read_only_hint: None,
                    },
                    started_at_ms: Some(at_ms),
                    completed_at_ms: None,
                };
                self.open(item, &mut out, at_ms);
            }
            EventMsg::McpToolCallEnd(end) => {
                if let Some(mut item) = self.take_open(&end.call_id) {
                    if let ItemKind::McpToolCall {
                        status,
                        result,
                        error,
                        duration_ms,
                        ..
                    } = &mut item.kind
                    {
                        *status = if end.success {
                            ItemStatus::Completed
                        } else {
                            ItemStatus::Failed
                        };
                        *duration_ms = Some(end.duration_ms);
                        match (&end.result, end.success) {
                            (Some(value), _) => *result = Some(value.clone()),
                            (None, true) => {
                                *result = Some(
                                    json!({"content": [{"type": "text", "text": end.output}], "structuredContent": null}),
                                );
                            }
                            (None, false) => *error = Some(json!({"message": end.output})),
                        }
                    }
                    self.finish(item, at_ms, &mut out);
                }
            }
            EventMsg::CollabToolCall(call) => {
                let item = collab_item(call, at_ms);
                self.announce(item.clone(), &mut out, at_ms);
                self.finish(item, at_ms, &mut out);
            }
            EventMsg::ViewImage { call_id, path } => {
                let item = ThreadItem {
                    kind: ItemKind::ImageView {
                        id: call_id.clone(),
                        path: path.clone(),
                    },
                    started_at_ms: Some(at_ms),
                    completed_at_ms: Some(at_ms),
                };
                self.announce(item.clone(), &mut out, at_ms);
                self.finish(item, at_ms, &mut out);
            }
            EventMsg::ContextCompacted { .. } => {
                let Some(live) = &mut self.live else {
                    return out;
                };
                let item = ThreadItem {
                    kind: ItemKind::ContextCompaction {
                        id: live.item_id("compaction"),
                    },
                    started_at_ms: Some(at_ms),
                    completed_at_ms: Some(at_ms),
                };
                self.announce(item.clone(), &mut out, at_ms);
                self.finish(item, at_ms, &mut out);
            }
            EventMsg::PlanUpdate(update) => {
                let (thread, turn) = self.ids();
                push_note(
                    &mut out,
                    ServerNotification::PlanUpdated {
                        thread_id: thread,
                        turn_id: turn,
                        explanation: update.explanation.clone(),
                        plan: update
                            .plan
                            .iter()
                            .map(|item| PlanStep {
                                step: item.step.clone(),
                                status: match item.status {
                                    StepStatus::Pending => "pending",
                                    StepStatus::InProgress => "inProgress",
                                    StepStatus::Completed => "completed",
                                }
                                .to_string(),
                            })
                            .collect(),
                    },
                );
            }
            EventMsg::TokenCount { info } => {
                let usage = TokenUsage {
                    total: TokenCounts::from(&info.total_token_usage),
                    last: TokenCounts::from(&info.last_token_usage),
                    model_context_window: info.model_context_window,
                };
                self.last_usage = Some(usage);
                let note = self.usage_note();
                match &mut self.live {
                    Some(live) => live.held_usage = note,
                    None => out.extend(note.map(Outgoing::Notification)),
                }
            }
            EventMsg::Error {
                message,
                will_retry: Some(retry),
            } => {
                let (thread, turn) = self.ids();
                push_note(
                    &mut out,
                    ServerNotification::Error {
                        error: TurnError {
                            message: format!(
                                "Reconnecting... {}/{}",
                                retry.attempt, retry.max_attempts
                            ),
                            codex_error_info: Some(
                                json!({"responseStreamDisconnected": {"httpStatusCode": null}}),
                            ),
                            additional_details: Some(message.clone()),
                            misalignment: None,
                        },
                        will_retry: true,
                        thread_id: thread,
                        turn_id: turn,
                    },
                );
            }
            EventMsg::Warning { message }
            | EventMsg::Error {
                message,
                will_retry: None,
            } => push_note(
                &mut out,
                ServerNotification::Warning {
                    thread_id: self.thread_id.clone(),
                    message: message.clone(),
                },
            ),
            EventMsg::McpServerTools { server, tools } => {
                self.mcp_servers
                    .entry(server.clone())
                    .or_default()
                    .tools
                    .clone_from(tools);
            }
            EventMsg::McpStartupUpdate { server, status } => {
                let state = self.mcp_servers.entry(server.clone()).or_default();
                state.runtime_status = match status {
                    codex_protocol::McpStartupStatus::Starting => "starting",
                    codex_protocol::McpStartupStatus::Ready => "connected",
                    codex_protocol::McpStartupStatus::Failed { .. } => "failed",
                };
                state.error = match status {
                    codex_protocol::McpStartupStatus::Failed { error } => Some(error.clone()),
                    _ => None,
                };
                let (status, error) = match status {
                    codex_protocol::McpStartupStatus::Starting => ("starting", None),
                    codex_protocol::McpStartupStatus::Ready => ("ready", None),
                    codex_protocol::McpStartupStatus::Failed { error } => {
                        ("failed", Some(error.clone()))
                    }
                };
                push_note(
                    &mut out,
                    ServerNotification::McpStartupStatus {
                        thread_id: self.thread_id.clone(),
                        name: server.clone(),
                        status: status.to_string(),
                        failure_reason: error.clone(),
                        error,
                    },
                );
            }
            EventMsg::TurnComplete { .. } => {
                self.turn_ended(TurnStatus::Completed, None, at_ms, &mut out)
            }
            EventMsg::TurnAborted { reason, .. } => {
                let status = match reason {
                    AbortReason::Interrupted | AbortReason::Cancelled | AbortReason::Shutdown => {
                        TurnStatus::Interrupted
                    }
                };
                self.turn_ended(status, None, at_ms, &mut out);
            }
            EventMsg::TurnFailed { message, .. } => {
                let error = TurnError::other(message.clone());
                let (thread, turn) = self.ids();
                self.set_status(ThreadStatus::SystemError, &mut out);
                push_note(
                    &mut out,
                    ServerNotification::Error {
                        error: error.clone(),
                        will_retry: false,
                        thread_id: thread,
                        turn_id: turn,
                    },
                );
                self.turn_ended(TurnStatus::Failed, Some(error), at_ms, &mut out);
            }
            _ => {}
        }
        out
    }

    /// The last usage reported, as a notification for the running turn (or the one
    /// that ran last).
    pub fn usage_note(&self) -> Option<ServerNotification> {
        let usage = self.last_usage?;
        Some(ServerNotification::TokenUsageUpdated {
            thread_id: self.thread_id.clone(),
            turn_id: self.running_turn().unwrap_or(&self.last_turn).to_string(),
            token_usage: usage,
        })
    }

    /// Takes what a replayed history says about the thread (its last usage, its last
    /// turn), for a thread resumed from it.
    pub fn restore(&mut self, history: &[EventMsg]) {
        for event in history {
            match event {
                EventMsg::TurnStarted { turn_id, .. } => self.last_turn.clone_from(turn_id),
                EventMsg::TokenCount { info } => {
                    self.last_usage = Some(TokenUsage {
                        total: TokenCounts::from(&info.total_token_usage),
                        last: TokenCounts::from(&info.last_token_usage),
                        model_context_window: info.model_context_window,
                    });
                }
                _ => {}
            }
        }
    }

    /// The thread's and the running turn's ids (empty when no turn runs).
    fn ids(&self) -> (String, String) {
        let turn = self.running_turn().unwrap_or_default().to_string();
        (self.thread_id.clone(), turn)
    }

    fn turn_started(&mut self, turn_id: &str, at_ms: i64, out: &mut Vec<Outgoing>) {
        self.last_turn = turn_id.to_string();
        let mut turn = Turn::requested(turn_id);
        turn.started_at = (at_ms > 0).then_some(at_ms / 1000);
        self.live = Some(LiveTurn {
            turn: turn.clone(),
            began: Instant::now(),
            inputs: std::mem::take(&mut self.pending_input),
            agent_message: None,
            reasoning: None,
            open: HashMap::new(),
            announced: HashSet::new(),
            final_messages: Vec::new(),
            named_items: 0,
            held_usage: None,
        });
        let status = self.active_status();
        self.set_status(status, out);
        push_note(
            out,
            ServerNotification::TurnStarted {
                thread_id: self.thread_id.clone(),
                turn,
            },
        );
    }

    fn user_message(
        &mut self,
        message: &str,
        images: &[String],
        at_ms: i64,
        out: &mut Vec<Outgoing>,
    ) {
        let (thread, turn) = self.ids();
        let Some(live) = &mut self.live else {
            return;
        };
        let content = if live.inputs.is_empty() {
            let mut content = vec![UserInput::Text {
                text: message.to_string(),
                text_elements: Vec::new(),
            }];
            content.extend(images.iter().map(|url| UserInput::Image {
                url: url.clone(),
                detail: None,
            }));
            content
        } else {
            live.inputs.remove(0)
        };
        let item = ThreadItem {
            kind: ItemKind::UserMessage {
                id: live.item_id("user"),
                client_id: None,
                content,
            },
            started_at_ms: Some(at_ms),
            completed_at_ms: None,
        };
        push_note(
            out,
            ServerNotification::ItemStarted {
                item: item.clone(),
                thread_id: thread.clone(),
                turn_id: turn.clone(),
                started_at_ms: at_ms,
            },
        );
        complete(out, live, item, &thread, &turn, at_ms);
    }

    fn command_approval(
        &mut self,
        request: &ExecApprovalRequestEvent,
        at_ms: i64,
        out: &mut Vec<Outgoing>,
    ) {
        let item = command_item(
            &request.call_id,
            &request.command,
            &request.cwd,
            None,
            at_ms,
        );
        let command = shell_join(&request.command);
        let actions = command_actions(&request.command);
        self.begin_waiting(out);
        self.announce(item, out, at_ms);
        let amendment = request
            .proposed_prefix
            .clone()
            .or_else(|| simple_command_words(&request.command));
        let mut decisions = vec![json!("accept")];
        if let Some(prefix) = &amendment {
            decisions
                .push(json!({"acceptWithExecpolicyAmendment": {"execpolicy_amendment": prefix}}));
        }
        decisions.push(json!("cancel"));
        self.ask(
            ServerRequest::CommandApproval(Box::new(CommandApprovalParams {
                kind: "command".to_string(),
                thread_id: self.thread_id.clone(),
                turn_id: self.ids().1,
                item_id: request.call_id.clone(),
                started_at_ms: at_ms,
                environment_id: "local".to_string(),
                reason: request.reason.clone(),
                command,
                cwd: request.cwd.clone(),
                command_actions: actions,
                proposed_execpolicy_amendment: amendment,
                available_decisions: decisions,
            })),
            &request.call_id,
            ApprovalKind::Command,
            out,
        );
    }

    fn mcp_approval(&mut self, request: &McpToolApprovalRequestEvent, out: &mut Vec<Outgoing>) {
        let params: Value = serde_json::from_str(&request.arguments).unwrap_or(json!({}));
        self.begin_waiting(out);
        self.ask(
            ServerRequest::McpToolApproval(McpElicitationParams {
                thread_id: self.thread_id.clone(),
                turn_id: self.ids().1,
                server_name: request.server.clone(),
                mode: "form".to_string(),
                message: format!(
                    "Allow the {} MCP server to run tool \"{}\"?",
                    request.server, request.tool
                ),
                requested_schema: json!({"type": "object", "properties": {}}),
                meta: json!({
                    "codex_approval_kind": "mcp_tool_call",
                    "persist": ["session", "always"],
                    "tool_name": request.tool,
                    "tool_params": params,
                }),
            }),
            &request.call_id,
            ApprovalKind::McpTool,
            out,
        );
    }

    /// The thread waits for one more approval.
    fn begin_waiting(&mut self, out: &mut Vec<Outgoing>) {
        self.waiting_approvals += 1;
        let status = self.active_status();
        self.set_status(status, out);
    }

    /// Asks the client (after [`Self::begin_waiting`]).
    fn ask(
        &self,
        request: ServerRequest,
        call_id: &str,
        kind: ApprovalKind,
        out: &mut Vec<Outgoing>,
    ) {
        out.push(Outgoing::Approval {
            request,
            approval: PendingApproval {
                thread_id: self.thread_id.clone(),
                call_id: call_id.to_string(),
                kind,
            },
        });
    }

    /// Announces an item before it begins (an approval is asked for it first).
    fn announce(&mut self, item: ThreadItem, out: &mut Vec<Outgoing>, at_ms: i64) {
        let id = item.id().to_string();
        self.open(item, out, at_ms);
        if let Some(live) = &mut self.live {
            live.announced.insert(id);
        }
    }

    /// Starts an item (once: an item announced before stays as announced).
    fn open(&mut self, item: ThreadItem, out: &mut Vec<Outgoing>, at_ms: i64) {
        let (thread, turn) = self.ids();
        let Some(live) = &mut self.live else {
            return;
        };
        let id = item.id().to_string();
        if live.announced.remove(&id) {
            if let (Some(open), ItemKind::CommandExecution { process_id, .. }) =
                (live.open.get_mut(&id), &item.kind)
                && let ItemKind::CommandExecution {
                    process_id: held, ..
                } = &mut open.kind
            {
                held.clone_from(process_id);
            }
            return;
        }
        push_note(
            out,
            ServerNotification::ItemStarted {
                item: item.clone(),
                thread_id: thread,
                turn_id: turn,
                started_at_ms: at_ms,
            },
        );
        live.open.insert(id, item);
    }

    fn take_open(&mut self, id: &str) -> Option<ThreadItem> {
        let live = self.live.as_mut()?;
        live.announced.remove(id);
        live.open.remove(id)
    }

    /// Ends an open item with `status`.
    fn complete_open(&mut self, id: &str, status: ItemStatus, at_ms: i64, out: &mut Vec<Outgoing>) {
        if let Some(mut item) = self.take_open(id) {
            set_status(&mut item, status);
            self.finish(item, at_ms, out);
        }
    }

    fn finish(&mut self, item: ThreadItem, at_ms: i64, out: &mut Vec<Outgoing>) {
        let (thread, turn) = self.ids();
        if let Some(live) = &mut self.live {
            live.open.remove(item.id());
            complete(out, live, item, &thread, &turn, at_ms);
            if live.open.is_empty()
                && let Some(note) = live.held_usage.take()
            {
                push_note(out, note);
            }
        }
    }

    fn turn_ended(
        &mut self,
        status: TurnStatus,
        error: Option<TurnError>,
        at_ms: i64,
        out: &mut Vec<Outgoing>,
    ) {
        let Some(mut live) = self.live.take() else {
            return;
        };
        // A stopped turn's usage is sent by the connection before it answers the
        // interrupt.
        if let Some(note) = live.held_usage.take()
            && status != TurnStatus::Interrupted
        {
            push_note(out, note);
        }
        self.waiting_approvals = 0;
        if status != TurnStatus::Failed {
            self.set_status(ThreadStatus::Idle, out);
        }
        let mut turn = live.turn;
        turn.status = status;
        turn.error = error;
        turn.completed_at = (at_ms > 0).then_some(at_ms / 1000);
        turn.duration_ms = (at_ms > 0)
            .then(|| i64::try_from(live.began.elapsed().as_millis()).unwrap_or(i64::MAX));
        if self.keep_finished {
            turn.items_view = ItemsView::Full;
            self.finished.push(turn);
            return;
        }
        if status == TurnStatus::Completed {
            turn.items = live.final_messages;
            turn.items_view = ItemsView::Summary;
        } else {
            turn.items = Vec::new();
        }
        push_note(
            out,
            ServerNotification::TurnCompleted {
                thread_id: self.thread_id.clone(),
                turn,
            },
        );
    }
}

/// A time stamp, `None` when unknown (0: replayed history has none).
fn known_time(at_ms: i64) -> Option<i64> {
    (at_ms > 0).then_some(at_ms)
}

fn push_note(out: &mut Vec<Outgoing>, note: ServerNotification) {
    out.push(Outgoing::Notification(note));
}

/// Completes `item`, keeping it in the turn (all items while replaying).
fn complete(
    out: &mut Vec<Outgoing>,
    live: &mut LiveTurn,
    mut item: ThreadItem,
    thread: &str,
    turn: &str,
    at_ms: i64,
) {
    item.completed_at_ms = known_time(at_ms);
    if at_ms == 0 {
        item.started_at_ms = None;
    }
    live.turn.items.push(item.clone());
    push_note(
        out,
        ServerNotification::ItemCompleted {
            item,
            thread_id: thread.to_string(),
            turn_id: turn.to_string(),
            content_token_count: None,
            completed_at_ms: at_ms,
        },
    );
}

fn start_agent_message(
    live: &mut LiveTurn,
    at_ms: i64,
    thread: &str,
    out: &mut Vec<Outgoing>,
) -> String {
    if let Some(id) = &live.agent_message {
        return id.clone();
    }
    let id = live.item_id("msg");
    live.agent_message = Some(id.clone());
    push_note(
        out,
        ServerNotification::ItemStarted {
            item: agent_message_item(id.clone(), String::new(), at_ms),
            thread_id: thread.to_string(),
            turn_id: live.turn.id.clone(),
            started_at_ms: at_ms,
        },
    );
    id
}

fn start_reasoning(
    live: &mut LiveTurn,
    at_ms: i64,
    thread: &str,
    out: &mut Vec<Outgoing>,
) -> String {
    if let Some(id) = &live.reasoning {
        return id.clone();
    }
    let id = live.item_id("rs");
    live.reasoning = Some(id.clone());
    let item = ThreadItem {
        kind: ItemKind::Reasoning {
            id: id.clone(),
            summary: Vec::new(),
            content: Vec::new(),
        },
        started_at_ms: Some(at_ms),
        completed_at_ms: None,
    };
    push_note(
        out,
        ServerNotification::ItemStarted {
            item,
            thread_id: thread.to_string(),
            turn_id: live.turn.id.clone(),
            started_at_ms: at_ms,
        },
    );
    push_note(
        out,
        ServerNotification::ReasoningSummaryPartAdded {
            thread_id: thread.to_string(),
            turn_id: live.turn.id.clone(),
            item_id: id.clone(),
            summary_index: 0,
        },
    );
    id
}

//! The conversation as a front-end shows it: a list of items (messages, reasoning,
//! commands with their output, file changes, plans, approval requests, errors, the
//! files a turn produced, sub-agent calls), each user message tagged with its turn, and where the
//! session's MCP servers stand. It is built from the
//! runtime's events only, live as they stream or from the events a resumed session
//! replays (`SessionConfigured::initial_messages`), so both give the same items. Pure
//! data: front-ends read it, nothing here draws.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use codex_protocol::{
    AgentMailEvent, AgentStatus, CollabToolCallEvent, EventMsg, FileChange, McpStartupStatus,
    PlanUpdate, ReviewDecision, display_command,
};

use crate::artifacts::Artifact;

/// One thing in the conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    User {
        /// The turn this message began (rollback and fork address it).
        turn_id: Option<String>,
        text: String,
        images: usize,
        /// Files attached by reference.
        files: Vec<PathBuf>,
        /// Skills picked for the message.
        skills: Vec<String>,
    },
    Agent {
        text: String,
        streaming: bool,
    },
    Reasoning {
        text: String,
        /// When the reasoning began streaming, while it streams.
        started: Option<Instant>,
        /// How long it took, once finished.
        duration: Option<Duration>,
    },
    Command(CommandRun),
    /// A call of an MCP server's tool.
    McpCall(McpCall),
    Patch(PatchItem),
    Plan(PlanUpdate),
    /// An image the agent looked at.
    Image {
        path: PathBuf,
    },
    Approval(ApprovalItem),
    Error {
        message: String,
    },
    Notice {
        message: String,
    },
    /// The files a turn created or changed.
    Artifacts(Vec<Artifact>),
    /// A sub-agent tool call: a spawn shows as the agents' cards.
    AgentCall(CollabToolCallEvent),
    /// A message from another agent of the tree (a task, news, a final answer).
    AgentMail(AgentMailEvent),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommandRun {
    pub call_id: String,
    pub command_line: String,
    pub cwd: PathBuf,
    pub output: String,
    pub exit_code: Option<i32>,
    pub duration: Option<Duration>,
    pub running: bool,
    pub killed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct McpCall {
    pub call_id: String,
    pub server: String,
    pub tool: String,
    /// JSON text.
    pub arguments: String,
    pub output: String,
    /// `None` while it runs.
    pub success: Option<bool>,
    pub duration: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchItem {
    pub call_id: String,
    pub files: Vec<FileDiff>,
    /// The changes as the runtime applied them, for undoing them.
    pub changes: BTreeMap<PathBuf, FileChange>,
    pub status: PatchStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PatchStatus {
    Applying,
    Applied,
    Failed(String),
}

/// One file of a change, as a unified diff with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDiff {
    pub path: PathBuf,
    pub added: usize,
    pub removed: usize,
    pub diff: String,
}

impl FileDiff {
    pub fn from_change(path: PathBuf, change: &FileChange) -> Self {
        let diff = match change {
            FileChange::Add { content } => prefix_lines(content, '+'),
            FileChange::Delete { content } => prefix_lines(content, '-'),
            FileChange::Update { unified_diff, .. } => unified_diff.clone(),
        };
        let count = |sign: char, header: &str| {
            diff.lines()
                .filter(|line| line.starts_with(sign) && !line.starts_with(header))
                .count()
        };
        Self {
            added: count('+', "+++"),
            removed: count('-', "---"),
            path,
            diff,
        }
    }
}

fn prefix_lines(content: &str, sign: char) -> String {
    content
        .lines()
        .map(|line| format!("{sign}{line}\n"))
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalItem {
    pub call_id: String,
    pub request: ApprovalRequest,
    pub reason: Option<String>,
    pub answer: Option<ReviewDecision>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApprovalRequest {
    Command {
        command_line: String,
        cwd: PathBuf,
    },
    Patch {
        files: Vec<FileDiff>,
    },
    /// A call of an MCP server's tool; `arguments` is JSON text.
    McpTool {
        server: String,
        tool: String,
        arguments: String,
    },
}

impl ApprovalItem {
    pub fn is_patch(&self) -> bool {
        matches!(self.request, ApprovalRequest::Patch { .. })
    }
}

/// Where one of the session's MCP servers stands, and the tools it offers.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServerLive {
    pub status: McpStartupStatus,
    /// Raw tool names, once the server is ready.
    pub tools: Vec<String>,
}

/// The conversation of one session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub items: Vec<Item>,
    /// The session's MCP servers by name, as their start-up events said.
    pub mcp_servers: BTreeMap<String, McpServerLive>,
    /// The turn the last `TurnStarted` opened.
    current_turn: Option<String>,
}

impl Transcript {
    /// The conversation a session's replayed events hold.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a EventMsg>) -> Self {
        let mut transcript = Self::default();
        for event in events {
            transcript.apply(event);
        }
        transcript
    }

    /// Folds one runtime event into the conversation.
    pub fn apply(&mut self, msg: &EventMsg) {
        match msg {
            EventMsg::TurnStarted { turn_id, .. } => self.current_turn = Some(turn_id.clone()),
            EventMsg::McpStartupUpdate { server, status } => {
                let live =
                    self.mcp_servers
                        .entry(server.clone())
                        .or_insert_with(|| McpServerLive {
                            status: status.clone(),
                            tools: Vec::new(),
                        });
                live.status = status.clone();
            }
            EventMsg::McpServerTools { server, tools } => {
                self.mcp_servers
                    .entry(server.clone())
                    .or_insert_with(|| McpServerLive {
                        status: McpStartupStatus::Ready,
                        tools: Vec::new(),
                    })
                    .tools = tools.clone();
            }
            EventMsg::UserMessage {
                message,
                images,
                files,
                skills,
            } => self.items.push(Item::User {
                turn_id: self.current_turn.clone(),
                text: message.clone(),
                images: images.len(),
                files: files.clone(),
                skills: skills.clone(),
            }),
            EventMsg::AgentMessageDelta { delta } => match self.items.last_mut() {
                Some(Item::Agent {
                    text,
                    streaming: true,
                }) => text.push_str(delta),
                _ => self.items.push(Item::Agent {
                    text: delta.clone(),
                    streaming: true,
                }),
            },
            EventMsg::AgentMessage { message } => match self.items.last_mut() {
                Some(Item::Agent { text, streaming }) if *streaming => {
                    *text = message.clone();
                    *streaming = false;
                }
                _ => self.items.push(Item::Agent {
                    text: message.clone(),
                    streaming: false,
                }),
            },
            EventMsg::AgentReasoningDelta { delta } => match self.open_reasoning() {
                Some(Item::Reasoning { text, .. }) => text.push_str(delta),
                _ => self.items.push(Item::Reasoning {
                    text: delta.clone(),
                    started: Some(Instant::now()),
                    duration: None,
                }),
            },
            EventMsg::AgentReasoning {
                text: full,
                duration_ms,
            } => {
                let took = |started: Option<Instant>| {
                    duration_ms
                        .map(Duration::from_millis)
                        .or_else(|| started.map(|at| at.elapsed()))
                        .unwrap_or_default()
                };
                match self.open_reasoning() {
                    Some(Item::Reasoning {
                        text,
                        started,
                        duration,
                    }) => {
                        *text = full.clone();
                        *duration = Some(took(started.take()));
                    }
                    _ => self.items.push(Item::Reasoning {
                        text: full.clone(),
                        started: None,
                        duration: Some(took(None)),
                    }),
                }
            }
            EventMsg::ExecCommandBegin(begin) => {
                self.close_reasoning();
                self.items.push(Item::Command(CommandRun {
                    call_id: begin.call_id.clone(),
                    command_line: display_command(&begin.command),
                    cwd: begin.cwd.clone(),
                    output: String::new(),
                    exit_code: None,
                    duration: None,
                    running: true,
                    killed: false,
                }));
            }
            EventMsg::McpToolCallBegin(begin) => {
                self.close_reasoning();
                self.items.push(Item::McpCall(McpCall {
                    call_id: begin.call_id.clone(),
                    server: begin.server.clone(),
                    tool: begin.tool.clone(),
                    arguments: begin.arguments.clone(),
                    output: String::new(),
                    success: None,
                    duration: None,
                }));
            }
            EventMsg::CollabToolCall(call) => {
                self.close_reasoning();
                self.items.push(Item::AgentCall(call.clone()));
            }
            EventMsg::AgentMail(mail) => {
                self.close_reasoning();
                self.items.push(Item::AgentMail(mail.clone()));
            }
            EventMsg::McpToolCallEnd(end) => {
                let call = self.items.iter_mut().rev().find_map(|item| match item {
                    Item::McpCall(call) if call.call_id == end.call_id => Some(call),
                    _ => None,
                });
                if let Some(call) = call {
                    call.output = end.output.clone();
                    call.success = Some(end.success);
                    call.duration = Some(Duration::from_millis(end.duration_ms));
                }
            }
            EventMsg::ExecCommandOutputDelta { call_id, chunk, .. } => {
                if let Some(run) = self.command_mut(call_id) {
                    run.output.push_str(chunk);
                }
            }
            EventMsg::ExecCommandEnd(end) => {
                if let Some(run) = self.command_mut(&end.call_id) {
                    run.output = end.output.clone();
                    run.exit_code = end.exit_code;
                    run.duration = Some(Duration::from_millis(end.duration_ms));
                    run.running = false;
                    run.killed = end.killed;
                }
            }
            EventMsg::PatchApplyBegin {
                call_id, changes, ..
            } => {
                self.close_reasoning();
                self.items.push(Item::Patch(PatchItem {
                    call_id: call_id.clone(),
                    files: diffs(changes),
                    changes: changes.clone(),
                    status: PatchStatus::Applying,
                }));
            }
            EventMsg::PatchApplyEnd {
                call_id,
                success,
                output,
            } => {
                if let Some(Item::Patch(patch)) =
                    self.items.iter_mut().rev().find(
                        |item| matches!(item, Item::Patch(patch) if patch.call_id == *call_id),
                    )
                {
                    patch.status = if *success {
                        PatchStatus::Applied
                    } else {
                        PatchStatus::Failed(output.clone())
                    };
                }
            }
            EventMsg::PlanUpdate(plan) => {
                // One plan card per turn, updated in place.
                match self
                    .items
                    .iter_mut()
                    .rev()
                    .take_while(|item| !matches!(item, Item::User { .. }))
                    .find_map(|item| match item {
                        Item::Plan(existing) => Some(existing),
                        _ => None,
                    }) {
                    Some(existing) => *existing = plan.clone(),
                    None => self.items.push(Item::Plan(plan.clone())),
                }
            }
            EventMsg::ViewImage { path, .. } => {
                self.close_reasoning();
                self.items.push(Item::Image { path: path.clone() });
            }
            EventMsg::ExecApprovalRequest(request) => {
                self.close_reasoning();
                self.items.push(Item::Approval(ApprovalItem {
                    call_id: request.call_id.clone(),
                    request: ApprovalRequest::Command {
                        command_line: display_command(&request.command),
                        cwd: request.cwd.clone(),
                    },
                    reason: request.reason.clone(),
                    answer: None,
                }));
            }
            EventMsg::McpToolApprovalRequest(request) => {
                self.close_reasoning();
                self.items.push(Item::Approval(ApprovalItem {
                    call_id: request.call_id.clone(),
                    request: ApprovalRequest::McpTool {
                        server: request.server.clone(),
                        tool: request.tool.clone(),
                        arguments: request.arguments.clone(),
                    },
                    reason: None,
                    answer: None,
                }));
            }
            EventMsg::ApplyPatchApprovalRequest(request) => {
                self.close_reasoning();
                self.items.push(Item::Approval(ApprovalItem {
                    call_id: request.call_id.clone(),
                    request: ApprovalRequest::Patch {
                        files: diffs(&request.changes),
                    },
                    reason: request.reason.clone(),
                    answer: None,
                }));
            }
            EventMsg::Error {
                message,
                will_retry: Some(retry),
            } => {
                // The partial answer is replaced by the retried one.
                if matches!(
                    self.items.last(),
                    Some(Item::Agent {
                        streaming: true,
                        ..
                    })
                ) {
                    self.items.pop();
                }
                self.items.push(Item::Notice {
                    message: format!(
                        "{message} Retrying ({}/{}) in {:.1} s…",
                        retry.attempt,
                        retry.max_attempts,
                        retry.delay_ms as f64 / 1000.0
                    ),
                });
            }
            EventMsg::Error {
                message,
                will_retry: None,
            }
            | EventMsg::TurnFailed { message, .. } => {
                self.finish_streaming();
                self.items.push(Item::Error {
                    message: message.clone(),
                });
            }
            EventMsg::Warning { message } => self.items.push(Item::Notice {
                message: message.clone(),
            }),
            EventMsg::ContextCompacted { automatic, .. } => self.items.push(Item::Notice {
                message: if *automatic {
                    "The context window was nearly full; the conversation so far was summarised."
                        .to_string()
                } else {
                    "The conversation so far was summarised.".to_string()
                },
            }),
            EventMsg::TurnAborted { .. } => {
                self.finish_streaming();
                self.items.push(Item::Notice {
                    message: "Stopped.".to_string(),
                });
            }
            EventMsg::TurnComplete { .. } => self.finish_streaming(),
            EventMsg::ThreadRolledBack { from_turn, .. } => self.drop_from_turn(from_turn),
            _ => {}
        }
    }

    /// Adds the files a turn produced, as a card after what the turn showed.
    pub fn add_artifacts(&mut self, artifacts: Vec<Artifact>) {
        self.items.push(Item::Artifacts(artifacts));
    }

    /// Records the user's answer on the approval card.
    pub fn answer(&mut self, call_id: &str, decision: ReviewDecision) {
        for item in self.items.iter_mut().rev() {
            if let Item::Approval(approval) = item
                && approval.call_id == call_id
            {
                approval.answer = Some(decision);
                return;
            }
        }
    }

    /// The oldest approval still waiting for an answer.
    pub fn pending_approval(&self) -> Option<&ApprovalItem> {
        self.items.iter().find_map(|item| match item {
            Item::Approval(approval) if approval.answer.is_none() => Some(approval),
            _ => None,
        })
    }

    /// The last status the sub-agent calls reported for agent `thread_id`.
    pub fn agent_state(&self, thread_id: &str) -> Option<&AgentStatus> {
        self.items.iter().rev().find_map(|item| match item {
            Item::AgentCall(call) => call.agents_states.get(thread_id),
            _ => None,
        })
    }

    /// The agent's last finished message.
    pub fn last_agent_message(&self) -> Option<&str> {
        self.items.iter().rev().find_map(|item| match item {
            Item::Agent {
                text,
                streaming: false,
            } => Some(text.as_str()),
            _ => None,
        })
    }

    /// The turn the user message at item `index` began.
    pub fn turn_at(&self, index: usize) -> Option<&str> {
        match self.items.get(index) {
            Some(Item::User { turn_id, .. }) => turn_id.as_deref(),
            _ => None,
        }
    }

    /// The turn of the last user message.
    pub fn last_user_turn(&self) -> Option<&str> {
        self.items.iter().rev().find_map(|item| match item {
            Item::User { turn_id, .. } => Some(turn_id.as_deref()),
            _ => None,
        })?
    }

    /// Removes the user message of turn `turn_id` and everything after it.
    fn drop_from_turn(&mut self, turn_id: &str) {
        if let Some(index) = self
            .items
            .iter()
            .position(|item| matches!(item, Item::User { turn_id: Some(id), .. } if id == turn_id))
        {
            self.items.truncate(index);
        }
    }

    fn open_reasoning(&mut self) -> Option<&mut Item> {
        match self.items.last_mut() {
            Some(item @ Item::Reasoning { duration: None, .. }) => Some(item),
            _ => None,
        }
    }

    fn close_reasoning(&mut self) {
        if let Some(Item::Reasoning {
            started, duration, ..
        }) = self.open_reasoning()
        {
            *duration = Some(started.take().map(|at| at.elapsed()).unwrap_or_default());
        }
    }

    /// Ends streaming and running states when a turn ends however it ends.
    fn finish_streaming(&mut self) {
        self.close_reasoning();
        for item in &mut self.items {
            match item {
                Item::Agent { streaming, .. } => *streaming = false,
                Item::Command(run) if run.running => {
                    run.running = false;
                    run.killed = true;
                }
                Item::Approval(approval) if approval.answer.is_none() => {
                    approval.answer = Some(ReviewDecision::Cancel);
                }
                _ => {}
            }
        }
    }

    fn command_mut(&mut self, call_id: &str) -> Option<&mut CommandRun> {
        self.items.iter_mut().rev().find_map(|item| match item {
            Item::Command(run) if run.call_id == call_id => Some(run),
            _ => None,
        })
    }
}

fn diffs(changes: &BTreeMap<PathBuf, FileChange>) -> Vec<FileDiff> {
    changes
        .iter()
        .map(|(path, change)| FileDiff::from_change(path.clone(), change))
        .collect()
}

#[cfg(test)]
mod tests {
    use codex_protocol::{ExecCommandBeginEvent, ExecCommandEndEvent, OutputStream, RetryInfo};

    use super::*;

    fn agent(text: &str, streaming: bool) -> Item {
        Item::Agent {
            text: text.into(),
            streaming,
        }
    }

    fn user(turn: &str, text: &str) -> [EventMsg; 2] {
        [
            EventMsg::TurnStarted {
                turn_id: turn.into(),
                model_context_window: None,
            },
            EventMsg::UserMessage {
                message: text.into(),
                images: vec![],
                files: vec![],
                skills: vec![],
            },
        ]
    }

    fn agent_call(tool: &str, state: AgentStatus) -> EventMsg {
        EventMsg::CollabToolCall(CollabToolCallEvent {
            call_id: format!("{tool}-1"),
            tool: tool.into(),
            success: true,
            sender_thread_id: "parent".into(),
            receivers: vec![codex_protocol::CollabAgentRef {
                thread_id: "child".into(),
                nickname: "Hooke".into(),
                role: None,
            }],
            prompt: None,
            model: Some("small".into()),
            reasoning_effort: None,
            agents_states: [("child".to_string(), state)].into(),
        })
    }

    #[test]
    fn sub_agent_calls_are_items_and_the_latest_state_of_an_agent_is_known() {
        let mut transcript = Transcript::default();
        transcript.apply(&agent_call("spawn_agent", AgentStatus::PendingInit));
        assert_eq!(
            transcript.agent_state("child"),
            Some(&AgentStatus::PendingInit)
        );
        transcript.apply(&EventMsg::AgentMessage {
            message: "waiting for Hooke".into(),
        });
        let done = AgentStatus::Completed(Some("found it".into()));
        transcript.apply(&agent_call("wait", done.clone()));
        assert_eq!(transcript.agent_state("child"), Some(&done));
        assert_eq!(transcript.agent_state("stranger"), None);
        assert!(
            matches!(&transcript.items[0], Item::AgentCall(call) if call.tool == "spawn_agent")
        );
        assert_eq!(transcript.last_agent_message(), Some("waiting for Hooke"));
    }

    #[test]
    fn an_mcp_call_runs_then_shows_its_result_and_an_approval_names_the_tool() {
        let mut transcript = Transcript::default();
        transcript.apply(&EventMsg::McpToolApprovalRequest(
            codex_protocol::McpToolApprovalRequestEvent {
                call_id: "m1".into(),
                turn_id: "t1".into(),
                server: "docs".into(),
                tool: "write-page".into(),
                arguments: "{}".into(),
            },
        ));
        assert!(matches!(
            &transcript.items[0],
            Item::Approval(ApprovalItem { request: ApprovalRequest::McpTool { server, tool, .. }, .. })
                if server == "docs" && tool == "write-page"
        ));
        transcript.apply(&EventMsg::McpToolCallBegin(
            codex_protocol::McpToolCallBeginEvent {
                call_id: "m1".into(),
                server: "docs".into(),
                tool: "write-page".into(),
                arguments: "{}".into(),
            },
        ));
        assert!(matches!(&transcript.items[1], Item::McpCall(call) if call.success.is_none()));
        transcript.apply(&EventMsg::McpToolCallEnd(
            codex_protocol::McpToolCallEndEvent {
                call_id: "m1".into(),
                duration_ms: 1500,
                success: false,
                output: "boom".into(),
                result: None,
            },
        ));
        assert_eq!(
            transcript.items[1],
            Item::McpCall(McpCall {
                call_id: "m1".into(),
                server: "docs".into(),
                tool: "write-page".into(),
                arguments: "{}".into(),
                output: "boom".into(),
                success: Some(false),
                duration: Some(Duration::from_millis(1500)),
            })
        );
    }

    #[test]
    fn the_mcp_servers_start_up_and_tools_are_followed_per_server() {
        let mut transcript = Transcript::default();
        let update = |server: &str, status: McpStartupStatus| EventMsg::McpStartupUpdate {
            server: server.into(),
            status,
        };
        transcript.apply(&update("docs", McpStartupStatus::Starting));
        transcript.apply(&update("ghost", McpStartupStatus::Starting));
        transcript.apply(&update("docs", McpStartupStatus::Ready));
        transcript.apply(&EventMsg::McpServerTools {
            server: "docs".into(),
            tools: vec!["read".into(), "write".into()],
        });
        transcript.apply(&update(
            "ghost",
            McpStartupStatus::Failed {
                error: "no such command".into(),
            },
        ));
        assert_eq!(
            transcript.mcp_servers["docs"],
            McpServerLive {
                status: McpStartupStatus::Ready,
                tools: vec!["read".into(), "write".into()]
            }
        );
        assert!(matches!(
            &transcript.mcp_servers["ghost"].status,
            McpStartupStatus::Failed { error } if error == "no such command"
        ));
        assert!(transcript.items.is_empty(), "no conversation items");
    }

    #[test]
    fn streaming_text_grows_one_item_and_a_retry_replaces_it() {
        let mut transcript = Transcript::from_events(&user("t1", "hi"));
        transcript.apply(&EventMsg::AgentMessageDelta {
            delta: "Hel".into(),
        });
        transcript.apply(&EventMsg::AgentMessageDelta { delta: "lo".into() });
        assert_eq!(transcript.items[1], agent("Hello", true));
        transcript.apply(&EventMsg::Error {
            message: "stream dropped.".into(),
            will_retry: Some(RetryInfo {
                attempt: 1,
                max_attempts: 5,
                delay_ms: 200,
            }),
        });
        assert!(
            matches!(&transcript.items[1], Item::Notice { message } if message.contains("Retrying (1/5)"))
        );
        transcript.apply(&EventMsg::AgentMessageDelta {
            delta: "Hello!".into(),
        });
        transcript.apply(&EventMsg::AgentMessage {
            message: "Hello!".into(),
        });
        transcript.apply(&EventMsg::TurnComplete {
            turn_id: "t1".into(),
            last_agent_message: None,
        });
        assert_eq!(transcript.items.len(), 3);
        assert_eq!(transcript.items[2], agent("Hello!", false));
        assert_eq!(transcript.turn_at(0), Some("t1"));
    }

    #[test]
    fn a_command_collects_its_output_and_exit_and_an_abort_stops_it() {
        let mut transcript = Transcript::default();
        let begin = |id: &str| {
            EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
                call_id: id.into(),
                command: vec!["bash".into(), "-lc".into(), "cargo test".into()],
                cwd: "/w".into(),
                process_id: None,
            })
        };
        transcript.apply(&begin("a"));
        transcript.apply(&EventMsg::ExecCommandOutputDelta {
            call_id: "a".into(),
            stream: OutputStream::Stdout,
            chunk: "ok\n".into(),
        });
        transcript.apply(&EventMsg::ExecCommandEnd(ExecCommandEndEvent {
            call_id: "a".into(),
            command: vec![],
            cwd: "/w".into(),
            exit_code: Some(0),
            duration_ms: 2100,
            output: "ok\n".into(),
            killed: false,
        }));
        let Item::Command(run) = &transcript.items[0] else {
            panic!("a command card");
        };
        assert_eq!(
            (
                run.command_line.as_str(),
                run.output.as_str(),
                run.exit_code,
                run.running
            ),
            ("cargo test", "ok\n", Some(0), false)
        );
        transcript.apply(&begin("b"));
        transcript.apply(&EventMsg::TurnAborted {
            turn_id: "t".into(),
            reason: codex_protocol::AbortReason::Interrupted,
        });
        let Item::Command(run) = &transcript.items[1] else {
            panic!("a command card");
        };
        assert!(!run.running && run.killed);
        assert_eq!(
            transcript.items[2],
            Item::Notice {
                message: "Stopped.".into()
            }
        );
    }

    #[test]
    fn reasoning_takes_its_duration_from_the_event_so_live_and_replay_agree() {
        let mut live = Transcript::default();
        live.apply(&EventMsg::AgentReasoningDelta {
            delta: "thinking".into(),
        });
        live.apply(&EventMsg::AgentReasoning {
            text: "thinking hard".into(),
            duration_ms: Some(1500),
        });
        let replayed = Transcript::from_events(&[EventMsg::AgentReasoning {
            text: "thinking hard".into(),
            duration_ms: Some(1500),
        }]);
        assert_eq!(live, replayed);
        assert_eq!(
            live.items[0],
            Item::Reasoning {
                text: "thinking hard".into(),
                started: None,
                duration: Some(Duration::from_millis(1500)),
            }
        );
    }

    #[test]
    fn a_rollback_drops_its_turn_and_everything_after() {
        let mut events: Vec<EventMsg> = user("t1", "one").into();
        events.push(EventMsg::AgentMessage {
            message: "first".into(),
        });
        events.extend(user("t2", "two"));
        events.push(EventMsg::AgentMessage {
            message: "second".into(),
        });
        let mut transcript = Transcript::from_events(&events);
        assert_eq!(transcript.last_user_turn(), Some("t2"));
        transcript.apply(&EventMsg::ThreadRolledBack {
            from_turn: "t2".into(),
            num_turns: 1,
        });
        assert_eq!(transcript.items.len(), 2);
        assert_eq!(transcript.items[1], agent("first", false));
        assert_eq!(transcript.last_user_turn(), Some("t1"));
    }

    #[test]
    fn diffs_count_their_lines() {
        let diff = FileDiff::from_change(
            "src/lib.rs".into(),
            &FileChange::Update {
                unified_diff:
                    "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,2 +1,2 @@\n-old\n+new\n+more\n ctx\n"
                        .into(),
                move_path: None,
            },
        );
        assert_eq!((diff.added, diff.removed), (2, 1));
        let added = FileDiff::from_change(
            "new.txt".into(),
            &FileChange::Add {
                content: "a\nb\n".into(),
            },
        );
        assert_eq!((added.added, added.diff.as_str()), (2, "+a\n+b\n"));
    }
}

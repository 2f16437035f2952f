//! The queue pair: [`Submission`]s go into the runtime, [`Event`]s come out. One
//! runtime runs several threads (conversations, each with its own session and
//! rollout; a sub-agent is a thread with a parent): every submission addresses one
//! thread, and every event names the thread it comes from and the submission it
//! answers, so a front-end can match answers to requests. This is the only surface
//! embedders (the desktop, `zspark exec`) use.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config_types::{ApprovalPolicy, ReasoningEffort, SandboxPolicy, WireApi};
use crate::plan::PlanUpdate;
use crate::skills::{PluginInfo, SkillError, SkillInfo};

/// A thread's id: the id of its session, as its rollout file records it (a UUIDv7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ThreadId(pub String);

impl ThreadId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ThreadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ThreadId {
    fn from(id: &str) -> Self {
        Self(id.to_string())
    }
}

/// How a thread begins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThreadOrigin {
    /// A new, empty session.
    New,
    /// A session stored in a rollout file; new records are appended to it.
    Resume { rollout_path: PathBuf },
    /// A new session (new id, new rollout file with `forked_from_id`) holding a copy of
    /// a stored session's history, cut before turn `before_turn` when given, so "edit
    /// and resend" can branch from an earlier message.
    Fork {
        rollout_path: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before_turn: Option<String>,
    },
}

/// A request to one thread of the runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Chosen by the runtime handle; echoed in every event the submission causes.
    pub id: String,
    pub thread_id: ThreadId,
    pub op: Op,
}

/// What a submission asks of its thread. (Threads are started by the runtime handle,
/// with their configuration; their first event is [`EventMsg::SessionConfigured`].)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    /// Run one turn with this input.
    ///
    /// Answered by [`EventMsg::TurnStarted`], then streaming events
    /// ([`EventMsg::AgentMessageDelta`], [`EventMsg::AgentReasoningDelta`],
    /// [`EventMsg::ExecCommandBegin`] / `OutputDelta` / `End`, [`EventMsg::PatchApplyBegin`]
    /// / `End`, [`EventMsg::PlanUpdate`], approval requests, [`EventMsg::TokenCount`],
    /// retrying [`EventMsg::Error`]s), and finally exactly one of
    /// [`EventMsg::TurnComplete`], [`EventMsg::TurnAborted`] or [`EventMsg::TurnFailed`].
    /// A turn submitted while another runs waits for it to end.
    UserTurn {
        items: Vec<InputItem>,
        #[serde(default)]
        overrides: TurnOverrides,
    },

    /// Add input to the running turn: it joins the conversation before the turn's
    /// next model request (once the tool calls now running are done), and the turn
    /// goes on until the model has answered it.
    ///
    /// Answered by [`EventMsg::UserMessage`] when it joins, or [`EventMsg::Error`]
    /// when no turn runs.
    Steer { items: Vec<InputItem> },

    /// Stop the running turn: the model stream is dropped and running commands are
    /// killed. Tool calls left without output get an "aborted" output so the history
    /// stays valid.
    ///
    /// Answered by [`EventMsg::TurnAborted`] on the turn's submission id; nothing when no
    /// turn runs.
    Interrupt,

    /// Answer an [`EventMsg::ExecApprovalRequest`] or an
    /// [`EventMsg::McpToolApprovalRequest`].
    ///
    /// No event of its own; the command then runs (or not) within the turn. An answer
    /// for a request that is gone is answered by [`EventMsg::Warning`].
    ExecApproval {
        call_id: String,
        decision: ReviewDecision,
    },

    /// Answer an [`EventMsg::ApplyPatchApprovalRequest`]; as [`Op::ExecApproval`].
    PatchApproval {
        call_id: String,
        decision: ReviewDecision,
    },

    /// Drop turn `from_turn` and every turn after it from the session's history (for
    /// "edit and resend"). Recorded in the rollout.
    ///
    /// Answered by [`EventMsg::ThreadRolledBack`], or [`EventMsg::Error`] while a turn
    /// runs or when the session has no such turn.
    Rollback { from_turn: String },

    /// Summarise the conversation so far and continue from the summary, freeing the
    /// context window. Runs like a turn.
    ///
    /// Answered by [`EventMsg::TurnStarted`], [`EventMsg::ContextCompacted`], then
    /// [`EventMsg::TurnComplete`] (or `TurnFailed` / `TurnAborted`).
    Compact,

    /// List the skills the session can use, with the SKILL.md files that are broken.
    ///
    /// Answered by [`EventMsg::SkillsList`].
    ListSkills,

    /// End the thread after its running turn is aborted; flushes the rollout. Other
    /// threads keep running.
    ///
    /// Answered by [`EventMsg::ShutdownComplete`], the thread's last event.
    Shutdown,
}

/// Per-turn changes to the session's settings. All but `output_schema` stay in force
/// for later turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<ApprovalPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_policy: Option<SandboxPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// For this turn only: a JSON Schema the final answer must follow (sent to the
    /// model as a strict `json_schema` text format, so the answer is the JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<serde_json::Value>,
}

/// One piece of user input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    Text {
        text: String,
    },
    /// An image given as a URL (`data:` URLs included).
    Image {
        image_url: String,
    },
    /// An image file on disk; read and sent as a `data:` URL.
    LocalImage {
        path: PathBuf,
    },
    /// A file the agent should read with its tools; named in the prompt by path.
    FileReference {
        path: PathBuf,
    },
    /// A skill the user picked: its SKILL.md is added to the message in full.
    Skill {
        name: String,
        path: PathBuf,
    },
}

impl InputItem {
    /// The words of a message: its text items joined by new lines (images, files and
    /// skills left out).
    pub fn text_of(items: &[InputItem]) -> String {
        let text: Vec<&str> = items
            .iter()
            .filter_map(|item| match item {
                InputItem::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        text.join("\n")
    }
}

/// The user's answer to an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReviewDecision {
    /// Run this once.
    Accept,
    /// Run this, and the same command (or changes to the same files) for the rest of
    /// the session without asking.
    AcceptForSession,
    /// Run this and remember the command prefix so commands starting with it are
    /// allowed from now on (persisted).
    AcceptWithExecpolicyAmendment { prefix: Vec<String> },
    /// Run this MCP tool and never ask for it again: remembered in `config.toml` as the
    /// tool's approval mode `approve`. For commands and patches it means
    /// [`ReviewDecision::AcceptForSession`].
    AcceptAlways,
    /// Do not run it; the model is told and continues.
    Decline,
    /// Do not run it and stop the turn.
    Cancel,
}

/// Something a thread of the runtime reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The id of the submission this event answers (empty for a thread's start).
    pub id: String,
    pub thread_id: ThreadId,
    pub msg: EventMsg,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventMsg {
    SessionConfigured(SessionConfiguredEvent),
    TurnStarted {
        turn_id: String,
        #[serde(default)]
        model_context_window: Option<u64>,
    },
    TurnComplete {
        turn_id: String,
        #[serde(default)]
        last_agent_message: Option<String>,
    },
    TurnAborted {
        turn_id: String,
        reason: AbortReason,
    },
    TurnFailed {
        turn_id: String,
        message: String,
    },
    UserMessage {
        message: String,
        #[serde(default)]
        images: Vec<String>,
        /// Files attached by reference.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<PathBuf>,
        /// Skills the user picked for this message.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skills: Vec<String>,
    },
    AgentMessageDelta {
        delta: String,
    },
    AgentMessage {
        message: String,
    },
    AgentReasoningDelta {
        delta: String,
    },
    AgentReasoning {
        text: String,
        /// How long the model reasoned, from its first reasoning text to this item.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<u64>,
    },
    ExecCommandBegin(ExecCommandBeginEvent),
    ExecCommandOutputDelta {
        call_id: String,
        stream: OutputStream,
        chunk: String,
    },
    ExecCommandEnd(ExecCommandEndEvent),
    PatchApplyBegin {
        call_id: String,
        changes: BTreeMap<PathBuf, FileChange>,
        auto_approved: bool,
    },
    PatchApplyEnd {
        call_id: String,
        success: bool,
        /// `A path` / `M path` / `D path` lines, or the reason the patch failed.
        output: String,
    },
    PlanUpdate(PlanUpdate),
    ViewImage {
        call_id: String,
        path: PathBuf,
    },
    ExecApprovalRequest(ExecApprovalRequestEvent),
    ApplyPatchApprovalRequest(ApplyPatchApprovalRequestEvent),
    /// An MCP server's tool wants to run; answered by [`Op::ExecApproval`].
    McpToolApprovalRequest(McpToolApprovalRequestEvent),
    /// An MCP server started starting, became ready or failed (with the reason).
    McpStartupUpdate {
        server: String,
        status: McpStartupStatus,
    },
    /// The tools an MCP server offers the model (raw names), once it is ready and again
    /// whenever it says they changed.
    McpServerTools {
        server: String,
        tools: Vec<String>,
    },
    /// A call of an MCP server's tool started (after any approval) and ended.
    McpToolCallBegin(McpToolCallBeginEvent),
    McpToolCallEnd(McpToolCallEndEvent),
    /// A sub-agent tool call finished.
    CollabToolCall(crate::agents::CollabToolCallEvent),
    /// A message from another agent of the tree reached this thread.
    AgentMail(crate::agents::AgentMailEvent),
    TokenCount {
        info: TokenUsageInfo,
    },
    /// Turn `from_turn` and the `num_turns - 1` turns after it were dropped.
    ThreadRolledBack {
        from_turn: String,
        num_turns: usize,
    },
    /// The history was replaced by a summary (manually or because the context window
    /// was nearly full).
    ContextCompacted {
        summary: String,
        automatic: bool,
    },
    SkillsList {
        skills: Vec<SkillInfo>,
        errors: Vec<SkillError>,
        /// Installed plugins (their skills are among `skills`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        plugins: Vec<PluginInfo>,
    },
    /// Something went wrong. When `will_retry` is set the runtime tries again by itself
    /// (a partial answer shown so far will be replaced).
    Error {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        will_retry: Option<RetryInfo>,
    },
    /// Something the user should know that does not stop anything.
    Warning {
        message: String,
    },
    ShutdownComplete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionConfiguredEvent {
    pub session_id: String,
    /// The thread that started this one (a sub-agent's parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_thread_id: Option<ThreadId>,
    /// A sub-agent's nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_nickname: Option<String>,
    #[serde(default)]
    pub forked_from_id: Option<String>,
    pub model: String,
    pub model_provider_id: String,
    pub wire_api: WireApi,
    pub cwd: PathBuf,
    pub approval_policy: ApprovalPolicy,
    pub sandbox_policy: SandboxPolicy,
    #[serde(default)]
    pub reasoning_effort: Option<ReasoningEffort>,
    #[serde(default)]
    pub model_context_window: Option<u64>,
    /// Where the session is recorded. For a new session the file appears with the
    /// first turn.
    pub rollout_path: PathBuf,
    /// The conversation so far as the events a live session emitted (turns, messages,
    /// reasoning, commands with their output, patches, plans, images, compactions,
    /// errors, ends of turns; not deltas, approvals or warnings), in order: a front-end
    /// folds them exactly as live events. Empty for a new session.
    #[serde(default)]
    pub initial_messages: Vec<EventMsg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortReason {
    Interrupted,
    /// The user declined an approval with `cancel`.
    Cancelled,
    Shutdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecCommandBeginEvent {
    pub call_id: String,
    pub command: Vec<String>,
    pub cwd: PathBuf,
    /// For commands that keep running after the tool returns (`exec_command`), the id
    /// `write_stdin` addresses.
    #[serde(default)]
    pub process_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecCommandEndEvent {
    pub call_id: String,
    pub command: Vec<String>,
    pub cwd: PathBuf,
    /// `None` when the process was killed or did not finish.
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    /// Everything the command printed (stdout and stderr interleaved), capped.
    pub output: String,
    /// Set when the command was stopped by a timeout or an interrupt.
    #[serde(default)]
    pub killed: bool,
}

/// One file in a patch, with what changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FileChange {
    Add {
        content: String,
    },
    Delete {
        content: String,
    },
    Update {
        unified_diff: String,
        #[serde(default)]
        move_path: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecApprovalRequestEvent {
    pub call_id: String,
    pub turn_id: String,
    pub command: Vec<String>,
    pub cwd: PathBuf,
    /// Why the runtime or the model asks (the model's justification, or the policy).
    #[serde(default)]
    pub reason: Option<String>,
    /// The prefix an `acceptWithExecpolicyAmendment` answer would remember.
    #[serde(default)]
    pub proposed_prefix: Option<Vec<String>>,
}

/// A call of an MCP server's tool that needs the user's approval: a tool that may
/// write (no `readOnlyHint`) under approval mode `auto` or `writes`, or any tool under
/// `prompt`. `AcceptForSession` allows this tool for the rest of the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpToolApprovalRequestEvent {
    pub call_id: String,
    pub turn_id: String,
    /// The server's name in `[mcp_servers]`.
    pub server: String,
    /// The tool's raw MCP name.
    pub tool: String,
    /// The call's arguments as JSON text (`{}` without any).
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpToolCallBeginEvent {
    pub call_id: String,
    pub server: String,
    /// The tool's raw MCP name.
    pub tool: String,
    /// The call's arguments as JSON text.
    pub arguments: String,
}

/// Where an MCP server's start stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum McpStartupStatus {
    Starting,
    Ready,
    Failed { error: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpToolCallEndEvent {
    pub call_id: String,
    pub duration_ms: u64,
    /// False when the call failed or the server answered `isError`.
    pub success: bool,
    /// The result's text (or the failure), as the user is shown it.
    pub output: String,
    /// The server's result as MCP sent it (`content`, `structuredContent`, `isError`),
    /// when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyPatchApprovalRequestEvent {
    pub call_id: String,
    pub turn_id: String,
    pub changes: BTreeMap<PathBuf, FileChange>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryInfo {
    pub attempt: u32,
    pub max_attempts: u32,
    pub delay_ms: u64,
}

/// Token counts as Codex records them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
    pub total_tokens: u64,
}

impl TokenUsage {
    pub fn add(&mut self, other: &TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_output_tokens += other.reasoning_output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenUsageInfo {
    pub total_token_usage: TokenUsage,
    pub last_token_usage: TokenUsage,
    pub model_context_window: Option<u64>,
}

impl TokenUsageInfo {
    /// Percentage of the context window still free after the last request, when the
    /// window is known.
    pub fn context_left_percent(&self) -> Option<u8> {
        let window = self.model_context_window.filter(|window| *window > 0)?;
        let used = self.last_token_usage.input_tokens + self.last_token_usage.output_tokens;
        let left = window.saturating_sub(used).saturating_mul(100) / window;
        Some(u8::try_from(left).unwrap_or(100))
    }
}

/// A command line as a shell would read it back: each word quoted when it needs it
/// (`/bin/bash -lc 'echo hi'`).
pub fn shell_join(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| shell_quote(word)).collect();
    quoted.join(" ")
}

fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A command line as one line to show a person: `<shell> -lc "<script>"` shows the
/// script alone, anything else its words joined by spaces.
pub fn display_command(command: &[String]) -> String {
    match command {
        [_, flag, script] if flag == "-lc" || flag == "-c" => script.clone(),
        _ => command.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::shell_join;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn words_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(
            shell_join(&words(&["bash", "-lc", "ls -a"])),
            "bash -lc 'ls -a'"
        );
        assert_eq!(shell_join(&words(&["echo", ""])), "echo ''");
        assert_eq!(shell_join(&words(&["cat", "/w/a.txt"])), "cat /w/a.txt");
        assert_eq!(shell_join(&words(&["echo", "it's"])), r"echo 'it'\''s'");
    }
}

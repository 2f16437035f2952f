//! Command-line arguments of `zspark exec`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use codex_protocol::{ApprovalPolicy, SandboxMode};

/// Run one agent task headless in the current directory.
///
/// Progress goes to stderr and the agent's final answer to stdout, so
/// `zspark exec "..." > answer.md` keeps just the answer. With --json the run is
/// printed as the Codex SDK's JSON lines instead (options may come before `resume`,
/// as the SDK passes them).
#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    #[command(subcommand)]
    pub command: Option<ExecCommand>,

    #[command(flatten)]
    pub shared: SharedArgs,

    /// The task. Read from stdin when omitted or `-`.
    pub prompt: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ExecCommand {
    /// Continue an earlier session (by id, or the newest with --last).
    Resume(ResumeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ResumeArgs {
    /// The session id (or a unique prefix of it), or its rollout file. With --last,
    /// omit it.
    #[arg(required_unless_present = "last")]
    pub session_id: Option<String>,

    /// What to ask next. Read from stdin when omitted or `-`.
    pub prompt: Option<String>,

    /// Continue the most recently updated session.
    #[arg(long)]
    pub last: bool,

    #[command(flatten)]
    pub shared: SharedArgs,
}

impl ResumeArgs {
    /// With --last the only positional is the prompt.
    pub fn normalised(mut self) -> Self {
        if self.last && self.prompt.is_none() {
            self.prompt = self.session_id.take();
        }
        self
    }
}

/// How the run is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// Progress on stderr, the final answer on stdout.
    Human,
    /// The Codex SDK's JSON lines (`--json`, `--experimental-json`).
    SdkJson,
    /// The runtime's own events as JSON lines (`--runtime-events`).
    RuntimeEvents,
}

#[derive(Debug, Clone, Default, Args)]
pub struct SharedArgs {
    /// Model to use (overrides `model` in config.toml).
    #[arg(long, short = 'm')]
    pub model: Option<String>,

    /// Model provider id from config.toml (e.g. openai, ollama, or your own table).
    #[arg(long = "provider", visible_alias = "oss-provider")]
    pub provider: Option<String>,

    /// Sandbox for the commands the agent runs.
    #[arg(long, short = 's', value_enum)]
    pub sandbox: Option<SandboxArg>,

    /// When to ask before running commands or changing files.
    #[arg(
        long = "approval",
        visible_alias = "ask-for-approval",
        short = 'a',
        value_enum
    )]
    pub approval: Option<ApprovalArg>,

    /// Configuration profile to use.
    #[arg(long, short = 'p')]
    pub profile: Option<String>,

    /// Override a config.toml value: `-c key=value` (value in TOML; repeatable).
    #[arg(short = 'c', long = "config", value_name = "key=value")]
    pub config: Vec<String>,

    /// Work in this directory instead of the current one.
    #[arg(long = "cd", short = 'C', value_name = "DIR")]
    pub cwd: Option<PathBuf>,

    /// Attach an image to the prompt (repeatable).
    #[arg(long, short = 'i', value_name = "FILE")]
    pub image: Vec<PathBuf>,

    /// Another folder the agent may write in under the workspace-write sandbox
    /// (repeatable).
    #[arg(long = "add-dir", value_name = "DIR")]
    pub add_dir: Vec<PathBuf>,

    /// A JSON Schema file the final answer must follow; the answer is then its JSON.
    #[arg(long = "output-schema", value_name = "FILE")]
    pub output_schema: Option<PathBuf>,

    /// Also write the agent's final answer to this file.
    #[arg(long = "output-last-message", short = 'o', value_name = "FILE")]
    pub output_last_message: Option<PathBuf>,

    /// What started this thread, recorded in its rollout (new threads only).
    #[arg(long = "thread-source", value_name = "SOURCE")]
    pub thread_source: Option<String>,

    /// Accepted for Codex compatibility: zspark runs outside Git repositories anyway.
    #[arg(long = "skip-git-repo-check")]
    pub skip_git_repo_check: bool,

    /// Accepted for Codex compatibility (an OpenAI access program); zspark sends
    /// nothing for it.
    #[arg(long = "cyber-access-program", value_name = "PROGRAM", hide = true)]
    pub cyber_access_program: Option<String>,

    /// Print the run as the Codex SDK's JSON lines on stdout (`thread.started`,
    /// `item.completed`, `turn.completed`, ...).
    #[arg(long, visible_alias = "experimental-json")]
    pub json: bool,

    /// Print the runtime's own events (as the desktop receives them) as JSON lines.
    #[arg(long = "runtime-events", conflicts_with = "json")]
    pub runtime_events: bool,
}

impl SharedArgs {
    /// These options with `later`'s (given after `resume`) on top: single values
    /// from `later` when set, lists and switches from both.
    pub fn merged_with(self, later: SharedArgs) -> SharedArgs {
        SharedArgs {
            model: later.model.or(self.model),
            provider: later.provider.or(self.provider),
            sandbox: later.sandbox.or(self.sandbox),
            approval: later.approval.or(self.approval),
            profile: later.profile.or(self.profile),
            config: concat(self.config, later.config),
            cwd: later.cwd.or(self.cwd),
            image: concat(self.image, later.image),
            add_dir: concat(self.add_dir, later.add_dir),
            output_schema: later.output_schema.or(self.output_schema),
            output_last_message: later.output_last_message.or(self.output_last_message),
            thread_source: later.thread_source.or(self.thread_source),
            skip_git_repo_check: self.skip_git_repo_check || later.skip_git_repo_check,
            cyber_access_program: later.cyber_access_program.or(self.cyber_access_program),
            json: self.json || later.json,
            runtime_events: self.runtime_events || later.runtime_events,
        }
    }

    /// How the run is printed.
    pub fn output_mode(&self) -> OutputMode {
        if self.json {
            OutputMode::SdkJson
        } else if self.runtime_events {
            OutputMode::RuntimeEvents
        } else {
            OutputMode::Human
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SandboxArg {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

impl From<SandboxArg> for SandboxMode {
    fn from(value: SandboxArg) -> Self {
        match value {
            SandboxArg::ReadOnly => Self::ReadOnly,
            SandboxArg::WorkspaceWrite => Self::WorkspaceWrite,
            SandboxArg::DangerFullAccess => Self::DangerFullAccess,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApprovalArg {
    Untrusted,
    OnFailure,
    OnRequest,
    Never,
}

impl From<ApprovalArg> for ApprovalPolicy {
    fn from(value: ApprovalArg) -> Self {
        match value {
            ApprovalArg::Untrusted => Self::Untrusted,
            ApprovalArg::OnFailure => Self::OnFailure,
            ApprovalArg::OnRequest => Self::OnRequest,
            ApprovalArg::Never => Self::Never,
        }
    }
}

fn concat<T>(mut first: Vec<T>, second: Vec<T>) -> Vec<T> {
    first.extend(second);
    first
}

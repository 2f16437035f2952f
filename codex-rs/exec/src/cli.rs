//! Command-line arguments of `zspark exec`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use codex_protocol::{ApprovalPolicy, SandboxMode};

/// Run one agent task headless in the current directory.
///
/// Progress goes to stderr and the agent's final answer to stdout, so
/// `zspark exec "..." > answer.md` keeps just the answer. With --json every event is
/// printed as one JSON object per line instead.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
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

    /// Print every event as a JSON line on stdout.
    #[arg(long)]
    pub json: bool,
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

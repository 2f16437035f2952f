//! One open session as the desktop knows it: its conversation (folded from the
//! runtime's events), where it stands (opening, working, waiting for an approval,
//! finished, failed, stopped), whether it has output nobody has looked at yet, and the
//! choices the user made for its next turns. Sessions keep receiving events while
//! another one is shown.

use std::path::PathBuf;
use std::time::Instant;

use codex_protocol::{
    EventMsg, InputItem, ReasoningEffort, SessionConfiguredEvent, TokenUsageInfo, TurnOverrides,
};
use zspark_core::conversation::Item;
use zspark_core::{Artifact, ModelChoice, SessionKey, Transcript};

use super::review::ReviewState;
use super::usage::Usage;

/// Where a session stands, as the sidebar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Opening,
    /// Open, no turn yet.
    Ready,
    Working,
    WaitingForApproval,
    Finished,
    Failed,
    Stopped,
}

impl SessionStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Opening => "Opening",
            Self::Ready => "Ready",
            Self::Working => "Working",
            Self::WaitingForApproval => "Needs approval",
            Self::Finished => "Finished",
            Self::Failed => "Failed",
            Self::Stopped => "Stopped",
        }
    }
}

/// What the session's provider listed as its models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelListing {
    NotAsked,
    Asking,
    Listed(Vec<ModelChoice>),
    /// Why it listed none.
    Failed(String),
}

/// How the last turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LastTurn {
    Completed,
    Failed,
    Aborted,
}

pub struct SessionView {
    pub number: SessionKey,
    pub cwd: PathBuf,
    pub configured: Option<SessionConfiguredEvent>,
    pub transcript: Transcript,
    /// When the running turn started; `None` when idle.
    pub turn_started: Option<Instant>,
    last_turn: Option<LastTurn>,
    /// Output arrived while another session was shown.
    pub unread: bool,
    pub token_info: Option<TokenUsageInfo>,
    /// The tokens of each turn.
    pub usage: Usage,
    /// Model picked for the next turns (the profile's otherwise).
    pub model_override: Option<String>,
    /// Reasoning effort picked for the next turns (the configuration's otherwise).
    pub effort_override: Option<ReasoningEffort>,
    pub models: ModelListing,
    /// Policy changes to send with the next turn.
    pub pending_overrides: TurnOverrides,
    /// What the last turn was given, for "retry".
    pub last_input: Option<Vec<InputItem>>,
    /// The files this session's turns produced, newest first, one entry per path.
    pub artifacts: Vec<Artifact>,
    /// The review pane of the session's changes.
    pub review: ReviewState,
    /// For a sub-agent: the session that started it.
    pub parent: Option<SessionKey>,
    /// A sub-agent's nickname.
    pub nickname: Option<String>,
}

impl SessionView {
    pub fn new(number: SessionKey, cwd: PathBuf) -> Self {
        Self {
            number,
            cwd,
            configured: None,
            transcript: Transcript::default(),
            turn_started: None,
            last_turn: None,
            unread: false,
            token_info: None,
            usage: Usage::default(),
            model_override: None,
            effort_override: None,
            models: ModelListing::NotAsked,
            pending_overrides: TurnOverrides::default(),
            last_input: None,
            artifacts: Vec::new(),
            review: ReviewState::default(),
            parent: None,
            nickname: None,
        }
    }

    /// The view of a sub-agent of session `parent`.
    pub fn agent(
        number: SessionKey,
        cwd: PathBuf,
        parent: SessionKey,
        nickname: Option<String>,
    ) -> Self {
        Self {
            parent: Some(parent),
            nickname,
            ..Self::new(number, cwd)
        }
    }

    pub fn is_running(&self) -> bool {
        self.turn_started.is_some()
    }

    pub fn status(&self) -> SessionStatus {
        if self.configured.is_none() {
            return SessionStatus::Opening;
        }
        if self.transcript.pending_approval().is_some() {
            return SessionStatus::WaitingForApproval;
        }
        if self.is_running() {
            return SessionStatus::Working;
        }
        match self.last_turn {
            None => SessionStatus::Ready,
            Some(LastTurn::Completed) => SessionStatus::Finished,
            Some(LastTurn::Failed) => SessionStatus::Failed,
            Some(LastTurn::Aborted) => SessionStatus::Stopped,
        }
    }

    /// The model the next turn uses.
    pub fn model(&self) -> Option<&str> {
        self.model_override.as_deref().or(self
            .configured
            .as_ref()
            .map(|configured| configured.model.as_str()))
    }

    /// The reasoning effort the next turn uses, when one is set.
    pub fn effort(&self) -> Option<ReasoningEffort> {
        self.effort_override.or(self
            .configured
            .as_ref()
            .and_then(|configured| configured.reasoning_effort))
    }

    /// A title: the first thing the user asked, else "New session"; for a sub-agent
    /// its nickname.
    pub fn title(&self) -> String {
        if self.parent.is_some() {
            let nickname = self.nickname.as_deref().unwrap_or("agent");
            return format!("{nickname} (sub-agent)");
        }
        self.transcript
            .items
            .iter()
            .find_map(|item| match item {
                Item::User { text, .. } => text.lines().find(|line| !line.trim().is_empty()),
                _ => None,
            })
            .unwrap_or("New session")
            .to_string()
    }

    /// Adds a turn's artifacts to the conversation and to the session's files (newest
    /// first, no repeats).
    pub fn add_artifacts(&mut self, artifacts: Vec<Artifact>) {
        self.artifacts
            .retain(|known| !artifacts.iter().any(|new| new.path == known.path));
        for artifact in artifacts.iter().rev() {
            self.artifacts.insert(0, artifact.clone());
        }
        self.transcript.add_artifacts(artifacts);
    }

    /// Folds one runtime event into the session; true when a turn ended.
    pub fn apply(&mut self, msg: &EventMsg) -> bool {
        match msg {
            EventMsg::SessionConfigured(configured) => {
                self.transcript = Transcript::from_events(&configured.initial_messages);
                self.token_info =
                    configured
                        .initial_messages
                        .iter()
                        .rev()
                        .find_map(|event| match event {
                            EventMsg::TokenCount { info } => Some(*info),
                            _ => None,
                        });
                self.last_turn = configured.initial_messages.iter().rev().find_map(last_turn);
                self.usage = Usage::default();
                for event in &configured.initial_messages {
                    self.usage.apply(event, &configured.model);
                }
                self.cwd = configured.cwd.clone();
                self.configured = Some(configured.clone());
                return false;
            }
            EventMsg::TurnStarted { .. } => self.turn_started = Some(Instant::now()),
            EventMsg::TokenCount { info } => self.token_info = Some(*info),
            _ => {}
        }
        // The fields `model()` reads, borrowed apart from `usage`.
        let model = self.model_override.as_deref().or(self
            .configured
            .as_ref()
            .map(|configured| configured.model.as_str()));
        self.usage.apply(msg, model.unwrap_or_default());
        self.transcript.apply(msg);
        let ended = last_turn(msg);
        if ended.is_some() {
            self.turn_started = None;
            self.last_turn = ended;
        }
        ended.is_some()
    }
}

fn last_turn(msg: &EventMsg) -> Option<LastTurn> {
    match msg {
        EventMsg::TurnComplete { .. } => Some(LastTurn::Completed),
        EventMsg::TurnFailed { .. } => Some(LastTurn::Failed),
        EventMsg::TurnAborted { .. } => Some(LastTurn::Aborted),
        _ => None,
    }
}

/// Whether an event adds something to read (for the unread mark).
pub fn shows_something(msg: &EventMsg) -> bool {
    !matches!(
        msg,
        EventMsg::TokenCount { .. } | EventMsg::TurnStarted { .. } | EventMsg::SkillsList { .. }
    )
}

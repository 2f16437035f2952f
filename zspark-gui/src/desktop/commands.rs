//! Everything a view or a keyboard shortcut can ask for, grouped by what it is about.
//! Views push these; the app applies them in one place after the frame's drawing (one
//! module per group, in `apply`), so no view mutates state another view is reading.

use std::path::PathBuf;
use std::sync::Arc;

use codex_protocol::{ApprovalPolicy, ReasoningEffort, ReviewDecision, SandboxMode, SkillInfo};
use zspark_api::{Artifact, Role};
use zspark_core::review::Change;
use zspark_core::sharing::SharedSessionAddress;
use zspark_core::{McpCommand, MemoryCommand, ProviderProfile, SessionKey};

use super::prefs::{SharedServerPrefs, ThemeChoice};
use super::review::ReviewScope;
use super::usage::ModelPrice;
use super::views::settings::SettingsTab;

#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    Session(SessionCommand),
    Composer(ComposerCommand),
    Files(FilesCommand),
    Settings(SettingsCommand),
    Shared(SharedCommand),
    Layout(LayoutCommand),
    Review(ReviewAction),
}

/// Opening, switching, closing sessions and what is done in the shown one.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionCommand {
    /// Show the "new session" dialog.
    AskNew,
    /// Start a session in `folder`.
    New {
        folder: PathBuf,
        /// In a git worktree of its own (remembered for the folder).
        worktree: bool,
    },
    /// Open a stored session (or show it, when it is open already).
    Resume {
        rollout_path: PathBuf,
    },
    /// Show open session `session`.
    Show(SessionKey),
    /// Close open session `session` (its running turn is stopped).
    Close(SessionKey),
    /// Branch the shown session: a new session holding the conversation before turn
    /// `before_turn` (all of it when `None`).
    Fork {
        before_turn: Option<String>,
    },
    /// Stop the shown session's running turn.
    Interrupt,
    /// Stop the running turn of sub-agent `session` (from its card).
    StopAgent(SessionKey),
    /// Answer an approval card of the shown session.
    Answer {
        call_id: String,
        patch: bool,
        decision: ReviewDecision,
    },
    /// Put the user message at item `index` back into the composer; when it is sent,
    /// its turn and everything after it are replaced.
    EditFrom {
        index: usize,
    },
    /// Run the last user turn again after a failure.
    Retry,
    /// Change the shown session's folder's approval policy or sandbox mode.
    SetApproval(Option<ApprovalPolicy>),
    SetSandbox(Option<SandboxMode>),
    /// Pick the new session's folder in the system's folder dialog.
    BrowseFolder,
    /// Ask the shown session's provider for its models.
    ListModels,
    /// Use another model from the next turn on (remembered for the folder).
    PickModel(String),
    /// Use another reasoning effort from the next turn on (remembered for the folder).
    PickEffort(ReasoningEffort),
    RefreshList,
}

/// The message being written.
#[derive(Debug, Clone, PartialEq)]
pub enum ComposerCommand {
    /// Send the composer's text (with the profile's model unless one is picked).
    Send,
    CancelEdit,
    RemoveAttachment(usize),
    /// Send the next message with this skill.
    UseSkill(SkillInfo),
    ClearSkill,
    /// Ask the teammate who drives the shared session to hand over.
    AskToDrive,
    /// Take the message queued behind a teammate's turn back into the draft.
    CancelQueued,
}

/// Files going in and coming out.
#[derive(Debug, Clone, PartialEq)]
pub enum FilesCommand {
    /// Open the file dialog to attach files to the next message.
    Attach,
    /// Attach these files (dropped on the window).
    AttachPaths(Vec<PathBuf>),
    /// Attach a pasted image.
    PasteImage(Arc<egui::ColorImage>),
    /// Open an artifact with the system's application for it.
    Open(PathBuf),
    /// Show an artifact in the file manager.
    Reveal(PathBuf),
    /// Ask where to save a copy of an artifact, then save it there.
    SaveAs(PathBuf),
    RefreshSkills,
}

/// Settings, providers, the first run.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsCommand {
    Open,
    OpenAt(SettingsTab),
    Close,
    SaveProvider {
        profile: ProviderProfile,
        api_key: Option<String>,
        make_default: bool,
    },
    RemoveProvider {
        id: String,
    },
    /// Use another profile for new sessions (and the next resume).
    PickProfile(String),
    /// Read or change the MCP servers of config.toml.
    Mcp(McpCommand),
    Memory(MemoryCommand),
    SetTheme(ThemeChoice),
    /// Keep a model's prices (under [`super::prefs::price_key`]), or forget them.
    SetPrice {
        key: String,
        price: Option<ModelPrice>,
    },
    FinishOnboarding,
}

/// The shared-workspace server.
#[derive(Debug, Clone, PartialEq)]
pub enum SharedCommand {
    /// Use this server (remembered) and connect to it.
    Connect(SharedServerPrefs),
    Disconnect,
    /// Sign in (with a device code instead of the browser when `device_code`).
    SignIn {
        device_code: bool,
    },
    SignOut,
    Refresh,
    CreateWorkspace(String),
    /// Show workspace `id`'s page (and follow it live).
    OpenWorkspace(String),
    /// Show a shared session, read from the server.
    ReadSession(SharedSessionAddress),
    /// Share the shown local session to workspace `id`.
    ShareShown(String),
    /// Ask for a folder, then continue the shared session shown in it.
    ContinueShown,
    /// Changes to the open workspace's members (owners).
    Invite {
        principal: String,
        role: Role,
    },
    ChangeRole {
        principal: String,
        role: Role,
    },
    RemoveMember(String),
    /// Ask where to save a workspace file, then download it there.
    Download(Artifact),
    /// Download a workspace file into the shown session's folder and attach it to the
    /// next message.
    AttachFromWorkspace(Artifact),
    DeleteArtifact(String),
    /// Remove a file a shared local session uploaded from the workspace.
    RemoveSharedFile {
        local_session_id: String,
        path: PathBuf,
    },
}

/// The window itself.
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutCommand {
    /// Open the command palette, or close it.
    TogglePalette,
    /// Show the shown session's terminal (started in its folder), or hide it.
    ToggleTerminal,
    /// Show the terminal with this command typed in, not yet run.
    OpenInTerminal(String),
    ToggleSidebar,
    ToggleDetails,
    FocusSearch,
    DismissBanner,
    /// Put text on the clipboard.
    Copy(String),
}

impl From<SessionCommand> for UiCommand {
    fn from(command: SessionCommand) -> Self {
        Self::Session(command)
    }
}

impl From<ComposerCommand> for UiCommand {
    fn from(command: ComposerCommand) -> Self {
        Self::Composer(command)
    }
}

impl From<FilesCommand> for UiCommand {
    fn from(command: FilesCommand) -> Self {
        Self::Files(command)
    }
}

impl From<SettingsCommand> for UiCommand {
    fn from(command: SettingsCommand) -> Self {
        Self::Settings(command)
    }
}

impl From<SharedCommand> for UiCommand {
    fn from(command: SharedCommand) -> Self {
        Self::Shared(command)
    }
}

/// The shown session's review pane.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewAction {
    /// Show the pane instead of the conversation, or the conversation again.
    Toggle,
    Scope(ReviewScope),
    /// Read the folder's changes again.
    Refresh,
    /// Fold or unfold a file (by [`super::review::file_key`]).
    Fold(String),
    /// Stage an unstaged change or its hunk `hunk`, or unstage a staged one.
    ToggleStaged {
        change: Box<Change>,
        hunk: Option<usize>,
    },
    /// Ask before discarding a change or its hunk `hunk`.
    AskDiscard {
        change: Box<Change>,
        hunk: Option<usize>,
    },
    /// Ask before undoing the last turn, listing what it changed.
    AskUndoTurn,
    /// Ask before merging the session's worktree into the main checkout.
    AskMergeWorktree,
    /// Ask before removing the session's worktree and its branch.
    AskRemoveWorktree,
    /// Carry out what was asked.
    Confirmed,
    Cancel,
}

impl From<ReviewAction> for UiCommand {
    fn from(command: ReviewAction) -> Self {
        Self::Review(command)
    }
}

impl From<LayoutCommand> for UiCommand {
    fn from(command: LayoutCommand) -> Self {
        Self::Layout(command)
    }
}

/// Where views put their commands.
#[derive(Default)]
pub struct Commands(Vec<UiCommand>);

impl Commands {
    pub fn push(&mut self, command: impl Into<UiCommand>) {
        self.0.push(command.into());
    }

    pub fn take(&mut self) -> Vec<UiCommand> {
        std::mem::take(&mut self.0)
    }
}

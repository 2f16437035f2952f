//! Everything a view or a keyboard shortcut can ask for. Views push these; the app
//! applies them in one place after the frame's drawing, so no view mutates state that
//! another view is reading.

use std::path::PathBuf;
use std::sync::Arc;

use codex_protocol::{ApprovalPolicy, ReviewDecision, SandboxMode, SkillInfo};
use zspark_core::ProviderProfile;

use super::prefs::{SharedServerPrefs, ThemeChoice};
use super::views::settings::SettingsTab;

#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    /// Show the "new session" dialog.
    AskNewSession,
    /// Start a session in `folder`.
    NewSession {
        folder: PathBuf,
    },
    /// Open a stored session.
    Resume {
        rollout_path: PathBuf,
    },
    /// Branch the current session before its `before_user_message`-th user message.
    Fork {
        before_user_message: Option<usize>,
    },
    /// Send the composer's text (with the profile's model unless `model` is picked).
    Send,
    /// Stop the running turn.
    Interrupt,
    /// Answer an approval card.
    Answer {
        call_id: String,
        patch: bool,
        decision: ReviewDecision,
    },
    /// Put the user message at item `index` back into the composer and drop it (and
    /// everything after it) when the edited text is sent.
    EditFrom {
        index: usize,
    },
    /// Run the last user turn again after a failure.
    Retry,
    /// Put text on the clipboard.
    Copy(String),
    /// Change the current folder's approval policy or sandbox mode.
    SetApproval(Option<ApprovalPolicy>),
    SetSandbox(Option<SandboxMode>),
    /// Use another model from the next turn on.
    PickModel(String),
    /// Use another profile for new sessions (and the next resume).
    PickProfile(String),
    OpenSettings,
    CloseSettings,
    SaveProvider {
        profile: ProviderProfile,
        api_key: Option<String>,
        make_default: bool,
    },
    RemoveProvider {
        id: String,
    },
    FinishOnboarding,
    SetTheme(ThemeChoice),
    ToggleSidebar,
    ToggleDetails,
    FocusSearch,
    RefreshSessions,
    DismissBanner,
    /// Open the file dialog to attach files to the next message.
    AttachFiles,
    /// Attach these files (dropped on the window).
    AttachPaths(Vec<PathBuf>),
    /// Attach a pasted image.
    PasteImage(Arc<egui::ColorImage>),
    RemoveAttachment(usize),
    /// Send the next message with this skill.
    UseSkill(SkillInfo),
    ClearSkill,
    RefreshSkills,
    /// Open an artifact with the system's application for it.
    OpenArtifact(PathBuf),
    /// Show an artifact in the file manager.
    RevealArtifact(PathBuf),
    /// Ask where to save a copy of an artifact, then save it there.
    SaveArtifactAs(PathBuf),
    /// Use this shared-workspace server (remembered) and connect to it.
    ConnectShared(SharedServerPrefs),
    DisconnectShared,
    /// Sign in to the shared-workspace server (with a device code instead of the
    /// browser when `device_code`).
    SignIn {
        device_code: bool,
    },
    SignOut,
    RefreshShared,
    CreateSharedWorkspace(String),
    OpenSettingsAt(SettingsTab),
}

//! What the desktop knows, for the views to draw from (they only read it): the open
//! sessions and which one is shown, the stored sessions, providers, MCP servers,
//! skills, the shared-workspace server, the preferences and the banner. It changes only where the
//! app handles the engine's events and applies commands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_protocol::InputItem;
use zspark_core::sharing::SharedSessionAddress;
use zspark_core::{
    McpServerEntry, Presence, ProviderList, SessionCatalogue, SessionKey, SessionRoom,
    SharedSessionRead, SharedStatus, SkillCatalog, SyncReport, Transcript, WorkspaceView,
};

use zspark_core::memory::MemoryView;

use super::prefs::{Prefs, price_key};
use super::session::SessionView;
use super::usage::ModelPrice;

/// A message across the top of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub text: String,
    pub tone: Tone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warning,
    Error,
}

/// The skills found for a folder.
pub struct SkillList {
    pub cwd: PathBuf,
    pub catalog: SkillCatalog,
}

/// The shared-workspace server as the desktop knows it.
#[derive(Default)]
pub struct SharedView {
    /// The last status the engine reported.
    pub status: Option<SharedStatus>,
    /// Waiting for the engine to answer a shared-workspace command.
    pub busy: bool,
    /// A device-code sign-in in progress: the code and where to enter it.
    pub sign_in_code: Option<(String, String)>,
    /// Each of the user's workspaces as last read (each followed live): the sidebar
    /// lists their sessions, pages show them.
    pub views: BTreeMap<String, WorkspaceView>,
    /// The workspace whose page (or session) was opened last.
    pub last_opened: Option<String>,
    /// Why the open workspace could not be read, or that access to it was lost.
    pub workspace_problem: Option<String>,
    /// Workspaces the user lost access to: a view of one still on its way was read
    /// before and is not shown, until the workspace is listed or opened again.
    pub access_lost: std::collections::BTreeSet<String>,
    /// A teammate's session read from the server.
    pub reading: Option<ReadSession>,
    /// Where each linked local session stands, by its session id.
    pub sync: BTreeMap<String, SyncReport>,
    /// What the centre shows instead of a local session.
    pub page: Option<SharedPage>,
    /// Workspace files being downloaded to be attached, and to which session's message.
    pub attaching: BTreeMap<PathBuf, SessionKey>,
    /// Workspace files asked for a preview, by artifact id: fetched with it, or `None`
    /// (fetching, or it has none).
    pub previews: BTreeMap<String, Option<zspark_core::Artifact>>,
    /// The rooms of the shared sessions the window is present in, by workspace and
    /// session id.
    pub rooms: BTreeMap<RoomKey, RoomView>,
    /// Where the window announced the user last, and as doing what.
    pub present_in: BTreeMap<RoomKey, (SharedSessionAddress, String)>,
    /// The rooms watched (without being announced) to show who is in the sessions the
    /// sidebar lists.
    pub watched: Vec<SharedSessionAddress>,
    /// Each linked open session's part in its room, by session.
    pub ties: BTreeMap<SessionKey, RoomTie>,
    /// Linked sessions being read again from the server (a teammate ran a turn), with
    /// the message to send once each is open again.
    pub catching_up: Vec<CatchUp>,
}

/// A room's key: workspace and session id.
pub type RoomKey = (String, String);

/// The room key of `address`.
pub fn room_key(address: &SharedSessionAddress) -> RoomKey {
    (address.workspace_id.clone(), address.session_id.clone())
}

/// A shared session's room, with the turn its driver streams as cards.
pub struct RoomView {
    pub room: SessionRoom,
    /// The streamed turn, folded like a session's own events.
    pub live: Transcript,
}

/// What a linked open session keeps of its room.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RoomTie {
    /// The draft as last sent to the room or read from it.
    pub synced_draft: String,
    /// Draft edits sent to the room and not answered yet: until they are, a report
    /// may be older than what was typed here, and its draft is not taken.
    pub unanswered_drafts: u32,
    /// A message waiting for the teammate who drives to finish.
    pub queued: Option<Vec<InputItem>>,
    /// A teammate drove since this copy was read: it lacks their turn.
    pub behind: bool,
    /// This session's turn ended and the engine gives the lease back once the turn
    /// is on the server.
    pub handing_back: bool,
}

/// A linked session being read again before `items` are sent in it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatchUp {
    pub address: SharedSessionAddress,
    /// The open session it replaces, closed once the new copy is ready.
    pub replaces: SessionKey,
    /// Where the session was read to, once the engine said.
    pub rollout_path: Option<PathBuf>,
    pub items: Vec<InputItem>,
}

/// A page of a shared workspace in the centre of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedPage {
    /// A workspace: its sessions, members, activity and files.
    Workspace(String),
    /// A shared session, read from the server.
    Session(SharedSessionAddress),
}

/// A shared session read from the server, with its conversation as the window shows it.
pub struct ReadSession {
    pub read: SharedSessionRead,
    pub transcript: Transcript,
}

impl ReadSession {
    pub fn new(read: SharedSessionRead) -> Self {
        let transcript = Transcript::from_events(&read.events);
        Self { read, transcript }
    }
}

impl SharedView {
    /// Workspace `workspace_id`, once read.
    pub fn workspace(&self, workspace_id: &str) -> Option<&WorkspaceView> {
        self.views.get(workspace_id)
    }

    /// The workspace whose page, or one of whose sessions, the centre shows.
    pub fn page_workspace_id(&self) -> Option<&str> {
        match &self.page {
            Some(SharedPage::Workspace(workspace_id)) => Some(workspace_id),
            Some(SharedPage::Session(address)) => Some(&address.workspace_id),
            None => None,
        }
    }

    /// The workspace whose files open session `session`'s message can take: the one
    /// it is shared to, else the one opened last.
    pub fn workspace_for(&self, session: &SessionView) -> Option<&WorkspaceView> {
        let linked = self
            .sync_of_open(session)
            .map(|report| report.address.workspace_id.as_str());
        linked
            .or(self.last_opened.as_deref())
            .and_then(|workspace_id| self.workspace(workspace_id))
    }

    /// Where open session `session` stands with the server, when it is shared.
    pub fn sync_of_open(&self, session: &SessionView) -> Option<&SyncReport> {
        session
            .configured
            .as_ref()
            .and_then(|configured| self.sync_of(&configured.session_id))
    }

    /// Who else is in the shared session at `address` (as far as the window is there).
    pub fn people_in(&self, address: &SharedSessionAddress) -> &[Presence] {
        self.room_at(address)
            .map_or(&[], |room| room.room.people.as_slice())
    }

    /// The room of the shared session at `address`, when the window is there.
    pub fn room_at(&self, address: &SharedSessionAddress) -> Option<&RoomView> {
        self.rooms.get(&room_key(address))
    }

    /// The user's name on the server, once signed in.
    pub fn me(&self) -> Option<&str> {
        self.status.as_ref()?.signed_in_as.as_deref()
    }

    /// Who drives the room at `address` when it is not this user.
    pub fn teammate_driving(&self, address: &SharedSessionAddress) -> Option<&str> {
        let driver = self.room_at(address)?.room.driver.as_deref()?;
        (Some(driver) != self.me()).then_some(driver)
    }

    /// Workspace file `artifact_id`, fetched with its preview, once it is.
    pub fn preview_of(&self, artifact_id: &str) -> Option<&zspark_core::Artifact> {
        self.previews.get(artifact_id).and_then(Option::as_ref)
    }

    /// Where local session `session_id` stands with the server, when it is shared.
    pub fn sync_of(&self, session_id: &str) -> Option<&SyncReport> {
        self.sync.get(session_id)
    }
}

pub struct Model {
    pub prefs: Prefs,
    pub home: Option<PathBuf>,
    pub catalogue: SessionCatalogue,
    pub providers: Option<ProviderList>,
    /// The MCP servers of config.toml, once the engine has read them.
    pub mcp_servers: Option<Vec<McpServerEntry>>,
    /// An MCP sign-in waiting for the browser: the server and its sign-in page.
    pub mcp_sign_in: Option<(String, String)>,
    /// Memories, once the engine has read them.
    pub memory: Option<MemoryView>,
    pub skills: Option<SkillList>,
    pub shared: SharedView,
    /// The open sessions, by the number the engine gave them (opening order).
    pub sessions: BTreeMap<SessionKey, SessionView>,
    /// The session shown.
    pub shown: Option<SessionKey>,
    pub banner: Option<Banner>,
    /// The settings window is open.
    pub settings_open: bool,
}

impl Model {
    pub fn new(prefs: Prefs, home: Option<PathBuf>) -> Self {
        Self {
            prefs,
            home,
            catalogue: SessionCatalogue::default(),
            providers: None,
            mcp_servers: None,
            mcp_sign_in: None,
            memory: None,
            skills: None,
            shared: SharedView::default(),
            sessions: BTreeMap::new(),
            shown: None,
            banner: None,
            settings_open: false,
        }
    }

    /// Where the user most likely wants to work: the last folder used, else home.
    /// The prices the user gave for `name` from provider `provider_id`.
    pub fn price_of(&self, provider_id: &str, name: &str) -> Option<ModelPrice> {
        self.prefs
            .model_prices
            .get(&price_key(provider_id, name))
            .copied()
    }

    pub fn likely_folder(&self) -> Option<PathBuf> {
        self.prefs
            .recent_folders
            .first()
            .cloned()
            .or_else(|| self.home.clone())
    }

    /// The session shown, if any.
    pub fn session(&self) -> Option<&SessionView> {
        self.sessions.get(&self.shown?)
    }

    pub fn session_mut(&mut self) -> Option<&mut SessionView> {
        self.sessions.get_mut(&self.shown?)
    }

    /// The open session recorded in `rollout_path`.
    pub fn open_session_for(&self, rollout_path: &Path) -> Option<SessionKey> {
        self.sessions.values().find_map(|session| {
            session
                .configured
                .as_ref()
                .filter(|configured| configured.rollout_path == rollout_path)
                .map(|_| session.number)
        })
    }

    /// A session's title: the stored one when the list has it, else its first message.
    pub fn title_of(&self, session: &SessionView) -> String {
        if session.parent.is_some() {
            return session.title();
        }
        session
            .configured
            .as_ref()
            .and_then(|configured| self.catalogue.find(&configured.rollout_path))
            .map(|summary| summary.title.clone())
            .filter(|title| !title.trim().is_empty())
            .unwrap_or_else(|| session.title())
    }

    pub fn banner(&mut self, tone: Tone, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            tone,
        });
    }
}

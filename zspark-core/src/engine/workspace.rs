//! The engine's side of the workspaces: reading a workspace (its sessions, members,
//! activity and artifacts), following the live feed of each of the user's workspaces
//! so their pages and the sidebar's lists stay current,
//! reading a teammate's session from the server for the window to show, and the
//! owners' and editors' changes (members, artifacts), and previews of workspace files
//! (small ones of a kind that has one are fetched, checked, into a cache named by
//! their SHA-256). Each runs as a task of its own and answers with events.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use codex_core::rollout::{KNOWN_RECORD_KINDS, rebuild};
use codex_protocol::EventMsg;
use tokio::sync::Notify;
use zspark_api::{Activity, Artifact, Member, Role, Session};

use super::room::{Presence, RoomChange, Rooms};
use super::{EngineEvent, Outbox};
use crate::shared::{SharedClient, SharedError, SharedWorkspace};
use crate::sharing::{FeedEnd, SharedSessionAddress};

/// The longest wait between two tries to reach the live feed again.
const FEED_RETRY_MAX: Duration = Duration::from_secs(30);
/// Where fetched workspace files are kept for their previews, under `CODEX_HOME`.
pub(super) const PREVIEW_CACHE: &str = "zspark-cache/workspace-files";
/// Workspace files larger than this are not fetched for a preview.
const MAX_PREVIEW_FETCH: i64 = 16 * 1024 * 1024;

/// A workspace as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceView {
    pub workspace: SharedWorkspace,
    /// The user's principal key on the server.
    pub me: String,
    /// Most recently active first.
    pub sessions: Vec<Session>,
    pub members: Vec<Member>,
    /// Newest first.
    pub activity: Vec<Activity>,
    pub artifacts: Vec<Artifact>,
}

impl WorkspaceView {
    /// The name to show for principal `key`: the member's, where the server knows it,
    /// else the key (a development name without its `principal:`).
    pub fn name_of<'a>(&'a self, key: &'a str) -> &'a str {
        self.members
            .iter()
            .find(|member| member.principal == key)
            .and_then(|member| member.display_name.as_deref())
            .unwrap_or_else(|| key.strip_prefix("principal:").unwrap_or(key))
    }

    /// `text` with every member's principal key replaced by their name.
    pub fn with_names(&self, text: &str) -> String {
        let mut named = text.to_string();
        for member in &self.members {
            named = named.replace(&member.principal, self.name_of(&member.principal));
        }
        named
    }
}

/// A teammate's session, read from the server for the window to show.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedSessionRead {
    pub address: SharedSessionAddress,
    pub session: Session,
    /// The user's role in its workspace: a viewer reads only.
    pub role: Role,
    /// The conversation, as the events a resumed session replays.
    pub events: Vec<EventMsg>,
    /// Items of a kind this version does not know (written by a newer one): kept on the
    /// server, not shown.
    pub unreadable: usize,
    /// The files shared with the session.
    pub artifacts: Vec<Artifact>,
}

/// What a front-end asks of a workspace.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkspaceCommand {
    /// Read the workspace ([`EngineEvent::Workspace`]) and follow its live feed from
    /// now on, if it is not followed yet.
    Open { workspace_id: String },
    /// Follow the live feeds of these workspaces (and no others'): each one is read
    /// when its following starts and after each burst of its feed.
    FollowAll(Vec<String>),
    /// Read a shared session ([`EngineEvent::SharedSessionRead`]).
    ReadSession(SharedSessionAddress),
    Invite {
        workspace_id: String,
        principal: String,
        role: Role,
    },
    ChangeRole {
        workspace_id: String,
        principal: String,
        role: Role,
    },
    RemoveMember {
        workspace_id: String,
        principal: String,
    },
    DeleteArtifact {
        workspace_id: String,
        artifact_id: String,
    },
    /// Download an artifact to `destination` ([`EngineEvent::FileSaved`]).
    DownloadArtifact {
        artifact: Box<Artifact>,
        destination: PathBuf,
    },
    /// Fetch these files for their previews ([`EngineEvent::WorkspaceFilePreview`],
    /// one per file).
    Preview(Vec<Artifact>),
    /// Be present in a shared session (announced to the others; the room is reported
    /// by [`EngineEvent::Room`]), or leave it with `None`.
    Present {
        address: SharedSessionAddress,
        presence: Option<Presence>,
    },
    /// Watch who is in each of these shared sessions (and no other the front-end is
    /// not present in), without announcing the user; each room is reported by
    /// [`EngineEvent::Room`].
    Watch(Vec<SharedSessionAddress>),
    /// Change something in the room of a shared session the front-end is present in.
    Room {
        address: SharedSessionAddress,
        change: RoomChange,
    },
}

/// The workspaces followed live: each one's feed task, by workspace id.
#[derive(Default)]
pub(super) struct Followed(std::sync::Mutex<HashMap<String, tokio::task::AbortHandle>>);

impl Followed {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, tokio::task::AbortHandle>> {
        self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Stops following every workspace.
    pub(super) fn stop_all(&self) {
        for (_, task) in self.lock().drain() {
            task.abort();
        }
    }

    /// Follows `workspace_id` unless its feed runs already (one that ended, say
    /// because the user was removed, does not); whether it was started now.
    fn start(&self, workspace_id: &str, client: &Arc<SharedClient>, outbox: &Outbox) -> bool {
        let mut followed = self.lock();
        if followed
            .get(workspace_id)
            .is_some_and(|task| !task.is_finished())
        {
            return false;
        }
        let task = tokio::spawn(follow(
            client.clone(),
            workspace_id.to_string(),
            outbox.clone(),
        ));
        followed.insert(workspace_id.to_string(), task.abort_handle());
        true
    }

    /// Stops following the workspaces not in `keep`.
    fn keep_only(&self, keep: &[String]) {
        self.lock().retain(|workspace_id, task| {
            let kept = keep.contains(workspace_id);
            if !kept {
                task.abort();
            }
            kept
        });
    }
}

/// Carries out `command` with `client` in a task of its own.
pub(super) fn spawn(
    command: WorkspaceCommand,
    client: Arc<SharedClient>,
    (followed, rooms): (&Arc<Followed>, &Rooms),
    previews: &Path,
    outbox: &Outbox,
) {
    let outbox = outbox.clone();
    match command {
        WorkspaceCommand::Present { address, presence } => {
            rooms.present(&client, address, presence, &outbox);
        }
        WorkspaceCommand::Watch(addresses) => rooms.watch(&client, addresses, &outbox),
        WorkspaceCommand::Preview(artifacts) => {
            let previews = previews.to_path_buf();
            tokio::spawn(async move {
                for artifact in artifacts {
                    let file = preview_of(&client, &previews, &artifact).await;
                    outbox
                        .send(EngineEvent::WorkspaceFilePreview {
                            artifact_id: artifact.id,
                            file: file.map(Box::new),
                        })
                        .await;
                }
            });
        }
        WorkspaceCommand::Open { workspace_id } => {
            followed.start(&workspace_id, &client, &outbox);
            tokio::spawn(async move { report_view(&client, &workspace_id, &outbox).await });
        }
        WorkspaceCommand::FollowAll(workspace_ids) => {
            followed.keep_only(&workspace_ids);
            for workspace_id in workspace_ids {
                if followed.start(&workspace_id, &client, &outbox) {
                    let (client, outbox) = (client.clone(), outbox.clone());
                    tokio::spawn(async move { report_view(&client, &workspace_id, &outbox).await });
                }
            }
        }
        WorkspaceCommand::ReadSession(address) => {
            tokio::spawn(async move {
                outbox
                    .send(match read_session(&client, address).await {
                        Ok(read) => EngineEvent::SharedSessionRead(Box::new(read)),
                        Err(problem) => EngineEvent::Problem(problem.to_string()),
                    })
                    .await;
            });
        }
        WorkspaceCommand::DownloadArtifact {
            artifact,
            destination,
        } => {
            tokio::spawn(async move {
                outbox
                    .send(
                        match client.download_artifact(&artifact, &destination).await {
                            Ok(()) => EngineEvent::FileSaved { destination },
                            Err(problem) => EngineEvent::Problem(problem.to_string()),
                        },
                    )
                    .await;
            });
        }
        change => {
            tokio::spawn(async move {
                let (workspace_id, done) = match change {
                    WorkspaceCommand::Invite {
                        workspace_id,
                        principal,
                        role,
                    } => {
                        let done = client.invite(&workspace_id, &principal, role).await;
                        (workspace_id, done)
                    }
                    WorkspaceCommand::ChangeRole {
                        workspace_id,
                        principal,
                        role,
                    } => {
                        let done = client.change_role(&workspace_id, &principal, role).await;
                        (workspace_id, done)
                    }
                    WorkspaceCommand::RemoveMember {
                        workspace_id,
                        principal,
                    } => {
                        let done = client.remove_member(&workspace_id, &principal).await;
                        (workspace_id, done)
                    }
                    WorkspaceCommand::DeleteArtifact {
                        workspace_id,
                        artifact_id,
                    } => {
                        let done = client.delete_artifact(&workspace_id, &artifact_id).await;
                        (workspace_id, done)
                    }
                    WorkspaceCommand::Open { .. }
                    | WorkspaceCommand::FollowAll(_)
                    | WorkspaceCommand::ReadSession(_)
                    | WorkspaceCommand::DownloadArtifact { .. }
                    | WorkspaceCommand::Preview(_)
                    | WorkspaceCommand::Present { .. }
                    | WorkspaceCommand::Watch(_)
                    | WorkspaceCommand::Room { .. } => return,
                };
                if let Err(problem) = done {
                    outbox.send(EngineEvent::Problem(problem.to_string())).await;
                }
                report_view(&client, &workspace_id, &outbox).await;
            });
        }
    }
}

/// Reads the workspace and reports it, or why it could not be read.
async fn report_view(client: &SharedClient, workspace_id: &str, outbox: &Outbox) {
    outbox
        .send(match read_view(client, workspace_id).await {
            Ok(view) => EngineEvent::Workspace(Box::new(view)),
            // The page read may learn it before the live feed does.
            Err(SharedError::NotFound(_)) => membership_lost(workspace_id),
            Err(problem) => EngineEvent::WorkspaceProblem {
                workspace_id: workspace_id.to_string(),
                message: problem.to_string(),
                membership_lost: false,
            },
        })
        .await;
}

/// The user is no longer a member of the workspace, or it was deleted.
fn membership_lost(workspace_id: &str) -> EngineEvent {
    EngineEvent::WorkspaceProblem {
        workspace_id: workspace_id.to_string(),
        membership_lost: true,
        message: "You are no longer a member of this workspace (or it was deleted). What you have locally is kept.".to_string(),
    }
}

async fn read_view(
    client: &SharedClient,
    workspace_id: &str,
) -> Result<WorkspaceView, SharedError> {
    let path = format!("/v1/workspaces/{workspace_id}");
    let (workspace, me, sessions, members, activity, artifacts) = tokio::try_join!(
        client.get::<SharedWorkspace>(&path),
        client.get::<zspark_api::Me>("/v1/me"),
        client.sessions(workspace_id),
        client.members(workspace_id),
        client.activity(workspace_id),
        client.artifacts(workspace_id),
    )?;
    Ok(WorkspaceView {
        workspace,
        me: me.principal,
        sessions,
        members,
        activity,
        artifacts,
    })
}

async fn read_session(
    client: &SharedClient,
    address: SharedSessionAddress,
) -> Result<SharedSessionRead, SharedError> {
    let workspace_id = &address.workspace_id;
    let (session, role, (items, _), artifacts) = tokio::try_join!(
        client.session(workspace_id, &address.session_id),
        client.role_in(workspace_id),
        client.items(workspace_id, &address.session_id),
        client.artifacts(workspace_id),
    )?;
    let mut unreadable = 0;
    let records: Vec<(String, serde_json::Value)> = items
        .into_iter()
        .filter_map(|item| {
            let kind = item.payload.get("type")?.as_str()?.to_string();
            if !KNOWN_RECORD_KINDS.contains(&kind.as_str()) {
                unreadable += 1;
                return None;
            }
            Some((kind, item.payload.get("payload")?.clone()))
        })
        .collect();
    let artifacts = artifacts
        .into_iter()
        .filter(|artifact| artifact.session_id.as_deref() == Some(address.session_id.as_str()))
        .collect();
    Ok(SharedSessionRead {
        events: rebuild(&records).events,
        address,
        session,
        role,
        unreadable,
        artifacts,
    })
}

/// Workspace file `artifact` with its preview, fetched into `cache` (checked against
/// its SHA-256, and kept there by it) unless it is there already; `None` for a file
/// too large or of a kind without a preview, or one that could not be fetched.
async fn preview_of(
    client: &SharedClient,
    cache: &Path,
    artifact: &Artifact,
) -> Option<crate::artifacts::Artifact> {
    use crate::artifacts::ArtifactKind;
    let name = Path::new(&artifact.name).file_name()?;
    let kind = ArtifactKind::of(Path::new(name));
    // The cache is named by the checksum: only a well-formed one names a folder.
    if !matches!(
        kind,
        ArtifactKind::Image | ArtifactKind::Table | ArtifactKind::Text
    ) || artifact.size > MAX_PREVIEW_FETCH
        || !zspark_api::rules::SHA256_HEX.accepts(&artifact.sha256)
    {
        return None;
    }
    let path = cache.join(&artifact.sha256).join(name);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        client.download_artifact(artifact, &path).await.ok()?;
    }
    tokio::task::spawn_blocking(move || crate::artifacts::Artifact::describe(&path))
        .await
        .ok()
        .flatten()
}

/// Follows the workspace's feed until stopped: each entry is reported, and the
/// workspace read again (once per burst of entries); a dropped feed is
/// followed again from the last entry, after a growing wait.
async fn follow(client: Arc<SharedClient>, workspace_id: String, outbox: Outbox) {
    let changed = Arc::new(Notify::new());
    let reread = {
        let (client, workspace_id, outbox, changed) = (
            client.clone(),
            workspace_id.clone(),
            outbox.clone(),
            changed.clone(),
        );
        async move {
            loop {
                changed.notified().await;
                report_view(&client, &workspace_id, &outbox).await;
            }
        }
    };
    let feed = async {
        let mut after: Option<String> = None;
        let mut wait = Duration::from_secs(1);
        loop {
            let mut newest = None;
            let ended = client
                .follow_activity(&workspace_id, after.as_deref(), |entry| {
                    newest = Some(entry.id.clone());
                    outbox.send_now(EngineEvent::WorkspaceActivity {
                        workspace_id: workspace_id.clone(),
                        entry,
                    });
                    changed.notify_one();
                })
                .await;
            // A feed that was up (it dropped, rather than could not be opened) is
            // followed again soon; only failures to connect make the wait grow.
            if newest.is_some() || matches!(ended, Ok(FeedEnd::Dropped(_))) {
                wait = Duration::from_secs(1);
            }
            if newest.is_some() {
                after = newest;
            }
            if matches!(ended, Ok(FeedEnd::NotAMember)) {
                outbox.send(membership_lost(&workspace_id)).await;
                return;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(FEED_RETRY_MAX);
            // What happened while the feed was away is read with the page.
            changed.notify_one();
        }
    };
    tokio::select! {
        () = reread => {}
        () = feed => {}
    }
}

//! Commands about shared workspaces: which server, signing in and out, its
//! workspaces; a workspace's page, members and files; sharing the shown session and
//! continuing a teammate's here.

use zspark_core::{
    EngineCommand, SessionShareCommand, SharedCommand as EngineShared, WorkspaceCommand,
};

use super::super::app::DesktopApp;
use super::super::commands::SharedCommand;
use super::super::model::{SharedPage, Tone};

impl DesktopApp {
    pub(in super::super) fn apply_shared(&mut self, ctx: &egui::Context, command: SharedCommand) {
        match command {
            SharedCommand::Connect(server) => {
                self.model.prefs.shared_server = Some(server.clone());
                self.forget_workspace_pages();
                self.shared_command(EngineShared::Connect(server.server()));
            }
            SharedCommand::Disconnect => {
                self.model.prefs.shared_server = None;
                self.forget_workspace_pages();
                self.shared_command(EngineShared::Disconnect);
            }
            SharedCommand::SignIn { device_code } => {
                self.shared_command(EngineShared::SignIn { device_code });
            }
            SharedCommand::SignOut => self.shared_command(EngineShared::SignOut),
            // Connecting again also recovers from a server or sign-in service that was
            // unreachable when the window opened.
            SharedCommand::Refresh => {
                self.model.shared.workspace_problem = None;
                if let Some(server) = self.model.prefs.shared_server.clone() {
                    self.shared_command(EngineShared::Connect(server.server()));
                }
            }
            SharedCommand::CreateWorkspace(name) => {
                self.panels.shared.new_workspace.clear();
                self.shared_command(EngineShared::CreateWorkspace { name });
            }
            SharedCommand::OpenWorkspace(workspace_id) => {
                self.model.shared.workspace_problem = None;
                self.model.shared.access_lost.remove(&workspace_id);
                self.model.shared.last_opened = Some(workspace_id.clone());
                self.model.shared.page = Some(SharedPage::Workspace(workspace_id.clone()));
                self.send(EngineCommand::Workspace(WorkspaceCommand::Open {
                    workspace_id,
                }));
            }
            SharedCommand::ReadSession(address) => {
                if self
                    .model
                    .shared
                    .reading
                    .as_ref()
                    .is_some_and(|reading| reading.read.address != address)
                {
                    self.model.shared.reading = None;
                }
                if self.model.shared.page_workspace_id() != Some(address.workspace_id.as_str()) {
                    self.model.shared.workspace_problem = None;
                }
                self.model.shared.last_opened = Some(address.workspace_id.clone());
                self.model.shared.page = Some(SharedPage::Session(address.clone()));
                self.send(EngineCommand::Workspace(WorkspaceCommand::ReadSession(
                    address,
                )));
            }
            SharedCommand::ShareShown(workspace_id) => {
                let Some(view) = self.model.session() else {
                    return;
                };
                let Some(configured) = &view.configured else {
                    return;
                };
                if !configured.rollout_path.exists() {
                    self.model.banner(
                        Tone::Info,
                        "Nothing to share yet: send a message first, then share the session.",
                    );
                    return;
                }
                let command = SessionShareCommand::Share {
                    rollout_path: configured.rollout_path.clone(),
                    workspace_id,
                    folder: view.cwd.clone(),
                };
                self.send(EngineCommand::ShareSession(command));
            }
            SharedCommand::ContinueShown => {
                let Some(SharedPage::Session(address)) = self.model.shared.page.clone() else {
                    return;
                };
                let start_in = self.model.likely_folder().unwrap_or_default();
                self.dialogs.continue_in(ctx, address, start_in);
            }
            SharedCommand::Invite { principal, role } => {
                self.panels.shared.invitee.clear();
                self.workspace_change(|workspace_id| WorkspaceCommand::Invite {
                    workspace_id,
                    principal,
                    role,
                });
            }
            SharedCommand::ChangeRole { principal, role } => {
                self.workspace_change(|workspace_id| WorkspaceCommand::ChangeRole {
                    workspace_id,
                    principal,
                    role,
                });
            }
            SharedCommand::RemoveMember(principal) => {
                self.workspace_change(|workspace_id| WorkspaceCommand::RemoveMember {
                    workspace_id,
                    principal,
                });
            }
            SharedCommand::DeleteArtifact(artifact_id) => {
                self.workspace_change(|workspace_id| WorkspaceCommand::DeleteArtifact {
                    workspace_id,
                    artifact_id,
                });
            }
            SharedCommand::RemoveSharedFile {
                local_session_id,
                path,
            } => {
                self.send(EngineCommand::ShareSession(
                    SessionShareCommand::RemoveFile {
                        local_session_id,
                        path,
                    },
                ));
            }
            SharedCommand::AttachFromWorkspace(artifact) => {
                let Some(view) = self.model.session() else {
                    return;
                };
                // Only the name's last part: a server's name cannot lead out of the folder.
                let Some(name) = std::path::Path::new(&artifact.name).file_name() else {
                    self.model.banner(
                        Tone::Warning,
                        format!(
                            "{:?} is not a file name that can be saved here.",
                            artifact.name
                        ),
                    );
                    return;
                };
                let destination = view.cwd.join(".zspark/attachments").join(name);
                let session = view.number;
                self.model
                    .shared
                    .attaching
                    .insert(destination.clone(), session);
                self.send(EngineCommand::Workspace(
                    WorkspaceCommand::DownloadArtifact {
                        artifact: Box::new(artifact),
                        destination,
                    },
                ));
            }
            SharedCommand::Download(artifact) => {
                let start_in = self
                    .model
                    .home
                    .as_ref()
                    .map(|home| home.join("Downloads"))
                    .filter(|downloads| downloads.is_dir())
                    .or_else(|| self.model.home.clone())
                    .unwrap_or_default();
                self.dialogs.download_to(ctx, artifact, start_in);
            }
        }
    }

    /// Sends a change to the workspace whose page is open.
    fn workspace_change(&mut self, change: impl FnOnce(String) -> WorkspaceCommand) {
        if let Some(workspace_id) = self.model.shared.page_workspace_id() {
            let command = change(workspace_id.to_string());
            self.send(EngineCommand::Workspace(command));
        }
    }

    /// A new server or sign-in: what was read from the old one goes.
    fn forget_workspace_pages(&mut self) {
        let shared = &mut self.model.shared;
        shared.status = None;
        shared.views.clear();
        shared.last_opened = None;
        shared.workspace_problem = None;
        shared.access_lost.clear();
        shared.reading = None;
        shared.sync.clear();
        shared.page = None;
    }
}

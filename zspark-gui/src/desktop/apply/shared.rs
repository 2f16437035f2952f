//! Commands about the shared-workspace server: which one, signing in and out, its
//! workspaces.

use zspark_core::SharedCommand as EngineShared;

use super::super::app::DesktopApp;
use super::super::commands::SharedCommand;

impl DesktopApp {
    pub(in super::super) fn apply_shared(&mut self, command: SharedCommand) {
        match command {
            SharedCommand::Connect(server) => {
                self.model.prefs.shared_server = Some(server.clone());
                self.model.shared.status = None;
                self.shared_command(EngineShared::Connect(server.server()));
            }
            SharedCommand::Disconnect => {
                self.model.prefs.shared_server = None;
                self.model.shared.status = None;
                self.shared_command(EngineShared::Disconnect);
            }
            SharedCommand::SignIn { device_code } => {
                self.shared_command(EngineShared::SignIn { device_code });
            }
            SharedCommand::SignOut => self.shared_command(EngineShared::SignOut),
            // Connecting again also recovers from a server or sign-in service that was
            // unreachable when the window opened.
            SharedCommand::Refresh => {
                if let Some(server) = self.model.prefs.shared_server.clone() {
                    self.shared_command(EngineShared::Connect(server.server()));
                }
            }
            SharedCommand::CreateWorkspace(name) => {
                self.panels.shared.new_workspace.clear();
                self.shared_command(EngineShared::CreateWorkspace { name });
            }
        }
    }
}

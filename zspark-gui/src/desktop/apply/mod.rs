//! Where commands take effect, one module per group of [`UiCommand`]: sessions,
//! the composer, files, settings, the shared-workspace server, the review pane and the
//! window itself.

mod composer;
mod files;
mod layout;
mod review;
mod room;
mod session;
mod settings;
mod shared;

use super::app::DesktopApp;
use super::commands::UiCommand;

impl DesktopApp {
    pub(super) fn apply(&mut self, ctx: &egui::Context, command: UiCommand) {
        match command {
            UiCommand::Session(command) => self.apply_session(command),
            UiCommand::Composer(command) => self.apply_composer(command),
            UiCommand::Files(command) => self.apply_files(ctx, command),
            UiCommand::Settings(command) => self.apply_settings(ctx, command),
            UiCommand::Shared(command) => self.apply_shared(ctx, command),
            UiCommand::Layout(command) => self.apply_layout(ctx, command),
            UiCommand::Review(command) => self.apply_review(command),
        }
    }
}

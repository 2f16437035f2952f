//! Commands about the window itself: panels, search focus, the banner, the clipboard.

use super::super::app::DesktopApp;
use super::super::commands::LayoutCommand;

impl DesktopApp {
    pub(in super::super) fn apply_layout(&mut self, ctx: &egui::Context, command: LayoutCommand) {
        let prefs = &mut self.model.prefs;
        match command {
            LayoutCommand::TogglePalette => {
                let palette = &mut self.panels.palette;
                palette.open = !palette.open;
                palette.query.clear();
            }
            LayoutCommand::ToggleSidebar => prefs.sidebar_open = !prefs.sidebar_open,
            LayoutCommand::ToggleDetails => prefs.details_open = !prefs.details_open,
            LayoutCommand::FocusSearch => {
                prefs.sidebar_open = true;
                self.panels.sidebar.focus_search = true;
            }
            LayoutCommand::DismissBanner => self.model.banner = None,
            LayoutCommand::Copy(text) => ctx.copy_text(text),
        }
    }
}

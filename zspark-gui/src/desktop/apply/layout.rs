//! Commands about the window itself: panels, search focus, the banner, the clipboard,
//! the terminal panel (each session's terminal started in its folder when first shown,
//! and again when its shell has ended).

use super::super::app::DesktopApp;
use super::super::commands::LayoutCommand;
use super::super::terminal::Terminal;

/// The size a terminal starts at, before the panel gives it its own.
const FIRST_ROWS: u16 = 24;
const FIRST_COLS: u16 = 80;

impl DesktopApp {
    /// Starts the shown session's terminal unless it has one still running.
    pub(in super::super) fn start_terminal(&mut self) {
        let Some(view) = self.model.session() else {
            return;
        };
        let panel = &mut self.panels.terminal;
        if panel
            .terminals
            .get(&view.number)
            .is_some_and(|terminal| terminal.ended.is_none())
        {
            return;
        }
        let ctx = self.ctx.clone();
        match Terminal::start(&view.cwd, FIRST_ROWS, FIRST_COLS, move || {
            ctx.request_repaint();
        }) {
            Ok(terminal) => {
                panel.terminals.insert(view.number, terminal);
                panel.problem = None;
            }
            Err(error) => panel.problem = Some(format!("{error}.")),
        }
    }

    pub(in super::super) fn apply_layout(&mut self, ctx: &egui::Context, command: LayoutCommand) {
        let prefs = &mut self.model.prefs;
        match command {
            LayoutCommand::TogglePalette => {
                let palette = &mut self.panels.palette;
                palette.open = !palette.open;
                palette.query.clear();
            }
            LayoutCommand::ToggleTerminal => {
                let panel = &mut self.panels.terminal;
                panel.shown = !panel.shown;
                if panel.shown {
                    self.start_terminal();
                }
            }
            LayoutCommand::OpenInTerminal(command) => {
                self.panels.terminal.shown = true;
                self.start_terminal();
                if let Some(terminal) = self
                    .model
                    .shown
                    .and_then(|session| self.panels.terminal.terminals.get_mut(&session))
                {
                    terminal.send(command.as_bytes());
                }
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

//! The command palette (Cmd/Ctrl+Shift+P): every command the window offers, with its
//! shortcut, narrowed as the user types (each word of the query must appear in the
//! command's name), run with a click or Enter after moving with the arrow keys.
//! Commands that need a session are listed only while one is shown, and each open
//! session can be switched to from here.

use egui::{Key, Modifiers};

use super::super::commands::{
    Commands, ComposerCommand, FilesCommand, LayoutCommand, ReviewAction, SessionCommand,
    SettingsCommand, UiCommand,
};
use super::super::model::Model;
use super::super::prefs::ThemeChoice;
use super::super::shortcuts::{Shortcut, hint};
use super::super::theme;
use super::settings::SettingsTab;

/// How far below the window's top edge the palette sits (it stays put while the list
/// shortens, as the user types).
const PALETTE_TOP: f32 = 80.0;

/// The palette's own state.
#[derive(Default)]
pub struct PaletteState {
    pub open: bool,
    pub query: String,
    /// The highlighted entry among those the query leaves.
    selected: usize,
}

/// One command as the palette lists it.
struct Entry {
    name: String,
    command: UiCommand,
    keys: Option<String>,
}

impl Entry {
    fn new(name: impl Into<String>, command: impl Into<UiCommand>) -> Self {
        Self {
            name: name.into(),
            command: command.into(),
            keys: None,
        }
    }

    fn keys(mut self, keys: String) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Whether every word of `query` is in the name (case does not matter).
    fn matches(&self, query: &str) -> bool {
        let name = self.name.to_lowercase();
        query
            .to_lowercase()
            .split_whitespace()
            .all(|word| name.contains(word))
    }
}

/// Every command available now.
fn entries(ctx: &egui::Context, model: &Model) -> Vec<Entry> {
    let keys = |shortcut| hint(ctx, shortcut);
    let mut entries = vec![
        Entry::new("New session…", SessionCommand::AskNew).keys(keys(Shortcut::NewSession)),
        Entry::new("Search sessions", LayoutCommand::FocusSearch).keys(keys(Shortcut::Search)),
        Entry::new("Show or hide the sidebar", LayoutCommand::ToggleSidebar)
            .keys(keys(Shortcut::Sidebar)),
        Entry::new(
            "Show or hide the details panel",
            LayoutCommand::ToggleDetails,
        )
        .keys(keys(Shortcut::Details)),
        Entry::new("Show or hide the terminal", LayoutCommand::ToggleTerminal)
            .keys(keys(Shortcut::Terminal)),
        Entry::new("Settings", SettingsCommand::Open).keys(keys(Shortcut::Settings)),
        Entry::new(
            "Settings: providers",
            SettingsCommand::OpenAt(SettingsTab::Providers),
        ),
        Entry::new(
            "Settings: MCP servers",
            SettingsCommand::OpenAt(SettingsTab::McpServers),
        ),
        Entry::new(
            "Settings: memory",
            SettingsCommand::OpenAt(SettingsTab::Memory),
        ),
        Entry::new(
            "Settings: shared workspaces",
            SettingsCommand::OpenAt(SettingsTab::SharedWorkspaces),
        ),
        Entry::new(
            "Theme: light",
            SettingsCommand::SetTheme(ThemeChoice::Light),
        ),
        Entry::new("Theme: dark", SettingsCommand::SetTheme(ThemeChoice::Dark)),
        Entry::new(
            "Theme: follow the system",
            SettingsCommand::SetTheme(ThemeChoice::System),
        ),
    ];
    if let Some(session) = model.session() {
        entries
            .push(Entry::new("Send the message", ComposerCommand::Send).keys(keys(Shortcut::Send)));
        entries
            .push(Entry::new("Attach files…", FilesCommand::Attach).keys(keys(Shortcut::Attach)));
        if session.is_running() {
            entries.push(
                Entry::new("Stop the running turn", SessionCommand::Interrupt)
                    .keys("Esc".to_string()),
            );
        } else if session.last_input.is_some() {
            entries.push(Entry::new("Retry the last turn", SessionCommand::Retry));
        }
        entries.push(Entry::new(
            if session.review.open {
                "Back to the conversation"
            } else {
                "Review the changes"
            },
            ReviewAction::Toggle,
        ));
        entries.push(Entry::new(
            "Fork this session",
            SessionCommand::Fork { before_turn: None },
        ));
        entries.push(Entry::new(
            "Close this session",
            SessionCommand::Close(session.number),
        ));
    }
    for (key, session) in &model.sessions {
        if model.shown != Some(*key) {
            let title = model.title_of(session);
            let title = title.lines().next().unwrap_or_default();
            entries.push(Entry::new(
                format!("Go to session: {title}"),
                SessionCommand::Show(*key),
            ));
        }
    }
    entries
}

pub fn show(ctx: &egui::Context, model: &Model, state: &mut PaletteState, out: &mut Commands) {
    if !state.open {
        return;
    }
    let entries: Vec<Entry> = entries(ctx, model)
        .into_iter()
        .filter(|entry| entry.matches(&state.query))
        .collect();
    let (down, up, enter) = ctx.input_mut(|input| {
        (
            input.consume_key(Modifiers::NONE, Key::ArrowDown),
            input.consume_key(Modifiers::NONE, Key::ArrowUp),
            input.consume_key(Modifiers::NONE, Key::Enter),
        )
    });
    if down {
        state.selected += 1;
    }
    if up {
        state.selected = state.selected.saturating_sub(1);
    }
    state.selected = state.selected.min(entries.len().saturating_sub(1));
    let mut chosen = None;
    let id = egui::Id::unique("command-palette");
    let response = egui::Modal::new(id)
        .area(egui::Modal::default_area(id).anchor(egui::Align2::CENTER_TOP, [0.0, PALETTE_TOP]))
        .show(ctx, |ui| {
            ui.set_width(460.0);
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut state.query)
                        .hint_text("Type a command")
                        .desired_width(f32::INFINITY),
                )
                .accessible_name("Command");
            field.request_focus();
            if field.changed() {
                state.selected = 0;
            }
            ui.add_space(theme::SPACE);
            if entries.is_empty() {
                theme::empty_state(ui, "No command matches.");
            }
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| {
                    egui::Grid::new("palette-entries")
                        .num_columns(2)
                        .min_col_width(120.0)
                        .show(ui, |ui| {
                            for (index, entry) in entries.iter().enumerate() {
                                let row = ui.selectable_label(index == state.selected, &entry.name);
                                ui.label(theme::muted(entry.keys.as_deref().unwrap_or_default()));
                                ui.end_row();
                                if index == state.selected && (down || up) {
                                    row.scroll_to_me(None);
                                }
                                if row.clicked() {
                                    chosen = Some(index);
                                }
                            }
                        });
                });
        });
    if enter && !entries.is_empty() {
        chosen = Some(state.selected);
    }
    if let Some(entry) = chosen.and_then(|index| entries.into_iter().nth(index)) {
        out.push(entry.command);
        close(state);
    } else if response.should_close() {
        close(state);
    }
}

fn close(state: &mut PaletteState) {
    state.open = false;
    state.query.clear();
    state.selected = 0;
}

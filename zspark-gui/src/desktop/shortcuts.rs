//! Keyboard shortcuts, in one table mapping each to the command its button sends:
//! the command palette (Shift+Cmd+P), new session, send, search, settings, sidebar,
//! details, the terminal, attach files (Cmd on macOS, Ctrl elsewhere); Esc stops a running turn; Y / A / N answer a waiting approval
//! (approve, approve for the session, deny) when no text field has the focus. Buttons
//! show their shortcut through [`hint`], read from the same table.

use codex_protocol::ReviewDecision;
use egui::{Key, KeyboardShortcut, Modifiers};

use super::commands::{
    Commands, ComposerCommand, FilesCommand, LayoutCommand, SessionCommand, SettingsCommand,
    UiCommand,
};

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Palette,
    NewSession,
    Send,
    Search,
    Settings,
    Sidebar,
    Details,
    Terminal,
    Attach,
}

/// Each shortcut's key, typed with Cmd (Ctrl), and Shift where `true`. The palette
/// comes first, so its Shift+Cmd+P is taken before anything else sees P.
const TABLE: [(Shortcut, bool, Key); 9] = [
    (Shortcut::Palette, true, Key::P),
    (Shortcut::NewSession, false, Key::N),
    (Shortcut::Send, false, Key::Enter),
    (Shortcut::Search, false, Key::K),
    (Shortcut::Settings, false, Key::Comma),
    (Shortcut::Sidebar, false, Key::B),
    (Shortcut::Details, false, Key::I),
    (Shortcut::Terminal, false, Key::J),
    (Shortcut::Attach, false, Key::O),
];

impl Shortcut {
    fn command(self) -> UiCommand {
        match self {
            Self::Palette => LayoutCommand::TogglePalette.into(),
            Self::NewSession => SessionCommand::AskNew.into(),
            Self::Send => ComposerCommand::Send.into(),
            Self::Search => LayoutCommand::FocusSearch.into(),
            Self::Settings => SettingsCommand::Open.into(),
            Self::Sidebar => LayoutCommand::ToggleSidebar.into(),
            Self::Details => LayoutCommand::ToggleDetails.into(),
            Self::Terminal => LayoutCommand::ToggleTerminal.into(),
            Self::Attach => FilesCommand::Attach.into(),
        }
    }

    fn keys(self) -> KeyboardShortcut {
        let (shift, key) = TABLE
            .iter()
            .find_map(|(shortcut, shift, key)| (*shortcut == self).then_some((*shift, *key)))
            .unwrap_or((false, Key::Escape));
        let modifiers = if shift {
            Modifiers::COMMAND | Modifiers::SHIFT
        } else {
            Modifiers::COMMAND
        };
        KeyboardShortcut::new(modifiers, key)
    }
}

/// How `shortcut` is typed on this system (`⌘N` on macOS, `Ctrl+N` elsewhere).
pub fn hint(ctx: &egui::Context, shortcut: Shortcut) -> String {
    ctx.format_shortcut(&shortcut.keys())
}

/// The approval keys and their answers.
const APPROVAL_KEYS: [(Key, ReviewDecision); 3] = [
    (Key::Y, ReviewDecision::Accept),
    (Key::A, ReviewDecision::AcceptForSession),
    (Key::N, ReviewDecision::Decline),
];

/// Adds the commands of this frame's shortcuts. `approval` is the shown session's
/// approval waiting for an answer (its call id and whether it is a patch); Esc is
/// taken only while a turn is `running`, so dialogs still close with it otherwise.
pub fn collect(
    ctx: &egui::Context,
    approval: Option<(String, bool)>,
    running: bool,
    commands: &mut Commands,
) {
    ctx.input_mut(|input| {
        for (shortcut, _, _) in TABLE {
            if input.consume_shortcut(&shortcut.keys()) {
                commands.push(shortcut.command());
            }
        }
        if running && input.consume_key(Modifiers::NONE, Key::Escape) {
            commands.push(SessionCommand::Interrupt);
        }
    });
    let typing = ctx.memory(|memory| memory.focused().is_some());
    let Some((call_id, patch)) = approval.filter(|_| !typing) else {
        return;
    };
    for (key, decision) in APPROVAL_KEYS {
        if ctx.input_mut(|input| input.consume_key(Modifiers::NONE, key)) {
            commands.push(SessionCommand::Answer {
                call_id: call_id.clone(),
                patch,
                decision,
            });
        }
    }
}

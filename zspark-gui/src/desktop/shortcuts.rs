//! Keyboard shortcuts, mapped to the same commands the buttons send: Ctrl/Cmd+N new
//! session, Ctrl/Cmd+Enter send, Esc stop, Ctrl/Cmd+K search, Ctrl/Cmd+, settings,
//! Ctrl/Cmd+B sidebar, Ctrl/Cmd+J details, Ctrl/Cmd+O attach files; Y / A / N answer a waiting approval
//! (approve, approve for the session, deny) when no text field has the focus.

use egui::{Key, KeyboardShortcut, Modifiers};

use super::app::decision_for_key;
use super::commands::UiCommand;

const BINDINGS: [(Key, UiCommand); 7] = [
    (Key::N, UiCommand::AskNewSession),
    (Key::Enter, UiCommand::Send),
    (Key::K, UiCommand::FocusSearch),
    (Key::Comma, UiCommand::OpenSettings),
    (Key::B, UiCommand::ToggleSidebar),
    (Key::J, UiCommand::ToggleDetails),
    (Key::O, UiCommand::AttachFiles),
];

/// Adds the commands of this frame's shortcuts to `commands`. `approval` is the
/// approval waiting for an answer (its call id and whether it is a patch); Esc is taken
/// only while a turn `running`, so dialogs still close with it otherwise.
pub fn collect(
    ctx: &egui::Context,
    approval: Option<(String, bool)>,
    running: bool,
    commands: &mut Vec<UiCommand>,
) {
    ctx.input_mut(|input| {
        for (key, command) in BINDINGS {
            if input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key)) {
                commands.push(command);
            }
        }
        if running && input.consume_key(Modifiers::NONE, Key::Escape) {
            commands.push(UiCommand::Interrupt);
        }
    });
    let typing = ctx.memory(|memory| memory.focused().is_some());
    let Some((call_id, patch)) = approval.filter(|_| !typing) else {
        return;
    };
    for key in [Key::Y, Key::A, Key::N] {
        if ctx.input_mut(|input| input.consume_key(Modifiers::NONE, key))
            && let Some(decision) = decision_for_key(key)
        {
            commands.push(UiCommand::Answer {
                call_id: call_id.clone(),
                patch,
                decision,
            });
        }
    }
}

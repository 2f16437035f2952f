//! Telling the user a session needs them when they are not looking at it: a turn
//! that ended or failed, or an approval waiting, while the window is in the
//! background or another session is shown, gets a system notification (and, in the
//! background, the window asks for attention). Sessions that did so and have not
//! been looked at since are counted in the window's title ("zspark (2)"), the one
//! count every platform's window shows.

use std::collections::BTreeSet;

use codex_protocol::EventMsg;
use zspark_core::SessionKey;

use super::app::DesktopApp;
use super::session::SessionView;

/// The window title with nobody waiting.
pub const WINDOW_TITLE: &str = "zspark";

/// The sessions that asked for the user since they last looked, and the title the
/// window was last given.
#[derive(Default)]
pub struct Attention {
    waiting: BTreeSet<SessionKey>,
    title: Option<String>,
}

impl Attention {
    /// How many sessions wait for the user.
    pub fn count(&self) -> usize {
        self.waiting.len()
    }
}

/// What to tell the user about `msg` in session `view`, if it is worth a notification.
fn notice(view: &SessionView, msg: &EventMsg) -> Option<String> {
    let title = view.title();
    match msg {
        EventMsg::ExecApprovalRequest(_)
        | EventMsg::ApplyPatchApprovalRequest(_)
        | EventMsg::McpToolApprovalRequest(_) => {
            Some(format!("\u{201c}{title}\u{201d} needs your approval."))
        }
        // A sub-agent's turns end often; its parent's end is what the user waits for.
        EventMsg::TurnComplete { .. } if view.parent.is_none() => {
            Some(format!("\u{201c}{title}\u{201d} is done."))
        }
        EventMsg::TurnFailed { message, .. } if view.parent.is_none() => {
            Some(format!("\u{201c}{title}\u{201d} failed: {message}"))
        }
        _ => None,
    }
}

impl DesktopApp {
    /// Notifies about `msg` of session `session` when the user is not looking at it.
    pub(super) fn call_attention(&mut self, session: SessionKey, msg: &EventMsg) {
        let Some(text) = self
            .model
            .sessions
            .get(&session)
            .and_then(|view| notice(view, msg))
        else {
            return;
        };
        let focused = self.ctx.input(|input| input.focused);
        if focused && self.model.shown == Some(session) {
            return;
        }
        self.notifier.notify("zspark", &text);
        self.attention.waiting.insert(session);
        if !focused {
            self.ctx
                .send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
                    egui::UserAttentionType::Informational,
                ));
        }
    }

    /// Once a frame: the session shown in a focused window has been seen, closed ones
    /// no longer wait, and the title says how many do.
    pub(super) fn keep_title(&mut self) {
        if self.ctx.input(|input| input.focused)
            && let Some(shown) = self.model.shown
        {
            self.attention.waiting.remove(&shown);
        }
        let sessions = &self.model.sessions;
        self.attention
            .waiting
            .retain(|session| sessions.contains_key(session));
        let title = match self.attention.count() {
            0 => WINDOW_TITLE.to_string(),
            waiting => format!("{WINDOW_TITLE} ({waiting})"),
        };
        if self.attention.title.as_ref() != Some(&title) {
            self.ctx
                .send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.attention.title = Some(title);
        }
    }
}

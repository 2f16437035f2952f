//! Commands about the message being written: sending it (after the rollback an edit
//! asks for), the edit itself, its attachments and skill.

use codex_protocol::{InputItem, Op};
use zspark_core::Attachment;

use super::super::app::DesktopApp;
use super::super::commands::ComposerCommand;
use super::super::model::Tone;

impl DesktopApp {
    pub(in super::super) fn apply_composer(&mut self, command: ComposerCommand) {
        let Some(session) = self.model.shown else {
            if command == ComposerCommand::Send {
                self.model.banner(
                    Tone::Info,
                    "Start a session first: press New session and choose a folder.",
                );
            }
            return;
        };
        match command {
            ComposerCommand::Send => self.send_draft(),
            ComposerCommand::CancelEdit => {
                let draft = self.panels.composer.draft_mut(session);
                draft.edit_from = None;
                draft.text.clear();
            }
            ComposerCommand::RemoveAttachment(index) => {
                let draft = self.panels.composer.draft_mut(session);
                if index < draft.attachments.len() {
                    draft.attachments.remove(index);
                }
            }
            ComposerCommand::UseSkill(skill) => {
                self.panels.composer.draft_mut(session).skill = Some(skill);
                self.panels.composer.focus = true;
            }
            ComposerCommand::ClearSkill => self.panels.composer.draft_mut(session).skill = None,
            ComposerCommand::AskToDrive => self.ask_to_drive(),
            ComposerCommand::CancelQueued => self.cancel_queued(),
        }
    }

    /// Sends the shown session's draft as its next turn.
    fn send_draft(&mut self) {
        let Some(view) = self.model.session() else {
            return;
        };
        let session = view.number;
        let running = view.is_running();
        let draft = self.panels.composer.draft_mut(session);
        if draft.is_empty() {
            return;
        }
        if running {
            self.model.banner(
                Tone::Info,
                "The agent is still working. Stop it (Esc) or wait for it to finish.",
            );
            return;
        }
        if draft.attaching > 0 {
            self.model.banner(
                Tone::Info,
                "Attachments are still being prepared; send again in a moment.",
            );
            return;
        }
        let mut text = draft.text.trim().to_string();
        let skill = draft.skill.take();
        let replaces = draft.edit_from.take();
        let attachments = std::mem::take(&mut draft.attachments);
        draft.text.clear();
        if text.is_empty()
            && let Some(skill) = &skill
        {
            // A message must start with the user's words to be shown as theirs.
            text = skill
                .default_prompt
                .clone()
                .unwrap_or_else(|| format!("Use the {} skill.", skill.name));
        }
        let mut items = Vec::new();
        if !text.is_empty() {
            items.push(InputItem::Text { text });
        }
        items.extend(skill.map(|skill| InputItem::Skill {
            name: skill.name,
            path: skill.path,
        }));
        items.extend(attachments.iter().map(Attachment::input_item));
        if let Some(from_turn) = replaces {
            self.submit(session, Op::Rollback { from_turn });
        }
        self.drive(session, items);
    }

    /// Starts a turn of `session` with `items`, with the choices made for it.
    pub(in super::super) fn start_turn(
        &mut self,
        session: zspark_core::SessionKey,
        items: Vec<InputItem>,
    ) {
        let Some(view) = self.model.sessions.get_mut(&session) else {
            return;
        };
        let mut overrides = std::mem::take(&mut view.pending_overrides);
        overrides.model = view.model_override.clone();
        overrides.effort = view.effort_override;
        view.last_input = Some(items.clone());
        view.turn_started = Some(std::time::Instant::now());
        self.take_lease(session);
        self.submit(session, Op::UserTurn { items, overrides });
    }
}

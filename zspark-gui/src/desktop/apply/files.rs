//! Commands about files: attaching (picked, dropped, pasted) to the shown session's
//! next message, opening, revealing and saving artifacts, listing skills.

use std::path::PathBuf;

use zspark_core::{EngineCommand, FileCommand, SessionKey};

use super::super::app::DesktopApp;
use super::super::commands::FilesCommand;
use super::super::model::Tone;

impl DesktopApp {
    pub(in super::super) fn apply_files(&mut self, ctx: &egui::Context, command: FilesCommand) {
        let workspace = self.model.session().map(|session| session.cwd.clone());
        match command {
            FilesCommand::Attach => match workspace {
                Some(workspace) => self.dialogs.pick_files(ctx, workspace),
                None => self.model.banner(
                    Tone::Info,
                    "Open or start a session first; attachments go to its folder.",
                ),
            },
            FilesCommand::AttachPaths(files) => self.attach(files),
            FilesCommand::PasteImage(image) => self.attach_pasted(&image),
            FilesCommand::Open(path) => {
                if let Some(workspace) = workspace {
                    self.send(EngineCommand::File(FileCommand::Open { workspace, path }));
                }
            }
            FilesCommand::Reveal(path) => {
                if let Some(workspace) = workspace {
                    self.send(EngineCommand::File(FileCommand::Reveal { workspace, path }));
                }
            }
            FilesCommand::SaveAs(path) => {
                let home = self.model.home.clone();
                let start_in = home
                    .as_ref()
                    .map(|home| home.join("Downloads"))
                    .filter(|downloads| downloads.is_dir())
                    .or(home)
                    .unwrap_or_default();
                self.dialogs.save_file(ctx, path, start_in);
            }
            FilesCommand::RefreshSkills => {
                if let Some(cwd) = workspace {
                    self.send(EngineCommand::File(FileCommand::ListSkills { cwd }));
                }
            }
        }
    }

    /// Asks the engine to prepare `files` for the shown session's next message.
    pub(in super::super) fn attach(&mut self, files: Vec<PathBuf>) {
        if files.is_empty() {
            return;
        }
        let Some(view) = self.model.session() else {
            self.model.banner(
                Tone::Info,
                "Open or start a session first; attachments go to its folder.",
            );
            return;
        };
        let session = view.number;
        self.attach_to(session, files);
    }

    /// Prepares `files` to go with open session `session`'s next message.
    pub(in super::super) fn attach_to(&mut self, session: SessionKey, files: Vec<PathBuf>) {
        let Some(view) = self.model.sessions.get(&session) else {
            return;
        };
        let workspace = view.cwd.clone();
        let count = files.len();
        if self.try_send(EngineCommand::File(FileCommand::Attach {
            session,
            workspace,
            files,
        })) {
            self.panels.composer.draft_mut(session).attaching += count;
        }
    }

    /// Sends a pasted image to the engine to be saved as a PNG attachment.
    fn attach_pasted(&mut self, image: &egui::ColorImage) {
        let Some(view) = self.model.session() else {
            self.model.banner(
                Tone::Info,
                "Open or start a session first; pasted images go to its folder.",
            );
            return;
        };
        let (session, workspace) = (view.number, view.cwd.clone());
        let rgba: Vec<u8> = image
            .pixels
            .iter()
            .flat_map(|pixel| pixel.to_srgba_unmultiplied())
            .collect();
        let (Ok(width), Ok(height)) = (u32::try_from(image.width()), u32::try_from(image.height()))
        else {
            return;
        };
        if self.try_send(EngineCommand::File(FileCommand::AttachPastedImage {
            session,
            workspace,
            name: "pasted-image.png".to_string(),
            width,
            height,
            rgba: rgba.into(),
        })) {
            self.panels.composer.draft_mut(session).attaching += 1;
        }
    }
}

//! Files that arrive through the window rather than a dialog: files dropped on it and
//! images pasted into it (egui reports a paste with no text but an image as
//! `Event::PasteImage`). Both become the same commands the attach button leads to.

use super::commands::{Commands, FilesCommand};

/// Adds this frame's dropped files and pasted images to `commands`.
pub fn collect(ctx: &egui::Context, commands: &mut Commands) {
    ctx.input(|input| {
        let dropped: Vec<_> = input
            .raw
            .dropped_files
            .iter()
            .map(|file| file.path().to_path_buf())
            .collect();
        if !dropped.is_empty() {
            commands.push(FilesCommand::AttachPaths(dropped));
        }
        for event in &input.events {
            if let egui::Event::PasteImage(image) = event {
                commands.push(FilesCommand::PasteImage(image.clone()));
            }
        }
    });
}

/// Whether files are being dragged over the window (to show where they go).
pub fn files_hovering(ctx: &egui::Context) -> bool {
    ctx.input(|input| !input.raw.hovered_files.is_empty())
}

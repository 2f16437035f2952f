//! The engine's file and skill commands: preparing attachments, opening, revealing and
//! saving artifacts, and listing the skills a folder's sessions can use. Each runs on a
//! blocking thread and answers with one event, so the front-end never touches the disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codex_core::context::{SkillRoots, discover_skills};

use super::{EngineEvent, EngineSetup, Outbox, SessionKey};
use crate::artifacts::{self, LaunchError, resolve_inside};
use crate::attachments;

/// Work on files and skills; each answers with one event.
#[derive(Debug, Clone, PartialEq)]
pub enum FileCommand {
    /// Prepare `files` for the next message of session `session`, which works in
    /// `workspace`; answered by [`EngineEvent::Attached`] with one result per file.
    Attach {
        session: SessionKey,
        workspace: PathBuf,
        files: Vec<PathBuf>,
    },
    /// Save a pasted image (RGBA pixels) as a PNG attachment; answered by
    /// [`EngineEvent::Attached`].
    AttachPastedImage {
        session: SessionKey,
        workspace: PathBuf,
        name: String,
        width: u32,
        height: u32,
        rgba: Arc<[u8]>,
    },
    /// Open an artifact inside `workspace` with the system's handler; answered only by
    /// [`EngineEvent::Problem`] when that cannot be done.
    Open { workspace: PathBuf, path: PathBuf },
    /// Show an artifact inside `workspace` in the file manager; like [`FileCommand::Open`].
    Reveal { workspace: PathBuf, path: PathBuf },
    /// Copy an artifact inside `workspace` to `destination`; answered by
    /// [`EngineEvent::FileSaved`] or [`EngineEvent::Problem`].
    SaveAs {
        workspace: PathBuf,
        path: PathBuf,
        destination: PathBuf,
    },
    /// Discover the skills sessions in `cwd` can use; answered by
    /// [`EngineEvent::Skills`].
    ListSkills { cwd: PathBuf },
}

/// Carries out `work` off the run loop and reports the result.
pub(super) fn spawn(work: FileCommand, setup: &EngineSetup, outbox: &Outbox) {
    let setup = setup.clone();
    let outbox = outbox.clone();
    tokio::spawn(async move {
        let event = tokio::task::spawn_blocking(move || carry_out(work, &setup))
            .await
            .unwrap_or_else(|error| {
                Some(EngineEvent::Problem(format!("a file task failed: {error}")))
            });
        if let Some(event) = event {
            outbox.send(event).await;
        }
    });
}

fn carry_out(work: FileCommand, setup: &EngineSetup) -> Option<EngineEvent> {
    match work {
        FileCommand::Attach {
            session,
            workspace,
            files,
        } => Some(EngineEvent::Attached {
            session,
            results: files
                .iter()
                .map(|file| {
                    attachments::attach_file(&workspace, file).map_err(|error| error.to_string())
                })
                .collect(),
        }),
        FileCommand::AttachPastedImage {
            session,
            workspace,
            name,
            width,
            height,
            rgba,
        } => Some(EngineEvent::Attached {
            session,
            results: vec![
                attachments::attach_pasted_image(&workspace, &name, width, height, &rgba)
                    .map_err(|error| error.to_string()),
            ],
        }),
        FileCommand::Open { workspace, path } => {
            launch(&workspace, &path, |real| setup.launcher.open(real))
        }
        FileCommand::Reveal { workspace, path } => {
            launch(&workspace, &path, |real| setup.launcher.reveal(real))
        }
        FileCommand::SaveAs {
            workspace,
            path,
            destination,
        } => Some(
            match artifacts::save_copy(&workspace, &path, &destination) {
                Ok(destination) => EngineEvent::FileSaved { destination },
                Err(error) => EngineEvent::Problem(error.to_string()),
            },
        ),
        FileCommand::ListSkills { cwd } => {
            let home = setup.env.get("HOME").map(PathBuf::from);
            let roots = SkillRoots::standard(&setup.codex_home, home.as_deref(), &cwd);
            Some(EngineEvent::Skills {
                catalog: discover_skills(&roots),
                cwd,
            })
        }
    }
}

/// Opens or shows the artifact at `path` once it is known to lie inside `workspace`;
/// the problem to show when either step fails.
fn launch(
    workspace: &Path,
    path: &Path,
    with_launcher: impl FnOnce(&Path) -> Result<(), LaunchError>,
) -> Option<EngineEvent> {
    let problem = match resolve_inside(workspace, path) {
        Ok(real) => with_launcher(&real).err()?.to_string(),
        Err(error) => error.to_string(),
    };
    Some(EngineEvent::Problem(problem))
}

//! Native file dialogs (rfd), behind [`FileDialogs`] so tests substitute them. A
//! dialog runs on a thread of its own and its answer comes back through a channel the
//! app drains each frame, so an open dialog never stops the window from drawing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use zspark_api::Artifact;
use zspark_core::sharing::SharedSessionAddress;

/// A dialog "cancelled" sooner than this never showed: no person answers that fast.
const TOO_QUICK_TO_BE_A_PERSON: Duration = Duration::from_millis(250);

/// Asks the user for files. Calls block until the user answers; the app makes them
/// on a background thread.
pub trait FileDialogs: Send + Sync {
    /// Files to attach, or none when the user cancels.
    fn pick_files(&self, start_in: &Path) -> Vec<PathBuf>;
    /// Where to save a copy of a file called `file_name`, or `None` when cancelled.
    fn save_file(&self, start_in: &Path, file_name: &str) -> Option<PathBuf>;
    /// A folder, asked for with `title`, or `None` when cancelled.
    fn pick_folder(&self, start_in: &Path, title: &str) -> Option<PathBuf>;
}

/// The system's dialogs (the XDG desktop portal on Linux, which needs a portal
/// service; without one the dialog answers "cancelled" and the app says so).
pub struct NativeDialogs;

impl FileDialogs for NativeDialogs {
    fn pick_files(&self, start_in: &Path) -> Vec<PathBuf> {
        let picked = rfd::AsyncFileDialog::new()
            .set_title("Attach files")
            .set_directory(start_in)
            .pick_files();
        pollster::block_on(picked)
            .unwrap_or_default()
            .into_iter()
            .map(|handle| handle.path().to_path_buf())
            .collect()
    }

    fn save_file(&self, start_in: &Path, file_name: &str) -> Option<PathBuf> {
        let chosen = rfd::AsyncFileDialog::new()
            .set_title("Save a copy")
            .set_directory(start_in)
            .set_file_name(file_name)
            .save_file();
        pollster::block_on(chosen).map(|handle| handle.path().to_path_buf())
    }

    fn pick_folder(&self, start_in: &Path, title: &str) -> Option<PathBuf> {
        let chosen = rfd::AsyncFileDialog::new()
            .set_title(title)
            .set_directory(start_in)
            .pick_folder();
        pollster::block_on(chosen).map(|handle| handle.path().to_path_buf())
    }
}

/// What a dialog answered.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogAnswer {
    /// Files picked to attach (empty when cancelled).
    Attach(Vec<PathBuf>),
    /// Where to save `artifact` (`None` when cancelled).
    SaveTo {
        artifact: PathBuf,
        destination: Option<PathBuf>,
    },
    /// The folder to continue shared session `address` in (`None` when cancelled).
    ContinueIn {
        address: SharedSessionAddress,
        folder: Option<PathBuf>,
    },
    /// Where to download workspace file `artifact` to (`None` when cancelled).
    DownloadTo {
        artifact: Box<Artifact>,
        destination: Option<PathBuf>,
    },
    /// The folder a new session is to work in (`None` when cancelled).
    WorkIn(Option<PathBuf>),
    /// The system has no file dialog to show (on Linux: no XDG desktop portal).
    Unavailable,
}

impl DialogAnswer {
    fn is_cancel(&self) -> bool {
        match self {
            Self::Attach(files) => files.is_empty(),
            Self::SaveTo { destination, .. } => destination.is_none(),
            Self::ContinueIn { folder, .. } => folder.is_none(),
            Self::DownloadTo { destination, .. } => destination.is_none(),
            Self::WorkIn(folder) => folder.is_none(),
            Self::Unavailable => false,
        }
    }
}

/// Runs dialogs off the UI thread and hands their answers back.
pub struct DialogRunner {
    dialogs: Arc<dyn FileDialogs>,
    answers_tx: Sender<DialogAnswer>,
    answers: Receiver<DialogAnswer>,
    /// Whether a dialog is open (one at a time).
    open: bool,
}

impl DialogRunner {
    pub fn new(dialogs: Arc<dyn FileDialogs>) -> Self {
        let (answers_tx, answers) = channel();
        Self {
            dialogs,
            answers_tx,
            answers,
            open: false,
        }
    }

    /// Opens the "attach files" dialog.
    pub fn pick_files(&mut self, ctx: &egui::Context, start_in: PathBuf) {
        self.run(ctx, move |dialogs| {
            DialogAnswer::Attach(dialogs.pick_files(&start_in))
        });
    }

    /// Opens the "save a copy" dialog for `artifact`.
    pub fn save_file(&mut self, ctx: &egui::Context, artifact: PathBuf, start_in: PathBuf) {
        self.run(ctx, move |dialogs| {
            let name = artifact
                .file_name()
                .map(|name| name.to_string_lossy().to_string())
                .unwrap_or_default();
            let destination = dialogs.save_file(&start_in, &name);
            DialogAnswer::SaveTo {
                artifact,
                destination,
            }
        });
    }

    /// Asks for the folder to continue shared session `address` in.
    pub fn continue_in(
        &mut self,
        ctx: &egui::Context,
        address: SharedSessionAddress,
        start_in: PathBuf,
    ) {
        self.run(ctx, move |dialogs| DialogAnswer::ContinueIn {
            folder: dialogs.pick_folder(
                &start_in,
                "Continue in which folder? (your checkout of the session's project)",
            ),
            address,
        });
    }

    /// Asks for the folder a new session works in.
    pub fn work_in(&mut self, ctx: &egui::Context, start_in: PathBuf) {
        self.run(ctx, move |dialogs| {
            DialogAnswer::WorkIn(dialogs.pick_folder(&start_in, "The agent works in this folder"))
        });
    }

    /// Asks where to download workspace file `artifact` to.
    pub fn download_to(&mut self, ctx: &egui::Context, artifact: Artifact, start_in: PathBuf) {
        self.run(ctx, move |dialogs| DialogAnswer::DownloadTo {
            destination: dialogs.save_file(&start_in, &artifact.name),
            artifact: Box::new(artifact),
        });
    }

    /// The answers that arrived since the last call.
    pub fn answers(&mut self) -> Vec<DialogAnswer> {
        let answers: Vec<DialogAnswer> = self.answers.try_iter().collect();
        if !answers.is_empty() {
            self.open = false;
        }
        answers
    }

    fn run(
        &mut self,
        ctx: &egui::Context,
        ask: impl FnOnce(&dyn FileDialogs) -> DialogAnswer + Send + 'static,
    ) {
        if self.open {
            return;
        }
        self.open = true;
        let dialogs = self.dialogs.clone();
        let answers = self.answers_tx.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("zspark-dialog".to_string())
            .spawn(move || {
                let asked = Instant::now();
                let mut answer = ask(dialogs.as_ref());
                if answer.is_cancel() && asked.elapsed() < TOO_QUICK_TO_BE_A_PERSON {
                    answer = DialogAnswer::Unavailable;
                }
                let _ = answers.send(answer);
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.open = false;
        }
    }
}

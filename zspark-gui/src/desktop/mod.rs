//! The egui/eframe desktop: window set-up, the application, its views and the design
//! system. The runtime runs in-process on the engine's own threads (see
//! `zspark_core::Engine`); the UI thread only sends commands and drains events.

mod app;
mod apply;
mod attention;
mod commands;
mod dialogs;
mod events;
mod file_input;
mod model;
mod notify;
mod prefs;
mod review;
mod session;
mod shortcuts;
mod terminal;
mod theme;
mod usage;
mod views;

pub use app::{DesktopApp, DesktopSetup};
pub use dialogs::{FileDialogs, NativeDialogs};
pub use model::{ReadSession, RoomView, SharedPage};
pub use notify::{Notifier, SystemNotifier};
pub use prefs::{
    FolderPolicy, Prefs, SharedIdentityPrefs, SharedServerPrefs, ThemeChoice, price_key,
};
pub use review::{Confirm, ReviewScope, ReviewState};
pub use session::{SessionStatus, SessionView};
pub use usage::{ModelPrice, TurnTokens, Usage};

use std::sync::Arc;

use zspark_auth::signin::SystemBrowser;
use zspark_core::{EngineSetup, SecretBackend, SystemLauncher};

/// Why the desktop could not run.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// No Codex home directory could be found or made.
    #[error(transparent)]
    CodexHome(#[from] zspark_core::ConfigError),
    /// The window could not be opened (no display, no graphics driver).
    #[error(transparent)]
    Window(#[from] eframe::Error),
}

/// Opens the desktop window and runs until it is closed.
pub fn run() -> Result<(), DesktopError> {
    let env: zspark_core::Env = std::env::vars().collect();
    let codex_home = zspark_core::find_codex_home(&env)?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(attention::WINDOW_TITLE)
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        "zspark",
        options,
        Box::new(move |creation| {
            let prefs = creation
                .storage
                .and_then(|storage| eframe::get_value(storage, prefs::STORAGE_KEY))
                .unwrap_or_default();
            let setup = DesktopSetup {
                engine: EngineSetup {
                    codex_home,
                    env,
                    secrets: SecretBackend::Keychain,
                    launcher: Arc::new(SystemLauncher),
                    browser: Arc::new(SystemBrowser),
                },
                prefs,
                dialogs: Arc::new(NativeDialogs),
                notifier: Arc::new(SystemNotifier),
            };
            Ok(Box::new(DesktopApp::new(&creation.egui_ctx, setup)?))
        }),
    )?;
    Ok(())
}

//! What the desktop remembers between runs apart from the runtime's own data: panel
//! layout, theme, recent folders, the profile last used, the approval policy, sandbox
//! mode, model and reasoning effort chosen for each workspace folder, the shared-workspace
//! server, and the prices the user gave for models. Stored by eframe; every field has a default so an older
//! or damaged file never stops the app.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_protocol::{ApprovalPolicy, ReasoningEffort, SandboxMode};
use serde::{Deserialize, Serialize};
use zspark_auth::signin::SignInSettings;
use zspark_core::{SharedIdentity, SharedServer};

use super::usage::ModelPrice;

/// The eframe storage key.
pub const STORAGE_KEY: &str = "zspark-desktop";
/// Recent folders kept for the "new session" dialog.
const RECENT_FOLDERS: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub sidebar_open: bool,
    pub details_open: bool,
    pub theme: ThemeChoice,
    /// Set once the user has been through the first-run screen.
    pub onboarded: bool,
    pub recent_folders: Vec<PathBuf>,
    pub last_profile: Option<String>,
    pub folder_policies: BTreeMap<PathBuf, FolderPolicy>,
    /// The shared-workspace server to connect to at start.
    pub shared_server: Option<SharedServerPrefs>,
    /// Prices per model, by [`price_key`], for the cost of sessions.
    pub model_prices: BTreeMap<String, ModelPrice>,
}

/// The key a model's prices are kept under: a model may cost differently from
/// another provider.
pub fn price_key(provider_id: &str, model: &str) -> String {
    format!("{provider_id}/{model}")
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            sidebar_open: true,
            details_open: true,
            theme: ThemeChoice::System,
            onboarded: false,
            recent_folders: Vec::new(),
            last_profile: None,
            folder_policies: BTreeMap::new(),
            shared_server: None,
            model_prices: BTreeMap::new(),
        }
    }
}

impl Prefs {
    /// Moves `folder` to the front of the recent folders.
    pub fn remember_folder(&mut self, folder: &Path) {
        self.recent_folders.retain(|known| known != folder);
        self.recent_folders.insert(0, folder.to_path_buf());
        self.recent_folders.truncate(RECENT_FOLDERS);
    }

    pub fn policy_for(&self, folder: &Path) -> FolderPolicy {
        self.folder_policies
            .get(folder)
            .cloned()
            .unwrap_or_default()
    }
}

/// The approval policy, sandbox mode, model and reasoning effort for one folder;
/// `None` follows `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FolderPolicy {
    pub approval: Option<ApprovalPolicy>,
    pub sandbox: Option<SandboxMode>,
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
    /// New sessions start in a git worktree of their own.
    pub worktree: bool,
}

/// A shared-workspace server as remembered (no secrets: tokens live in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedServerPrefs {
    pub url: String,
    pub identity: SharedIdentityPrefs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SharedIdentityPrefs {
    SignIn {
        authority: String,
        client_id: String,
        api_scope: String,
    },
    Development {
        user: String,
    },
}

impl SharedServerPrefs {
    pub fn server(&self) -> SharedServer {
        SharedServer {
            url: self.url.clone(),
            identity: match &self.identity {
                SharedIdentityPrefs::SignIn {
                    authority,
                    client_id,
                    api_scope,
                } => SharedIdentity::SignIn(SignInSettings {
                    authority: authority.clone(),
                    client_id: client_id.clone(),
                    api_scope: api_scope.clone(),
                }),
                SharedIdentityPrefs::Development { user } => {
                    SharedIdentity::Development { user: user.clone() }
                }
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    System,
    Light,
    Dark,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_folders_stay_unique_newest_first_and_bounded() {
        let mut prefs = Prefs::default();
        for n in 0..10 {
            prefs.remember_folder(Path::new(&format!("/p/{n}")));
        }
        prefs.remember_folder(Path::new("/p/5"));
        assert_eq!(prefs.recent_folders.len(), RECENT_FOLDERS);
        assert_eq!(prefs.recent_folders[0], PathBuf::from("/p/5"));
        assert_eq!(
            prefs
                .recent_folders
                .iter()
                .filter(|f| *f == Path::new("/p/5"))
                .count(),
            1
        );
    }

    #[test]
    fn damaged_or_partial_stored_prefs_fall_back_to_defaults() {
        let partial: Prefs = serde_json::from_str(r#"{"sidebar_open": false}"#).unwrap();
        assert!(!partial.sidebar_open && partial.details_open);
        assert!(serde_json::from_str::<Prefs>("[1,2]").is_err());
    }
}

//! The local session catalogue: every rollout under `$CODEX_HOME/sessions` (the
//! desktop's, `zspark exec`'s and the Codex CLI's alike), grouped by the folder it ran
//! in, newest first, and searchable by title.

use std::path::{Path, PathBuf};

use codex_core::rollout::{SessionSummary, list_sessions};

/// Sessions that ran in one folder.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderGroup {
    /// `None` for sessions that did not record a folder.
    pub folder: Option<PathBuf>,
    /// Newest first.
    pub sessions: Vec<SessionSummary>,
}

impl FolderGroup {
    /// The folder as the sidebar shows it (see [`folder_label`]).
    pub fn label(&self, home: Option<&Path>) -> String {
        match &self.folder {
            None => "Unknown folder".to_string(),
            Some(folder) => folder_label(folder, home),
        }
    }

    /// Whether the folder is gone (sessions there can be read but not continued there).
    pub fn folder_missing(&self) -> bool {
        self.folder.as_ref().is_some_and(|folder| !folder.is_dir())
    }
}

/// A folder as people read it: `~/…` inside `home`, else the full path.
pub fn folder_label(folder: &Path, home: Option<&Path>) -> String {
    match home.and_then(|home| folder.strip_prefix(home).ok()) {
        Some(relative) if relative.as_os_str().is_empty() => "~".to_string(),
        Some(relative) => format!("~/{}", relative.display()),
        None => folder.display().to_string(),
    }
}

/// All local sessions, grouped; the group with the newest session first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionCatalogue {
    pub groups: Vec<FolderGroup>,
}

impl SessionCatalogue {
    /// Reads `$CODEX_HOME/sessions` (blocking: call it off the UI thread).
    pub fn load(codex_home: &Path) -> Self {
        Self::from_sessions(list_sessions(codex_home))
    }

    /// Groups `sessions`, which are newest first.
    pub fn from_sessions(sessions: Vec<SessionSummary>) -> Self {
        let mut groups: Vec<FolderGroup> = Vec::new();
        for session in sessions {
            match groups.iter_mut().find(|group| group.folder == session.cwd) {
                Some(group) => group.sessions.push(session),
                None => groups.push(FolderGroup {
                    folder: session.cwd.clone(),
                    sessions: vec![session],
                }),
            }
        }
        Self { groups }
    }

    pub fn len(&self) -> usize {
        self.groups.iter().map(|group| group.sessions.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The sessions whose title (or folder) contains every word of `query`, ignoring
    /// case; groups left empty are dropped.
    pub fn filtered(&self, query: &str) -> Self {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return self.clone();
        }
        let groups = self
            .groups
            .iter()
            .filter_map(|group| {
                let folder = group
                    .folder
                    .as_ref()
                    .map(|folder| folder.display().to_string().to_lowercase())
                    .unwrap_or_default();
                let sessions: Vec<SessionSummary> = group
                    .sessions
                    .iter()
                    .filter(|session| {
                        let title = session.title.to_lowercase();
                        words
                            .iter()
                            .all(|word| title.contains(word) || folder.contains(word))
                    })
                    .cloned()
                    .collect();
                (!sessions.is_empty()).then(|| FolderGroup {
                    folder: group.folder.clone(),
                    sessions,
                })
            })
            .collect();
        Self { groups }
    }

    /// The session stored at `path`.
    pub fn find(&self, path: &Path) -> Option<&SessionSummary> {
        self.groups
            .iter()
            .flat_map(|group| &group.sessions)
            .find(|session| session.path == path)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn session(title: &str, cwd: Option<&str>, age_seconds: u64) -> SessionSummary {
        SessionSummary {
            path: PathBuf::from(format!("/sessions/{title}.jsonl")),
            session_id: title.to_string(),
            cwd: cwd.map(PathBuf::from),
            title: title.to_string(),
            started_at: None,
            updated_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 - age_seconds),
            source: None,
            model_provider: None,
        }
    }

    #[test]
    fn groups_by_folder_newest_first_and_filters_by_words() {
        let catalogue = SessionCatalogue::from_sessions(vec![
            session("Fix the flaky test", Some("/home/a/proj-b"), 1),
            session("Add a README", Some("/home/a/proj-a"), 2),
            session("Refactor the parser", Some("/home/a/proj-b"), 3),
            session("Old thing", None, 4),
        ]);
        let shape: Vec<(String, Vec<&str>)> = catalogue
            .groups
            .iter()
            .map(|group| {
                (
                    group.label(Some(Path::new("/home/a"))),
                    group.sessions.iter().map(|s| s.title.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "~/proj-b".to_string(),
                    vec!["Fix the flaky test", "Refactor the parser"]
                ),
                ("~/proj-a".to_string(), vec!["Add a README"]),
                ("Unknown folder".to_string(), vec!["Old thing"]),
            ]
        );
        assert_eq!(catalogue.len(), 4);

        let found = catalogue.filtered("  the PARSER ");
        assert_eq!(found.len(), 1);
        assert_eq!(found.groups[0].sessions[0].title, "Refactor the parser");
        assert_eq!(
            catalogue.filtered("proj-a").len(),
            1,
            "folder names match too"
        );
        assert!(catalogue.filtered("nothing like this").is_empty());
        assert_eq!(catalogue.filtered("").len(), 4);
    }
}

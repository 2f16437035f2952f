//! The local session catalogue: every rollout under `$CODEX_HOME/sessions` (the
//! desktop's, `zspark exec`'s and the Codex CLI's alike), grouped by the folder it ran
//! in, newest first, and searchable by title. A sub-agent's session is listed under
//! its parent's, not beside it.

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
    /// The sessions that are no sub-agent's (or whose parent is gone), by folder.
    pub groups: Vec<FolderGroup>,
    /// Sub-agents' sessions whose parent is listed, newest first.
    pub sub_agents: Vec<SessionSummary>,
}

impl SessionCatalogue {
    /// Reads `$CODEX_HOME/sessions` (blocking: call it off the UI thread).
    pub fn load(codex_home: &Path) -> Self {
        Self::from_sessions(list_sessions(codex_home))
    }

    /// Groups `sessions`, which are newest first.
    pub fn from_sessions(sessions: Vec<SessionSummary>) -> Self {
        let ids: std::collections::HashSet<String> = sessions
            .iter()
            .map(|session| session.session_id.clone())
            .collect();
        let (sub_agents, roots): (Vec<SessionSummary>, Vec<SessionSummary>) =
            sessions.into_iter().partition(|session| {
                session
                    .parent_thread_id
                    .as_ref()
                    .is_some_and(|parent| ids.contains(parent))
            });
        let mut groups: Vec<FolderGroup> = Vec::new();
        for session in roots {
            match groups.iter_mut().find(|group| group.folder == session.cwd) {
                Some(group) => group.sessions.push(session),
                None => groups.push(FolderGroup {
                    folder: session.cwd.clone(),
                    sessions: vec![session],
                }),
            }
        }
        Self { groups, sub_agents }
    }

    /// The sub-agents session `session_id` started, newest first.
    pub fn children_of(&self, session_id: &str) -> Vec<&SessionSummary> {
        self.sub_agents
            .iter()
            .filter(|child| child.parent_thread_id.as_deref() == Some(session_id))
            .collect()
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
        Self {
            groups,
            sub_agents: self.sub_agents.clone(),
        }
    }

    /// The session stored at `path`.
    pub fn find(&self, path: &Path) -> Option<&SessionSummary> {
        self.groups
            .iter()
            .flat_map(|group| &group.sessions)
            .chain(&self.sub_agents)
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
            parent_thread_id: None,
            agent_nickname: None,
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

    #[test]
    fn sub_agents_are_listed_under_their_parent() {
        let child = |title: &str, parent: &str| SessionSummary {
            parent_thread_id: Some(parent.to_string()),
            agent_nickname: Some(format!("{title} nick")),
            ..session(title, Some("/w"), 0)
        };
        let catalogue = SessionCatalogue::from_sessions(vec![
            child("helper", "Parent"),
            child("orphan", "gone"),
            session("Parent", Some("/w"), 5),
        ]);
        let roots: Vec<&str> = catalogue.groups[0]
            .sessions
            .iter()
            .map(|s| s.title.as_str())
            .collect();
        assert_eq!(roots, ["orphan", "Parent"], "an orphan is not lost");
        let children: Vec<&str> = catalogue
            .children_of("Parent")
            .iter()
            .map(|s| s.title.as_str())
            .collect();
        assert_eq!(children, ["helper"]);
        assert!(
            catalogue
                .find(Path::new("/sessions/helper.jsonl"))
                .is_some()
        );
        assert_eq!(catalogue.len(), 2);
    }
}

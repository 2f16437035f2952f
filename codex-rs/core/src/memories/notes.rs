//! The user's ad-hoc notes, `extensions/ad_hoc/notes/YYYY-MM-DDTHH-MM-SS-<slug>.md`:
//! what they asked to be remembered, forgotten or corrected, verbatim. The model adds
//! them; the desktop lists, edits and deletes them, each change kept in the folder's
//! history first.

use std::path::PathBuf;
use std::time::SystemTime;

use chrono::{DateTime, Local};

use super::folder::{MemoryError, MemoryFolder};

/// One note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file_name: String,
    pub text: String,
    pub modified: SystemTime,
}

/// Checks a note's file name: `YYYY-MM-DDTHH-MM-SS-<slug>.md`, the slug of lowercase
/// letters, digits and dashes.
pub fn check_name(name: &str) -> Result<(), MemoryError> {
    let refuse = || {
        MemoryError::Invalid(format!(
            "filename '{name}' must use YYYY-MM-DDTHH-MM-SS-<slug>.md"
        ))
    };
    let stem = name.strip_suffix(".md").ok_or_else(refuse)?;
    let (stamp, slug) = (stem.get(..19).ok_or_else(refuse)?, &stem[19..]);
    let slug = slug.strip_prefix('-').ok_or_else(refuse)?;
    let stamp_ok = stamp.char_indices().all(|(at, c)| match at {
        4 | 7 | 13 | 16 => c == '-',
        10 => c == 'T',
        _ => c.is_ascii_digit(),
    });
    let slug_ok = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if stamp_ok && slug_ok {
        Ok(())
    } else {
        Err(refuse())
    }
}

/// A file name for a note written at `at` about `text`.
pub fn name_for(at: DateTime<Local>, text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(6)
        .map(str::to_ascii_lowercase)
        .collect();
    let slug = if words.is_empty() {
        "note".to_string()
    } else {
        words.join("-")
    };
    format!("{}-{slug}.md", at.format("%Y-%m-%dT%H-%M-%S"))
}

/// A file name for a note written now about `text`.
pub fn name_now(text: &str) -> String {
    name_for(Local::now(), text)
}

impl MemoryFolder {
    fn note_path(&self, name: &str) -> Result<PathBuf, MemoryError> {
        check_name(name)?;
        Ok(self.notes_dir().join(name))
    }

    /// Adds note `name` holding `text`; a note of that name is never replaced.
    pub fn add_note(&self, name: &str, text: &str) -> Result<(), MemoryError> {
        if text.trim().is_empty() {
            return Err(MemoryError::Invalid(
                "ad-hoc note must not be empty".to_string(),
            ));
        }
        let path = self.note_path(name)?;
        self.prepare()?;
        if path.exists() {
            return Err(MemoryError::Invalid(format!(
                "a note named '{name}' exists already; use another name"
            )));
        }
        std::fs::write(&path, text).map_err(|error| MemoryError::io("write", &path, error))?;
        self.snapshot(&format!("Add note {name}"))?;
        Ok(())
    }

    /// The notes, newest first.
    pub fn notes(&self) -> Result<Vec<Note>, MemoryError> {
        let dir = self.notes_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(MemoryError::io("read", &dir, error)),
        };
        let mut notes = Vec::new();
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().to_string();
            let path = entry.path();
            if !file_name.ends_with(".md") || !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|error| MemoryError::io("read", &path, error))?;
            let modified = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            notes.push(Note {
                file_name,
                text,
                modified,
            });
        }
        notes.sort_by(|a, b| b.file_name.cmp(&a.file_name));
        Ok(notes)
    }

    /// Replaces the text of note `name` (the old text stays in the history).
    pub fn edit_note(&self, name: &str, text: &str) -> Result<(), MemoryError> {
        if text.trim().is_empty() {
            return Err(MemoryError::Invalid(
                "a note cannot be empty; delete it instead".to_string(),
            ));
        }
        let path = self.existing_note(name)?;
        self.snapshot(&format!("Before editing note {name}"))?;
        std::fs::write(&path, text).map_err(|error| MemoryError::io("write", &path, error))?;
        self.snapshot(&format!("Edit note {name}"))?;
        Ok(())
    }

    /// Deletes note `name` (it stays in the history, so it can be brought back).
    pub fn delete_note(&self, name: &str) -> Result<(), MemoryError> {
        let path = self.existing_note(name)?;
        self.snapshot(&format!("Before deleting note {name}"))?;
        std::fs::remove_file(&path).map_err(|error| MemoryError::io("delete", &path, error))?;
        self.snapshot(&format!("Delete note {name}"))?;
        Ok(())
    }

    fn existing_note(&self, name: &str) -> Result<PathBuf, MemoryError> {
        let path = self.note_path(name)?;
        if !path.is_file() {
            return Err(MemoryError::Invalid(format!(
                "there is no note named '{name}'; it may have been deleted already"
            )));
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn note_names_follow_codex_s_pattern() {
        assert!(check_name("2026-12-02T10-11-12-prefers-tabs.md").is_ok());
        for bad in [
            "bad name.md",
            "2026-12-02T10-11-12.md",
            "2026-12-02T10-11-12-Tabs.md",
            "2026-12-02 10-11-12-tabs.md",
            "2026-12-02T10-11-12-tabs.txt",
            "../2026-12-02T10-11-12-x.md",
        ] {
            let error = check_name(bad).unwrap_err().to_string();
            assert_eq!(
                error,
                format!("filename '{bad}' must use YYYY-MM-DDTHH-MM-SS-<slug>.md")
            );
        }
        let at = Local.with_ymd_and_hms(2026, 12, 2, 9, 8, 7).unwrap();
        let name = name_for(at, "I prefer TABS, not spaces!");
        assert_eq!(name, "2026-12-02T09-08-07-i-prefer-tabs-not-spaces.md");
        assert!(check_name(&name).is_ok());
    }

    #[test]
    fn notes_are_added_listed_edited_and_deleted_with_history() {
        let home = tempfile::tempdir().unwrap();
        let folder = MemoryFolder::new(home.path().join("memories_v2"));
        let name = "2026-12-02T10-11-12-tabs.md";
        folder.add_note(name, "I prefer tabs").unwrap();
        assert!(folder.add_note(name, "again").is_err(), "never replaced");
        assert!(folder.add_note("2026-12-02T10-11-13-x.md", "  ").is_err());
        folder.edit_note(name, "I prefer tabs in Python").unwrap();
        let notes = folder.notes().unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].text, "I prefer tabs in Python");
        folder.delete_note(name).unwrap();
        assert!(folder.notes().unwrap().is_empty());
        let error = folder.delete_note(name).unwrap_err().to_string();
        assert!(error.contains("no note named"), "{error}");
        let history = folder.history().unwrap();
        assert_eq!(history[0].message, format!("Delete note {name}"));
        assert_eq!(
            folder
                .text_at(
                    &history[1].commit,
                    &format!("extensions/ad_hoc/notes/{name}")
                )
                .as_deref(),
            Some("I prefer tabs in Python"),
            "a deleted note can be brought back"
        );
    }
}

//! `$CODEX_HOME/history.jsonl`: one line per user prompt, across sessions, as Codex
//! keeps it (`{"session_id", "ts", "text"}`), following `[history] persistence` and
//! `max_bytes` (the oldest lines go first when the file grows past it).

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::config::HistoryPersistence;

pub fn history_file(codex_home: &Path) -> std::path::PathBuf {
    codex_home.join("history.jsonl")
}

/// Appends one prompt. The line is written with a single append, so concurrent
/// sessions do not interleave within a line.
pub fn append_prompt(
    codex_home: &Path,
    persistence: HistoryPersistence,
    max_bytes: Option<u64>,
    session_id: &str,
    text: &str,
) -> std::io::Result<()> {
    if persistence == HistoryPersistence::None || text.trim().is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(codex_home)?;
    let path = history_file(codex_home);
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let mut line = json!({"session_id": session_id, "ts": ts, "text": text}).to_string();
    line.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path)?.write_all(line.as_bytes())?;
    if let Some(max) = max_bytes {
        trim_to(&path, max)?;
    }
    Ok(())
}

/// Drops the oldest whole lines until the file fits in `max` bytes.
fn trim_to(path: &Path, max: u64) -> std::io::Result<()> {
    if std::fs::metadata(path)?.len() <= max {
        return Ok(());
    }
    let text = std::fs::read_to_string(path)?;
    let mut keep_from = 0;
    let mut size = text.len() as u64;
    for line in text.split_inclusive('\n') {
        if size <= max {
            break;
        }
        size -= line.len() as u64;
        keep_from += line.len();
    }
    let temporary = path.with_extension("jsonl.tmp");
    std::fs::write(&temporary, &text[keep_from..])?;
    std::fs::rename(temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(home: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(history_file(home))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn appends_in_codex_shape_and_respects_persistence() {
        let home = tempfile::tempdir().unwrap();
        append_prompt(
            home.path(),
            HistoryPersistence::SaveAll,
            None,
            "s1",
            "first",
        )
        .unwrap();
        append_prompt(
            home.path(),
            HistoryPersistence::SaveAll,
            None,
            "s1",
            "second\nline",
        )
        .unwrap();
        append_prompt(
            home.path(),
            HistoryPersistence::None,
            None,
            "s1",
            "not saved",
        )
        .unwrap();
        let saved = lines(home.path());
        assert_eq!(saved.len(), 2);
        assert_eq!(saved[0]["session_id"], "s1");
        assert_eq!(saved[1]["text"], "second\nline");
        assert!(saved[0]["ts"].as_u64().unwrap() > 1_700_000_000);
    }

    #[test]
    fn max_bytes_drops_the_oldest_lines() {
        let home = tempfile::tempdir().unwrap();
        for n in 0..20 {
            append_prompt(
                home.path(),
                HistoryPersistence::SaveAll,
                Some(300),
                "s",
                &format!("prompt {n}"),
            )
            .unwrap();
        }
        let saved = lines(home.path());
        assert!(std::fs::metadata(history_file(home.path())).unwrap().len() <= 300);
        assert_eq!(saved.last().unwrap()["text"], "prompt 19");
        assert!(saved.len() < 20 && saved.len() > 2);
    }
}

//! `memory_summary.md`: what Codex requires of it (the first line `v1`, then the
//! sections `## User Profile`, `## User preferences`, `## General Tips` and
//! `## What's in Memory` in that order, under 10 000 bytes) and the block that brings a
//! valid summary into a session, in our own words, between the marker lines Codex uses
//! and with its citation syntax, so summaries and front-ends of either work with both.

use std::path::Path;

/// Summaries at least this large are refused (about 2 500 tokens).
pub const MAX_SUMMARY_BYTES: usize = 10_000;
/// The sections a summary has, in order.
pub const SECTIONS: [&str; 4] = [
    "## User Profile",
    "## User preferences",
    "## General Tips",
    "## What's in Memory",
];
const BEGIN: &str = "========= MEMORY_SUMMARY BEGINS =========";
const END: &str = "========= MEMORY_SUMMARY ENDS =========";

/// Why a summary is not valid, said so that someone editing it knows the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryProblem {
    #[error("the first line must be exactly `v1`")]
    NoVersion,
    #[error("the section `{0}` is missing (the sections are {sections}, in that order)", sections = SECTIONS.join(", "))]
    MissingSection(&'static str),
    #[error("the section `{0}` is out of order (the sections are {sections}, in that order)", sections = SECTIONS.join(", "))]
    OutOfOrder(&'static str),
    #[error("it is {0} bytes; keep it under {MAX_SUMMARY_BYTES}")]
    TooLarge(usize),
}

/// Checks `text` the way Codex checks a consolidated summary.
pub fn validate(text: &str) -> Result<(), SummaryProblem> {
    if text.len() >= MAX_SUMMARY_BYTES {
        return Err(SummaryProblem::TooLarge(text.len()));
    }
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("v1") {
        return Err(SummaryProblem::NoVersion);
    }
    let headings: Vec<&str> = lines
        .map(str::trim_end)
        .filter(|line| line.starts_with("## "))
        .collect();
    let mut last = None;
    for section in SECTIONS {
        let Some(at) = headings.iter().position(|heading| *heading == section) else {
            return Err(SummaryProblem::MissingSection(section));
        };
        if last.is_some_and(|last| at < last) {
            return Err(SummaryProblem::OutOfOrder(section));
        }
        last = Some(at);
    }
    Ok(())
}

/// The developer text that gives a session `summary`, read from the folder `root`;
/// `tools` says whether the model has the dedicated memory tools.
pub fn memory_block(root: &Path, summary: &str, tools: bool) -> String {
    let root = root.display();
    let how_to_note = if tools {
        "with the `memories.add_ad_hoc_note` tool".to_string()
    } else {
        format!("as a new file `{root}/extensions/ad_hoc/notes/YYYY-MM-DDTHH-MM-SS-<slug>.md`")
    };
    format!(
        "## Memory\n\
You remember earlier sessions with this user. The summary below, kept in `{root}`, is history: who the user is, what they prefer and what was done before. It may be out of date; check the present state before you rely on it.\n\
- A line of the summary may point to a file under `{root}/rollout_summaries/`. Open it only when it could change your answer.\n\
- When the user explicitly asks you to remember, forget or correct something, write it down {how_to_note}, in their words. Do not edit the generated memory files.\n\
- When memory shaped your answer, end the answer (outside any code block) with:\n\
<oai-mem-citation>\n<citation_entries>\nrollout_summaries/<file>.md:<first line>-<last line>|note=[<what it gave you>]\n</citation_entries>\n<rollout_ids>\n<thread id, one per line>\n</rollout_ids>\n</oai-mem-citation>\n\
  Paths are relative to the memory folder; `memory_summary.md` itself is never cited.\n\n\
{BEGIN}\n{summary}\n{END}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "v1\n## User Profile\n- Works on a Rust workspace.\n## User preferences\n- Tabs in Python. [ad-hoc note]\n## General Tips\n- Tests need MOCK_API_KEY.\n## What's in Memory\n### zspark\n#### 2026-11-30\n- rollout_summaries/2026-11-30T10-02-11-bridge.md — the bridge retry fix; thread_id=01a232e6-2622-7511-b1f2-a8eca5e1d7bb\n";

    #[test]
    fn a_summary_in_codex_s_shape_is_valid() {
        assert_eq!(validate(EXAMPLE), Ok(()));
    }

    #[test]
    fn summaries_without_version_sections_or_order_or_too_large_are_refused() {
        assert_eq!(
            validate(&EXAMPLE.replacen("v1", "v2", 1)),
            Err(SummaryProblem::NoVersion)
        );
        assert_eq!(
            validate("v1\n## User Profile\n## What's in Memory\n"),
            Err(SummaryProblem::MissingSection("## User preferences"))
        );
        let swapped = EXAMPLE
            .replace("## General Tips", "## TEMP")
            .replace("## User preferences", "## General Tips")
            .replace("## TEMP", "## User preferences");
        assert_eq!(
            validate(&swapped),
            Err(SummaryProblem::OutOfOrder("## General Tips"))
        );
        let large = format!("{EXAMPLE}{}", "x".repeat(MAX_SUMMARY_BYTES));
        assert!(matches!(validate(&large), Err(SummaryProblem::TooLarge(_))));
    }

    #[test]
    fn the_block_holds_the_summary_verbatim_between_the_markers() {
        let block = memory_block(Path::new("/home/u/.codex/memories_v2"), EXAMPLE, true);
        let inside = block
            .split_once(&format!("{BEGIN}\n"))
            .and_then(|(_, rest)| rest.strip_suffix(&format!("\n{END}")))
            .unwrap();
        assert_eq!(inside, EXAMPLE);
        assert!(block.starts_with("## Memory\n"));
        assert!(block.contains("memories.add_ad_hoc_note"));
        let without_tools = memory_block(Path::new("/m"), EXAMPLE, false);
        assert!(without_tools.contains("/m/extensions/ad_hoc/notes/"));
    }
}

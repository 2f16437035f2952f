//! Compaction: when the conversation nears the context window (or the user asks), the
//! model writes a hand-over summary and the history is replaced by the session's
//! initial context, the user's own messages and that summary.

use codex_protocol::ResponseItem;

/// Asks the model for the summary. zspark's own text; `compact_prompt` replaces it.
pub const SUMMARY_PROMPT: &str = "\
Stop working on the task for a moment. The conversation so far is about to be replaced \
by a summary you write now; whoever continues (you, with no other memory of this \
conversation) will have only the user's messages and this summary. Write it for them:

- The goal, and the user's constraints and preferences, in their words where it matters.
- What has been done: files created or changed (paths), commands run and what they showed, \
decisions taken and why.
- The current state: what works, what is broken, open errors with their exact messages.
- What remains, in order, and anything to avoid repeating.

Be specific and complete but brief; use short sections and lists. Do not call tools.";

/// Introduces the summary in the new history.
pub const SUMMARY_PREFIX: &str = "The conversation above was compacted. This summary of the work so far was written to continue from:";

/// User messages kept after compaction are capped at about this many bytes (the most
/// recent are kept).
const KEPT_USER_MESSAGE_BYTES: usize = 80 * 1024;

/// The history after compaction: `initial_context`, then the messages of the user's
/// turns (`turn_messages`, the most recent within a budget), then the summary. (An
/// earlier summary is not a turn's message, so it is not carried over as one.)
pub fn compacted_history(
    initial_context: &[ResponseItem],
    turn_messages: &[ResponseItem],
    summary: &str,
) -> Vec<ResponseItem> {
    let mut kept: Vec<&ResponseItem> = Vec::new();
    let mut used = 0;
    for item in turn_messages.iter().rev() {
        let size = item.message_text().map(|text| text.len()).unwrap_or(0);
        if used + size > KEPT_USER_MESSAGE_BYTES && !kept.is_empty() {
            break;
        }
        used += size;
        kept.push(item);
    }
    kept.reverse();
    let mut compacted: Vec<ResponseItem> = initial_context.to_vec();
    compacted.extend(kept.into_iter().cloned());
    compacted.push(ResponseItem::user_text(format!(
        "{SUMMARY_PREFIX}\n\n{summary}"
    )));
    compacted
}

#[cfg(test)]
mod tests {
    use codex_protocol::ResponseItem;

    use super::*;

    #[test]
    fn keeps_context_and_turn_messages_then_the_summary() {
        let context = vec![ResponseItem::user_text(
            "<environment_context>\n</environment_context>",
        )];
        let turn_messages = vec![
            ResponseItem::user_text("first request"),
            ResponseItem::user_text("second request"),
        ];
        let compacted = compacted_history(&context, &turn_messages, "did things");
        let texts: Vec<String> = compacted
            .iter()
            .filter_map(ResponseItem::message_text)
            .collect();
        assert_eq!(texts.len(), 4);
        assert!(texts[0].starts_with("<environment_context>"));
        assert_eq!(texts[1], "first request");
        assert_eq!(texts[2], "second request");
        assert_eq!(texts[3], format!("{SUMMARY_PREFIX}\n\ndid things"));
    }

    #[test]
    fn very_long_user_histories_keep_the_most_recent() {
        let big = "x".repeat(50 * 1024);
        let history = vec![
            ResponseItem::user_text(format!("old {big}")),
            ResponseItem::user_text(format!("middle {big}")),
            ResponseItem::user_text("newest"),
        ];
        let compacted = compacted_history(&[], &history, "s");
        let texts: Vec<String> = compacted
            .iter()
            .filter_map(ResponseItem::message_text)
            .collect();
        assert!(texts[0].starts_with("middle"), "the oldest is dropped");
        assert_eq!(texts[1], "newest");
    }
}

//! A session as the condensing model reads it: what the user asked, what the agent
//! answered, the messages other agents sent it and the tools it ran with their
//! results (each cut short), without developer messages, injected context
//! (AGENTS.md, skills, environment, sub-agent notices) or reasoning; secrets that
//! look like keys or tokens are replaced by `[REDACTED_SECRET]`. A long session keeps
//! its end, where the outcome is.

use codex_protocol::{ResponseItem, Role};

use crate::rollout::is_user_turn_message;

/// Characters of one tool call or result kept.
const TOOL_TEXT: usize = 1_500;
/// Characters of the whole transcript kept (its end).
const TRANSCRIPT_TEXT: usize = 60_000;
const REDACTED: &str = "[REDACTED_SECRET]";

/// The transcript of `history`.
pub fn render(history: &[ResponseItem]) -> String {
    let mut parts = Vec::new();
    for item in history {
        let part = match item {
            ResponseItem::Message {
                role: Role::User, ..
            } if is_user_turn_message(item) => {
                format!("[user]\n{}", item.message_text().unwrap_or_default())
            }
            ResponseItem::Message {
                role: Role::Assistant,
                ..
            } => format!("[agent]\n{}", item.message_text().unwrap_or_default()),
            ResponseItem::FunctionCall {
                name,
                namespace,
                arguments,
                ..
            } => {
                let name = namespace
                    .as_ref()
                    .map_or_else(|| name.clone(), |namespace| format!("{namespace}.{name}"));
                format!("[tool call {name}]\n{}", cut(arguments, TOOL_TEXT))
            }
            ResponseItem::AgentMessage { author, .. } => format!(
                "[message from {author}]\n{}",
                cut(&item.agent_message_text().unwrap_or_default(), TOOL_TEXT)
            ),
            ResponseItem::CustomToolCall { name, input, .. } => {
                format!("[tool call {name}]\n{}", cut(input, TOOL_TEXT))
            }
            ResponseItem::FunctionCallOutput { output, .. }
            | ResponseItem::CustomToolCallOutput { output, .. } => {
                format!("[tool result]\n{}", cut(&output.text(), TOOL_TEXT))
            }
            _ => continue,
        };
        parts.push(redact(&part));
    }
    let text = parts.join("\n\n");
    let count = text.chars().count();
    if count <= TRANSCRIPT_TEXT {
        return text;
    }
    let tail: String = text.chars().skip(count - TRANSCRIPT_TEXT).collect();
    format!("[the start of the session is left out]\n{tail}")
}

fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}… [cut]", &text[..end]),
        None => text.to_string(),
    }
}

/// `text` with words that look like secrets replaced: provider keys (`sk-…`,
/// `ghp_…`, `xox…-`, `AKIA…`), bearer tokens and `key=value` assignments of
/// secret-sounding names.
pub fn redact(text: &str) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for word in text.split(' ') {
        if hide_next && !word.is_empty() {
            out.push(REDACTED.to_string());
            hide_next = false;
            continue;
        }
        let bare = word.trim_matches(|c: char| "\"'`,;()[]{}".contains(c));
        if bare.eq_ignore_ascii_case("bearer") {
            hide_next = true;
            out.push(word.to_string());
            continue;
        }
        out.push(if looks_secret(bare) {
            word.replace(bare, REDACTED)
        } else if let Some((name, value)) = bare.split_once('=')
            && secret_name(name)
            && !value.is_empty()
        {
            word.replace(value, REDACTED)
        } else {
            word.to_string()
        });
    }
    out.join(" ")
}

fn looks_secret(word: &str) -> bool {
    let long_token = |prefix: &str, min: usize| {
        word.starts_with(prefix)
            && word.len() >= prefix.len() + min
            && word[prefix.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    long_token("sk-", 16)
        || long_token("ghp_", 20)
        || long_token("github_pat_", 20)
        || long_token("xoxb-", 10)
        || long_token("xoxp-", 10)
        || long_token("AKIA", 12)
}

fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("secret")
        || ["key", "token", "password", "passwd"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use codex_protocol::ToolOutput;

    use super::*;

    #[test]
    fn the_transcript_keeps_the_conversation_and_tools_without_context() {
        let history = vec![
            ResponseItem::developer_text("developer rules"),
            ResponseItem::user_text("<environment_context>cwd</environment_context>"),
            ResponseItem::user_text("fix the export"),
            ResponseItem::FunctionCall {
                id: None,
                name: "exec_command".into(),
                namespace: None,
                arguments: r#"{"cmd":"cargo test"}"#.into(),
                call_id: "c1".into(),
            },
            ResponseItem::FunctionCallOutput {
                call_id: "c1".into(),
                output: ToolOutput::Text("x".repeat(TOOL_TEXT + 10)),
            },
            ResponseItem::Message {
                id: None,
                role: Role::Assistant,
                content: vec![codex_protocol::ContentItem::OutputText {
                    text: "fixed".into(),
                }],
            },
        ];
        let text = render(&history);
        assert!(text.starts_with("[user]\nfix the export"), "{text}");
        assert!(!text.contains("developer rules") && !text.contains("environment_context"));
        assert!(text.contains("[tool call exec_command]\n{\"cmd\":\"cargo test\"}"));
        assert!(text.contains("… [cut]"));
        assert!(text.ends_with("[agent]\nfixed"));
    }

    #[test]
    fn secrets_are_redacted() {
        let text = "export OPENAI_API_KEY=sk-abcdefghijklmnopqrstuv and Authorization: Bearer abc.def then ghp_abcdefghijklmnopqrstuvwxyz password=hunter2 but keyboard=fine";
        let redacted = redact(text);
        assert_eq!(
            redacted,
            "export OPENAI_API_KEY=[REDACTED_SECRET] and Authorization: Bearer [REDACTED_SECRET] then [REDACTED_SECRET] password=[REDACTED_SECRET] but keyboard=fine"
        );
    }
}

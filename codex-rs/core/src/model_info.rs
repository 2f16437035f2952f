//! What the runtime knows about model families without asking the provider: context
//! windows (for the "context left" figure and auto-compaction) and whether a model
//! takes reasoning settings.

/// The context window of `model` in tokens, for families whose window is published.
pub fn context_window(model: &str) -> Option<u64> {
    let model = model.to_ascii_lowercase();
    let known: &[(&str, u64)] = &[
        ("gpt-5", 272_000),
        ("gpt-4.1", 1_047_576),
        ("gpt-4o", 128_000),
        ("o3", 200_000),
        ("o4-mini", 200_000),
        ("codex-mini", 200_000),
        ("deepseek", 128_000),
        ("kimi-k2", 262_144),
        ("moonshot", 131_072),
        ("glm-4", 128_000),
        ("qwen3", 131_072),
    ];
    known
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
        .map(|(_, window)| *window)
}

/// Auto-compaction starts at 90% of the context window unless configured.
pub fn default_auto_compact_limit(context_window: u64) -> u64 {
    context_window / 10 * 9
}

/// Whether requests for `model` carry `reasoning` settings. OpenAI rejects them for
/// models that do not reason.
pub fn supports_reasoning(model: &str) -> bool {
    let model = model.to_ascii_lowercase();
    ["gpt-5", "o1", "o3", "o4", "codex"]
        .iter()
        .any(|prefix| model.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_families_and_defaults() {
        assert_eq!(context_window("gpt-5.1-codex"), Some(272_000));
        assert_eq!(context_window("DeepSeek-Chat"), Some(128_000));
        assert_eq!(context_window("my-local-model"), None);
        assert_eq!(default_auto_compact_limit(272_000), 244_800);
        assert!(supports_reasoning("o3-mini"));
        assert!(!supports_reasoning("gpt-4o"));
    }
}

//! What the runtime knows about model families without asking the provider: context
//! windows (for the "context left" figure and auto-compaction) and whether a model
//! takes reasoning settings, and which efforts.

use codex_protocol::ReasoningEffort;

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

/// The reasoning efforts `model` accepts, from the families' published settings;
/// empty for a model that takes no reasoning settings. A reasoning model of a family
/// not listed gets the three every such model takes.
pub fn reasoning_efforts(model: &str) -> &'static [ReasoningEffort] {
    use ReasoningEffort as E;
    if !supports_reasoning(model) {
        return &[];
    }
    let model = model.to_ascii_lowercase();
    let known: &[(&str, &[ReasoningEffort])] = &[
        ("gpt-5.1-codex-max", &[E::Low, E::Medium, E::High, E::Xhigh]),
        ("gpt-5.1-codex", &[E::Low, E::Medium, E::High]),
        ("gpt-5.1", &[E::None, E::Low, E::Medium, E::High]),
        ("gpt-5-codex", &[E::Low, E::Medium, E::High]),
        ("gpt-5.", &[E::None, E::Low, E::Medium, E::High, E::Xhigh]),
        ("gpt-5", &[E::Minimal, E::Low, E::Medium, E::High]),
    ];
    known
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
        .map_or(&[E::Low, E::Medium, E::High], |(_, efforts)| efforts)
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
        assert_eq!(
            reasoning_efforts("gpt-5.1-codex-max"),
            [
                ReasoningEffort::Low,
                ReasoningEffort::Medium,
                ReasoningEffort::High,
                ReasoningEffort::Xhigh
            ]
        );
        assert_eq!(reasoning_efforts("gpt-5-mini")[0], ReasoningEffort::Minimal);
        assert_eq!(reasoning_efforts("o3").len(), 3);
        assert!(reasoning_efforts("deepseek-chat").is_empty());
    }
}

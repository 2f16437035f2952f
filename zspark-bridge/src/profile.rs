//! Provider profiles: the small, named differences between Chat Completions servers
//! that the request side must respect. Chosen by name in configuration or detected from
//! the base URL. The response side needs no profile: the stream translator accepts every
//! known chunk shape.

use std::fmt;

/// How the upstream expects its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `api-key: <key>` (Azure OpenAI).
    ApiKeyHeader,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    /// The assistant-message field that carries reasoning back to the provider, for
    /// providers that need it replayed (DeepSeek thinking mode returns 400 without it).
    pub reasoning_replay_field: Option<&'static str>,
    /// `max_tokens` or `max_completion_tokens`.
    pub max_tokens_field: &'static str,
    /// Whether `reasoning_effort` is understood.
    pub reasoning_effort: bool,
    /// Whether `stream_options.include_usage` is understood.
    pub stream_usage: bool,
    pub auth: AuthStyle,
}

const GENERIC: Profile = Profile {
    name: "generic",
    reasoning_replay_field: Some("reasoning_content"),
    max_tokens_field: "max_tokens",
    reasoning_effort: false,
    stream_usage: true,
    auth: AuthStyle::Bearer,
};

/// Every named profile.
pub const PROFILES: &[Profile] = &[
    GENERIC,
    Profile {
        name: "openai",
        reasoning_replay_field: None,
        max_tokens_field: "max_completion_tokens",
        reasoning_effort: true,
        ..GENERIC
    },
    Profile {
        name: "azure",
        reasoning_replay_field: None,
        max_tokens_field: "max_completion_tokens",
        reasoning_effort: true,
        auth: AuthStyle::ApiKeyHeader,
        ..GENERIC
    },
    Profile {
        name: "deepseek",
        ..GENERIC
    },
    Profile {
        name: "kimi",
        ..GENERIC
    },
    Profile {
        name: "qwen",
        ..GENERIC
    },
    Profile {
        name: "glm",
        ..GENERIC
    },
    Profile {
        name: "vllm",
        reasoning_effort: true,
        ..GENERIC
    },
    Profile {
        name: "sglang",
        ..GENERIC
    },
    Profile {
        name: "ollama",
        reasoning_replay_field: Some("reasoning"),
        reasoning_effort: true,
        ..GENERIC
    },
    Profile {
        name: "openrouter",
        reasoning_replay_field: Some("reasoning"),
        reasoning_effort: true,
        ..GENERIC
    },
    Profile {
        name: "llamacpp",
        ..GENERIC
    },
    Profile {
        name: "lmstudio",
        ..GENERIC
    },
];

impl Default for Profile {
    fn default() -> Self {
        GENERIC
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl Profile {
    /// The profile named `name` (case-insensitive).
    pub fn named(name: &str) -> Option<Self> {
        PROFILES
            .iter()
            .find(|profile| profile.name.eq_ignore_ascii_case(name.trim()))
            .copied()
    }

    /// The profile for a provider at `base_url`, by its host and port.
    pub fn detect(base_url: &str) -> Self {
        let url = base_url.to_ascii_lowercase();
        let name = if url.contains("api.openai.com") {
            "openai"
        } else if url.contains(".openai.azure.com") || url.contains("azure") {
            "azure"
        } else if url.contains("deepseek") {
            "deepseek"
        } else if url.contains("moonshot") || url.contains("kimi") {
            "kimi"
        } else if url.contains("dashscope") || url.contains("qwen") {
            "qwen"
        } else if url.contains("bigmodel") || url.contains("zhipu") || url.contains("z.ai") {
            "glm"
        } else if url.contains("openrouter") {
            "openrouter"
        } else if url.contains(":11434") || url.contains("ollama") {
            "ollama"
        } else if url.contains(":1234") || url.contains("lmstudio") {
            "lmstudio"
        } else {
            "generic"
        };
        Self::named(name).unwrap_or_default()
    }

    /// Names of every profile, for error messages.
    pub fn names() -> Vec<&'static str> {
        PROFILES.iter().map(|profile| profile.name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_by_base_url() {
        let detect = |url: &str| Profile::detect(url).name;
        assert_eq!(detect("https://api.deepseek.com/v1"), "deepseek");
        assert_eq!(detect("https://api.moonshot.cn/v1"), "kimi");
        assert_eq!(
            detect("https://myres.openai.azure.com/openai/deployments/gpt4o"),
            "azure"
        );
        assert_eq!(detect("http://localhost:11434/v1"), "ollama");
        assert_eq!(detect("http://127.0.0.1:1234/v1"), "lmstudio");
        assert_eq!(detect("https://openrouter.ai/api/v1"), "openrouter");
        assert_eq!(detect("http://gpu-box:8000/v1"), "generic");
    }

    #[test]
    fn names_and_differences() {
        assert_eq!(
            Profile::named("DeepSeek").unwrap().reasoning_replay_field,
            Some("reasoning_content")
        );
        assert_eq!(
            Profile::named("ollama").unwrap().reasoning_replay_field,
            Some("reasoning")
        );
        assert_eq!(
            Profile::named("azure").unwrap().auth,
            AuthStyle::ApiKeyHeader
        );
        assert_eq!(
            Profile::named("openai").unwrap().reasoning_replay_field,
            None
        );
        assert!(Profile::named("nope").is_none());
        assert!(Profile::names().contains(&"vllm"));
    }
}

//! `shell_environment_policy`: which environment variables the commands the agent runs
//! receive. Provider API keys are removed whatever the policy says.

use std::collections::BTreeMap;

use super::Env;
use super::file::{EnvironmentInherit, ShellEnvironmentPolicyFile};

/// Variables kept by `inherit = "core"`.
const CORE_VARIABLES: &[&str] = &[
    "HOME",
    "LOGNAME",
    "PATH",
    "SHELL",
    "USER",
    "USERNAME",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "SYSTEMROOT",
    "COMSPEC",
    "PATHEXT",
    "USERPROFILE",
];

/// Removed unless `ignore_default_excludes = true`.
const DEFAULT_EXCLUDES: &[&str] = &["*KEY*", "*SECRET*", "*TOKEN*"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellEnvironmentPolicy {
    pub inherit: EnvironmentInherit,
    pub ignore_default_excludes: bool,
    pub exclude: Vec<String>,
    pub set: BTreeMap<String, String>,
    pub include_only: Vec<String>,
}

impl Default for ShellEnvironmentPolicy {
    fn default() -> Self {
        Self::from_file(ShellEnvironmentPolicyFile::default())
    }
}

impl ShellEnvironmentPolicy {
    pub fn from_file(file: ShellEnvironmentPolicyFile) -> Self {
        Self {
            inherit: file.inherit.unwrap_or_default(),
            ignore_default_excludes: file.ignore_default_excludes.unwrap_or(false),
            exclude: file.exclude,
            set: file.set,
            include_only: file.include_only,
        }
    }

    /// The environment for a command, from zspark's own environment `base`. Variables in
    /// `secret_names` (provider keys) are always dropped.
    pub fn build(&self, base: &Env, secret_names: &[String]) -> Env {
        let mut env: Env = match self.inherit {
            EnvironmentInherit::All => base.clone(),
            EnvironmentInherit::Core => base
                .iter()
                .filter(|(name, _)| {
                    CORE_VARIABLES
                        .iter()
                        .any(|core| core.eq_ignore_ascii_case(name))
                })
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            EnvironmentInherit::None => Env::new(),
        };
        if !self.ignore_default_excludes {
            env.retain(|name, _| {
                !DEFAULT_EXCLUDES
                    .iter()
                    .any(|pattern| wildcard_match(pattern, name))
            });
        }
        env.retain(|name, _| {
            !self
                .exclude
                .iter()
                .any(|pattern| wildcard_match(pattern, name))
        });
        env.extend(
            self.set
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        );
        if !self.include_only.is_empty() {
            env.retain(|name, _| {
                self.include_only
                    .iter()
                    .any(|pattern| wildcard_match(pattern, name))
            });
        }
        env.retain(|name, _| !secret_names.iter().any(|secret| secret == name));
        env
    }
}

/// Case-insensitive match of `name` against `pattern`, where `*` matches any run of
/// characters.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pattern = pattern.to_ascii_uppercase();
    let name = name.to_ascii_uppercase();
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return name.is_empty();
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = parts.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(index) => rest = &rest[index + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*KEY*", "OPENAI_API_KEY"));
        assert!(wildcard_match("*key*", "my_key_file"));
        assert!(wildcard_match("AWS_*", "AWS_REGION"));
        assert!(!wildcard_match("AWS_*", "MY_AWS"));
        assert!(wildcard_match("PATH", "path"));
        assert!(!wildcard_match("PATH", "PATHEXT"));
        assert!(wildcard_match("A*B*C", "AxxBxxC"));
    }

    #[test]
    fn default_policy_drops_secrets_and_provider_keys() {
        let base = env(&[
            ("PATH", "/bin"),
            ("OPENAI_API_KEY", "sk"),
            ("GITHUB_TOKEN", "t"),
            ("DEEPSEEK", "custom-named-key"),
            ("HOME", "/h"),
        ]);
        let built = ShellEnvironmentPolicy::default().build(&base, &["DEEPSEEK".to_string()]);
        assert_eq!(built, env(&[("HOME", "/h"), ("PATH", "/bin")]));
    }

    #[test]
    fn core_set_and_include_only_narrow_the_environment() {
        let base = env(&[("PATH", "/bin"), ("EDITOR", "vi"), ("HOME", "/h")]);
        let policy = ShellEnvironmentPolicy {
            inherit: EnvironmentInherit::Core,
            set: BTreeMap::from([("CI".to_string(), "1".to_string())]),
            include_only: vec!["PATH".into(), "CI".into()],
            ..ShellEnvironmentPolicy::default()
        };
        assert_eq!(
            policy.build(&base, &[]),
            env(&[("CI", "1"), ("PATH", "/bin")])
        );
    }

    #[test]
    fn provider_keys_go_even_when_default_excludes_are_off() {
        let policy = ShellEnvironmentPolicy {
            ignore_default_excludes: true,
            ..ShellEnvironmentPolicy::default()
        };
        let built = policy.build(
            &env(&[("OPENAI_API_KEY", "sk"), ("X_TOKEN", "t")]),
            &["OPENAI_API_KEY".into()],
        );
        assert_eq!(built, env(&[("X_TOKEN", "t")]));
    }
}

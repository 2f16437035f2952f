//! Provider profiles as the desktop shows and edits them, stored where the Codex CLI
//! reads them: `[model_providers.<id>]` (name, base URL, wire API, key variable,
//! headers) and `[profiles.<id>]` (model) in `$CODEX_HOME/config.toml`. Edits go
//! through `toml_edit`, so the user's comments, ordering and other settings survive.
//! API keys never go into the file: they live in the OS keychain (a user-only file
//! where there is none) and reach the runtime as the provider's `env_key` variable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_core::config::Env;
use codex_protocol::WireApi;
use toml_edit::{DocumentMut, Item, Table, value};
use zspark_auth::signin::{SecretLocation, SecretStore, StoreError};

/// One provider profile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderProfile {
    /// The table key: letters, digits, `-` and `_`.
    pub id: String,
    /// Display name.
    pub name: String,
    pub base_url: String,
    pub wire_api: WireApi,
    /// The model sessions with this profile use unless another is picked.
    pub model: String,
    /// The variable the key is passed in (Codex's `env_key`).
    pub env_key: String,
    /// Extra headers sent with every request.
    pub headers: BTreeMap<String, String>,
}

/// What `config.toml` holds, for the settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderList {
    pub profiles: Vec<ProviderProfile>,
    /// The provider `config.toml` selects (`model_provider`, else `openai`), when it
    /// can be used as it is: a Codex setup that needs no profile of zspark's.
    pub configured: Option<ConfiguredProvider>,
    /// The top-level `profile`, if it names one of `profiles`.
    pub default_profile: Option<String>,
    /// The key of each profile, masked for display; absent when none is stored.
    pub masked_keys: BTreeMap<String, String>,
}

impl ProviderList {
    pub fn get(&self, id: &str) -> Option<&ProviderProfile> {
        self.profiles.iter().find(|profile| profile.id == id)
    }

    /// Whether a session can start with what is configured.
    pub fn ready(&self) -> bool {
        !self.profiles.is_empty() || self.configured.is_some()
    }
}

/// A usable provider selected by `config.toml` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredProvider {
    pub id: String,
    /// Its display name (`[model_providers.<id>] name`, or the built-in's).
    pub name: String,
    pub model: String,
}

/// Why provider settings could not be read or changed; nothing was half-written.
#[derive(Debug, thiserror::Error)]
pub enum ProviderStoreError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid TOML, so providers cannot be edited here; fix it in an editor: {source}", path.display())]
    NotToml {
        path: PathBuf,
        #[source]
        source: toml_edit::TomlError,
    },
    /// Every problem of the profile, each naming its field.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] StoreError),
}

/// Where API keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretBackend {
    /// The OS keychain, or a user-only file where there is none.
    Keychain,
    /// Only the user-only file (tests; users without a keychain).
    FileOnly,
}

/// Reads and writes provider profiles and their keys for one `CODEX_HOME`.
#[derive(Debug, Clone)]
pub struct ProviderStore {
    codex_home: PathBuf,
    secrets: SecretBackend,
}

impl ProviderStore {
    pub fn new(codex_home: PathBuf, secrets: SecretBackend) -> Self {
        Self {
            codex_home,
            secrets,
        }
    }

    fn config_path(&self) -> PathBuf {
        self.codex_home.join("config.toml")
    }

    fn key_store(&self, id: &str) -> SecretStore {
        let store = SecretStore::new(
            &format!("provider:{}:{id}", self.codex_home.display()),
            &self.codex_home.join("zspark"),
        );
        match self.secrets {
            SecretBackend::Keychain => store,
            SecretBackend::FileOnly => store.file_only(),
        }
    }

    fn read_document(&self) -> Result<DocumentMut, ProviderStoreError> {
        let path = self.config_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ProviderStoreError::Read { path, source }),
        };
        text.parse::<DocumentMut>()
            .map_err(|source| ProviderStoreError::NotToml { path, source })
    }

    /// The profiles in `config.toml` (every `[profiles.<id>]` whose provider is a
    /// `[model_providers.<id>]` table), and the provider it selects when that one has
    /// what it needs in `env` (its key variable, a stored key, or for OpenAI
    /// `CODEX_API_KEY` or `auth.json`).
    pub fn list(&self, env: &Env) -> Result<ProviderList, ProviderStoreError> {
        let document = self.read_document()?;
        let profiles = read_profiles(&document);
        let default_profile = document
            .get("profile")
            .and_then(Item::as_str)
            .filter(|id| profiles.iter().any(|profile| profile.id == *id))
            .map(str::to_string);
        let masked_keys = profiles
            .iter()
            .filter_map(|profile| {
                let key = self.key_store(&profile.id).load().ok().flatten()?;
                Some((profile.id.clone(), mask_secret(&key)))
            })
            .collect();
        Ok(ProviderList {
            configured: self.configured_provider(env),
            profiles,
            default_profile,
            masked_keys,
        })
    }

    /// The provider `config.toml` selects, when it can be used as it is.
    fn configured_provider(&self, env: &Env) -> Option<ConfiguredProvider> {
        let env = self.env_with_keys(env);
        let loaded = codex_core::load_config(
            &self.codex_home,
            &self.codex_home,
            &codex_core::ConfigOverrides::default(),
            env.clone(),
            codex_core::SessionSource::Desktop,
        )
        .ok()?;
        let config = loaded.config;
        let provider = &config.model_provider;
        let has = |variable: &str| {
            env.get(variable)
                .is_some_and(|value| !value.trim().is_empty())
        };
        let keyed = match &provider.env_key {
            None => true,
            Some(variable) => {
                has(variable)
                    || (provider.requires_openai_auth
                        && (has("CODEX_API_KEY") || self.has_codex_login()))
            }
        };
        (keyed && provider.base_url.is_some()).then(|| ConfiguredProvider {
            id: config.model_provider_id.clone(),
            name: provider.name.clone(),
            model: config.model.clone(),
        })
    }

    /// Whether `codex login --api-key` stored a key in `auth.json`.
    fn has_codex_login(&self) -> bool {
        std::fs::read_to_string(self.codex_home.join("auth.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|auth| {
                auth.get("OPENAI_API_KEY")
                    .and_then(|key| key.as_str().map(str::to_string))
            })
            .is_some_and(|key| !key.trim().is_empty())
    }

    /// Adds or replaces `profile`; stores `api_key` when one is given (an absent key
    /// keeps the stored one). With `make_default` the CLI and new sessions use it.
    pub fn save(
        &self,
        profile: &ProviderProfile,
        api_key: Option<&str>,
        make_default: bool,
    ) -> Result<Option<SecretLocation>, ProviderStoreError> {
        let problems = validate(profile);
        if !problems.is_empty() {
            return Err(ProviderStoreError::Invalid(problems));
        }
        let mut document = self.read_document()?;
        write_profile(&mut document, profile);
        if make_default {
            document["profile"] = value(profile.id.as_str());
        }
        let location = match api_key.map(str::trim).filter(|key| !key.is_empty()) {
            Some(key) => Some(self.key_store(&profile.id).save(key)?),
            None => None,
        };
        write_atomically(&self.config_path(), &document.to_string())?;
        Ok(location)
    }

    /// Removes the profile, its provider table and its key.
    pub fn remove(&self, id: &str) -> Result<(), ProviderStoreError> {
        let mut document = self.read_document()?;
        for section in ["profiles", "model_providers"] {
            if let Some(table) = document.get_mut(section).and_then(Item::as_table_like_mut) {
                table.remove(id);
            }
        }
        if document.get("profile").and_then(Item::as_str) == Some(id) {
            document.remove("profile");
        }
        write_atomically(&self.config_path(), &document.to_string())?;
        Ok(self.key_store(id).delete()?)
    }

    /// `env` plus the stored key of every profile, under its `env_key`. A variable the
    /// environment already sets wins (the user's shell is the more explicit choice).
    pub fn env_with_keys(&self, env: &Env) -> Env {
        let mut env = env.clone();
        let Ok(document) = self.read_document() else {
            return env;
        };
        for profile in read_profiles(&document) {
            if env.get(&profile.env_key).is_some_and(|set| !set.is_empty()) {
                continue;
            }
            if let Ok(Some(key)) = self.key_store(&profile.id).load() {
                env.insert(profile.env_key.clone(), key);
            }
        }
        env
    }
}

/// The variable name a new profile's key is passed in: `ZSPARK_<ID>_API_KEY`.
pub fn default_env_key(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("ZSPARK_{id}_API_KEY")
}

/// `sk-…wxyz`: enough to recognise a key, never enough to use it.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.trim().chars().collect();
    if chars.len() <= 8 {
        return "•".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Everything wrong with `profile`, each naming its field.
pub fn validate(profile: &ProviderProfile) -> Vec<String> {
    let mut problems = Vec::new();
    let id_ok = !profile.id.is_empty()
        && profile
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !id_ok {
        problems.push("id: use letters, digits, `-` or `_` (e.g. `deepseek`)".to_string());
    }
    if profile.name.trim().is_empty() {
        problems.push("name: give the provider a name".to_string());
    }
    if !is_http_url(profile.base_url.trim()) {
        problems
            .push("base URL: use an http(s) URL such as https://api.deepseek.com/v1".to_string());
    }
    if profile.model.trim().is_empty() {
        problems.push("model: name the model to use (e.g. deepseek-chat)".to_string());
    }
    if !is_variable_name(&profile.env_key) {
        problems.push("key variable: use letters, digits and `_` only".to_string());
    }
    for name in profile.headers.keys() {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            problems.push(format!(
                "header `{name}`: a header name has only letters, digits and `-`"
            ));
        }
    }
    problems
}

fn is_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !url.contains(char::is_whitespace)
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn read_profiles(document: &DocumentMut) -> Vec<ProviderProfile> {
    let Some(profiles) = document.get("profiles").and_then(Item::as_table_like) else {
        return Vec::new();
    };
    let providers = document
        .get("model_providers")
        .and_then(Item::as_table_like);
    profiles
        .iter()
        .filter_map(|(id, profile)| {
            let profile = profile.as_table_like()?;
            let provider_id = profile.get("model_provider").and_then(Item::as_str)?;
            if provider_id != id {
                return None;
            }
            let provider = providers?.get(id)?.as_table_like()?;
            let text = |key: &str| {
                provider
                    .get(key)
                    .and_then(Item::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let headers = provider
                .get("http_headers")
                .and_then(Item::as_table_like)
                .map(|headers| {
                    headers
                        .iter()
                        .filter_map(|(name, value)| {
                            Some((name.to_string(), value.as_str()?.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(ProviderProfile {
                id: id.to_string(),
                name: text("name"),
                base_url: text("base_url"),
                wire_api: if text("wire_api") == "chat" {
                    WireApi::Chat
                } else {
                    WireApi::Responses
                },
                model: profile
                    .get("model")
                    .and_then(Item::as_str)
                    .unwrap_or_default()
                    .to_string(),
                env_key: Some(text("env_key"))
                    .filter(|key| !key.is_empty())
                    .unwrap_or_else(|| default_env_key(id)),
                headers,
            })
        })
        .collect()
}

/// Sets the fields the desktop owns, leaving any other keys (retries, query params,
/// comments) as the user wrote them.
fn write_profile(document: &mut DocumentMut, profile: &ProviderProfile) {
    let provider = section_entry(document, "model_providers", &profile.id);
    provider["name"] = value(profile.name.trim());
    provider["base_url"] = value(profile.base_url.trim());
    provider["wire_api"] = value(match profile.wire_api {
        WireApi::Chat => "chat",
        WireApi::Responses => "responses",
    });
    provider["env_key"] = value(profile.env_key.as_str());
    if profile.headers.is_empty() {
        if let Some(table) = provider.as_table_like_mut() {
            table.remove("http_headers");
        }
    } else {
        let mut headers = toml_edit::InlineTable::new();
        for (name, header_value) in &profile.headers {
            headers.insert(name.as_str(), header_value.as_str().into());
        }
        provider["http_headers"] = value(headers);
    }
    let settings = section_entry(document, "profiles", &profile.id);
    settings["model_provider"] = value(profile.id.as_str());
    settings["model"] = value(profile.model.trim());
}

/// The table `[section.id]`, created (with an implicit `[section]`) when missing or
/// when something else stood there.
fn section_entry<'a>(document: &'a mut DocumentMut, section: &str, id: &str) -> &'a mut Item {
    let parent = &mut document[section];
    make_table(parent, true);
    let entry = &mut parent[id];
    make_table(entry, false);
    entry
}

fn make_table(item: &mut Item, implicit: bool) {
    if !item.is_table_like() {
        let mut table = Table::new();
        table.set_implicit(implicit);
        *item = Item::Table(table);
    }
}

fn write_atomically(path: &Path, text: &str) -> Result<(), ProviderStoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| ProviderStoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let temporary = path.with_extension("toml.zspark-tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|source| ProviderStoreError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deepseek() -> ProviderProfile {
        ProviderProfile {
            id: "deepseek".into(),
            name: "DeepSeek".into(),
            base_url: "https://api.deepseek.com/v1".into(),
            wire_api: WireApi::Chat,
            model: "deepseek-chat".into(),
            env_key: default_env_key("deepseek"),
            headers: BTreeMap::from([("X-Team".into(), "core".into())]),
        }
    }

    #[test]
    fn saving_keeps_comments_and_other_settings_and_reads_back() {
        let home = tempfile::tempdir().unwrap();
        let original = "# my settings\nmodel = \"gpt-5\" # the usual\n\n[model_providers.deepseek]\n# retries matter here\nrequest_max_retries = 9\n\n[tui]\nnotifications = true\n";
        std::fs::write(home.path().join("config.toml"), original).unwrap();
        let store = ProviderStore::new(home.path().to_path_buf(), SecretBackend::FileOnly);
        let location = store
            .save(&deepseek(), Some(" sk-test-123456789 "), true)
            .unwrap();
        assert!(matches!(location, Some(SecretLocation::File(_))));

        let text = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
        for kept in [
            "# my settings",
            "# the usual",
            "# retries matter here",
            "request_max_retries = 9",
            "[tui]",
        ] {
            assert!(text.contains(kept), "lost {kept:?}:\n{text}");
        }
        assert!(
            !text.contains("sk-test"),
            "the key must not be in the file:\n{text}"
        );
        let list = store.list(&Env::new()).unwrap();
        assert_eq!(list.profiles, vec![deepseek()]);
        assert_eq!(list.default_profile.as_deref(), Some("deepseek"));
        assert_eq!(list.masked_keys["deepseek"], "sk-…6789");

        let env = store.env_with_keys(&Env::new());
        assert_eq!(env["ZSPARK_DEEPSEEK_API_KEY"], "sk-test-123456789");
        let shell = Env::from([(
            "ZSPARK_DEEPSEEK_API_KEY".to_string(),
            "from-shell".to_string(),
        )]);
        assert_eq!(
            store.env_with_keys(&shell)["ZSPARK_DEEPSEEK_API_KEY"],
            "from-shell"
        );

        // The Codex configuration loader accepts what was written.
        let loaded = codex_core::load_config(
            home.path(),
            home.path(),
            &codex_core::ConfigOverrides::default(),
            env,
            codex_core::SessionSource::Exec,
        )
        .unwrap();
        assert_eq!(loaded.config.model, "deepseek-chat");
        assert_eq!(loaded.config.model_provider_id, "deepseek");
        assert_eq!(loaded.config.model_provider.wire_api, WireApi::Chat);
        assert_eq!(loaded.config.model_provider.request_max_retries, Some(9));

        store.remove("deepseek").unwrap();
        let list = store.list(&Env::new()).unwrap();
        assert!(list.profiles.is_empty() && list.masked_keys.is_empty());
        let text = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
        assert!(
            text.contains("# my settings") && !text.contains("profile ="),
            "{text}"
        );
    }

    #[test]
    fn a_saved_key_is_kept_when_none_is_given() {
        let home = tempfile::tempdir().unwrap();
        let store = ProviderStore::new(home.path().to_path_buf(), SecretBackend::FileOnly);
        store
            .save(&deepseek(), Some("sk-first-key-0001"), false)
            .unwrap();
        let mut renamed = deepseek();
        renamed.name = "DeepSeek (work)".into();
        store.save(&renamed, None, false).unwrap();
        let list = store.list(&Env::new()).unwrap();
        assert_eq!(list.profiles[0].name, "DeepSeek (work)");
        assert_eq!(list.masked_keys["deepseek"], "sk-…0001");
        assert_eq!(list.default_profile, None);
    }

    #[test]
    fn bad_profiles_are_refused_with_every_problem_named_and_nothing_written() {
        let home = tempfile::tempdir().unwrap();
        let store = ProviderStore::new(home.path().to_path_buf(), SecretBackend::FileOnly);
        let bad = ProviderProfile {
            id: "deep seek".into(),
            name: " ".into(),
            base_url: "api.deepseek.com".into(),
            model: String::new(),
            env_key: "1KEY".into(),
            headers: BTreeMap::from([("Bad Header".into(), "x".into())]),
            ..ProviderProfile::default()
        };
        let error = store.save(&bad, Some("sk-x"), true).unwrap_err();
        assert!(matches!(error, ProviderStoreError::Invalid(_)), "{error}");
        let error = error.to_string();
        for field in [
            "id:",
            "name:",
            "base URL:",
            "model:",
            "key variable:",
            "header `Bad Header`",
        ] {
            assert!(error.contains(field), "{field} missing from {error}");
        }
        assert!(!home.path().join("config.toml").exists());
    }

    #[test]
    fn a_broken_config_file_is_reported_not_overwritten() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("config.toml"), "model = [unclosed\n").unwrap();
        let store = ProviderStore::new(home.path().to_path_buf(), SecretBackend::FileOnly);
        assert!(
            store
                .list(&Env::new())
                .unwrap_err()
                .to_string()
                .contains("not valid TOML")
        );
        assert!(store.save(&deepseek(), None, false).is_err());
        assert_eq!(
            std::fs::read_to_string(home.path().join("config.toml")).unwrap(),
            "model = [unclosed\n"
        );
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask_secret("sk-abcdefghijklmnop"), "sk-…mnop");
        assert_eq!(mask_secret("short"), "•••••");
        assert_eq!(mask_secret(""), "••••");
    }
}

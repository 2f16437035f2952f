//! Configuration: layers, overrides, warnings and the errors a user can make.

use codex_core::config::{Env, ModelProviderInfo, MultiAgentVersion};
use codex_core::{ConfigError, ConfigOverrides, SessionSource, load_config};
use codex_protocol::{ApprovalPolicy, EventMsg, SandboxMode, SandboxPolicy, WireApi};
use codex_test_support::Turn;

use super::{Harness, test_env};

fn load_with(
    home: &std::path::Path,
    cwd: &std::path::Path,
    overrides: ConfigOverrides,
    env: Env,
) -> Result<codex_core::LoadedConfig, ConfigError> {
    load_config(home, cwd, &overrides, env, SessionSource::Exec)
}

#[test]
fn defaults_without_any_config_file() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let loaded = load_with(
        home.path(),
        work.path(),
        ConfigOverrides::default(),
        Env::new(),
    )
    .unwrap();
    let config = loaded.config;
    assert_eq!(config.model_provider_id, "openai");
    assert_eq!(
        config.model_provider.base_url.as_deref(),
        Some("https://api.openai.com/v1")
    );
    assert_eq!(config.approval_policy, ApprovalPolicy::OnRequest);
    assert_eq!(
        config.sandbox_policy,
        SandboxPolicy::ReadOnly,
        "untrusted project: read-only"
    );
    assert!(loaded.warnings.is_empty());
    assert!(
        config.model_providers.contains_key("ollama")
            && config.model_providers.contains_key("lmstudio")
    );
}

#[test]
fn layers_overrides_and_flags_in_order() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        r#"
model = "from-file"
approval_policy = "on-failure"
sandbox_mode = "workspace-write"
unknown_top = 1

[sandbox_workspace_write]
network_access = true
writable_roots = ["extra"]

[model_providers.deepseek]
name = "DeepSeek"
base_url = "https://api.deepseek.com/v1"
env_key = "DEEPSEEK_API_KEY"
wire_api = "chat"
query_params = { "api-version" = "1" }
mystery = true

[features]
some_codex_feature = true
"#,
    )
    .unwrap();
    let overrides = ConfigOverrides {
        model_provider: Some("deepseek".into()),
        config_overrides: vec![
            "model=from-dash-c".into(),
            "sandbox_workspace_write.network_access=false".into(),
        ],
        approval_policy: Some(ApprovalPolicy::Untrusted),
        ..ConfigOverrides::default()
    };
    let loaded = load_with(home.path(), work.path(), overrides, Env::new()).unwrap();
    let config = &loaded.config;
    assert_eq!(config.model, "from-dash-c", "-c beats the file");
    assert_eq!(
        config.approval_policy,
        ApprovalPolicy::Untrusted,
        "flags beat -c and the file"
    );
    assert_eq!(
        config.model_provider.wire_api,
        WireApi::Chat,
        "wire_api = chat is accepted"
    );
    assert_eq!(config.model_provider.query_params["api-version"], "1");
    assert_eq!(
        config.sandbox_policy,
        SandboxPolicy::WorkspaceWrite {
            writable_roots: vec![work.path().join("extra")],
            network_access: false,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false
        }
    );
    let warnings = loaded.warnings.join("\n");
    assert!(
        warnings.contains("unknown configuration key `unknown_top`"),
        "{warnings}"
    );
    assert!(
        warnings.contains("`model_providers.deepseek.mystery`"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("some_codex_feature"),
        "Codex feature switches are accepted: {warnings}"
    );
    assert!(
        config
            .secret_env_names()
            .contains(&"DEEPSEEK_API_KEY".to_string())
    );
}

#[test]
fn profiles_old_and_new_generation() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "model = \"base\"\nprofile = \"fast\"\n[profiles.fast]\nmodel = \"fast-model\"\napproval_policy = \"never\"\n[profiles.deep]\nmodel = \"deep-model\"\n",
    )
    .unwrap();
    std::fs::write(
        home.path().join("deep.config.toml"),
        "model = \"deep-from-file\"\n",
    )
    .unwrap();
    let load = |profile: Option<&str>| {
        load_with(
            home.path(),
            work.path(),
            ConfigOverrides {
                profile: profile.map(str::to_string),
                ..ConfigOverrides::default()
            },
            Env::new(),
        )
    };
    let by_key = load(None).unwrap().config;
    assert_eq!(
        (by_key.model.as_str(), by_key.approval_policy),
        ("fast-model", ApprovalPolicy::Never)
    );
    assert_eq!(
        load(Some("deep")).unwrap().config.model,
        "deep-from-file",
        "the <name>.config.toml file wins"
    );
    let missing = load(Some("nope")).unwrap_err().to_string();
    assert!(missing.contains("profile `nope` not found"), "{missing}");
}

#[test]
fn in_the_home_folder_the_users_own_file_is_not_an_untrusted_project_file() {
    let home = tempfile::tempdir().unwrap();
    let codex_home = home.path().join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    std::fs::write(codex_home.join("config.toml"), "model = \"home-model\"\n").unwrap();
    let loaded = load_with(
        &codex_home,
        home.path(),
        ConfigOverrides::default(),
        Env::new(),
    )
    .unwrap();
    assert_eq!(loaded.config.model, "home-model");
    assert!(
        loaded.warnings.iter().all(|w| !w.contains("not trusted")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn the_second_multi_agent_version_is_a_switch_or_a_table() {
    let load_agents = |text: &str| {
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("config.toml"), text).unwrap();
        let loaded = load_with(
            home.path(),
            work.path(),
            ConfigOverrides::default(),
            Env::new(),
        )
        .unwrap();
        (loaded.config.agents, loaded.warnings)
    };
    let (agents, _) = load_agents("");
    assert_eq!(
        (agents.enabled, agents.version, agents.max_threads),
        (true, MultiAgentVersion::V1, 6)
    );
    let (agents, warnings) = load_agents("[features]\nmulti_agent_v2 = true\n");
    assert_eq!(
        (
            agents.version,
            agents.max_threads,
            agents.collaboration.namespace.as_str()
        ),
        (MultiAgentVersion::V2, 4, "collaboration")
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let (agents, warnings) = load_agents(
        "[features.multi_agent_v2]\nmax_concurrent_threads_per_session = 2\ntool_namespace = \"team\"\nmax_wait_timeout_ms = 60000\nhide_spawn_agent_metadata = true\n",
    );
    assert_eq!(agents.version, MultiAgentVersion::V2, "a table turns it on");
    assert_eq!(agents.max_threads, 2);
    assert_eq!(agents.collaboration.namespace, "team");
    assert_eq!(
        (
            agents.collaboration.default_wait_ms,
            agents.collaboration.max_wait_ms
        ),
        (30_000, 60_000)
    );
    assert!(
        warnings.is_empty(),
        "keys zspark does not use are accepted: {warnings:?}"
    );
    let (agents, warnings) =
        load_agents("[features.multi_agent_v2]\nenabled = false\ntool_namespace = \"no spaces\"\n");
    assert_eq!(agents.version, MultiAgentVersion::V1);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("tool_namespace `no spaces`")),
        "{warnings:?}"
    );
}

#[test]
fn trusted_projects_bring_their_config_and_untrusted_ones_do_not() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join(".git")).unwrap();
    std::fs::create_dir_all(project.path().join(".codex")).unwrap();
    std::fs::write(
        project.path().join(".codex/config.toml"),
        "model = \"project-model\"\n",
    )
    .unwrap();
    let untrusted = load_with(
        home.path(),
        project.path(),
        ConfigOverrides::default(),
        Env::new(),
    )
    .unwrap();
    assert_eq!(untrusted.config.model, codex_core::config::DEFAULT_MODEL);
    assert!(
        untrusted
            .warnings
            .iter()
            .any(|w| w.contains("was ignored because this project is not trusted"))
    );
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
            project.path().display()
        ),
    )
    .unwrap();
    let trusted = load_with(
        home.path(),
        &project.path().join("."),
        ConfigOverrides::default(),
        Env::new(),
    )
    .unwrap();
    assert_eq!(trusted.config.model, "project-model");
    assert_eq!(
        trusted.config.sandbox_policy.mode(),
        SandboxMode::WorkspaceWrite,
        "trusted default"
    );
}

#[test]
fn bad_configuration_gives_messages_that_name_the_cause() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let error = |text: &str, overrides: ConfigOverrides| {
        std::fs::write(home.path().join("config.toml"), text).unwrap();
        load_with(home.path(), work.path(), overrides, Env::new())
            .unwrap_err()
            .to_string()
    };
    let syntax = error("model = \"unterminated\n", ConfigOverrides::default());
    assert!(
        syntax.contains("config.toml is not valid configuration") && syntax.contains("line 1"),
        "{syntax}"
    );
    let value = error(
        "\n\napproval_policy = \"sometimes\"\n",
        ConfigOverrides::default(),
    );
    assert!(
        value.contains("line 3") && value.contains("sometimes"),
        "{value}"
    );
    let provider = error(
        "",
        ConfigOverrides {
            model_provider: Some("nowhere".into()),
            ..ConfigOverrides::default()
        },
    );
    assert!(
        provider.contains("unknown model provider `nowhere`") && provider.contains("openai"),
        "{provider}"
    );
    let bad_override = error(
        "",
        ConfigOverrides {
            config_overrides: vec!["no-equals".into()],
            ..ConfigOverrides::default()
        },
    );
    assert!(
        bad_override.contains("invalid override `-c no-equals`"),
        "{bad_override}"
    );
    for (base_url, problem) in [
        ("localhost:8080/v1", "must start with http:// or https://"),
        ("api.deepseek.com/v1", "relative URL without a base"),
        ("http://", "empty host"),
    ] {
        let not_a_url = error(
            &format!(
                "model_provider = \"mine\"\n[model_providers.mine]\nname = \"Mine\"\nbase_url = \"{base_url}\"\n"
            ),
            ConfigOverrides::default(),
        );
        assert!(
            not_a_url.contains(&format!(
                "model provider `mine` has base_url `{base_url}`, which is not a URL"
            )) && not_a_url.contains(problem),
            "{not_a_url}"
        );
    }
    std::fs::write(home.path().join("config.toml"), [0xff, 0xfe]).unwrap();
    let binary = load_with(
        home.path(),
        work.path(),
        ConfigOverrides::default(),
        Env::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(binary.contains("not UTF-8"), "{binary}");
}

#[test]
fn provider_defaults() {
    let provider = ModelProviderInfo::default();
    assert_eq!(provider.request_max_retries(), 4);
    assert_eq!(provider.stream_max_retries(), 5);
    assert_eq!(provider.stream_idle_timeout().as_secs(), 300);
}

#[tokio::test]
async fn configuration_warnings_arrive_as_events() {
    let server = codex_test_support::ScriptedModelServer::start(vec![]).unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let toml = super::config_toml(&server.base_url(), "typo_key = 1");
    std::fs::write(home.path().join("config.toml"), toml).unwrap();
    let loaded = super::load(home.path(), work.path(), test_env(home.path()));
    let mut codex = codex_core::Codex::new();
    codex
        .start_thread(loaded, codex_core::ThreadStart::new())
        .await
        .unwrap();
    assert!(matches!(
        super::next(&mut codex).await,
        EventMsg::SessionConfigured(_)
    ));
    assert!(
        matches!(super::next(&mut codex).await, EventMsg::Warning { message } if message.contains("typo_key"))
    );
}

#[tokio::test]
async fn a_missing_api_key_and_an_unreachable_provider_fail_the_turn_clearly() {
    let mut harness = Harness::start(vec![Turn::text("never sent")]).await;
    drop(std::mem::replace(
        &mut harness.server,
        codex_test_support::ScriptedModelServer::start(vec![]).unwrap(),
    ));
    let events = harness.turn("hello").await;
    let Some(EventMsg::TurnFailed { message, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert!(
        message.contains("could not reach") && message.contains("base_url"),
        "{message}"
    );

    let server = codex_test_support::ScriptedModelServer::start(vec![]).unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        super::config_toml(&server.base_url(), ""),
    )
    .unwrap();
    let mut env = test_env(home.path());
    env.remove("MOCK_KEY");
    let loaded = super::load(home.path(), work.path(), env);
    let mut no_key =
        Harness::begin(server, home, work, loaded, codex_core::ThreadStart::new()).await;
    let events = no_key.turn("hello").await;
    let Some(EventMsg::TurnFailed { message, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert!(
        message.contains("set the environment variable MOCK_KEY"),
        "{message}"
    );
    assert!(
        no_key.server.requests().is_empty(),
        "nothing was sent without a key"
    );
}

#[test]
fn mcp_servers_are_read_and_a_broken_one_is_left_out_with_a_warning() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        r#"
[mcp_servers.docs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-everything"]
startup_timeout_sec = 45
mystery = 1

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
bearer_token_env_var = "REMOTE_TOKEN"

[mcp_servers.broken]
command = "x"
url = "https://example.com"
"#,
    )
    .unwrap();
    let loaded = load_with(
        home.path(),
        work.path(),
        ConfigOverrides::default(),
        Env::new(),
    )
    .unwrap();
    let names: Vec<&str> = loaded
        .config
        .mcp_servers
        .iter()
        .map(|server| server.name.as_str())
        .collect();
    assert_eq!(names, ["docs", "remote"]);
    assert_eq!(
        loaded.config.mcp_servers[0].startup_timeout,
        std::time::Duration::from_secs(45)
    );
    let warnings = loaded.warnings.join("\n");
    assert!(
        warnings.contains("[mcp_servers.broken]: url is not supported for stdio"),
        "{warnings}"
    );
    assert!(
        warnings.contains("unknown configuration key `mcp_servers.docs.mystery`"),
        "{warnings}"
    );
}

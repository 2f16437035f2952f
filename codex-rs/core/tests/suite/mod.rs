//! Test modules and the harness they share: a scripted model server, a temporary
//! CODEX_HOME and working directory, and a started session.

mod agents;
mod approvals;
mod chat;
mod collaboration;
mod compaction;
mod config;
mod context;
mod interrupt;
mod mcp;
mod mcp_oauth;
mod memories;
mod replay;
mod retries;
mod rollout;
#[cfg(target_os = "linux")]
mod sandbox;
mod skills;
mod threads;
mod tools;
mod turn;

use std::path::Path;
use std::time::Duration;

use codex_core::config::Env;
use codex_core::{Codex, ConfigOverrides, LoadedConfig, SessionSource, ThreadStart, load_config};
use codex_protocol::{EventMsg, InputItem, Op, ThreadId, TurnOverrides};
use codex_test_support::{ScriptedModelServer, Turn};
use tempfile::TempDir;

pub struct Harness {
    pub server: ScriptedModelServer,
    pub home: TempDir,
    pub work: TempDir,
    pub codex: Codex,
    /// The thread the harness drives.
    pub thread: ThreadId,
    pub configured: codex_protocol::SessionConfiguredEvent,
}

/// `config.toml` pointing at the scripted server, plus `extra` lines.
pub fn config_toml(base_url: &str, extra: &str) -> String {
    let mut top = String::from("model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\n");
    if !extra.contains("approval_policy") {
        top.push_str("approval_policy = \"never\"\n");
    }
    if !extra.contains("sandbox_mode") {
        top.push_str("sandbox_mode = \"danger-full-access\"\n");
    }
    format!(
        "{top}{extra}\n\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{base_url}\"\nenv_key = \"MOCK_KEY\"\nrequest_max_retries = 2\nstream_max_retries = 2\n"
    )
}

pub fn test_env(home: &Path) -> Env {
    let mut env = Env::new();
    env.insert("HOME".into(), home.display().to_string());
    env.insert("MOCK_KEY".into(), "sk-test".into());
    env.insert("SHELL".into(), "/bin/bash".into());
    env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    env.insert("TZ".into(), "UTC".into());
    env
}

pub fn load(home: &Path, cwd: &Path, env: Env) -> LoadedConfig {
    load_config(
        home,
        cwd,
        &ConfigOverrides::default(),
        env,
        SessionSource::Exec,
    )
    .unwrap()
}

impl Harness {
    pub async fn start(turns: Vec<Turn>) -> Self {
        Self::with(turns, "").await
    }

    /// A started session whose config.toml has `extra` top-level lines.
    pub async fn with(turns: Vec<Turn>, extra: &str) -> Self {
        Self::with_provider(turns, extra, "").await
    }

    /// As [`Harness::with`], with `provider_extra` lines in the mock provider's table.
    pub async fn with_provider(turns: Vec<Turn>, extra: &str, provider_extra: &str) -> Self {
        let server = ScriptedModelServer::start(turns).unwrap();
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let toml = format!(
            "{}{provider_extra}\n",
            config_toml(&server.base_url(), extra)
        );
        std::fs::write(home.path().join("config.toml"), toml).unwrap();
        let loaded = load(home.path(), work.path(), test_env(home.path()));
        Self::begin(server, home, work, loaded, ThreadStart::new()).await
    }

    /// A harness driving a thread started with `start` on a runtime of its own.
    pub async fn begin(
        server: ScriptedModelServer,
        home: TempDir,
        work: TempDir,
        loaded: LoadedConfig,
        start: ThreadStart,
    ) -> Self {
        let mut codex = Codex::new();
        let thread = codex.start_thread(loaded, start).await.unwrap();
        let configured = loop {
            match next(&mut codex).await {
                EventMsg::SessionConfigured(configured) => break configured,
                EventMsg::Warning { .. } => {}
                other => panic!("expected SessionConfigured, got {other:?}"),
            }
        };
        assert_eq!(configured.session_id, thread.as_str());
        Self {
            server,
            home,
            work,
            codex,
            thread,
            configured,
        }
    }

    /// Sends `op` to the harness's thread.
    pub async fn submit(&self, op: Op) -> String {
        self.codex.submit(&self.thread, op).await.unwrap()
    }

    /// Runs a text turn and returns its events up to and including its end.
    pub async fn turn(&mut self, text: &str) -> Vec<EventMsg> {
        self.submit_turn(text).await;
        self.until_turn_end().await
    }

    pub async fn submit_turn(&mut self, text: &str) {
        self.submit(Op::UserTurn {
            items: vec![InputItem::Text { text: text.into() }],
            overrides: TurnOverrides::default(),
        })
        .await;
    }

    pub async fn until_turn_end(&mut self) -> Vec<EventMsg> {
        self.until(|event| {
            matches!(
                event,
                EventMsg::TurnComplete { .. }
                    | EventMsg::TurnAborted { .. }
                    | EventMsg::TurnFailed { .. }
            )
        })
        .await
    }

    /// Events up to and including the first one matching `stop`.
    pub async fn until(&mut self, stop: impl Fn(&EventMsg) -> bool) -> Vec<EventMsg> {
        let mut events = Vec::new();
        loop {
            let event = next(&mut self.codex).await;
            let done = stop(&event);
            events.push(event);
            if done {
                return events;
            }
        }
    }

    pub fn work_path(&self) -> &Path {
        self.work.path()
    }
}

pub async fn next(codex: &mut Codex) -> EventMsg {
    tokio::time::timeout(Duration::from_secs(30), codex.next_event())
        .await
        .expect("an event within 30 s")
        .expect("the session is still running")
        .msg
}

/// The output text a request sent back for `call_id`.
pub fn output_for(request: &codex_test_support::RecordedRequest, call_id: &str) -> String {
    request
        .input_items()
        .iter()
        .find(|item| {
            item["call_id"] == call_id
                && matches!(
                    item["type"].as_str(),
                    Some("function_call_output" | "custom_tool_call_output")
                )
        })
        .map(|item| match &item["output"] {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| panic!("no output for {call_id} in {:?}", request.input_items()))
}

pub fn last_event<'a, T>(events: &'a [EventMsg], pick: impl Fn(&'a EventMsg) -> Option<T>) -> T {
    events
        .iter()
        .rev()
        .find_map(pick)
        .expect("the event is there")
}

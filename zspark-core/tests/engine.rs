//! The engine against a scripted model server: a profile saved through the engine is
//! what the session uses (its key arrives as the bearer token), a turn streams and
//! completes, the session is listed and resumes with its history, and a deleted folder
//! or a corrupt rollout is a clear failure rather than a hang; the files a turn wrote
//! come back as artifacts that open and save only inside the session's folder;
//! attachments and skills are prepared off the caller's thread; a shared-workspace
//! server is reached with a development identity, and through a real OpenID provider's
//! sign-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_protocol::{EventMsg, InputItem, Op, TurnOverrides, WireApi};
use codex_test_support::{Reply, ScriptedModelServer, Turn};
use support::start_server;
use zspark_auth::signin::{BrowserError, OpenBrowser, SignInSettings, SystemBrowser};
use zspark_core::{
    ArtifactKind, AttachmentKind, Engine, EngineCommand, EngineEvent, EngineSetup, FileCommand,
    Launcher, McpCommand, McpServerEntry, McpSignIn, Preview, ProviderProfile, SecretBackend,
    SessionSettings, SessionStart, SharedCommand, SharedIdentity, SharedServer, SharedStatus,
    SystemLauncher,
};

const WAIT: Duration = Duration::from_secs(20);

fn engine(codex_home: &Path) -> (Engine, Arc<AtomicUsize>) {
    engine_with(
        codex_home,
        Arc::new(SystemLauncher),
        Arc::new(SystemBrowser),
    )
}

fn engine_with(
    codex_home: &Path,
    launcher: Arc<dyn Launcher>,
    browser: Arc<dyn OpenBrowser>,
) -> (Engine, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = wakes.clone();
    let engine = Engine::start(
        EngineSetup {
            codex_home: codex_home.to_path_buf(),
            env: [("HOME".to_string(), codex_home.display().to_string())].into(),
            secrets: SecretBackend::FileOnly,
            launcher,
            browser,
        },
        Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .unwrap();
    (engine, wakes)
}

/// Waits for the first event `pick` accepts, failing on timeout.
fn wait_for<T>(engine: &mut Engine, mut pick: impl FnMut(&EngineEvent) -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let event = engine
            .wait_event(left)
            .expect("timed out waiting for an event");
        if let Some(found) = pick(&event) {
            return found;
        }
    }
}

fn profile(base_url: String) -> ProviderProfile {
    ProviderProfile {
        id: "scripted".into(),
        name: "Scripted".into(),
        base_url,
        wire_api: WireApi::Responses,
        model: "scripted-model".into(),
        env_key: "SCRIPTED_KEY".into(),
        headers: [("X-Workspace".to_string(), "desk".to_string())].into(),
    }
}

fn text_turn(text: &str) -> Op {
    Op::UserTurn {
        items: vec![InputItem::Text { text: text.into() }],
        overrides: TurnOverrides::default(),
    }
}

#[test]
fn a_saved_profile_runs_a_turn_and_the_session_resumes() {
    let home = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let server = ScriptedModelServer::start([
        Reply::new()
            .message("Hello from the model")
            .delta_chars(3)
            .into(),
        Turn::text("Second answer"),
    ])
    .unwrap();
    let (mut engine, wakes) = engine(home.path());

    engine
        .send(EngineCommand::SaveProvider {
            profile: profile(server.base_url()),
            api_key: Some("sk-desk-0123456789".into()),
            make_default: true,
        })
        .unwrap();
    let saved = wait_for(&mut engine, |event| match event {
        EngineEvent::ProviderSaved { id, .. } => Some(id.clone()),
        EngineEvent::ProviderError(message) => panic!("{message}"),
        _ => None,
    });
    assert_eq!(saved, "scripted");

    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::New,
            cwd: Some(workspace.path().to_path_buf()),
            settings: SessionSettings::default(),
        })
        .unwrap();
    let session = wait_for(&mut engine, |event| match event {
        EngineEvent::Runtime {
            session,
            event:
                codex_protocol::Event {
                    msg: EventMsg::SessionConfigured(configured),
                    ..
                },
        } => {
            assert_eq!(configured.model, "scripted-model");
            assert_eq!(configured.model_provider_id, "scripted");
            Some(*session)
        }
        EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    engine
        .send(EngineCommand::Submit {
            session,
            op: text_turn("hi"),
        })
        .unwrap();
    let mut streamed = String::new();
    let last = wait_for(&mut engine, |event| match event {
        EngineEvent::Runtime { event, .. } => match &event.msg {
            EventMsg::AgentMessageDelta { delta } => {
                streamed.push_str(delta);
                None
            }
            EventMsg::TurnComplete {
                last_agent_message, ..
            } => Some(last_agent_message.clone()),
            EventMsg::TurnFailed { message, .. } => panic!("{message}"),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(last.as_deref(), Some("Hello from the model"));
    assert_eq!(streamed, "Hello from the model");
    assert!(
        wakes.load(Ordering::Relaxed) > 0,
        "the waker was never called"
    );
    let request = &server.model_requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sk-desk-0123456789")
    );
    assert_eq!(request.header("x-workspace"), Some("desk"));

    engine.send(EngineCommand::RefreshSessions).unwrap();
    let listed = wait_for(&mut engine, |event| match event {
        EngineEvent::Sessions(catalogue) => Some(catalogue.clone()),
        _ => None,
    });
    assert_eq!(listed.len(), 1);
    let stored = listed.groups[0].sessions[0].clone();
    assert_eq!(stored.title, "hi");
    assert_eq!(listed.groups[0].folder.as_deref(), Some(workspace.path()));

    // A session that is open cannot be opened twice; once closed it resumes.
    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::Resume {
                rollout_path: stored.path.clone(),
            },
            cwd: None,
            settings: SessionSettings::default(),
        })
        .unwrap();
    let refused = wait_for(&mut engine, |event| match event {
        EngineEvent::SessionFailed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(refused.contains("open already"), "{refused}");
    engine
        .send(EngineCommand::CloseSession { session })
        .unwrap();
    wait_for(&mut engine, |event| match event {
        EngineEvent::SessionEnded { session: ended } if *ended == session => Some(()),
        _ => None,
    });

    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::Resume {
                rollout_path: stored.path.clone(),
            },
            cwd: None,
            settings: SessionSettings::default(),
        })
        .unwrap();
    let (resumed, replayed) = wait_for(&mut engine, |event| match event {
        EngineEvent::Runtime {
            session,
            event:
                codex_protocol::Event {
                    msg: EventMsg::SessionConfigured(configured),
                    ..
                },
        } => Some((*session, configured.initial_messages.clone())),
        EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    assert!(
        resumed > session,
        "a new session number for the resumed session"
    );
    assert!(
        replayed.contains(&EventMsg::AgentMessage {
            message: "Hello from the model".into()
        }),
        "the resumed session carries its conversation: {replayed:?}"
    );
}

#[test]
fn a_deleted_folder_or_a_corrupt_rollout_fails_with_a_next_step() {
    let home = tempfile::tempdir().unwrap();
    let (mut engine, _) = engine(home.path());
    let gone = home.path().join("deleted-project");
    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::New,
            cwd: Some(gone.clone()),
            settings: SessionSettings::default(),
        })
        .unwrap();
    let message = wait_for(&mut engine, |event| match event {
        EngineEvent::SessionFailed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(
        message.contains("does not exist any more") && message.contains("Choose another folder"),
        "{message}"
    );

    let corrupt = home.path().join("sessions/2026/11/24/rollout-2026-11-24T10-00-00-0190b5f2-7c4a-7d1e-9a53-3c2f0b6e4d11.jsonl");
    std::fs::create_dir_all(corrupt.parent().unwrap()).unwrap();
    std::fs::write(&corrupt, "this is not json\n").unwrap();
    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::Resume {
                rollout_path: corrupt.clone(),
            },
            cwd: None,
            settings: SessionSettings::default(),
        })
        .unwrap();
    let message = wait_for(&mut engine, |event| match event {
        EngineEvent::SessionFailed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(message.contains("cannot be opened"), "{message}");

    engine
        .send(EngineCommand::Submit {
            session: 999,
            op: text_turn("anyone?"),
        })
        .unwrap();
    let problem = wait_for(&mut engine, |event| match event {
        EngineEvent::Problem(message) => Some(message.clone()),
        _ => None,
    });
    assert!(problem.contains("not open any more"), "{problem}");
}

/// Records what it was asked to open or reveal instead of launching anything.
#[derive(Debug, Default)]
struct RecordingLauncher {
    asked: Mutex<Vec<(&'static str, PathBuf)>>,
}

impl Launcher for RecordingLauncher {
    fn open(&self, path: &Path) -> Result<(), zspark_core::LaunchError> {
        self.asked
            .lock()
            .unwrap()
            .push(("open", path.to_path_buf()));
        Ok(())
    }

    fn reveal(&self, path: &Path) -> Result<(), zspark_core::LaunchError> {
        self.asked
            .lock()
            .unwrap()
            .push(("reveal", path.to_path_buf()));
        Ok(())
    }
}

#[test]
fn a_turn_reports_the_files_it_wrote_and_they_open_and_save_only_inside_the_folder() {
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    let workspace = root.join("workspace");
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(workspace.join("out")).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(workspace.join("before.txt"), "written before the turn").unwrap();
    std::fs::File::options()
        .write(true)
        .open(workspace.join("before.txt"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    std::fs::write(elsewhere.join("private.txt"), "not for the agent").unwrap();
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                serde_json::json!({
                    "cmd": "printf 'city,people\\nOslo,700000\\n' > out/report.csv && echo hi > notes.md"
                })
                .to_string(),
            )
            .into(),
        Turn::text("Wrote a report"),
    ])
    .unwrap();
    let launcher = Arc::new(RecordingLauncher::default());
    let (mut engine, _) = engine_with(home.path(), launcher.clone(), Arc::new(SystemBrowser));
    engine
        .send(EngineCommand::SaveProvider {
            profile: profile(server.base_url()),
            api_key: Some("sk-files".into()),
            make_default: true,
        })
        .unwrap();
    wait_for(&mut engine, |event| match event {
        EngineEvent::ProviderSaved { .. } => Some(()),
        EngineEvent::ProviderError(message) => panic!("{message}"),
        _ => None,
    });
    engine
        .send(EngineCommand::OpenSession {
            start: SessionStart::New,
            cwd: Some(workspace.clone()),
            settings: SessionSettings {
                approval_policy: Some(codex_protocol::ApprovalPolicy::Never),
                sandbox_mode: Some(codex_protocol::SandboxMode::DangerFullAccess),
                ..SessionSettings::default()
            },
        })
        .unwrap();
    let session = wait_for(&mut engine, |event| match event {
        EngineEvent::SessionOpening { session, .. } => Some(*session),
        EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    engine
        .send(EngineCommand::Submit {
            session,
            op: text_turn("write a report"),
        })
        .unwrap();
    let artifacts = wait_for(&mut engine, |event| match event {
        EngineEvent::Artifacts { artifacts, .. } => Some(artifacts.clone()),
        EngineEvent::SessionFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    let mut paths: Vec<PathBuf> = artifacts.iter().map(|a| a.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [workspace.join("notes.md"), workspace.join("out/report.csv")],
        "only what the turn wrote"
    );
    let report = artifacts
        .iter()
        .find(|artifact| artifact.path.ends_with("report.csv"))
        .unwrap();
    assert_eq!(report.kind, ArtifactKind::Table);
    assert_eq!(
        report.preview,
        Preview::Table {
            rows: vec![
                vec!["city".to_string(), "people".to_string()],
                vec!["Oslo".to_string(), "700000".to_string()],
            ],
            more: false
        }
    );

    for command in [
        FileCommand::Open {
            workspace: workspace.clone(),
            path: workspace.join("out/../out/report.csv"),
        },
        FileCommand::Reveal {
            workspace: workspace.clone(),
            path: workspace.join("notes.md"),
        },
        FileCommand::Open {
            workspace: workspace.clone(),
            path: elsewhere.join("private.txt"),
        },
    ] {
        engine.send(EngineCommand::File(command)).unwrap();
    }
    let refused = wait_for(&mut engine, |event| match event {
        EngineEvent::Problem(message) => Some(message.clone()),
        _ => None,
    });
    assert!(
        refused.contains("outside the session's folder"),
        "{refused}"
    );
    let deadline = std::time::Instant::now() + WAIT;
    while launcher.asked.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut asked = launcher.asked.lock().unwrap().clone();
    asked.sort();
    assert_eq!(
        asked,
        [
            ("open", workspace.join("out/report.csv")),
            ("reveal", workspace.join("notes.md")),
        ],
        "real paths, and nothing outside the folder"
    );

    engine
        .send(EngineCommand::File(FileCommand::SaveAs {
            workspace: workspace.clone(),
            path: workspace.join("out/report.csv"),
            destination: elsewhere.join("report copy.csv"),
        }))
        .unwrap();
    let saved = wait_for(&mut engine, |event| match event {
        EngineEvent::FileSaved { destination } => Some(destination.clone()),
        EngineEvent::Problem(message) => panic!("{message}"),
        _ => None,
    });
    assert_eq!(
        std::fs::read_to_string(saved).unwrap(),
        "city,people\nOslo,700000\n"
    );
}

#[test]
fn attachments_and_skills_are_prepared_by_the_engine() {
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    let workspace = root.join("workspace");
    std::fs::create_dir_all(workspace.join(".git")).unwrap();
    let skills = workspace.join(".codex/skills");
    std::fs::create_dir_all(skills.join("slides")).unwrap();
    std::fs::create_dir_all(skills.join("broken")).unwrap();
    std::fs::write(
        skills.join("slides/SKILL.md"),
        "---\nname: slides\ndescription: Make a slide deck\n---\nSteps.\n",
    )
    .unwrap();
    std::fs::write(skills.join("broken/SKILL.md"), "no front matter here\n").unwrap();
    std::fs::write(root.join("photo.png"), b"\x89PNG\r\n\x1a\nrest").unwrap();
    let (mut engine, _) = engine(home.path());

    engine
        .send(EngineCommand::File(FileCommand::Attach {
            session: 7,
            workspace: workspace.clone(),
            files: vec![root.join("photo.png"), root.clone()],
        }))
        .unwrap();
    let attached = wait_for(&mut engine, |event| match event {
        EngineEvent::Attached {
            session: 7,
            results,
        } => Some(results.clone()),
        _ => None,
    });
    let image = attached[0].as_ref().unwrap();
    assert_eq!(image.kind, AttachmentKind::Image);
    assert!(
        image
            .path
            .starts_with(workspace.join(".zspark/attachments"))
    );
    assert!(attached[1].as_ref().unwrap_err().contains("is a folder"));

    engine
        .send(EngineCommand::File(FileCommand::ListSkills {
            cwd: workspace.clone(),
        }))
        .unwrap();
    let catalog = wait_for(&mut engine, |event| match event {
        EngineEvent::Skills { catalog, .. } => Some(catalog.clone()),
        _ => None,
    });
    let names: Vec<&str> = catalog.skills.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"slides"), "{names:?}");
    assert_eq!(catalog.errors.len(), 1, "{:?}", catalog.errors);
    assert!(catalog.errors[0].path.ends_with("broken/SKILL.md"));
}

fn shared_status(engine: &mut Engine, command: SharedCommand) -> SharedStatus {
    engine.send(EngineCommand::Shared(command)).unwrap();
    wait_for(engine, |event| match event {
        EngineEvent::Shared(status) => Some(status.clone()),
        _ => None,
    })
}

#[test]
fn a_development_server_lists_and_creates_shared_workspaces() {
    let home = tempfile::tempdir().unwrap();
    let server = start_server(&[]);
    let (mut engine, _) = engine(home.path());

    let refused = shared_status(
        &mut engine,
        SharedCommand::Connect(SharedServer {
            url: "not an address".into(),
            identity: SharedIdentity::Development {
                user: "alice".into(),
            },
        }),
    );
    assert!(
        refused
            .problem
            .as_deref()
            .unwrap()
            .contains("not a server address"),
        "{refused:?}"
    );

    let connected = shared_status(
        &mut engine,
        SharedCommand::Connect(SharedServer {
            url: format!("{}/", server.base),
            identity: SharedIdentity::Development {
                user: "alice".into(),
            },
        }),
    );
    assert_eq!(connected.signed_in_as.as_deref(), Some("alice"));
    assert!(connected.workspaces.is_empty() && connected.problem.is_none());
    let created = shared_status(
        &mut engine,
        SharedCommand::CreateWorkspace {
            name: "Quarterly numbers".into(),
        },
    );
    let names: Vec<(&str, &str)> = created
        .workspaces
        .iter()
        .map(|workspace| (workspace.name.as_str(), workspace.role.as_str()))
        .collect();
    assert_eq!(names, [("Quarterly numbers", "owner")]);
    let unnamed = shared_status(
        &mut engine,
        SharedCommand::CreateWorkspace { name: " ".into() },
    );
    assert!(unnamed.problem.unwrap().contains("name"));

    let gone = shared_status(
        &mut engine,
        SharedCommand::Connect(SharedServer {
            url: "http://127.0.0.1:9".into(),
            identity: SharedIdentity::Development {
                user: "alice".into(),
            },
        }),
    );
    assert!(
        gone.problem.as_deref().unwrap().contains("Cannot reach"),
        "{gone:?}"
    );
}

/// The test's stand-in browser as the engine sees it.
struct Browser(codex_test_support::oidc::TestBrowser);

impl OpenBrowser for Browser {
    fn open(&self, url: &str) -> Result<(), BrowserError> {
        self.0.open(url).map_err(BrowserError)
    }
}

#[test]
fn the_engine_signs_in_through_a_real_provider_and_the_server_knows_the_user() {
    use codex_test_support::oidc::{
        API, DESKTOP, TENANT, TestBrowser, api_scope, provider_dir, start_provider,
    };
    let Some(dir) = provider_dir() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let provider = runtime.block_on(start_provider(&dir, "carol-oid"));
    let server = start_server(&[
        "--tenant-id",
        TENANT,
        "--client-id",
        API,
        "--authority",
        &provider.issuer,
    ]);
    let (browser, mut requests) = TestBrowser::new(zspark_auth::http_client().unwrap());
    let user = browser.clone();
    runtime.spawn(async move { user.sign_in_when_asked(&mut requests).await });
    let home = tempfile::tempdir().unwrap();
    let (mut first, _) = engine_with(
        home.path(),
        Arc::new(SystemLauncher),
        Arc::new(Browser(browser)),
    );
    let entra = SharedServer {
        url: server.base.clone(),
        identity: SharedIdentity::SignIn(SignInSettings {
            authority: provider.issuer.clone(),
            client_id: DESKTOP.into(),
            api_scope: api_scope(),
        }),
    };

    let before = shared_status(&mut first, SharedCommand::Connect(entra.clone()));
    assert_eq!(
        (before.signed_in_as, before.problem),
        (None, None),
        "signed out at first"
    );
    let signed_in = shared_status(&mut first, SharedCommand::SignIn { device_code: false });
    assert_eq!(
        signed_in.signed_in_as.as_deref(),
        Some("carol-oid@example.com"),
        "{signed_in:?}"
    );
    let created = shared_status(
        &mut first,
        SharedCommand::CreateWorkspace {
            name: "Entra team".into(),
        },
    );
    assert_eq!(created.workspaces[0].name, "Entra team");

    // A restart finds the sign-in kept; signing out forgets it.
    drop(first);
    let (mut restarted, _) = engine(home.path());
    let restored = shared_status(&mut restarted, SharedCommand::Connect(entra.clone()));
    assert_eq!(restored.workspaces.len(), 1, "{restored:?}");
    let out = shared_status(&mut restarted, SharedCommand::SignOut);
    assert_eq!((out.signed_in_as, out.workspaces.len()), (None, 0));
    drop(restarted);
    let (mut again, _) = engine(home.path());
    let after = shared_status(&mut again, SharedCommand::Connect(entra));
    assert_eq!(after.signed_in_as, None);
}

fn mcp_servers(engine: &mut Engine, command: McpCommand) -> Vec<McpServerEntry> {
    engine.send(EngineCommand::Mcp(command)).unwrap();
    wait_for(engine, |event| match event {
        EngineEvent::McpServers(Ok(servers)) => Some(servers.clone()),
        _ => None,
    })
}

#[test]
fn the_engine_signs_in_to_an_oauth_mcp_server_through_the_browser_and_out() {
    use codex_test_support::oidc::{
        TestBrowser, mcp_sdk_dir, provider_dir, start_oauth_mcp_server,
    };
    let (Some(provider), Some(sdk)) = (provider_dir(), mcp_sdk_dir()) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(start_oauth_mcp_server(&provider, &sdk, "dana", 3600));
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "mcp_oauth_credentials_store = \"file\"\n\n[mcp_servers.local]\ncommand = \"true\"\n\n[mcp_servers.protected]\nurl = {:?}\n",
            server.url
        ),
    )
    .unwrap();
    let (browser, mut requests) = TestBrowser::new(zspark_auth::http_client().unwrap());
    let user = browser.clone();
    runtime.spawn(async move { user.sign_in_when_asked(&mut requests).await });
    let (mut engine, _) = engine_with(
        home.path(),
        Arc::new(SystemLauncher),
        Arc::new(Browser(browser)),
    );
    let sign_in_of = |servers: &[McpServerEntry], name: &str| {
        servers
            .iter()
            .find(|server| server.name == name)
            .unwrap()
            .sign_in
    };

    let listed = mcp_servers(&mut engine, McpCommand::Load);
    assert_eq!(sign_in_of(&listed, "local"), McpSignIn::NotApplicable);
    assert_eq!(sign_in_of(&listed, "protected"), McpSignIn::SignedOut);

    engine
        .send(EngineCommand::Mcp(McpCommand::SignIn {
            name: "protected".into(),
        }))
        .unwrap();
    let page = wait_for(&mut engine, |event| match event {
        EngineEvent::McpSignInPage { server, url } => Some((server.clone(), url.clone())),
        _ => None,
    });
    assert_eq!(page.0, "protected");
    assert!(
        page.1.contains("code_challenge="),
        "a PKCE sign-in page: {}",
        page.1
    );
    let after = wait_for(&mut engine, |event| match event {
        EngineEvent::McpServers(Ok(servers)) => Some(servers.clone()),
        EngineEvent::Problem(problem) => panic!("the sign-in failed: {problem}"),
        _ => None,
    });
    assert_eq!(sign_in_of(&after, "protected"), McpSignIn::SignedIn);
    assert!(home.path().join(".credentials.json").is_file());

    let stdio = {
        engine
            .send(EngineCommand::Mcp(McpCommand::SignIn {
                name: "local".into(),
            }))
            .unwrap();
        wait_for(&mut engine, |event| match event {
            EngineEvent::Problem(problem) => Some(problem.clone()),
            _ => None,
        })
    };
    assert!(
        stdio.contains("only HTTP servers take a sign-in"),
        "{stdio}"
    );
    let unchanged = wait_for(&mut engine, |event| match event {
        EngineEvent::McpServers(Ok(servers)) => Some(servers.clone()),
        _ => None,
    });
    assert_eq!(sign_in_of(&unchanged, "protected"), McpSignIn::SignedIn);

    let out = mcp_servers(
        &mut engine,
        McpCommand::SignOut {
            name: "protected".into(),
        },
    );
    assert_eq!(sign_in_of(&out, "protected"), McpSignIn::SignedOut);
}

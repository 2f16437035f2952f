//! What zspark-gui's tests and benchmarks share: the desktop harness (the real app on a
//! temporary `CODEX_HOME`, scripted file dialogs, a launcher that records what it would
//! open, helpers that wait for labels, stored sessions to open), `zspark serve` run
//! as a process of its own, a workspace with members and a session shared from a
//! window, and a PostgreSQL database of a test's own.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "each user takes part of the harness; a failed unwrap is a failed test"
)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codex_protocol::{ApprovalPolicy, SandboxMode};
use codex_test_support::ScriptedModelServer;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serde_json::{Value, json};
use zspark_auth::signin::{BrowserError, OpenBrowser};
use zspark_core::{EngineSetup, Launcher, SecretBackend};
use zspark_gui::desktop::{
    DesktopApp, DesktopSetup, FileDialogs, FolderPolicy, Notifier, Prefs, SharedIdentityPrefs,
    SharedServerPrefs,
};

pub const WAIT: Duration = Duration::from_secs(30);

/// File dialogs that answer from a script: the next files to pick, the next place to
/// save to, the next folder to work in.
#[derive(Default)]
pub struct ScriptedDialogs {
    pub picks: Mutex<VecDeque<Vec<PathBuf>>>,
    pub saves: Mutex<VecDeque<PathBuf>>,
    pub folders: Mutex<VecDeque<PathBuf>>,
}

impl FileDialogs for ScriptedDialogs {
    fn pick_files(&self, _start_in: &Path) -> Vec<PathBuf> {
        self.picks.lock().unwrap().pop_front().unwrap_or_default()
    }

    fn save_file(&self, _start_in: &Path, _file_name: &str) -> Option<PathBuf> {
        self.saves.lock().unwrap().pop_front()
    }

    fn pick_folder(&self, _start_in: &Path, _title: &str) -> Option<PathBuf> {
        self.folders.lock().unwrap().pop_front()
    }
}

/// Records what the desktop asked the system to open instead of opening it.
#[derive(Debug, Default)]
pub struct RecordingLauncher {
    pub opened: Mutex<Vec<PathBuf>>,
}

impl Launcher for RecordingLauncher {
    fn open(&self, path: &Path) -> Result<(), zspark_core::LaunchError> {
        self.opened.lock().unwrap().push(path.to_path_buf());
        Ok(())
    }

    fn reveal(&self, path: &Path) -> Result<(), zspark_core::LaunchError> {
        self.open(path)
    }
}

/// Records the notifications the desktop asked the system to show.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    pub shown: Mutex<Vec<(String, String)>>,
}

impl Notifier for RecordingNotifier {
    fn notify(&self, title: &str, body: &str) {
        self.shown
            .lock()
            .unwrap()
            .push((title.to_string(), body.to_string()));
    }
}

/// Tests sign in through the engine's own tests; a desk opens no browser.
pub struct NoBrowser;

impl OpenBrowser for NoBrowser {
    fn open(&self, url: &str) -> Result<(), BrowserError> {
        Err(BrowserError(format!(
            "the desktop tests open no browser (asked for {url})"
        )))
    }
}

/// Whether a desk draws pixels (for snapshots) or only its accessibility tree.
#[derive(Clone, Copy)]
pub enum Drawing {
    AccessibilityOnly,
    Pixels,
}

/// The app, built on the harness's first frame (it needs the harness's context).
pub struct Slot {
    pub setup: Option<DesktopSetup>,
    pub app: Option<DesktopApp>,
}

pub struct Desk {
    pub harness: Harness<'static, Slot>,
    pub codex_home: PathBuf,
    pub workspace: PathBuf,
    pub dialogs: Arc<ScriptedDialogs>,
    pub launcher: Arc<RecordingLauncher>,
    pub notifier: Arc<RecordingNotifier>,
    pub _dirs: tempfile::TempDir,
}

impl Desk {
    /// A desktop on a fresh `CODEX_HOME` holding `config` (if any), remembering the
    /// workspace folder.
    pub fn open(config: Option<String>, prefs: impl FnOnce(&mut Prefs, &Path)) -> Self {
        Self::open_drawing(config, prefs, Drawing::AccessibilityOnly)
    }

    /// Like [`Desk::open`], rendering pixels for snapshots.
    pub fn open_rendered(config: Option<String>, prefs: impl FnOnce(&mut Prefs, &Path)) -> Self {
        Self::open_drawing(config, prefs, Drawing::Pixels)
    }

    pub fn open_drawing(
        config: Option<String>,
        prefs: impl FnOnce(&mut Prefs, &Path),
        drawing: Drawing,
    ) -> Self {
        let dirs = tempfile::tempdir().unwrap();
        let root = dirs.path().canonicalize().unwrap();
        let codex_home = root.join("codex-home");
        let workspace = root.join("workspace");
        std::fs::create_dir_all(&codex_home).unwrap();
        std::fs::create_dir_all(&workspace).unwrap();
        if let Some(config) = config {
            std::fs::write(codex_home.join("config.toml"), config).unwrap();
        }
        let mut desk = Self::reopen_drawing(&codex_home, &workspace, prefs, drawing);
        desk._dirs = dirs;
        desk
    }

    /// A desktop on an existing `CODEX_HOME` (a second run of the app).
    pub fn reopen(
        codex_home: &Path,
        workspace: &Path,
        prefs: impl FnOnce(&mut Prefs, &Path),
    ) -> Self {
        Self::reopen_drawing(codex_home, workspace, prefs, Drawing::AccessibilityOnly)
    }

    /// `HOME` is the folder holding `CODEX_HOME` and the workspace, so the window shows
    /// `~/workspace` rather than a random temporary path.
    pub fn reopen_drawing(
        codex_home: &Path,
        workspace: &Path,
        prefs: impl FnOnce(&mut Prefs, &Path),
        drawing: Drawing,
    ) -> Self {
        let mut stored = Prefs::default();
        stored.remember_folder(workspace);
        prefs(&mut stored, workspace);
        let dialogs = Arc::new(ScriptedDialogs::default());
        let launcher = Arc::new(RecordingLauncher::default());
        let notifier = Arc::new(RecordingNotifier::default());
        let setup = DesktopSetup {
            engine: EngineSetup {
                codex_home: codex_home.to_path_buf(),
                env: [
                    (
                        "HOME".to_string(),
                        codex_home.parent().unwrap().display().to_string(),
                    ),
                    (
                        "PATH".to_string(),
                        std::env::var("PATH").unwrap_or_default(),
                    ),
                ]
                .into(),
                secrets: SecretBackend::FileOnly,
                launcher: launcher.clone(),
                browser: Arc::new(NoBrowser),
            },
            prefs: stored,
            dialogs: dialogs.clone(),
            notifier: notifier.clone(),
        };
        let builder = match drawing {
            Drawing::AccessibilityOnly => Harness::builder().with_size([1280.0, 900.0]),
            Drawing::Pixels => Harness::builder().with_size([1100.0, 720.0]).wgpu(),
        };
        let harness = builder.build_ui_state(
            |ui, slot: &mut Slot| {
                if slot.app.is_none() {
                    let setup = slot.setup.take().expect("setup is used once");
                    slot.app = Some(DesktopApp::new(ui.ctx(), setup).unwrap());
                }
                slot.app.as_mut().unwrap().show(ui);
            },
            Slot {
                setup: Some(setup),
                app: None,
            },
        );
        Self {
            harness,
            codex_home: codex_home.to_path_buf(),
            workspace: workspace.to_path_buf(),
            dialogs,
            launcher,
            notifier,
            _dirs: tempfile::tempdir().unwrap(),
        }
    }

    /// Steps frames until a label containing `text` shows, or fails naming it.
    pub fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            self.harness.step();
            if self
                .harness
                .query_all_by_label_contains(text)
                .next()
                .is_some()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "no label containing {text:?} appeared within {WAIT:?}; {}",
            self.describe()
        );
    }

    /// Steps frames until `done` holds.
    pub fn wait_until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            self.harness.step();
            if done(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{what} did not happen within {WAIT:?}; {}", self.describe());
    }

    /// As [`Desk::wait_for`], while `beside` runs too (its window handles what its
    /// engine reports, as a window open on the same screen would).
    pub fn wait_for_beside(&mut self, beside: &mut Desk, text: &str) {
        self.wait_until_beside(beside, &format!("a label containing {text:?}"), |desk| {
            desk.harness
                .query_all_by_label_contains(text)
                .next()
                .is_some()
        });
    }

    /// As [`Desk::wait_until`], while `beside` runs too.
    pub fn wait_until_beside(
        &mut self,
        beside: &mut Desk,
        what: &str,
        mut done: impl FnMut(&Self) -> bool,
    ) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            beside.harness.step();
            self.harness.step();
            if done(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{what} did not happen within {WAIT:?}; {}", self.describe());
    }

    /// The banner and the last conversation items, for failure messages.
    pub fn describe(&self) -> String {
        let app = self.app();
        let items = app
            .shown_session()
            .map(|session| {
                let items = &session.transcript.items;
                format!("{:#?}", &items[items.len().saturating_sub(4)..])
            })
            .unwrap_or_else(|| "no session".to_string());
        format!("banner: {:?}; last items: {items}", app.model.banner)
    }

    pub fn click(&mut self, label: &str) {
        // A frame first, so a layout that just changed has settled where the click lands.
        self.harness.step();
        self.harness.get_by_label(label).click();
        self.harness.step();
    }

    /// Waits until the session shown has opened (its runtime configured).
    pub fn wait_until_open(&mut self) {
        self.wait_until("the session is open", |desk| {
            desk.app()
                .shown_session()
                .is_some_and(|session| session.configured.is_some())
        });
    }

    /// Shows the shown session's terminal (Ctrl/Cmd+J) and gives it the keyboard.
    pub fn open_terminal(&mut self) {
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::J);
        self.wait_until("the terminal started", |desk| {
            !desk.app().panels.terminal.terminals.is_empty()
        });
        self.click("Terminal");
    }

    /// Types `text` into the focused terminal and presses Enter.
    pub fn run_in_terminal(&mut self, text: &str) {
        let events = &mut self.harness.input_mut().events;
        events.push(egui::Event::Text(text.to_string()));
        events.push(egui::Event::Key {
            key: egui::Key::Enter,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: egui::Modifiers::NONE,
        });
        self.harness.step();
    }

    /// The text of the shown session's terminal screen.
    pub fn terminal_text(&self) -> String {
        let session = self.app().model.shown.unwrap();
        self.app().panels.terminal.terminals[&session]
            .screen()
            .contents()
    }

    /// Opens the drop-down list labelled `label`.
    pub fn open_list(&mut self, label: &str) {
        self.harness.step();
        self.harness
            .get_by_role_and_label(egui::accesskit::Role::ComboBox, label)
            .click();
        self.harness.step();
    }

    pub fn type_into(&mut self, field: &str, text: &str) {
        self.harness.get_by_label(field).focus();
        self.harness.step();
        self.harness.get_by_label(field).type_text(text);
        self.harness.step();
    }

    /// Types `text` into the composer and presses Send.
    pub fn send(&mut self, text: &str) {
        self.wait_until("the session is ready", |desk| {
            desk.app()
                .shown_session()
                .is_some_and(|session| session.configured.is_some() && !session.is_running())
        });
        self.type_into("Message", text);
        self.click("Send");
    }

    pub fn start_session_in_workspace(&mut self) {
        self.wait_for("New session");
        self.harness
            .get_all_by_label("New session")
            .next()
            .unwrap()
            .click();
        self.harness.step();
        self.wait_for("The agent works in this folder");
        self.click("Start");
    }

    pub fn app(&self) -> &DesktopApp {
        self.harness.state().app.as_ref().unwrap()
    }

    /// Compares the window with `tests/snapshots/<name>.png` (`UPDATE_SNAPSHOTS=1`
    /// writes it). Without a GPU adapter to render with (software rendering needs Mesa)
    /// it says so and skips, unless `ZSPARK_REQUIRE_SNAPSHOTS=1`.
    pub fn snapshot(&mut self, name: &str) {
        self.settle();
        match self.harness.try_snapshot(name) {
            Ok(()) => {}
            Err(egui_kittest::SnapshotError::RenderError { err })
                if std::env::var("ZSPARK_REQUIRE_SNAPSHOTS").as_deref() != Ok("1") =>
            {
                #[allow(clippy::print_stderr, reason = "a skipped check says why")]
                {
                    eprintln!("skipping the {name} snapshot: cannot render ({err})");
                }
            }
            Err(error) => panic!("snapshot {name}: {error}"),
        }
    }

    /// Runs until idle and checks every input is labelled.
    pub fn settle(&mut self) {
        let _ = self.harness.try_run();
        self.harness.check_accessibility();
    }
}

/// A `config.toml` whose default profile talks to `server`.
pub fn config_for(server: &ScriptedModelServer) -> String {
    format!(
        "# kept by the test\nprofile = \"scripted\"\n\n[model_providers.scripted]\nname = \"Scripted\"\nbase_url = \"{}\"\nrequest_max_retries = 0\nstream_max_retries = 0\n\n[profiles.scripted]\nmodel_provider = \"scripted\"\nmodel = \"scripted-model\"\n",
        server.base_url()
    )
}

pub fn onboarded(prefs: &mut Prefs, _: &Path) {
    prefs.onboarded = true;
}

/// A file dropped on the window, as eframe reports it.
#[derive(Debug)]
pub struct DroppedPath(pub PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|error| error.to_string())
    }
}

/// A desktop whose folder lets the agent run commands without asking.
pub fn unattended(prefs: &mut Prefs, workspace: &Path) {
    prefs.onboarded = true;
    prefs.folder_policies.insert(
        workspace.to_path_buf(),
        FolderPolicy {
            approval: Some(ApprovalPolicy::Never),
            sandbox: Some(SandboxMode::DangerFullAccess),
            ..FolderPolicy::default()
        },
    );
}

/// The content parts of the last user message in a recorded request.
pub fn last_user_content(request: &codex_test_support::RecordedRequest) -> Vec<serde_json::Value> {
    request
        .input_items()
        .into_iter()
        .rev()
        .find(|item| item["role"] == "user")
        .and_then(|item| item["content"].as_array().cloned())
        .unwrap_or_default()
}

/// Writes a stored session of `turns` question/answer pairs in `workspace`.
pub fn long_rollout(codex_home: &Path, workspace: &Path, turns: usize) {
    let dir = codex_home.join("sessions/2026/11/30");
    std::fs::create_dir_all(&dir).unwrap();
    let id = "0190b5f2-7c4a-7d1e-9a53-3c2f0b6e4d99";
    let mut lines = vec![json!({
        "timestamp": "2026-11-30T10:00:00.000Z",
        "type": "session_meta",
        "payload": {"id": id, "timestamp": "2026-11-30T10:00:00.000Z", "cwd": workspace,
                    "originator": "zspark", "cli_version": "0.1.0", "source": "exec",
                    "model_provider": "scripted"}
    })];
    for n in 0..turns {
        for (role, kind, text) in [
            ("user", "input_text", format!("question {n}")),
            (
                "assistant",
                "output_text",
                format!("answer {n}: **done**, see `item {n}`"),
            ),
        ] {
            lines.push(json!({
                "timestamp": "2026-11-30T10:00:01.000Z",
                "type": "response_item",
                "payload": {"type": "message", "role": role,
                            "content": [{"type": kind, "text": text}]}
            }));
        }
    }
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(
        dir.join(format!("rollout-2026-11-30T10-00-00-{id}.jsonl")),
        text,
    )
    .unwrap();
}

/// A config whose provider is never called (a fixed address keeps the pixels fixed).
pub const QUIET_CONFIG: &str = "profile = \"local\"\n\n[model_providers.local]\nname = \"Local model\"\nbase_url = \"http://127.0.0.1:9/v1\"\nwire_api = \"chat\"\n\n[profiles.local]\nmodel_provider = \"local\"\nmodel = \"qwen3-coder\"\n";

/// A stored session with something of every kind: a question, reasoning, a command with
/// its output, a change to a file and a markdown answer with a table and code.
pub fn rich_rollout(codex_home: &Path, workspace: &Path) {
    let dir = codex_home.join("sessions/2026/11/30");
    std::fs::create_dir_all(&dir).unwrap();
    let id = "0190b5f2-7c4a-7d1e-9a53-3c2f0b6e4d42";
    let patch = "*** Begin Patch\n*** Update File: src/export.rs\n@@ pub fn export(rows: &[Row]) -> String {\n-    String::new()\n+    let mut out = String::from(\"city,people\\n\");\n+    for row in rows {\n+        out.push_str(&format!(\"{},{}\\n\", row.city, row.people));\n+    }\n+    out\n*** End Patch\n";
    let answer = "## CSV export added\n\n`export()` now writes one line per city:\n\n| city | people |\n|---|---|\n| Oslo | 709 000 |\n| Bergen | 291 000 |\n\n```rust\nlet csv = export(&rows);\n```\n\nAll **3 tests** pass.";
    let records = [
        json!({"type": "session_meta", "payload": {"id": id, "timestamp": "2026-11-30T10:00:00.000Z",
            "cwd": workspace, "originator": "zspark", "cli_version": "0.1.0", "source": "exec",
            "model_provider": "local"}}),
        json!({"type": "response_item", "payload": {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "Add a CSV export and run the tests"}]}}),
        json!({"type": "response_item", "payload": {"type": "reasoning",
            "summary": [{"type": "summary_text", "text": "The export function is a stub; fill it in, then test."}]}}),
        json!({"type": "response_item", "payload": {"type": "custom_tool_call", "call_id": "c1",
            "name": "apply_patch", "input": patch}}),
        json!({"type": "response_item", "payload": {"type": "custom_tool_call_output", "call_id": "c1",
            "output": "Success. Updated the following files:\nM src/export.rs\n"}}),
        json!({"type": "response_item", "payload": {"type": "function_call", "call_id": "c2",
            "name": "exec_command", "arguments": "{\"cmd\":\"cargo test\"}"}}),
        json!({"type": "response_item", "payload": {"type": "function_call_output", "call_id": "c2",
            "output": "Wall time: 1.9 seconds\nProcess exited with code 0\nOutput:\nrunning 3 tests\ntest export::empty ... ok\ntest export::one_city ... ok\ntest export::quoting ... ok\n\ntest result: ok. 3 passed; 0 failed\n"}}),
        json!({"type": "response_item", "payload": {"type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": answer}]}}),
    ];
    let text: String = records
        .iter()
        .map(|record| {
            let mut record = record.clone();
            record["timestamp"] = json!("2026-11-30T10:00:00.000Z");
            format!("{record}\n")
        })
        .collect();
    std::fs::write(
        dir.join(format!("rollout-2026-11-30T10-00-00-{id}.jsonl")),
        text,
    )
    .unwrap();
}

/// `zspark serve --dev` (the binary under test) on a free loopback port; killed when
/// dropped.
pub struct ServeProcess {
    child: Child,
    pub base: String,
}

impl ServeProcess {
    /// Starts it on `data` (and `database_url`, when given) and waits until it answers.
    pub fn start(data: &Path, database_url: Option<&str>) -> Self {
        Self::start_on(data, database_url, free_port())
    }

    /// As [`ServeProcess::start`], on `port` (a restart keeps the address clients know).
    pub fn start_on(data: &Path, database_url: Option<&str>, port: u16) -> Self {
        Self::start_with(data, database_url, port, &["--dev"])
    }

    /// As [`ServeProcess::start_on`], with `options` instead of `--dev`: the identity
    /// (`--dev`, or an identity provider's), and any limits.
    pub fn start_with(
        data: &Path,
        database_url: Option<&str>,
        port: u16,
        options: &[&str],
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zspark"));
        command
            .arg("serve")
            .args(options)
            .args(["--port", &port.to_string(), "--data-dir"])
            .arg(data)
            .args(["--rate-limit-max", "1000000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let child = command.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = blocking_http(Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(format!("{base}/healthz")).send().is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, base }
    }

    /// Stops it as SIGTERM does (it finishes and stores what it holds), and waits.
    pub fn terminate(mut self) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(stopped.success());
        self.child.wait().unwrap();
    }

    /// Kills it at once, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A blocking HTTP client (rustls with the ring provider, as the product uses).
pub fn blocking_http(timeout: Duration) -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
        .unwrap()
}

/// A database of its own on the PostgreSQL server `ZSPARK_TEST_POSTGRES_URL` names,
/// dropped afterwards.
pub struct PostgresDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn psql(admin: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([admin, "-q", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A new database named from `prefix`, or `None` (saying why) when no PostgreSQL
/// server is set; with `ZSPARK_REQUIRE_SERVICES=1` a missing one fails the test.
#[allow(clippy::print_stderr, reason = "a skipped test says why")]
pub fn postgres_database(prefix: &str) -> Option<PostgresDatabase> {
    let Some(admin) = std::env::var("ZSPARK_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        assert!(
            std::env::var("ZSPARK_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "ZSPARK_TEST_POSTGRES_URL is not set"
        );
        eprintln!("skipping: set ZSPARK_TEST_POSTGRES_URL to run this on PostgreSQL");
        return None;
    };
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    assert!(
        psql(&admin, &format!("CREATE DATABASE {name}")),
        "psql can create a database"
    );
    let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
    Some(PostgresDatabase { admin, name, url })
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Prefs for a desktop that lets the agent work unattended and knows the development
/// server at `base` as `user`.
pub fn signed_in(base: &str, user: &str) -> impl FnOnce(&mut Prefs, &Path) {
    let server = SharedServerPrefs {
        url: base.to_string(),
        identity: SharedIdentityPrefs::Development {
            user: user.to_string(),
        },
    };
    move |prefs, workspace| {
        unattended(prefs, workspace);
        prefs.shared_server = Some(server);
    }
}

/// The server's answer to `request`, sent as development user `user`.
pub fn as_user(request: reqwest::blocking::RequestBuilder, user: &str) -> Value {
    let response = request.header("x-domain-user", user).send().unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().unwrap_or(Value::Null)
}

/// A workspace `owner` creates, with `members` invited (principal key, role).
pub fn workspace_with(
    serve: &ServeProcess,
    owner: &str,
    name: &str,
    members: &[(&str, &str)],
) -> String {
    let http = blocking_http(Duration::from_secs(10));
    let created = as_user(
        http.post(format!("{}/v1/workspaces", serve.base))
            .json(&json!({"name": name})),
        owner,
    );
    let id = created["id"].as_str().unwrap().to_string();
    for (principal, role) in members {
        as_user(
            http.post(format!("{}/v1/workspaces/{id}/members", serve.base))
                .json(&json!({"principal": principal, "role": role})),
            owner,
        );
    }
    id
}

/// Alice's window, signed in to `serve`, with a session whose first turn asks
/// `question` and is answered `answer`, shared to the workspace Shop.
pub fn alice_with_a_shared_turn(
    serve: &ServeProcess,
    model: &ScriptedModelServer,
    question: &str,
    answer: &str,
) -> Desk {
    let mut alice = Desk::open(Some(config_for(model)), signed_in(&serve.base, "alice"));
    alice.wait_for("Signed in as alice");
    alice.start_session_in_workspace();
    alice.send(question);
    alice.wait_for(answer);
    alice.click("Share…");
    alice.click("Share to Shop");
    alice.wait_for("✔ Shared");
    alice
}

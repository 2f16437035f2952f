//! Two-way compatibility with the real Codex CLI: sessions written by one are resumed by
//! the other with their history intact (sub-agent trees of both multi-agent versions
//! too), both find the same skills, `mcp` shows and writes the same MCP servers, an MCP
//! sign-in by either serves both, memory notes either writes are read by the other and
//! a summary zspark consolidates passes Codex's check. Runs when
//! `ZSPARK_TEST_CODEX_BIN` names a Codex binary (CI installs `@openai/codex`); skips
//! with a reason otherwise, unless `ZSPARK_REQUIRE_CLIENTS=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a failed unwrap is a failed test; skipped tests say why on stderr"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use codex_test_support::{RecordedRequest, Reply, ScriptedModelServer, Turn};
use serde_json::Value;

fn codex_binary() -> Option<PathBuf> {
    let path = std::env::var("ZSPARK_TEST_CODEX_BIN")
        .ok()
        .map(PathBuf::from)
        .filter(|path| path.is_file());
    if path.is_none() {
        assert!(
            std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
            "ZSPARK_REQUIRE_CLIENTS=1 but ZSPARK_TEST_CODEX_BIN does not name the Codex binary"
        );
        eprintln!(
            "skipping: set ZSPARK_TEST_CODEX_BIN to the Codex CLI binary (npm install @openai/codex)"
        );
    }
    path
}

/// A CODEX_HOME and a working directory shared by both programs, pointed at `server`.
struct Setup {
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

fn setup(server: &ScriptedModelServer) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n\n[model_providers.mock]\nname = \"Mock\"\nbase_url = \"{}\"\nenv_key = \"MOCK_KEY\"\nwire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
            server.base_url()
        ),
    )
    .unwrap();
    Command::new("git")
        .args(["init", "-q"])
        .current_dir(work.path())
        .status()
        .unwrap();
    Setup { home, work }
}

fn run(program: &Path, args: &[&str], setup: &Setup) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(setup.work.path())
        .env("CODEX_HOME", setup.home.path())
        .env("HOME", setup.home.path().parent().unwrap())
        .env("MOCK_KEY", "sk-test")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn codex(binary: &Path, args: &[&str], setup: &Setup) -> Output {
    let mut full = vec!["exec", "--skip-git-repo-check"];
    full.extend_from_slice(args);
    run(binary, &full, setup)
}

fn zspark(args: &[&str], setup: &Setup) -> Output {
    let mut full = vec!["exec"];
    full.extend_from_slice(args);
    run(Path::new(env!("CARGO_BIN_EXE_zspark")), &full, setup)
}

/// The texts of the message items a request sent, in order.
fn message_texts(request: &RecordedRequest) -> Vec<String> {
    request
        .input_items()
        .iter()
        .filter(|item| item["type"] == "message")
        .filter_map(|item| item["content"].as_array())
        .flat_map(|parts| {
            parts
                .iter()
                .filter_map(|part| part["text"].as_str().map(str::to_string))
        })
        .collect()
}

fn call_ids(request: &RecordedRequest, kind: &str) -> Vec<String> {
    request
        .input_items()
        .iter()
        .filter(|item| item["type"] == kind)
        .map(|item| item["call_id"].as_str().unwrap().to_string())
        .collect()
}

fn session_id(setup: &Setup) -> String {
    let mut files = Vec::new();
    for entry in walk(&setup.home.path().join("sessions")) {
        if entry.extension().is_some_and(|ext| ext == "jsonl") {
            files.push(entry);
        }
    }
    assert_eq!(files.len(), 1, "{files:?}");
    let stem = files[0].file_stem().unwrap().to_str().unwrap().to_string();
    stem[stem.len() - 36..].to_string()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn command_call(id: &str, command: &str) -> Turn {
    Reply::new()
        .function_call(
            id,
            "exec_command",
            serde_json::json!({"cmd": command}).to_string(),
        )
        .into()
}

#[test]
fn a_codex_session_continues_in_zspark_and_back_in_codex() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = ScriptedModelServer::start([
        command_call("call_codex", "echo from-codex"),
        Turn::text("codex answered"),
        Turn::text("zspark answered"),
        Turn::text("codex answered again"),
    ])
    .unwrap();
    let setup = setup(&server);
    codex(&codex_bin, &["first question"], &setup);
    let id = session_id(&setup);

    let resumed = zspark(&["resume", &id, "second question"], &setup);
    assert_eq!(
        String::from_utf8_lossy(&resumed.stdout),
        "zspark answered\n"
    );
    let requests = server.model_requests();
    let zspark_request = &requests[2];
    let texts = message_texts(zspark_request);
    for expected in ["first question", "codex answered", "second question"] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} missing from {texts:?}"
        );
    }
    assert_eq!(call_ids(zspark_request, "function_call"), ["call_codex"]);
    assert_eq!(
        call_ids(zspark_request, "function_call_output"),
        ["call_codex"]
    );
    assert_eq!(session_id(&setup), id, "zspark appended to Codex's file");

    codex(&codex_bin, &["resume", &id, "third question"], &setup);
    let codex_again = message_texts(&server.model_requests()[3]);
    for expected in [
        "first question",
        "codex answered",
        "second question",
        "zspark answered",
        "third question",
    ] {
        assert!(
            codex_again.iter().any(|t| t == expected),
            "{expected} missing from {codex_again:?}"
        );
    }
}

#[test]
fn a_zspark_session_continues_in_codex() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = ScriptedModelServer::start([
        command_call("call_zspark", "echo from-zspark"),
        Turn::text("zspark answered"),
        Turn::text("codex answered"),
    ])
    .unwrap();
    let setup = setup(&server);
    zspark(&["first question"], &setup);
    let id = session_id(&setup);
    let continued = codex(&codex_bin, &["resume", &id, "second question"], &setup);
    assert!(String::from_utf8_lossy(&continued.stdout).contains("codex answered"));
    let codex_request = &server.model_requests()[2];
    let texts = message_texts(codex_request);
    for expected in ["first question", "zspark answered", "second question"] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} missing from {texts:?}"
        );
    }
    assert_eq!(call_ids(codex_request, "function_call"), ["call_zspark"]);
    let outputs: Vec<String> = codex_request
        .input_items()
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|item| match &item["output"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect();
    assert!(outputs[0].contains("from-zspark"), "{outputs:?}");
}

/// Skill names listed in a request's skills message (`- name: description ...`).
fn listed_skills(request: &RecordedRequest) -> BTreeSet<String> {
    let texts = message_texts(request);
    let Some(message) = texts
        .iter()
        .find(|text| text.contains("<skills_instructions>"))
    else {
        return BTreeSet::new();
    };
    message
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- "))
        .filter(|line| line.contains("(file: "))
        .filter_map(|line| line.split(':').next())
        .map(|name| name.trim().to_string())
        .collect()
}

#[test]
fn both_find_the_same_skills_in_a_tree() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = ScriptedModelServer::start([Turn::text("codex"), Turn::text("zspark")]).unwrap();
    let setup = setup(&server);
    let skill = |dir: PathBuf, name: &str| {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(
            dir.join(name).join("SKILL.md"),
            format!("---\nname: {name}\ndescription: The {name} skill.\n---\nBody.\n"),
        )
        .unwrap();
    };
    skill(setup.work.path().join(".codex/skills"), "repo-skill");
    skill(setup.work.path().join(".agents/skills"), "agents-skill");
    skill(setup.home.path().join("skills"), "user-skill");
    skill(
        setup.home.path().join("skills/nested/group"),
        "nested-skill",
    );
    std::fs::create_dir_all(setup.home.path().join("skills/broken")).unwrap();
    std::fs::write(
        setup.home.path().join("skills/broken/SKILL.md"),
        "no front matter",
    )
    .unwrap();

    codex(&codex_bin, &["hello"], &setup);
    zspark(&["hello"], &setup);
    let requests = server.model_requests();
    let from_codex = listed_skills(&requests[0]);
    let from_zspark = listed_skills(&requests[1]);
    for name in ["repo-skill", "agents-skill", "user-skill", "nested-skill"] {
        assert!(
            from_codex.contains(name),
            "Codex lists {name}: {from_codex:?}"
        );
    }
    assert_eq!(
        from_zspark, from_codex,
        "zspark finds what Codex finds (its bundled system skills included)"
    );
}

/// Runs `program mcp <args>` on `home`, returning (exit status, stdout, stderr).
fn mcp_command(program: &Path, home: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(program)
        .arg("mcp")
        .args(args)
        .current_dir(home)
        .env("CODEX_HOME", home)
        .env("HOME", home.parent().unwrap())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

const MCP_SERVERS: &str = r#"# servers written by hand
[mcp_servers.alpha]
command = "python3"
args = ["/srv/alpha.py", "--verbose"]
env = { FOO = "bar", ALSO = "baz" }
env_vars = ["HOME", { name = "PATH", source = "local" }]
cwd = "/srv"
startup_timeout_sec = 12.5
tool_timeout_sec = 7
enabled_tools = ["echo", "add"]
disabled_tools = ["add"]

[mcp_servers.beta]
command = "node"
startup_timeout_ms = 2500
enabled = false

[mcp_servers.gamma]
url = "http://127.0.0.1:9/mcp"
bearer_token_env_var = "GAMMA_TOKEN"
http_headers = { "X-Team" = "core", "A-First" = "1" }
env_http_headers = { "X-Key" = "GAMMA_KEY" }
http_headers_helper = "print-headers --secret"

[mcp_servers.delta]
url = "https://delta.example/mcp"
bearer_token_env_var = "DELTA_TOKEN"
enabled = false
"#;

#[test]
fn both_show_the_same_mcp_servers() {
    let Some(codex) = codex_binary() else { return };
    let zspark = Path::new(env!("CARGO_BIN_EXE_zspark"));
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), MCP_SERVERS).unwrap();
    let both = |args: &[&str]| {
        let theirs = mcp_command(&codex, home.path(), args);
        let ours = mcp_command(zspark, home.path(), args);
        assert_eq!(
            theirs.0, ours.0,
            "exit status of mcp {args:?}: {theirs:?} {ours:?}"
        );
        (theirs, ours)
    };
    let json = |text: &str| serde_json::from_str::<Value>(text).unwrap();

    let (theirs, ours) = both(&["list", "--json"]);
    assert_eq!(json(&ours.1), json(&theirs.1));
    assert_eq!(json(&ours.1).as_array().unwrap().len(), 4);
    let (theirs, ours) = both(&["list"]);
    assert_eq!(ours.1, theirs.1);
    assert!(
        !ours.1.contains("bar") && ours.1.contains("FOO=*****"),
        "{}",
        ours.1
    );
    for name in ["alpha", "beta", "gamma", "delta"] {
        let (theirs, ours) = both(&["get", name, "--json"]);
        assert_eq!(json(&ours.1), json(&theirs.1), "get {name} --json");
        let (theirs, ours) = both(&["get", name]);
        assert_eq!(
            ours.1,
            theirs.1.replace("codex mcp remove", "zspark mcp remove"),
            "get {name}"
        );
    }
    let (theirs, ours) = both(&["get", "nope"]);
    assert_eq!(theirs.0, 1);
    assert!(
        theirs
            .2
            .contains("Error: No MCP server named 'nope' found.")
    );
    assert!(
        ours.2.contains("Error: No MCP server named 'nope' found."),
        "{}",
        ours.2
    );
}

#[test]
fn servers_added_by_one_are_read_the_same_by_the_other() {
    let Some(codex) = codex_binary() else { return };
    let zspark = Path::new(env!("CARGO_BIN_EXE_zspark"));
    let by_codex = tempfile::tempdir().unwrap();
    let by_zspark = tempfile::tempdir().unwrap();
    let adds: [&[&str]; 4] = [
        &[
            "add",
            "files",
            "--env",
            "ROOT=/srv",
            "--env",
            "MODE=ro",
            "--",
            "npx",
            "-y",
            "server-filesystem",
            "/srv",
        ],
        &[
            "add",
            "web",
            "--url",
            "https://web.example/mcp",
            "--bearer-token-env-var",
            "WEB_TOKEN",
        ],
        &["add", "scoped/name@v1.2", "--", "tool"],
        &[
            "add",
            "files",
            "--",
            "npx",
            "-y",
            "server-filesystem",
            "/data",
        ],
    ];
    std::fs::write(
        by_zspark.path().join("config.toml"),
        "# mine\nmodel = \"gpt-5\" # keep me\n",
    )
    .unwrap();
    for args in adds {
        let theirs = mcp_command(&codex, by_codex.path(), args);
        let ours = mcp_command(zspark, by_zspark.path(), args);
        assert_eq!(
            (theirs.0, theirs.1.as_str()),
            (0, ours.1.as_str()),
            "mcp {args:?}: {}",
            ours.2
        );
    }
    let listed = |home: &Path| {
        let (status, out, err) = mcp_command(&codex, home, &["list", "--json"]);
        assert_eq!(status, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let written_by_zspark = listed(by_zspark.path());
    assert_eq!(written_by_zspark, listed(by_codex.path()));
    assert_eq!(
        written_by_zspark[0]["transport"]["args"][2], "/data",
        "replaced"
    );
    let text = std::fs::read_to_string(by_zspark.path().join("config.toml")).unwrap();
    assert!(
        text.starts_with("# mine\nmodel = \"gpt-5\" # keep me\n"),
        "{text}"
    );

    for home in [by_codex.path(), by_zspark.path()] {
        let removed = mcp_command(zspark, home, &["remove", "web"]);
        assert_eq!(
            (removed.0, removed.1.as_str()),
            (0, "Removed global MCP server 'web'.\n")
        );
        for program in [codex.as_path(), zspark] {
            let again = mcp_command(program, home, &["remove", "web"]);
            assert_eq!(
                (again.0, again.1.as_str()),
                (0, "No MCP server named 'web' found.\n")
            );
        }
        assert_eq!(listed(home).as_array().unwrap().len(), 2);
    }
    let refused = mcp_command(zspark, by_zspark.path(), &["add", "bad name", "--", "x"]);
    assert_eq!(refused.0, 1);
    assert!(
        refused.2.contains("invalid server name 'bad name'"),
        "{}",
        refused.2
    );
    let refused = mcp_command(
        zspark,
        by_zspark.path(),
        &["add", "h", "--url", "localhost:3000"],
    );
    assert_eq!(refused.0, 1);
    assert!(
        refused.2.contains("not an http:// or https:// URL"),
        "{}",
        refused.2
    );
    assert_eq!(
        listed(by_zspark.path()).as_array().unwrap().len(),
        2,
        "nothing written"
    );
}

/// Adds the small Python MCP fixture server (tools `unlock` and `exit`) to the setup's
/// config, its tools approved without asking.
fn with_vault_server(setup: &Setup) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../codex-rs/core/tests/fixtures/changing_tools_server.py");
    let config = setup.home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[mcp_servers.vault]\ncommand = \"python3\"\nargs = [{:?}]\ndefault_tools_approval_mode = \"approve\"\n",
        fixture.display().to_string()
    ));
    std::fs::write(config, text).unwrap();
}

fn unlock_call(id: &str) -> Turn {
    Reply::new()
        .namespaced_function_call(id, "mcp__vault", "unlock", "{}")
        .into()
}

/// The (namespace, name) of the request's function calls, and the texts of its outputs.
fn mcp_history(request: &RecordedRequest) -> (Vec<(String, String)>, Vec<String>) {
    let items = request.input_items();
    let calls = items
        .iter()
        .filter(|item| item["type"] == "function_call")
        .map(|item| {
            (
                item["namespace"].as_str().unwrap_or_default().to_string(),
                item["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let outputs = items
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|item| item["output"].to_string())
        .collect();
    (calls, outputs)
}

/// The `item_completed` MCP call items of the session's rollout.
fn recorded_mcp_calls(setup: &Setup) -> Vec<Value> {
    walk(&setup.home.path().join("sessions"))
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .flat_map(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str::<Value>(line).unwrap())
                .collect::<Vec<_>>()
        })
        .filter(|line| line["payload"]["type"] == "item_completed")
        .map(|line| line["payload"]["item"].clone())
        .filter(|item| item["type"] == "McpToolCall")
        .collect()
}

#[test]
fn a_zspark_session_with_mcp_calls_continues_in_codex() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = ScriptedModelServer::start([
        unlock_call("call_mcp"),
        Turn::text("zspark unlocked it"),
        Turn::text("codex saw it"),
    ])
    .unwrap();
    let setup = setup(&server);
    with_vault_server(&setup);
    zspark(&["unlock the vault"], &setup);
    let recorded = recorded_mcp_calls(&setup);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (
            &recorded[0]["server"],
            &recorded[0]["tool"],
            &recorded[0]["status"]
        ),
        (
            &Value::from("vault"),
            &Value::from("unlock"),
            &Value::from("completed")
        )
    );
    let id = session_id(&setup);
    codex(&codex_bin, &["resume", &id, "what happened?"], &setup);
    let (calls, outputs) = mcp_history(&server.model_requests()[2]);
    assert_eq!(calls, [("mcp__vault".to_string(), "unlock".to_string())]);
    assert!(outputs[0].contains("unlocked"), "{outputs:?}");
}

#[test]
fn a_codex_session_with_mcp_calls_continues_in_zspark_with_its_calls_shown() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = ScriptedModelServer::start([
        unlock_call("call_mcp"),
        Turn::text("codex unlocked it"),
        Turn::text("zspark saw it"),
    ])
    .unwrap();
    let setup = setup(&server);
    with_vault_server(&setup);
    codex(&codex_bin, &["unlock the vault"], &setup);
    let recorded = recorded_mcp_calls(&setup);
    assert_eq!(recorded.len(), 1, "Codex records the call: {recorded:?}");
    let id = session_id(&setup);
    let resumed = zspark(
        &["resume", &id, "what happened?", "--runtime-events"],
        &setup,
    );
    let (calls, outputs) = mcp_history(&server.model_requests()[2]);
    assert_eq!(calls, [("mcp__vault".to_string(), "unlock".to_string())]);
    assert!(outputs[0].contains("unlocked"), "{outputs:?}");
    let configured = String::from_utf8_lossy(&resumed.stdout)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|event| event["msg"]["type"] == "session_configured")
        .expect("the resumed session says what it holds");
    let replayed: Vec<&Value> = configured["msg"]["initial_messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == "mcp_tool_call_end")
        .collect();
    assert_eq!(replayed.len(), 1, "{configured}");
    assert_eq!(replayed[0]["call_id"], "call_mcp");
    assert_eq!(replayed[0]["success"], true);
    assert!(replayed[0]["output"].as_str().unwrap().contains("unlocked"));
}

/// Runs `program mcp login <name> --no-browser` on `home` and signs in as the user
/// would: the browser opens the link the program prints and follows it through to
/// the program's loopback redirect. Returns what the program printed.
async fn sign_in_with(program: &Path, home: &Path, name: &str) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut login = tokio::process::Command::new(program)
        .args(["mcp", "login", name, "--no-browser"])
        .current_dir(home)
        .env("CODEX_HOME", home)
        .env("HOME", home.parent().unwrap())
        .env("RUST_BACKTRACE", "0")
        // Codex also reads a pasted redirect URL; an open, silent stdin waits.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(login.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    let link = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{program:?} printed no link: {printed}"));
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("http") {
            break reqwest::Url::parse(line.trim()).unwrap();
        }
    };
    let http = zspark_bridge::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (browser, _) = codex_test_support::oidc::TestBrowser::new(http);
    browser.visit(reqwest::Method::GET, link, None).await;
    while let Some(line) = lines.next_line().await.unwrap() {
        printed.push_str(&line);
        printed.push('\n');
    }
    let status = login.wait().await.unwrap();
    assert!(status.success(), "{program:?} mcp login: {printed}");
    printed
}

fn auth_status(program: &Path, home: &Path) -> String {
    let (status, out, err) = mcp_command(program, home, &["list", "--json"]);
    assert_eq!(status, 0, "{err}");
    let servers = serde_json::from_str::<Value>(&out).unwrap();
    let protected = servers
        .as_array()
        .unwrap()
        .iter()
        .find(|server| server["name"] == "protected")
        .unwrap();
    protected["auth_status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_sign_in_by_either_serves_both() {
    let Some(codex) = codex_binary() else { return };
    let Some(provider) = codex_test_support::oidc::provider_dir() else {
        return;
    };
    let Some(sdk) = codex_test_support::oidc::mcp_sdk_dir() else {
        return;
    };
    let server =
        codex_test_support::oidc::start_oauth_mcp_server(&provider, &sdk, "alice", 3600).await;
    let zspark = Path::new(env!("CARGO_BIN_EXE_zspark"));
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "mcp_oauth_credentials_store = \"file\"\n\n[mcp_servers.local]\ncommand = \"true\"\n\n[mcp_servers.protected]\nurl = {:?}\n",
            server.url
        ),
    )
    .unwrap();
    for program in [zspark, codex.as_path()] {
        assert_eq!(
            auth_status(program, home.path()),
            "not_logged_in",
            "{program:?}"
        );
        let login = mcp_command(program, home.path(), &["login", "local"]);
        assert_eq!(login.0, 1);
        assert!(
            login
                .2
                .contains("OAuth login is only supported for streamable HTTP servers."),
            "{program:?}: {login:?}"
        );
        let logout = mcp_command(program, home.path(), &["logout", "local"]);
        assert_eq!(logout.0, 1);
        assert!(
            logout
                .2
                .contains("OAuth logout is only supported for streamable_http transports."),
            "{program:?}: {logout:?}"
        );
    }

    let printed = sign_in_with(zspark, home.path(), "protected").await;
    assert!(
        printed.contains("Successfully logged in to MCP server 'protected'."),
        "{printed}"
    );
    for program in [zspark, codex.as_path()] {
        assert_eq!(
            auth_status(program, home.path()),
            "o_auth",
            "{program:?} reads zspark's sign-in"
        );
    }
    let (status, out, _) = mcp_command(&codex, home.path(), &["logout", "protected"]);
    assert_eq!(
        (status, out.trim()),
        (0, "Removed OAuth credentials for 'protected'.")
    );
    assert_eq!(
        auth_status(zspark, home.path()),
        "not_logged_in",
        "Codex's logout removed it"
    );

    let printed = sign_in_with(&codex, home.path(), "protected").await;
    assert!(printed.contains("Successfully logged in"), "{printed}");
    assert_eq!(
        auth_status(zspark, home.path()),
        "o_auth",
        "zspark reads Codex's sign-in"
    );
    let (status, out, _) = mcp_command(zspark, home.path(), &["logout", "protected"]);
    assert_eq!(
        (status, out.trim()),
        (0, "Removed OAuth credentials for 'protected'.")
    );
    assert_eq!(
        auth_status(&codex, home.path()),
        "not_logged_in",
        "zspark's logout removed it"
    );
    let theirs = mcp_command(&codex, home.path(), &["logout", "protected"]);
    let ours = mcp_command(zspark, home.path(), &["logout", "protected"]);
    assert_eq!((ours.0, ours.1.trim()), (theirs.0, theirs.1.trim()));
    assert_eq!(
        ours.1.trim(),
        "No OAuth credentials stored for 'protected'."
    );
}

/// The rollouts under `setup`'s home: (session id, whether it is a sub-agent's).
fn rollouts(setup: &Setup) -> Vec<(String, Value)> {
    walk(&setup.home.path().join("sessions"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let meta: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
            let meta = meta["payload"].clone();
            (meta["id"].as_str().unwrap().to_string(), meta)
        })
        .collect()
}

#[test]
fn a_zspark_session_tree_resumes_in_codex_parent_and_child() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let spawn = Reply::new().namespaced_function_call(
        "s1",
        "multi_agent_v1",
        "spawn_agent",
        r#"{"message":"look around","model":"child-model"}"#,
    );
    let wait = Reply::new().namespaced_function_call(
        "w1",
        "multi_agent_v1",
        "wait_agent",
        r#"{"targets":["Noether"]}"#,
    );
    let server = ScriptedModelServer::options()
        .turns([
            spawn.into(),
            wait.into(),
            Turn::text("zspark answered"),
            Turn::text("codex answered"),
            Turn::text("codex continued the child"),
        ])
        .model_turns(
            "child-model",
            [
                Turn::text("the child looked around"),
                Turn::text("codex continued the child"),
            ],
        )
        .start()
        .unwrap();
    let setup = setup(&server);
    zspark(&["use a helper"], &setup);
    let sessions = rollouts(&setup);
    assert_eq!(sessions.len(), 2, "a parent and a child: {sessions:?}");
    let (parent, _) = sessions
        .iter()
        .find(|(_, meta)| meta["thread_source"].is_null())
        .unwrap();
    let (child, child_meta) = sessions
        .iter()
        .find(|(_, meta)| meta["thread_source"] == "subagent")
        .unwrap();
    assert_eq!(child_meta["parent_thread_id"], parent.as_str());

    let continued = codex(&codex_bin, &["resume", parent, "and now?"], &setup);
    assert!(String::from_utf8_lossy(&continued.stdout).contains("codex answered"));
    let request = server.model_requests().last().unwrap().clone();
    assert_eq!(call_ids(&request, "function_call"), ["s1", "w1"]);
    assert_eq!(call_ids(&request, "function_call_output"), ["s1", "w1"]);
    let texts = message_texts(&request);
    assert!(
        texts.iter().any(|text| text == "zspark answered"),
        "{texts:?}"
    );

    let child_continued = codex(&codex_bin, &["resume", child, "anything else?"], &setup);
    assert!(
        String::from_utf8_lossy(&child_continued.stdout).contains("codex continued the child"),
        "Codex resumes the sub-agent's own session"
    );
    let request = server.model_requests().last().unwrap().clone();
    let texts = message_texts(&request);
    for expected in ["look around", "the child looked around", "anything else?"] {
        assert!(
            texts.iter().any(|text| text == expected),
            "{expected} missing: {texts:?}"
        );
    }
}

#[test]
fn a_codex_session_tree_resumes_in_zspark_with_its_children() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let call = |id: &str, tool: &str, arguments: &str| -> Turn {
        Reply::new()
            .namespaced_function_call(id, "multi_agent_v1", tool, arguments)
            .into()
    };
    let child = r#""{{output:s1.agent_id}}""#;
    let server = ScriptedModelServer::options()
        .turns([
            call(
                "s1",
                "spawn_agent",
                r#"{"message":"look around","model":"gpt-6-luna"}"#,
            ),
            call("w1", "wait_agent", &format!(r#"{{"targets":[{child}]}}"#)),
            Turn::text("codex parent done"),
            call("r1", "resume_agent", &format!(r#"{{"id":{child}}}"#)),
            call(
                "i1",
                "send_input",
                &format!(r#"{{"target":{child},"message":"one more thing"}}"#),
            ),
            call("w2", "wait_agent", &format!(r#"{{"targets":[{child}]}}"#)),
            Turn::text("zspark parent done"),
        ])
        .model_turns(
            "gpt-6-luna",
            [
                Turn::text("the child looked around"),
                Turn::text("the child did one more thing"),
            ],
        )
        .start()
        .unwrap();
    let setup = setup(&server);
    codex(&codex_bin, &["use a helper"], &setup);
    let sessions = rollouts(&setup);
    let (parent, _) = sessions
        .iter()
        .find(|(_, meta)| meta["thread_source"] != "subagent")
        .unwrap();
    let (child_id, _) = sessions
        .iter()
        .find(|(_, meta)| meta["thread_source"] == "subagent")
        .expect("Codex wrote the child's own rollout");

    let catalogue = zspark_core::catalogue::SessionCatalogue::load(setup.home.path());
    let children = catalogue.children_of(parent);
    assert_eq!(children.len(), 1, "the child is listed under its parent");
    assert_eq!(&children[0].session_id, child_id);
    assert!(children[0].agent_nickname.is_some());

    let resumed = zspark(&["resume", parent, "go on with the helper"], &setup);
    assert_eq!(
        String::from_utf8_lossy(&resumed.stdout),
        "zspark parent done\n"
    );
    let requests = server.model_requests();
    let child_request = requests
        .iter()
        .rfind(|request| request.body["model"] == "gpt-6-luna")
        .unwrap();
    let texts = message_texts(child_request);
    for expected in ["look around", "the child looked around", "one more thing"] {
        assert!(
            texts.iter().any(|text| text == expected),
            "{expected} missing from the child's history: {texts:?}"
        );
    }
    let last = requests.last().unwrap();
    let waited = last
        .input_items()
        .into_iter()
        .find(|item| item["type"] == "function_call_output" && item["call_id"] == "w2")
        .unwrap();
    assert!(
        waited["output"]
            .as_str()
            .unwrap()
            .contains("the child did one more thing"),
        "{waited}"
    );
}

/// Turns memories on with the dedicated tools (and no background pipeline) for both.
fn with_memories(setup: &Setup) {
    let path = setup.home.path().join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str("\n[features]\nmemories = true\n\n[memories]\ndedicated_tools = true\ngenerate_memories = false\n");
    std::fs::write(path, config).unwrap();
}

fn memory_call(id: &str, tool: &str, arguments: Value) -> Turn {
    Reply::new()
        .namespaced_function_call(id, "memories", tool, arguments.to_string())
        .into()
}

/// The output `request` carries for call `call_id`.
fn output_of(request: &RecordedRequest, call_id: &str) -> String {
    request
        .input_items()
        .into_iter()
        .find(|item| item["type"] == "function_call_output" && item["call_id"] == call_id)
        .map(|item| match &item["output"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

#[test]
fn notes_either_writes_in_the_memory_folder_are_read_by_the_other() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = ScriptedModelServer::options()
        .turns([
            memory_call(
                "c1",
                "add_ad_hoc_note",
                serde_json::json!({"filename": "2026-12-02T10-00-00-tabs.md", "note": "The user prefers tabs in Python."}),
            ),
            Turn::text("codex noted it"),
            memory_call("z1", "search", serde_json::json!({"queries": ["tabs"]})),
            memory_call(
                "z2",
                "add_ad_hoc_note",
                serde_json::json!({"filename": "2026-12-02T11-00-00-short-answers.md", "note": "The user likes short answers."}),
            ),
            Turn::text("zspark found and noted it"),
            memory_call(
                "c2",
                "read",
                serde_json::json!({"path": "extensions/ad_hoc/notes/2026-12-02T11-00-00-short-answers.md"}),
            ),
            Turn::text("codex read it"),
        ])
        // Codex consolidates at every start (with this model); it finds nothing to do.
        .model_turns(
            "gpt-6.1-terra",
            std::iter::repeat_with(|| Turn::text("nothing to consolidate")).take(8),
        )
        .start()
        .unwrap();
    let setup = setup(&server);
    with_memories(&setup);
    codex(&codex_bin, &["remember that I prefer tabs"], &setup);
    let folder = setup.home.path().join("memories_v2");
    let codex_note = folder.join("extensions/ad_hoc/notes/2026-12-02T10-00-00-tabs.md");
    assert_eq!(
        std::fs::read_to_string(&codex_note).unwrap(),
        "The user prefers tabs in Python."
    );

    let zspark_run = zspark(&["what do you remember?"], &setup);
    assert_eq!(
        String::from_utf8_lossy(&zspark_run.stdout),
        "zspark found and noted it\n"
    );
    let main_requests = || -> Vec<RecordedRequest> {
        server
            .model_requests()
            .into_iter()
            .filter(|request| request.body["model"] == "gpt-5.5")
            .collect()
    };
    let requests = main_requests();
    let found: Value = serde_json::from_str(&output_of(&requests[3], "z1")).unwrap();
    assert_eq!(
        found["matches"][0]["path"], "extensions/ad_hoc/notes/2026-12-02T10-00-00-tabs.md",
        "zspark searches the folder Codex wrote: {found}"
    );
    assert_eq!(output_of(&requests[4], "z2"), "{}");

    codex(&codex_bin, &["and what else?"], &setup);
    let read = output_of(main_requests().last().unwrap(), "c2");
    assert!(
        read.contains("The user likes short answers."),
        "Codex reads the note zspark wrote: {read}"
    );
}

/// Codex's global memory consolidation job, as its state database holds it: status
/// and last error.
async fn codex_consolidation_job(home: &Path) -> (String, Option<String>) {
    let url = format!("sqlite://{}", home.join("memories_v2_1.sqlite").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query_as("SELECT status, last_error FROM jobs WHERE kind = 'memory_consolidate_global'")
        .fetch_one(&pool)
        .await
        .unwrap()
}

/// A command that returns once Codex's consolidation job in `$CODEX_HOME` has ended
/// (Codex runs it beside the session's turn, and `exec` stops it when the turn ends).
const AWAIT_CONSOLIDATION: &str = r#"until python3 -c 'import sqlite3, sys; row = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("SELECT status FROM jobs WHERE kind = ?", ("memory_consolidate_global",)).fetchone(); sys.exit(0 if row and row[0] != "running" else 1)' "$CODEX_HOME/memories_v2_1.sqlite" 2>/dev/null; do sleep 0.1; done"#;

/// A server for one Codex start: the session's turn waits for the consolidation, whose
/// agent leaves the folder as it is; plus `extra` model scripts.
fn consolidation_server(extra: Vec<(&str, Vec<Turn>)>) -> ScriptedModelServer {
    let mut options = ScriptedModelServer::options()
        .turns([
            command_call("settle", AWAIT_CONSOLIDATION),
            Turn::text("hello back"),
        ])
        .model_turns(
            "gpt-6.1-terra",
            std::iter::repeat_with(|| Turn::text("nothing to change")).take(4),
        );
    for (model, turns) in extra {
        options = options.model_turns(model, turns);
    }
    options.start().unwrap()
}

/// Memories on for both, with `memories` lines under `[memories]` (replacing earlier ones).
fn write_config(setup: &Setup, memories: &str) {
    let path = setup.home.path().join("config.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    let base = base.split("\n[features]").next().unwrap().to_string();
    std::fs::write(
        path,
        format!("{base}\n[features]\nmemories = true\n\n[memories]\n{memories}"),
    )
    .unwrap();
}

/// A session of Codex's that went idle two hours ago.
fn idle_codex_session(home: &Path) -> String {
    let id = "01a23856-c023-7250-8dd1-64b56cc4de00";
    let day = home.join("sessions/2026/12/01");
    std::fs::create_dir_all(&day).unwrap();
    let path = day.join(format!("rollout-2026-12-01T10-00-00-{id}.jsonl"));
    let lines = [
        serde_json::json!({"timestamp": "2026-12-01T10:00:00.000Z", "type": "session_meta", "payload": {"id": id, "session_id": id, "timestamp": "2026-12-01T10:00:00.000Z", "cwd": "/work/shop", "originator": "codex_exec", "cli_version": "0.169.0", "source": "exec", "model_provider": "mock"}}),
        serde_json::json!({"timestamp": "2026-12-01T10:00:01.000Z", "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "add a CSV export"}]}}),
        serde_json::json!({"timestamp": "2026-12-01T10:00:02.000Z", "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Added src/export.rs; the tests pass."}]}}),
    ];
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7_200);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    id.to_string()
}

#[tokio::test]
async fn a_summary_zspark_consolidates_passes_codexs_check_where_a_bad_one_fails() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    // The control: a summary without its sections fails Codex's check.
    let server = consolidation_server(Vec::new());
    let bad = setup(&server);
    write_config(&bad, "");
    let folder = bad.home.path().join("memories_v2");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("memory_summary.md"),
        "v1\n## User Profile\n## What's in Memory\n",
    )
    .unwrap();
    codex(&codex_bin, &["hello"], &bad);
    assert_eq!(
        codex_consolidation_job(bad.home.path()).await.1.as_deref(),
        Some("failed_invalid_artifacts"),
        "Codex checks the summary it finds"
    );

    // zspark condenses an idle session and consolidates; Codex accepts what it wrote.
    let summary = "v1\n## User Profile\n- Works on a shop in Rust.\n## User preferences\n- none yet\n## General Tips\n- Run the tests before a commit.\n## What's in Memory\n### shop\n";
    let recap = serde_json::json!({"rollout_summary": "Added a CSV export in src/export.rs; tests pass.", "rollout_slug": "csv-export"});
    let consolidated = serde_json::json!({"memory_summary": summary, "memory_md": "# Memory\n## shop\n- CSV export in src/export.rs\n"});
    let server = consolidation_server(vec![
        ("memory-extract", vec![Turn::text(recap.to_string())]),
        (
            "memory-consolidate",
            vec![Turn::text(consolidated.to_string())],
        ),
    ]);
    let good = setup(&server);
    idle_codex_session(good.home.path());
    write_config(
        &good,
        "extract_model = \"memory-extract\"\nconsolidation_model = \"memory-consolidate\"\nmin_rollout_idle_hours = 1\n",
    );
    let mut env = zspark_core::Env::new();
    env.insert("MOCK_KEY".into(), "sk-test".into());
    let loaded = codex_core::load_config(
        good.home.path(),
        good.work.path(),
        &codex_core::ConfigOverrides::default(),
        env,
        codex_core::SessionSource::Exec,
    )
    .unwrap();
    let report = codex_core::memories::pipeline::run_pass(&loaded.config, "none")
        .await
        .unwrap();
    assert_eq!(report.condensed.len(), 1, "{report:?}");
    let folder = good.home.path().join("memories_v2");
    assert_eq!(
        std::fs::read_to_string(folder.join("memory_summary.md")).unwrap(),
        summary
    );

    // Codex starts with its own consolidation model.
    write_config(&good, "");
    codex(&codex_bin, &["hello"], &good);
    let (status, error) = codex_consolidation_job(good.home.path()).await;
    assert_eq!(error, None, "Codex's check passed (status {status})");
    assert_eq!(
        std::fs::read_to_string(folder.join("memory_summary.md")).unwrap(),
        summary,
        "Codex kept zspark's summary"
    );
    let main = server
        .model_requests()
        .into_iter()
        .find(|request| request.body["model"] == "gpt-5.5")
        .unwrap();
    assert!(
        main.body
            .to_string()
            .contains("Run the tests before a commit."),
        "Codex gives its session the summary zspark wrote"
    );
}

/// Codex's second multi-agent version on for both.
fn with_multi_agent_v2(setup: &Setup) {
    let path = setup.home.path().join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str("\n[features]\nmulti_agent_v2 = true\n");
    std::fs::write(path, config).unwrap();
}

fn collaboration_call(id: &str, tool: &str, arguments: Value) -> Turn {
    Reply::new()
        .namespaced_function_call(id, "collaboration", tool, arguments.to_string())
        .into()
}

/// The `agent_message` items `request` sends.
fn agent_messages_sent(request: &RecordedRequest) -> Vec<Value> {
    request
        .input_items()
        .into_iter()
        .filter(|item| item["type"] == "agent_message")
        .collect()
}

/// A parent that starts `/root/worker_a`, waits and answers `first`; then (after a
/// resume by the other program) gives it a follow-up, waits and answers `second`. A
/// wait that starts after the child's answer arrived runs out (both programs wait for
/// news after it), so the waits are kept to the shortest Codex allows.
fn team_server(first: &str, second: &str) -> ScriptedModelServer {
    ScriptedModelServer::options()
        .turns([
            collaboration_call(
                "s1",
                "spawn_agent",
                serde_json::json!({"task_name": "worker_a", "message": "look around", "model": "gpt-6-luna", "fork_turns": "none"}),
            ),
            collaboration_call("w1", "wait_agent", serde_json::json!({"timeout_ms": 10_000})),
            Turn::text(first),
            collaboration_call(
                "f1",
                "followup_task",
                serde_json::json!({"target": "/root/worker_a", "message": "one more thing"}),
            ),
            collaboration_call("w2", "wait_agent", serde_json::json!({"timeout_ms": 10_000})),
            Turn::text(second),
        ])
        .model_turns(
            "gpt-6-luna",
            [
                Turn::text("the child looked around"),
                Turn::text("the child did one more thing"),
            ],
        )
        .start()
        .unwrap()
}

#[test]
fn a_zspark_team_resumes_in_codex_which_gives_the_child_a_followup() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = team_server("zspark answered", "codex answered");
    let setup = setup(&server);
    with_multi_agent_v2(&setup);
    zspark(&["use a helper"], &setup);
    let sessions = rollouts(&setup);
    let (parent, _) = sessions
        .iter()
        .find(|(_, meta)| meta["thread_source"].is_null())
        .unwrap();

    let continued = codex(&codex_bin, &["resume", parent, "and now?"], &setup);
    assert!(String::from_utf8_lossy(&continued.stdout).contains("codex answered"));
    let requests = server.model_requests();
    let resumed = requests
        .iter()
        .find(|request| {
            request.body["model"] == "gpt-5.5"
                && message_texts(request).contains(&"and now?".into())
        })
        .expect("Codex asked its model");
    let sent = agent_messages_sent(resumed);
    assert!(
        sent.iter().any(|item| item["author"] == "/root/worker_a"
            && item["recipient"] == "/root"
            && item["content"][0]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with("Message Type: FINAL_ANSWER")
                    && text.ends_with("the child looked around"))),
        "Codex sends on the final answer zspark recorded: {sent:?}"
    );
    let child_request = requests
        .iter()
        .rfind(|request| request.body["model"] == "gpt-6-luna")
        .unwrap();
    assert!(
        child_request.body.to_string().contains("one more thing")
            && child_request
                .body
                .to_string()
                .contains("the child looked around"),
        "Codex found zspark's child by its path and continued its conversation"
    );
}

#[test]
fn a_codex_team_resumes_in_zspark_which_gives_the_child_a_followup() {
    let Some(codex_bin) = codex_binary() else {
        return;
    };
    let server = team_server("codex parent done", "zspark parent done");
    let setup = setup(&server);
    with_multi_agent_v2(&setup);
    codex(&codex_bin, &["use a helper"], &setup);
    let sessions = rollouts(&setup);
    let (parent, _) = sessions
        .iter()
        .find(|(_, meta)| meta["thread_source"] != "subagent")
        .unwrap();
    let (_, child_meta) = sessions
        .iter()
        .find(|(_, meta)| meta["thread_source"] == "subagent")
        .expect("Codex wrote the child's own rollout");
    assert_eq!(child_meta["agent_path"], "/root/worker_a");

    let resumed = zspark(&["resume", parent, "go on with the helper"], &setup);
    assert_eq!(
        String::from_utf8_lossy(&resumed.stdout),
        "zspark parent done\n"
    );
    let requests = server.model_requests();
    let child_request = requests
        .iter()
        .rfind(|request| request.body["model"] == "gpt-6-luna")
        .unwrap();
    let texts = message_texts(child_request);
    assert!(
        texts
            .iter()
            .any(|text| text.contains("NEW_TASK") && text.ends_with("look around")),
        "the child's history holds Codex's task: {texts:?}"
    );
    assert!(texts.iter().any(|text| text == "the child looked around"));
    assert!(
        texts
            .iter()
            .any(|text| text.contains("NEW_TASK") && text.ends_with("one more thing")),
        "{texts:?}"
    );
    // The child's answer reaches the parent's conversation; the wait reports it unless
    // it came before the wait started (the wait then runs out, as Codex's does).
    let last = requests.last().unwrap();
    let texts = message_texts(last);
    assert!(
        texts
            .iter()
            .any(|text| text.starts_with("Message Type: FINAL_ANSWER")
                && text.ends_with("the child did one more thing")),
        "{texts:?}"
    );
    let waited = output_of(last, "w2");
    assert!(
        waited.contains("\"timed_out\":true")
            || (waited.contains("/root/worker_a")
                && waited.contains("the child did one more thing")),
        "{waited}"
    );
}

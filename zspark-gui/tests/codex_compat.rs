//! Two-way compatibility with the real Codex CLI: sessions written by one are resumed by
//! the other with their history intact, and both find the same skills. Runs when
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

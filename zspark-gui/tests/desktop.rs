//! The desktop driven through its accessibility tree (egui_kittest) against a scripted
//! model server: the real app, the real engine and runtime, real files in a temporary
//! `CODEX_HOME`. First run to first answer, two sessions working at once (one waiting
//! for an approval in the background), approving and denying commands, a diff, an MCP
//! server's tool asking for approval, interrupting, resuming a past session, editing a
//! provider, a failed turn that is retried; attaching files (dialog, drop, paste) and
//! seeing them in the model's request, artifact cards and "save as", the skills panel,
//! a long session that lays out only what is in view, a shared-workspace server set up
//! and used, the model and effort pickers (the provider's list, one that fails, a typed
//! model), tokens and cost, the command palette, the notification for a turn that ended
//! out of sight, and snapshot images of the main screens.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use codex_protocol::{ApprovalPolicy, SandboxMode};
use codex_test_support::{Ending, ModelList, Reply, ScriptedModelServer, Turn};
use egui_kittest::kittest::Queryable;
use serde_json::json;
use zspark_core::conversation::Item;
use zspark_gui::desktop::{FolderPolicy, ModelPrice, SessionStatus, ThemeChoice, price_key};

use support::{
    Desk, DroppedPath, QUIET_CONFIG, ServeProcess, blocking_http, config_for, last_user_content,
    long_rollout, onboarded, rich_rollout, unattended,
};

#[test]
fn first_run_leads_to_provider_setup_and_a_streamed_first_answer() {
    let server = ScriptedModelServer::start([Reply::new()
        .message("Hello from the scripted model")
        .delta_chars(4)
        .into()])
    .unwrap();
    let mut desk = Desk::open(None, |_, _| {});
    desk.wait_for("Welcome to zspark");
    desk.wait_for("Add the model provider");
    desk.settle();
    desk.type_into("Id", "scripted");
    desk.type_into("Name", "Scripted");
    desk.type_into("Base URL", &server.base_url());
    desk.type_into("Model", "scripted-model");
    desk.type_into("API key", "sk-first-run-0001");
    desk.click("Save provider");
    desk.wait_for("Found in your Codex configuration: Scripted");
    desk.click("Choose a folder and start");
    desk.wait_for("The agent works in this folder");
    desk.click("Start");
    desk.send("hi");
    desk.wait_for("Hello from the scripted model");
    desk.wait_until("the turn ends", |desk| {
        desk.app().shown_session().is_some_and(|s| !s.is_running())
    });
    desk.settle();

    let request = &server.model_requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sk-first-run-0001")
    );
    let config = std::fs::read_to_string(desk.codex_home.join("config.toml")).unwrap();
    assert!(config.contains("[model_providers.scripted]"), "{config}");
    assert!(
        !config.contains("sk-first-run"),
        "the key must not be in config.toml"
    );
    // The new session shows up in the sidebar under its folder.
    desk.wait_until("the sidebar lists the session", |desk| {
        desk.app().model.catalogue.len() == 1
    });
    assert_eq!(
        desk.app().model.catalogue.groups[0].folder.as_deref(),
        Some(desk.workspace.as_path())
    );
}

#[test]
fn first_run_takes_a_codex_setup_that_works_as_it_is() {
    let server = ScriptedModelServer::start([Turn::text("Answered through your config")]).unwrap();
    let config = format!(
        "model = \"plain-model\"\nmodel_provider = \"plain\"\n\n[model_providers.plain]\nname = \"Plain\"\nbase_url = \"{}\"\nrequest_max_retries = 0\n",
        server.base_url()
    );
    let mut desk = Desk::open(Some(config), |_, _| {});
    desk.wait_for("Found in your Codex configuration: Plain with plain-model");
    assert!(
        desk.harness
            .query_by_label_contains("Add the model provider")
            .is_none(),
        "no provider form for a setup that works"
    );
    desk.click("Choose a folder and start");
    desk.wait_for("The agent works in this folder");
    // The folder is picked in the system's dialog.
    let picked = desk.workspace.with_file_name("picked");
    std::fs::create_dir(&picked).unwrap();
    desk.dialogs
        .folders
        .lock()
        .unwrap()
        .push_back(picked.clone());
    desk.click("Browse…");
    desk.wait_until("the picked folder fills the field", |desk| {
        desk.app()
            .panels
            .sidebar
            .new_session
            .as_ref()
            .map(|dialog| dialog.folder.clone())
            == Some(picked.display().to_string())
    });
    desk.click("Start");
    desk.send("hi");
    desk.wait_for("Answered through your config");
    assert_eq!(server.model_requests()[0].body["model"], "plain-model");
    assert_eq!(desk.app().shown_session().unwrap().cwd, picked);
}

#[test]
fn first_run_asks_for_a_provider_when_the_configured_one_has_no_key() {
    let config = "model_provider = \"keyed\"\n\n[model_providers.keyed]\nname = \"Keyed\"\nbase_url = \"http://127.0.0.1:9/v1\"\nenv_key = \"ZSPARK_TEST_KEY_NOBODY_SET\"\n";
    let mut desk = Desk::open(Some(config.to_string()), |_, _| {});
    desk.wait_for("Add the model provider");
    assert!(
        desk.harness
            .query_by_label_contains("Found in your Codex configuration")
            .is_none()
    );
}

#[test]
fn approve_and_deny_commands_and_review_a_diff() {
    let patch = "*** Begin Patch\n*** Add File: notes.md\n+hello from a diff\n*** End Patch\n";
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "touch approved.txt"}).to_string(),
            )
            .into(),
        Reply::new()
            .function_call(
                "c2",
                "exec_command",
                json!({"cmd": "touch denied.txt"}).to_string(),
            )
            .into(),
        Reply::new()
            .function_call("c3", "apply_patch", json!({"input": patch}).to_string())
            .into(),
        Turn::text("All done"),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), |prefs, workspace| {
        onboarded(prefs, workspace);
        prefs.folder_policies.insert(
            workspace.to_path_buf(),
            FolderPolicy {
                approval: Some(ApprovalPolicy::Untrusted),
                sandbox: Some(SandboxMode::DangerFullAccess),
                ..FolderPolicy::default()
            },
        );
    });
    desk.start_session_in_workspace();
    desk.send("make some files");

    desk.wait_for("Run this command?");
    desk.wait_for("touch approved.txt");
    desk.settle();
    desk.click("Approve");
    desk.wait_for("✔ 0");
    assert!(desk.workspace.join("approved.txt").exists());

    desk.wait_for("touch denied.txt");
    // Answered from the keyboard: N denies.
    desk.harness.key_press(egui::Key::N);
    desk.wait_for("Denied");

    desk.wait_for("Apply these changes?");
    desk.wait_for("+hello from a diff");
    desk.click("Approve for session");
    desk.wait_for("All done");
    assert!(
        !desk.workspace.join("denied.txt").exists(),
        "a denied command ran"
    );
    assert_eq!(
        std::fs::read_to_string(desk.workspace.join("notes.md")).unwrap(),
        "hello from a diff\n"
    );
    desk.wait_for("Edited notes.md  +1 −0");
    assert_eq!(server.model_requests().len(), 4);
}

#[test]
fn an_mcp_tool_that_may_write_asks_in_the_window_and_always_approving_it_is_remembered() {
    let Some(program) = codex_test_support::mcp::everything_server() else {
        return;
    };
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call("m1", "mcp__everything__toggle_simulated_logging", "{}")
            .into(),
        Turn::text("Logging is toggled"),
    ])
    .unwrap();
    let config = format!(
        "{}\n[mcp_servers.everything]\ncommand = {:?}\nargs = [\"stdio\"]\n",
        config_for(&server),
        program.display().to_string()
    );
    let mut desk = Desk::open(Some(config), |prefs, workspace| {
        onboarded(prefs, workspace);
        prefs.folder_policies.insert(
            workspace.to_path_buf(),
            FolderPolicy {
                approval: Some(ApprovalPolicy::OnRequest),
                sandbox: Some(SandboxMode::WorkspaceWrite),
                ..FolderPolicy::default()
            },
        );
    });
    desk.start_session_in_workspace();
    desk.send("turn on logging");
    desk.wait_for("Allow the everything MCP server to run `toggle-simulated-logging`?");
    desk.settle();
    desk.click("Always approve");
    desk.wait_for("Always approved");
    desk.wait_for("everything · toggle-simulated-logging");
    desk.wait_for("Logging is toggled");
    let config = std::fs::read_to_string(desk.codex_home.join("config.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    assert_eq!(
        parsed["mcp_servers"]["everything"]["tools"]["toggle-simulated-logging"]["approval_mode"]
            .as_str(),
        Some("approve"),
        "remembered for later sessions: {config}"
    );
    let requests = server.model_requests();
    let offered = requests[0].body["tools"].to_string();
    assert!(offered.contains("\"mcp__everything\""), "{offered}");
    let answered = requests[1].body["input"].to_string();
    assert!(answered.contains("logging"), "the tool ran: {answered}");
}

#[test]
fn two_sessions_run_at_once_and_a_background_approval_waits_for_its_session() {
    let server = ScriptedModelServer::start([
        // The first session's answer streams slowly, so it is still coming while the
        // second session works.
        Reply::new()
            .message("The first session answers at its own pace, word after word.")
            .delta_chars(1)
            .event_delay(Duration::from_millis(40))
            .into(),
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "touch from-two.txt"}).to_string(),
            )
            .into(),
        Turn::text("The second session is done."),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), |prefs, workspace| {
        onboarded(prefs, workspace);
        prefs.folder_policies.insert(
            workspace.to_path_buf(),
            FolderPolicy {
                approval: Some(ApprovalPolicy::Untrusted),
                sandbox: Some(SandboxMode::DangerFullAccess),
                ..FolderPolicy::default()
            },
        );
    });
    desk.start_session_in_workspace();
    desk.send("first question");
    desk.wait_for("The first session");
    let first = desk.app().model.shown.unwrap();

    // A second session while the first still streams.
    desk.click("+ New session");
    desk.wait_for("The agent works in this folder");
    desk.click("Start");
    desk.wait_until("the second session is shown", |desk| {
        desk.app().model.shown.is_some_and(|shown| shown != first)
    });
    let second = desk.app().model.shown.unwrap();
    assert!(
        desk.app().model.sessions[&first].is_running(),
        "the first session kept working"
    );
    desk.send("second question");
    desk.wait_for("Run this command?");
    let status = |desk: &Desk, session| desk.app().model.sessions[&session].status();
    assert_eq!(status(&desk, second), SessionStatus::WaitingForApproval);

    // The first session's answer finishes in the background and is marked unread.
    desk.wait_until("the first session finished", |desk| {
        status(desk, first) == SessionStatus::Finished
    });
    assert!(desk.app().model.sessions[&first].unread);
    desk.wait_for("first question, Finished, unread");
    // The system says so, since it was not on screen; the approval shown did not.
    let notified = |desk: &Desk| desk.notifier.shown.lock().unwrap().clone();
    assert_eq!(
        notified(&desk),
        [(
            "zspark".to_string(),
            "\u{201c}first question\u{201d} is done.".to_string()
        )]
    );
    assert_eq!(desk.app().waiting_for_user(), 1);

    // Switching to it shows the whole answer; the second still waits for its approval.
    desk.click("first question, Finished, unread");
    desk.wait_for("The first session answers at its own pace, word after word.");
    assert!(!desk.app().model.sessions[&first].unread);
    assert_eq!(desk.app().waiting_for_user(), 0, "it has been seen");
    assert_eq!(status(&desk, second), SessionStatus::WaitingForApproval);
    desk.wait_for("second question, Needs approval");
    assert!(!desk.workspace.join("from-two.txt").exists());

    // Back to the second: the card is there and is answered.
    desk.click("second question, Needs approval");
    desk.wait_for("touch from-two.txt");
    desk.settle();
    desk.click("Approve");
    desk.wait_for("The second session is done.");
    assert!(desk.workspace.join("from-two.txt").exists());
    // The answer shows while it streams; the turn ends just after.
    desk.wait_until("the second session finished", |desk| {
        status(desk, second) == SessionStatus::Finished
    });

    // Closing the first leaves the second open and shown.
    desk.click("Close first question");
    desk.wait_until("the first session closed", |desk| {
        !desk.app().model.sessions.contains_key(&first)
    });
    assert_eq!(desk.app().model.shown, Some(second));
    assert_eq!(server.model_requests().len(), 3);
}

#[test]
fn interrupting_stops_a_running_command() {
    let server = ScriptedModelServer::start([Reply::new()
        .function_call("c1", "exec_command", json!({"cmd": "sleep 30"}).to_string())
        .into()])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), |prefs, workspace| {
        onboarded(prefs, workspace);
        prefs.folder_policies.insert(
            workspace.to_path_buf(),
            FolderPolicy {
                approval: Some(ApprovalPolicy::Never),
                sandbox: Some(SandboxMode::DangerFullAccess),
                ..FolderPolicy::default()
            },
        );
    });
    desk.start_session_in_workspace();
    desk.send("wait a while");
    desk.wait_for("$ sleep 30");
    let started = Instant::now();
    desk.click("Stop");
    desk.wait_for("Stopped.");
    desk.wait_until("the turn ends", |desk| {
        desk.app().shown_session().is_some_and(|s| !s.is_running())
    });
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the command was not stopped"
    );
    desk.wait_for("Send");
}

#[test]
fn a_past_session_resumes_from_the_sidebar_even_after_its_folder_moved() {
    let server = ScriptedModelServer::start([
        Turn::text("The first answer"),
        Turn::text("The follow-up answer"),
    ])
    .unwrap();
    let mut first = Desk::open(Some(config_for(&server)), onboarded);
    first.start_session_in_workspace();
    first.send("first question");
    first.wait_for("The first answer");
    first.wait_until("the turn ends", |desk| {
        desk.app().shown_session().is_some_and(|s| !s.is_running())
    });
    let (codex_home, workspace) = (first.codex_home.clone(), first.workspace.clone());
    let dirs = std::mem::replace(&mut first._dirs, tempfile::tempdir().unwrap());
    drop(first);

    // The project moved: the session's folder is gone.
    let moved = workspace.with_file_name("workspace-moved");
    std::fs::rename(&workspace, &moved).unwrap();

    let mut second = Desk::reopen(&codex_home, &moved, onboarded);
    second.wait_for("first question");
    second.wait_for("(folder missing)");
    second.settle();
    second.click("first question");
    second.wait_for("does not exist any more");
    second.type_into("Folder", &moved.display().to_string());
    second.click("Start");
    second.wait_for("The first answer");
    second.send("and then?");
    second.wait_for("The follow-up answer");
    let inputs = server.model_requests()[1].input_items();
    let texts = serde_json::to_string(&inputs).unwrap();
    assert!(
        texts.contains("first question") && texts.contains("The first answer"),
        "the resumed turn did not carry the history: {texts}"
    );
    drop(second);
    drop(dirs);
}

#[test]
fn a_provider_is_edited_in_settings_and_bad_input_is_explained() {
    let server = ScriptedModelServer::start([]).unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    desk.wait_for("Settings");
    desk.click("⚙ Settings");
    desk.wait_for("Scripted");
    desk.click("Scripted");
    desk.type_into("Name", " (edited)");
    desk.type_into("Extra headers", "X-Team: desk");
    desk.settle();
    desk.click("Save provider");
    desk.wait_for("Saved scripted.");
    let config = std::fs::read_to_string(desk.codex_home.join("config.toml")).unwrap();
    assert!(config.contains("name = \"Scripted (edited)\""), "{config}");
    assert!(config.contains("X-Team"), "{config}");
    assert!(
        config.contains("# kept by the test"),
        "comments are kept: {config}"
    );
    assert!(
        config.contains("request_max_retries = 0"),
        "other keys are kept: {config}"
    );

    desk.click("+ Add provider");
    desk.type_into("Id", "bad id");
    desk.type_into("Base URL", "not a url");
    desk.click("Save provider");
    desk.wait_for("id: use letters");
    desk.wait_for("base URL: use an http(s) URL");
    let after = std::fs::read_to_string(desk.codex_home.join("config.toml")).unwrap();
    assert_eq!(after, config, "a refused profile changes nothing");
}

#[test]
fn a_rejected_key_shows_the_error_and_retry_runs_the_turn_again() {
    let server = ScriptedModelServer::start([
        Turn::http_error(401, "Incorrect API key provided"),
        Turn::text("Works now"),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    desk.start_session_in_workspace();
    desk.send("hello?");
    desk.wait_for("Something went wrong");
    desk.wait_for("Incorrect API key provided");
    desk.settle();
    desk.click("Retry");
    desk.wait_for("Works now");
    let retried = server.model_requests()[1].input_items();
    let users = retried
        .iter()
        .filter(|item| item["role"] == "user" && item.to_string().contains("hello?"))
        .count();
    assert_eq!(
        users, 1,
        "the retried turn holds the message once: {retried:?}"
    );
}

#[test]
fn the_model_and_effort_are_picked_from_the_providers_list_and_kept_for_the_folder() {
    let server = ScriptedModelServer::options()
        .listed_models(ModelList::Models(vec![
            "scripted-model".to_string(),
            "gpt-5.1-codex-max".to_string(),
        ]))
        .turns([Turn::text("First answer"), Turn::text("Second answer")])
        .start()
        .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    desk.start_session_in_workspace();
    desk.wait_until_open();
    assert!(
        desk.harness.query_all_by_label("Effort").next().is_none(),
        "scripted-model takes no reasoning effort"
    );
    desk.open_list("Model");
    desk.wait_for("gpt-5.1-codex-max");
    desk.click("gpt-5.1-codex-max");
    desk.open_list("Effort");
    desk.wait_for("xhigh");
    for effort in ["low", "medium", "high"] {
        assert!(
            desk.harness.query_all_by_label(effort).next().is_some(),
            "{effort} offered"
        );
    }
    assert!(
        desk.harness.query_all_by_label("minimal").next().is_none(),
        "gpt-5.1-codex-max does not take minimal"
    );
    desk.click("xhigh");
    desk.send("Think hard");
    desk.wait_for("First answer");
    let request = &server.model_requests()[0].body;
    assert_eq!(request["model"], "gpt-5.1-codex-max");
    assert_eq!(request["reasoning"]["effort"], "xhigh");
    assert!(
        server
            .requests()
            .iter()
            .any(|request| request.method == "GET" && request.path == "/v1/models"),
        "the list came from the provider"
    );

    // A new session in the folder starts with what was picked there.
    desk.click("+ New session");
    desk.wait_for("The agent works in this folder");
    desk.click("Start");
    desk.wait_until("the second session is ready", |desk| {
        desk.app()
            .shown_session()
            .is_some_and(|session| session.number != 1 && session.configured.is_some())
    });
    desk.send("Again");
    desk.wait_for("Second answer");
    let request = &server.model_requests()[1].body;
    assert_eq!(request["model"], "gpt-5.1-codex-max");
    assert_eq!(request["reasoning"]["effort"], "xhigh");
    let policy = desk.app().model.prefs.policy_for(&desk.workspace);
    assert_eq!(policy.model.as_deref(), Some("gpt-5.1-codex-max"));
}

#[test]
fn a_provider_whose_model_list_fails_says_so_and_a_typed_model_is_used() {
    let server = ScriptedModelServer::options()
        .listed_models(ModelList::Fails)
        .turns([Turn::text("From the typed model")])
        .start()
        .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    desk.start_session_in_workspace();
    desk.wait_until_open();
    desk.open_list("Model");
    desk.wait_for("Scripted did not list its models");
    desk.wait_for("the model list is not available right now");
    desk.type_into("Other model", "my-local-model");
    desk.click("Use");
    desk.send("Hello");
    desk.wait_for("From the typed model");
    let request = &server.model_requests()[0].body;
    assert_eq!(request["model"], "my-local-model");
    assert!(request.get("reasoning").is_none(), "{request}");
}

#[test]
fn tokens_per_turn_and_per_session_and_their_cost_at_the_prices_given() {
    let server = ScriptedModelServer::start([
        Reply::new().message("One").usage(2_000, 100).into(),
        Reply::new().message("Two").usage(1_000, 50).into(),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), |prefs, workspace| {
        onboarded(prefs, workspace);
        prefs.model_prices.insert(
            price_key("scripted", "scripted-model"),
            ModelPrice {
                input: 2.0,
                cached_input: 0.5,
                output: 10.0,
            },
        );
    });
    desk.start_session_in_workspace();
    desk.send("a");
    desk.wait_for("One");
    desk.send("b");
    desk.wait_for("Two");
    desk.wait_for("3000 in (0 cached) · 150 out");
    desk.wait_for("1000 in (0 cached) · 50 out");
    // (2,000 × 2 + 100 × 10) + (1,000 × 2 + 50 × 10), per million.
    desk.wait_for("0.0075");
    let turns = &desk.app().shown_session().unwrap().usage.turns;
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0].tokens.input_tokens, 2_000);

    desk.click("Prices of scripted-model");
    desk.click("Forget these prices");
    desk.wait_until("the cost is gone with the prices", |desk| {
        desk.harness.query_all_by_label("0.0075").next().is_none()
    });
    assert!(desk.app().model.prefs.model_prices.is_empty());
}

/// Runs git in `dir`; its output.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Makes `repo` a git repository holding `path` with `text` and what was there,
/// committed.
fn commit_all(repo: &Path, path: &str, text: &str) {
    git(repo, &["init", "-q", "-b", "main"]);
    let file = repo.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
    git(repo, &["config", "user.name", "Tess Ter"]);
    git(repo, &["config", "user.email", "tess@example.com"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "start"]);
}

#[test]
fn a_session_in_its_own_worktree_is_merged_back_and_the_worktree_deleted() {
    let patch =
        "*** Begin Patch\n*** Add File: feature.txt\n+made in the worktree\n*** End Patch\n";
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call("p1", "apply_patch", json!({"input": patch}).to_string())
            .into(),
        Turn::text("Made the feature"),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), unattended);
    let repo = desk.workspace.clone();
    commit_all(&repo, "README.md", "# Project\n");
    desk.wait_for("New session");
    desk.harness
        .get_all_by_label("New session")
        .next()
        .unwrap()
        .click();
    desk.wait_for("The agent works in this folder");
    desk.click("In its own git worktree, on a branch of its own");
    desk.click("Start");
    desk.wait_until_open();
    let worktree = desk.app().shown_session().unwrap().cwd.clone();
    assert!(
        worktree.starts_with(desk.codex_home.join("worktrees")),
        "{worktree:?}"
    );
    let branch = git(&worktree, &["symbolic-ref", "--short", "HEAD"])
        .trim()
        .to_string();
    assert!(branch.starts_with("zspark/"), "{branch}");
    desk.wait_for("Main checkout");
    desk.wait_for(&branch);
    assert!(desk.app().model.prefs.policy_for(&repo).worktree);

    desk.send("make the feature");
    desk.wait_for("Made the feature");
    assert!(worktree.join("feature.txt").exists());
    assert!(
        !repo.join("feature.txt").exists(),
        "the main checkout is untouched"
    );

    desk.click("Merge into main…");
    desk.wait_for(&format!("Merge {branch} into main?"));
    desk.click("Merge");
    desk.wait_for(&format!("Merged {branch} into main."));
    assert_eq!(
        std::fs::read_to_string(repo.join("feature.txt")).unwrap(),
        "made in the worktree\n"
    );
    assert!(
        git(&repo, &["log", "--format=%s", "-3"]).contains("make the feature (a zspark session)")
    );

    // Its branch deleted from elsewhere: nothing to merge, and it can still go.
    git(
        &worktree,
        &["update-ref", "-d", &format!("refs/heads/{branch}")],
    );
    desk.click("Review changes");
    desk.wait_for("no longer exists");
    desk.click("Delete worktree…");
    desk.wait_for("Delete the worktree?");
    desk.click("Delete worktree");
    desk.wait_for("Removed the worktree");
    assert!(!worktree.exists());
    assert_eq!(git(&repo, &["worktree", "list"]).lines().count(), 1);
}

const LIB_BEFORE: &str = "pub fn answer() -> u32 {\n    41\n}\n";
const LIB_AFTER: &str = "pub fn answer() -> u32 {\n    42\n}\n";

#[test]
fn the_review_pane_stages_and_discards_in_git_and_undoes_the_last_turn() {
    let patch = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n pub fn answer() -> u32 {\n-    41\n+    42\n*** Add File: notes.md\n+Why 42.\n*** End Patch\n";
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call("p1", "apply_patch", json!({"input": patch}).to_string())
            .into(),
        Turn::text("Fixed the answer"),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), unattended);
    let repo = desk.workspace.clone();
    commit_all(&repo, "src/lib.rs", LIB_BEFORE);
    desk.start_session_in_workspace();
    desk.send("fix the answer");
    desk.wait_for("Fixed the answer");
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.rs")).unwrap(),
        LIB_AFTER
    );

    // The folder's changes: the edited file and the new one.
    desk.click("Review changes");
    desk.wait_for("⏷ src/lib.rs");
    desk.wait_for("⏷ notes.md");
    desk.wait_for("+    42");
    desk.click("Stage hunk");
    desk.wait_for("Staged a change in src/lib.rs.");
    assert_eq!(
        git(&repo, &["diff", "--cached", "--name-only"]),
        "src/lib.rs\n"
    );
    desk.click("Unstage");
    desk.wait_for("Unstaged src/lib.rs.");
    assert_eq!(git(&repo, &["diff", "--cached", "--name-only"]), "");

    // The last turn, undone after a confirmation that lists its files.
    desk.click("Last turn");
    desk.click("Undo this turn…");
    desk.wait_for("• src/lib.rs");
    desk.wait_for("• notes.md");
    desk.click("Undo turn");
    desk.wait_for("Undid the turn");
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.rs")).unwrap(),
        LIB_BEFORE
    );
    assert!(!repo.join("notes.md").exists());
    desk.click("Uncommitted");
    desk.wait_for("Nothing uncommitted.");

    // A hunk of the user's own edit is discarded; one changed again since is not.
    std::fs::write(repo.join("src/lib.rs"), LIB_AFTER).unwrap();
    desk.click("⟳ Refresh");
    desk.wait_for("+    42");
    std::fs::write(repo.join("src/lib.rs"), LIB_AFTER.replace("42", "43")).unwrap();
    desk.click("Discard hunk…");
    desk.wait_for("Discard this change to src/lib.rs? This cannot be undone.");
    desk.click("Discard");
    desk.wait_for("src/lib.rs changed since its diff was read; refresh the review and try again");
    assert!(
        std::fs::read_to_string(repo.join("src/lib.rs"))
            .unwrap()
            .contains("43")
    );
    desk.wait_for("+    43");
    desk.click("Discard hunk…");
    desk.wait_for("Discard this change to src/lib.rs? This cannot be undone.");
    desk.click("Discard");
    desk.wait_for("Discarded a change in src/lib.rs.");
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.rs")).unwrap(),
        LIB_BEFORE
    );

    // In the middle of a rebase, discarding waits.
    std::fs::write(repo.join("src/lib.rs"), LIB_AFTER).unwrap();
    std::fs::create_dir_all(repo.join(".git/rebase-merge")).unwrap();
    desk.click("⟳ Refresh");
    desk.wait_for("in the middle of a rebase");
    desk.click("Discard hunk…");
    desk.wait_for("Discard this change to src/lib.rs? This cannot be undone.");
    desk.click("Discard");
    desk.wait_for("finish or abort it before discarding changes");
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.rs")).unwrap(),
        LIB_AFTER
    );
}

#[test]
fn the_terminal_runs_a_shell_in_the_session_folder_with_colours_resize_and_scroll_back() {
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "echo from-the-agent"}).to_string(),
            )
            .into(),
        Turn::text("Ran it"),
        Turn::text("Still here"),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), unattended);
    desk.start_session_in_workspace();
    desk.send("run something");
    desk.wait_for("Ran it");
    desk.open_terminal();
    desk.run_in_terminal(r#"printf '\033[31mred\033[0m in %s\n' "$(pwd)""#);
    let workspace = desk.workspace.canonicalize().unwrap();
    let expected = format!("red in {}", workspace.display());
    desk.wait_until(
        "the shell printed in colour in the session folder",
        |desk| desk.terminal_text().contains(&expected),
    );
    {
        let session = desk.app().model.shown.unwrap();
        let screen = desk.app().panels.terminal.terminals[&session].screen();
        let row = (0..screen.size().0.get())
            .find(|row| {
                screen.cell(*row, 0).map(vt100::Cell::contents) == Some("r")
                    && screen.cell(*row, 1).map(vt100::Cell::contents) == Some("e")
            })
            .unwrap();
        assert_eq!(screen.cell(row, 0).unwrap().fgcolor(), vt100::Color::Idx(1));
        assert_eq!(
            screen.cell(row, 4).unwrap().fgcolor(),
            vt100::Color::Default
        );
    }

    // A smaller window makes a smaller terminal, and the shell is told.
    let columns = |desk: &Desk| {
        let session = desk.app().model.shown.unwrap();
        desk.app().panels.terminal.terminals[&session]
            .screen()
            .size()
            .1
            .get()
    };
    let wide = columns(&desk);
    desk.harness.set_size(egui::vec2(900.0, 700.0));
    desk.wait_until("the terminal narrowed", |desk| columns(desk) < wide);
    desk.run_in_terminal("stty size");
    let narrow = columns(&desk);
    desk.wait_until("the shell knows the new size", |desk| {
        desk.terminal_text().contains(&format!(" {narrow}\n"))
    });

    // Output above the screen is kept and scrolled back to with the wheel.
    desk.run_in_terminal("seq 1 400");
    desk.wait_until("the numbers are printed", |desk| {
        desk.terminal_text().contains("\n400\n")
    });
    let terminal = desk.harness.get_by_label("Terminal").rect();
    desk.harness.input_mut().events.extend([
        egui::Event::PointerMoved(terminal.center()),
        egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, 40_000.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        },
    ]);
    desk.wait_until("the scroll-back shows the first numbers", |desk| {
        desk.terminal_text().lines().any(|line| line == "1")
    });

    // A command the agent ran is put in the terminal, ready to run.
    desk.click("Open in terminal");
    desk.wait_until("the command is typed in the terminal", |desk| {
        desk.terminal_text().contains("echo from-the-agent")
    });

    // The composer still takes the keyboard once clicked (the small conversation
    // above the terminal need not show the answer).
    desk.send("and now?");
    desk.wait_until("the answer arrived", |desk| {
        desk.app()
            .shown_session()
            .unwrap()
            .transcript
            .items
            .iter()
            .any(|item| matches!(item, Item::Agent { text, .. } if text == "Still here"))
    });
    assert!(!desk.terminal_text().contains("and now?"));
}

#[test]
fn picked_dropped_and_pasted_files_reach_the_model_and_can_be_removed() {
    let server = ScriptedModelServer::start([Turn::text("Got them")]).unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    let outside = desk.workspace.with_file_name("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("notes.txt"), "meeting notes").unwrap();
    std::fs::write(outside.join("photo.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    std::fs::write(desk.workspace.join("data.csv"), "a,b\n").unwrap();
    desk.dialogs
        .picks
        .lock()
        .unwrap()
        .push_back(vec![outside.join("notes.txt"), outside.join("photo.png")]);
    desk.start_session_in_workspace();
    desk.wait_until_open();

    desk.click("📎 Attach");
    desk.wait_for("notes.txt · 13 B");
    desk.wait_for("photo.png");
    desk.harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(desk.workspace.join("data.csv"))));
    desk.wait_for("data.csv");
    desk.harness
        .event(egui::Event::PasteImage(Arc::new(egui::ColorImage::filled(
            [3, 2],
            egui::Color32::RED,
        ))));
    desk.wait_for("pasted-image.png");
    desk.settle();
    desk.click("Remove data.csv");
    assert_eq!(
        desk.app()
            .shown_draft()
            .map_or(0, |draft| draft.attachments.len()),
        3
    );

    desk.send("what is in these?");
    desk.wait_for("Got them");
    let content = last_user_content(&server.model_requests()[0]);
    let texts: Vec<&str> = content
        .iter()
        .filter_map(|part| part["text"].as_str())
        .collect();
    let copied = desk.workspace.join(".zspark/attachments/notes.txt");
    assert_eq!(texts[0], "what is in these?");
    assert!(
        texts
            .iter()
            .any(|text| text.contains(&format!("path=\"{}\"", copied.display()))),
        "the file is named by its copy in the folder: {texts:?}"
    );
    assert!(
        !texts.iter().any(|text| text.contains("data.csv")),
        "a removed attachment is not sent"
    );
    let images: Vec<&str> = content
        .iter()
        .filter_map(|part| part["image_url"].as_str())
        .collect();
    assert_eq!(
        images.len(),
        2,
        "the photo and the pasted image: {content:?}"
    );
    assert!(
        images
            .iter()
            .all(|url| url.starts_with("data:image/png;base64,"))
    );
    assert_eq!(std::fs::read_to_string(copied).unwrap(), "meeting notes");
    desk.wait_for("📄 notes.txt");
    desk.wait_for("🖼 2 image(s)");
    assert!(
        desk.app()
            .shown_draft()
            .is_none_or(|draft| draft.attachments.is_empty()),
        "sent attachments are cleared"
    );
}

#[test]
fn a_file_the_agent_wrote_gets_a_card_with_a_preview_and_save_as_copies_it() {
    let server = ScriptedModelServer::start([
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "printf 'city,people\\nOslo,700000\\n' > report.csv"}).to_string(),
            )
            .into(),
        Turn::text("Report ready"),
    ])
    .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), unattended);
    let elsewhere = desk.workspace.with_file_name("downloads");
    std::fs::create_dir_all(&elsewhere).unwrap();
    desk.start_session_in_workspace();
    desk.send("make a report");
    desk.wait_for("Files from this turn (1)");
    desk.wait_for("Oslo");
    desk.wait_for("700000");
    desk.settle();
    // Each file's buttons stay on one line, in the card and in the narrow Files list.
    let tops = |label: &str| -> Vec<f32> {
        desk.harness
            .get_all_by_label(label)
            .map(|node| node.rect().top())
            .collect()
    };
    let open = tops("Open report.csv");
    assert_eq!(open.len(), 2, "the card and the Files list");
    assert_eq!(tops("Save report.csv as…"), open);
    assert_eq!(tops("Show report.csv in folder"), open);

    desk.dialogs
        .saves
        .lock()
        .unwrap()
        .push_back(elsewhere.join("saved report.csv"));
    desk.harness
        .get_all_by_label("Save report.csv as…")
        .next()
        .unwrap()
        .click();
    desk.wait_for("Saved a copy to");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("saved report.csv")).unwrap(),
        "city,people\nOslo,700000\n"
    );
    desk.harness
        .get_all_by_label("Open report.csv")
        .next()
        .unwrap()
        .click();
    desk.wait_until("the system is asked to open the report", |desk| {
        !desk.launcher.opened.lock().unwrap().is_empty()
    });
    assert_eq!(
        *desk.launcher.opened.lock().unwrap(),
        [desk.workspace.join("report.csv")]
    );
}

#[test]
fn the_skills_panel_lists_skills_plugins_and_broken_ones_and_a_picked_skill_is_sent() {
    let server = ScriptedModelServer::start([Turn::text("Notes taken")]).unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    let write_skill = |dir: PathBuf, text: &str| {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("SKILL.md"), text).unwrap();
    };
    write_skill(
        desk.workspace.join(".codex/skills/slides"),
        "---\nname: slides\ndescription: Build a slide deck\n---\nMake slides.\n",
    );
    write_skill(
        desk.workspace.join(".codex/skills/broken"),
        "no front matter at all\n",
    );
    write_skill(
        desk.codex_home.join("skills/notes"),
        "---\nname: notes\ndescription: Take tidy meeting notes\n---\nWrite notes in the house style.\n",
    );
    let plugin = desk.codex_home.join("plugins/cache/market/office/1.0.0");
    write_skill(
        plugin.join("skills/docx"),
        "---\nname: docx\ndescription: Write Word documents\n---\n",
    );
    std::fs::create_dir_all(plugin.join(".codex-plugin")).unwrap();
    std::fs::write(
        plugin.join(".codex-plugin/plugin.json"),
        r#"{"name": "office", "version": "1.0.0", "description": "Office documents"}"#,
    )
    .unwrap();
    desk.start_session_in_workspace();
    desk.wait_for("Build a slide deck");
    desk.wait_for("Take tidy meeting notes");
    desk.wait_for("Write Word documents");
    desk.wait_for("Office documents");
    desk.wait_for("1 skill(s)");
    desk.wait_for("broken/SKILL.md");
    desk.settle();

    desk.type_into("Search skills", "meeting");
    desk.wait_until("the search hides other skills", |desk| {
        desk.harness
            .query_all_by_label_contains("Build a slide deck")
            .next()
            .is_none()
    });
    desk.click("Use notes");
    desk.wait_for("✨ notes");
    desk.send("summarise the meeting");
    desk.wait_for("Notes taken");
    let texts: Vec<String> = last_user_content(&server.model_requests()[0])
        .iter()
        .filter_map(|part| part["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(texts[0], "summarise the meeting");
    assert!(
        texts[1].starts_with("<skill>\n<name>notes</name>")
            && texts[1].contains("Write notes in the house style."),
        "{texts:?}"
    );
    assert!(
        desk.app()
            .shown_draft()
            .is_none_or(|draft| draft.skill.is_none()),
        "the skill is used once"
    );
}

#[test]
fn a_ten_thousand_item_session_lays_out_only_what_is_in_view() {
    let server = ScriptedModelServer::start([]).unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    long_rollout(&desk.codex_home, &desk.workspace, 5_000);
    desk.click("⟳");
    desk.wait_for("question 0");
    desk.click("question 0");
    desk.wait_for("answer 4999");
    assert_eq!(
        desk.app().shown_session().unwrap().transcript.items.len(),
        10_000
    );
    for _ in 0..5 {
        desk.harness.step();
    }
    let laid_out = desk.harness.query_all_by_label_contains("answer ").count();
    assert!(
        (1..100).contains(&laid_out),
        "{laid_out} answers were laid out; only those in view should be"
    );
    assert!(
        desk.harness
            .query_all_by_label_contains("answer 0:")
            .next()
            .is_none(),
        "the first answer is far out of view"
    );
}

/// Skills for the snapshot's folder, one of them broken.
fn snapshot_skills(workspace: &Path) {
    for (name, text) in [
        (
            "slides",
            "---\nname: slides\ndescription: Build a slide deck from notes\n---\n",
        ),
        (
            "spreadsheets",
            "---\nname: spreadsheets\ndescription: Create and edit .xlsx workbooks\n---\n",
        ),
        ("broken", "no front matter\n"),
    ] {
        let dir = workspace.join(".codex/skills").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("SKILL.md"), text).unwrap();
    }
}

const SNAPSHOT_SUMMARY: &str = "v1\n## User Profile\n- Works on a Rust workspace.\n## User preferences\n- Tabs in Python. [ad-hoc note]\n## General Tips\n- The tests need MOCK_API_KEY.\n## What's in Memory\n### workspace\n#### 2026-11-30\n- rollout_summaries/2026-11-30T10-02-11-csv-export.md — the CSV export and its tests\n";

fn snapshot_desk(theme: ThemeChoice) -> Desk {
    let mut desk = Desk::open_rendered(Some(QUIET_CONFIG.to_string()), |prefs, _| {
        prefs.onboarded = true;
        prefs.theme = theme;
    });
    rich_rollout(&desk.codex_home, &desk.workspace);
    snapshot_skills(&desk.workspace);
    std::fs::write(desk.workspace.join("notes.md"), "# Notes\n").unwrap();
    desk.click("⟳");
    desk.wait_for("Add a CSV export");
    desk.click("Add a CSV export and run the tests");
    desk.wait_for("CSV export added");
    desk.wait_for("Build a slide deck from notes");
    desk.harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(desk.workspace.join("notes.md"))));
    desk.wait_for("notes.md · 8 B");
    desk
}

#[test]
fn snapshots_of_the_main_screens() {
    let mut first_run = Desk::open_rendered(None, |prefs, _| prefs.theme = ThemeChoice::Light);
    first_run.wait_for("Add the model provider");
    first_run.snapshot("first_run");
    drop(first_run);

    let mut light = snapshot_desk(ThemeChoice::Light);
    light.snapshot("conversation_light");
    light.click("⚙ Settings");
    light.wait_for("Local model");
    light.snapshot("settings");
    light.click("Shared workspaces");
    light.wait_for("Server URL");
    light.snapshot("settings_shared_workspaces");
    let memory = light.codex_home.join("memories_v2");
    std::fs::create_dir_all(memory.join("extensions/ad_hoc/notes")).unwrap();
    std::fs::write(memory.join("memory_summary.md"), SNAPSHOT_SUMMARY).unwrap();
    std::fs::write(
        memory.join("extensions/ad_hoc/notes/2026-11-30T09-00-00-tabs.md"),
        "I prefer tabs in Python.",
    )
    .unwrap();
    light.click("Memory");
    light.wait_for("Given to every new session.");
    light.snapshot("settings_memory");
    drop(light);

    let mut dark = snapshot_desk(ThemeChoice::Dark);
    dark.snapshot("conversation_dark");
    dark.harness.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::P,
    );
    dark.wait_for("Show or hide the details panel");
    dark.snapshot("command_palette");
    drop(dark);

    let mut review = snapshot_desk(ThemeChoice::Light);
    let repo = review.workspace.clone();
    commit_all(
        &repo,
        "src/export.rs",
        "pub fn export(rows: &[Row]) -> String {\n    String::new()\n}\n",
    );
    std::fs::write(
        repo.join("src/export.rs"),
        "pub fn export(rows: &[Row]) -> String {\n    let mut out = String::from(\"city,people\\n\");\n    for row in rows {\n        out.push_str(&format!(\"{},{}\\n\", row.city, row.people));\n    }\n    out\n}\n",
    )
    .unwrap();
    review.click("Review changes");
    review.wait_for("⏷ src/export.rs");
    review.snapshot("review_pane");
    drop(review);

    let mut terminal = snapshot_desk(ThemeChoice::Dark);
    terminal.open_terminal();
    terminal.run_in_terminal(r"PS1='$ '; clear; printf 'build \033[32mok\033[0m, tests \033[31m2 failed\033[0m, \033[1;34mdone\033[0m\n'",
    );
    terminal.wait_until("the shell drew its screen", |desk| {
        desk.terminal_text().trim_end().ends_with("done\n$")
    });
    terminal.snapshot("terminal");
}

#[test]
fn the_command_palette_lists_every_command_with_its_shortcut_and_runs_the_one_picked() {
    let server = ScriptedModelServer::start([]).unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    desk.start_session_in_workspace();
    desk.wait_until_open();
    let open_palette = |desk: &mut Desk| {
        desk.harness.key_press_modifiers(
            egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
            egui::Key::P,
        );
        desk.wait_until("the palette is open", |desk| desk.app().panels.palette.open);
        desk.wait_for("Settings: providers");
    };
    open_palette(&mut desk);
    for (command, key) in [
        ("New session…", egui::Key::N),
        ("Show or hide the details panel", egui::Key::I),
        ("Show or hide the terminal", egui::Key::J),
        ("Attach files…", egui::Key::O),
    ] {
        desk.wait_for(command);
        let keys = desk
            .harness
            .ctx
            .format_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, key));
        assert!(
            desk.harness.query_all_by_label(&keys).next().is_some(),
            "{command} shows {keys}"
        );
    }
    assert!(
        desk.harness
            .query_all_by_label("Close this session")
            .next()
            .is_some()
    );

    // Typing narrows the list; Enter runs the highlighted command.
    desk.type_into("Command", "details hide");
    desk.wait_until("only the details command is left", |desk| {
        desk.harness
            .query_all_by_label("New session…")
            .next()
            .is_none()
    });
    let details_were_open = desk.app().model.prefs.details_open;
    desk.harness.key_press(egui::Key::Enter);
    desk.wait_until("the details panel toggled and the palette closed", |desk| {
        desk.app().model.prefs.details_open != details_were_open && !desk.app().panels.palette.open
    });

    // A click runs one too; a query nothing matches says so.
    open_palette(&mut desk);
    desk.type_into("Command", "no such thing");
    desk.wait_for("No command matches.");
    desk.harness.key_press(egui::Key::Escape);
    desk.wait_until("Esc closes the palette", |desk| {
        !desk.app().panels.palette.open
    });
    open_palette(&mut desk);
    desk.type_into("Command", "theme dark");
    desk.click("Theme: dark");
    desk.wait_until("the theme changed", |desk| {
        desk.app().model.prefs.theme == ThemeChoice::Dark
    });
}

#[test]
fn a_shared_server_is_set_up_in_settings_and_its_workspaces_are_listed_and_created() {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    let http = blocking_http(Duration::from_secs(10));
    let created: serde_json::Value = http
        .post(format!("{}/v1/workspaces", serve.base))
        .header("x-domain-user", "bob")
        .json(&json!({"name": "Design reviews"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let invited = http
        .post(format!(
            "{}/v1/workspaces/{}/members",
            serve.base,
            created["id"].as_str().unwrap()
        ))
        .header("x-domain-user", "bob")
        .json(&json!({"principal": "principal:alice", "role": "viewer"}))
        .send()
        .unwrap();
    assert_eq!(invited.status(), 201);

    let mut desk = Desk::open(None, onboarded);
    desk.wait_for("Not connected to a server.");
    desk.click("Set up a server");
    desk.wait_for("Server URL");
    desk.type_into("Server URL", "ftp://nowhere");
    desk.click("Development server");
    desk.type_into("User name", "alice");
    desk.click("Connect");
    desk.wait_for("is not an http(s) address");
    desk.harness.get_by_label("Server URL").focus();
    desk.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    desk.type_into("Server URL", &serve.base);
    desk.click("Connect");
    desk.wait_for("Signed in as alice");
    desk.wait_for("Design reviews");
    desk.settle();
    desk.click("Close");
    // The workspace's feed has been read (the sidebar says it holds no session), so
    // the list does not grow under the click on Create.
    desk.wait_for("No shared sessions yet.");
    desk.settle();
    desk.type_into("New workspace name", "Launch plan");
    assert_eq!(desk.app().panels.shared.new_workspace, "Launch plan");
    desk.click("Create");
    desk.wait_for("Launch plan");
    let mine: serde_json::Value = http
        .get(format!("{}/v1/workspaces", serve.base))
        .header("x-domain-user", "alice")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let listed: Vec<(&str, &str)> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["name"].as_str().unwrap(), w["role"].as_str().unwrap()))
        .collect();
    assert!(listed.contains(&("Launch plan", "owner")), "{listed:?}");
    assert!(listed.contains(&("Design reviews", "viewer")), "{listed:?}");
    assert_eq!(
        desk.app()
            .model
            .prefs
            .shared_server
            .as_ref()
            .map(|server| server.url.as_str()),
        Some(serve.base.as_str()),
        "the server is remembered"
    );
}

#[test]
fn mcp_servers_are_listed_with_their_status_and_added_switched_off_and_removed_in_settings() {
    let server = ScriptedModelServer::start([]).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../codex-rs/core/tests/fixtures/changing_tools_server.py");
    let config = format!(
        "{}\n# my servers\n[mcp_servers.vault]\ncommand = \"python3\"\nargs = [{:?}]\n\n[mcp_servers.broken]\ncommand = \"a\"\nurl = \"http://b\"\n",
        config_for(&server),
        fixture.display().to_string()
    );
    let mut desk = Desk::open(Some(config), onboarded);
    desk.start_session_in_workspace();
    desk.click("⚙ Settings");
    desk.wait_for("MCP servers");
    desk.click("MCP servers");
    desk.wait_for("ready · 2 tools");
    desk.wait_for("url is not supported for stdio");
    desk.click("ready · 2 tools");
    desk.wait_for("unlock, exit");

    desk.click("+ Add MCP server");
    desk.type_into("Name", "notes");
    desk.type_into(
        "Command",
        "npx -y \"@modelcontextprotocol/server-filesystem\" '/home/me/my notes'",
    );
    desk.type_into("Environment", "LOG_LEVEL=debug");
    desk.wait_for("Add server");
    desk.click("Add server");
    desk.wait_until("the new server is written", |desk| {
        std::fs::read_to_string(desk.codex_home.join("config.toml"))
            .unwrap()
            .contains("[mcp_servers.notes]")
    });
    desk.wait_for("/home/me/my notes");
    let written = std::fs::read_to_string(desk.codex_home.join("config.toml")).unwrap();
    assert!(
        written.contains("# my servers"),
        "comments are kept: {written}"
    );
    let parsed: toml::Table = toml::from_str(&written).unwrap();
    let notes = &parsed["mcp_servers"]["notes"];
    assert_eq!(notes["command"].as_str(), Some("npx"));
    assert_eq!(notes["args"][2].as_str(), Some("/home/me/my notes"));
    assert_eq!(notes["env"]["LOG_LEVEL"].as_str(), Some("debug"));

    // Rows are in name order (broken, notes, vault); the list scrolls, so the clicks
    // go through the accessibility tree.
    desk.harness
        .get_all_by_label("on")
        .nth(2)
        .unwrap()
        .click_accesskit();
    desk.wait_until("vault is switched off", |desk| {
        std::fs::read_to_string(desk.codex_home.join("config.toml"))
            .unwrap()
            .contains("enabled = false")
    });
    desk.harness
        .get_all_by_label("Remove")
        .next()
        .unwrap()
        .click_accesskit();
    desk.wait_until("the broken entry is gone", |desk| {
        !std::fs::read_to_string(desk.codex_home.join("config.toml"))
            .unwrap()
            .contains("broken")
    });
    // The list shrinks once the engine answers; click only after that, where the
    // button then is.
    desk.wait_until("the list no longer shows it", |desk| {
        desk.app()
            .model
            .mcp_servers
            .as_ref()
            .is_some_and(|servers| !servers.iter().any(|server| server.name == "broken"))
    });

    desk.click("+ Add MCP server");
    desk.type_into("Name", "web");
    desk.click("URL (streamable HTTP)");
    desk.type_into("URL", "localhost:3000");
    desk.click("Add server");
    desk.wait_for("not an http:// or https:// URL");
    let after = std::fs::read_to_string(desk.codex_home.join("config.toml")).unwrap();
    assert!(
        !after.contains("[mcp_servers.web]"),
        "a refused server changes nothing: {after}"
    );
}

#[test]
fn an_http_mcp_server_is_signed_in_and_out_from_settings() {
    use codex_test_support::oidc::{
        TestBrowser, mcp_sdk_dir, provider_dir, start_oauth_mcp_server,
    };
    let (Some(provider), Some(sdk)) = (provider_dir(), mcp_sdk_dir()) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let oauth_server = runtime.block_on(start_oauth_mcp_server(&provider, &sdk, "erin", 3600));
    let config = format!(
        "mcp_oauth_credentials_store = \"file\"\n\n[mcp_servers.protected]\nurl = {:?}\n",
        oauth_server.url
    );
    let mut desk = Desk::open(Some(config), onboarded);
    desk.click("⚙ Settings");
    desk.wait_for("MCP servers");
    desk.click("MCP servers");
    desk.wait_for("Sign in");
    desk.click("Sign in");
    // The desk opens no browser: the row shows the link, which the user follows.
    desk.wait_for("open the sign-in page");
    let page = desk.app().model.mcp_sign_in.clone().unwrap().1;
    let http = zspark_bridge::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (user, _) = TestBrowser::new(http);
    runtime.block_on(user.visit(
        reqwest::Method::GET,
        reqwest::Url::parse(&page).unwrap(),
        None,
    ));
    desk.wait_for("signed in");
    assert!(desk.codex_home.join(".credentials.json").is_file());

    desk.click("Sign out");
    desk.wait_for("Sign in");
    desk.wait_until("the sign-in is forgotten", |desk| {
        !desk.codex_home.join(".credentials.json").exists()
    });
}

/// A parent's call starting a helper on `task` with the model `child-model`.
fn spawn_helper(task: &str) -> Turn {
    Reply::new()
        .namespaced_function_call(
            "s1",
            "multi_agent_v1",
            "spawn_agent",
            json!({"message": task, "model": "child-model"}).to_string(),
        )
        .into()
}

/// A parent's call waiting for its first helper (Noether) up to a minute.
fn wait_for_helper() -> Turn {
    Reply::new()
        .namespaced_function_call(
            "w1",
            "multi_agent_v1",
            "wait_agent",
            json!({"targets": ["Noether"], "timeout_ms": 60000}).to_string(),
        )
        .into()
}

#[test]
fn a_sub_agent_opens_under_its_session_and_is_approved_and_closed_from_the_window() {
    let server = ScriptedModelServer::options()
        .turns([
            spawn_helper("make helper.txt"),
            wait_for_helper(),
            Turn::text("The helper made the file"),
        ])
        .model_turns(
            "child-model",
            [
                Reply::new()
                    .function_call(
                        "c1",
                        "exec_command",
                        json!({"cmd": "touch helper.txt"}).to_string(),
                    )
                    .into(),
                Turn::text("made helper.txt"),
            ],
        )
        .start()
        .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), |prefs, workspace| {
        onboarded(prefs, workspace);
        prefs.folder_policies.insert(
            workspace.to_path_buf(),
            FolderPolicy {
                approval: Some(ApprovalPolicy::Untrusted),
                sandbox: Some(SandboxMode::DangerFullAccess),
                ..FolderPolicy::default()
            },
        );
    });
    desk.start_session_in_workspace();
    desk.send("use a helper");
    // The sub-agent's command waits for approval in its own view.
    desk.wait_for("Noether (sub-agent), Needs approval");
    desk.click("Noether (sub-agent), Needs approval, unread");
    desk.wait_for("touch helper.txt");
    desk.settle();
    desk.click("Approve");
    desk.wait_for("made helper.txt");
    assert!(desk.workspace.join("helper.txt").exists());

    // Its result reaches the parent, which finishes.
    let parent = *desk.app().model.sessions.keys().next().unwrap();
    desk.wait_until("the parent's turn ends", |desk| {
        desk.app().model.sessions[&parent]
            .transcript
            .items
            .iter()
            .any(|item| format!("{item:?}").contains("The helper made the file"))
    });
    desk.click("Close Noether (sub-agent)");
    desk.wait_until("the sub-agent's view is gone", |desk| {
        desk.app().model.sessions.len() == 1
    });
}

#[test]
fn a_sub_agent_shows_as_a_card_in_its_parent_and_is_stopped_and_opened_from_it() {
    let server = ScriptedModelServer::options()
        .turns([
            spawn_helper("search the logs"),
            wait_for_helper(),
            Turn::text("The helper was stopped"),
        ])
        .model_turns(
            "child-model",
            [Reply::new()
                .message("searching the logs")
                .ending(Ending::StallAfter { events: 4 })
                .into()],
        )
        .start()
        .unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), unattended);
    desk.start_session_in_workspace();
    desk.send("use a helper");
    desk.wait_for("Stop Noether");
    let parent = desk.app().model.shown.unwrap();
    let card_status = |desk: &Desk| desk.harness.query_all_by_label_contains("Working").count();
    assert!(card_status(&desk) > 0, "the card says the agent works");
    desk.click("Stop Noether");
    desk.wait_for("The helper was stopped");
    desk.wait_until("the card lost its Stop button", |desk| {
        desk.harness.query_by_label("Stop Noether").is_none()
    });
    assert_eq!(desk.app().model.shown, Some(parent), "still the parent");

    // Let the conversation finish scrolling to its end before clicking on it.
    desk.settle();
    desk.click("Open Noether");
    desk.wait_until("the sub-agent is shown", |desk| {
        desk.app()
            .shown_session()
            .is_some_and(|session| session.parent == Some(parent))
    });
    desk.wait_for("search the logs");
}

/// A call of Codex's second multi-agent version.
fn collaboration_call(id: &str, tool: &str, arguments: serde_json::Value) -> Turn {
    Reply::new()
        .namespaced_function_call(id, "collaboration", tool, arguments.to_string())
        .into()
}

#[test]
fn a_team_task_shows_the_messages_between_parent_and_child() {
    let server = ScriptedModelServer::options()
        .turns([
            collaboration_call(
                "s1",
                "spawn_agent",
                json!({"task_name": "worker_a", "message": "list the logs", "model": "child-model", "fork_turns": "none"}),
            ),
            // The child may answer before this wait starts; its answer is then in the
            // conversation already and the wait (for news after it) runs out, so it is
            // kept to the shortest Codex allows.
            collaboration_call("w1", "wait_agent", json!({"timeout_ms": 10_000})),
            Turn::text("The worker listed them"),
        ])
        .model_turns("child-model", [Turn::text("two logs: a.log, b.log")])
        .start()
        .unwrap();
    let config = format!(
        "{}\n[features]\nmulti_agent_v2 = true\n",
        config_for(&server)
    );
    let mut desk = Desk::open(Some(config), unattended);
    desk.start_session_in_workspace();
    desk.send("use a team");
    desk.wait_for("The worker listed them");
    desk.wait_for("Final answer from /root/worker_a");
    desk.wait_for("two logs: a.log, b.log");
    let parent = desk.app().model.shown.unwrap();

    desk.settle();
    desk.click("Open Noether");
    desk.wait_until("the sub-agent is shown", |desk| {
        desk.app()
            .shown_session()
            .is_some_and(|session| session.parent == Some(parent))
    });
    desk.wait_for("Task from /root");
    desk.wait_for("list the logs");
}

#[test]
fn the_memory_panel_switches_memory_on_and_keeps_notes() {
    let server = ScriptedModelServer::start([]).unwrap();
    let mut desk = Desk::open(Some(config_for(&server)), onboarded);
    let folder = desk.codex_home.join("memories_v2");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("memory_summary.md"),
        "v1\n## User Profile\n- hand edited\n",
    )
    .unwrap();
    desk.wait_for("Settings");
    desk.click("⚙ Settings");
    desk.wait_for("MCP servers");
    desk.click("Memory");
    desk.wait_for("Not given to sessions");
    desk.click("Remember across sessions");
    desk.wait_until("config.toml switches memories on", |desk| {
        std::fs::read_to_string(desk.codex_home.join("config.toml"))
            .unwrap()
            .contains("memories = true")
    });
    let config = std::fs::read_to_string(desk.codex_home.join("config.toml")).unwrap();
    assert!(config.starts_with("# kept by the test"), "{config}");

    desk.type_into("New note", "I prefer tabs in Python");
    desk.click("Add note");
    desk.wait_for("I prefer tabs in Python");
    let notes = folder.join("extensions/ad_hoc/notes");
    let written: Vec<_> = std::fs::read_dir(&notes).unwrap().flatten().collect();
    assert_eq!(written.len(), 1);
    assert_eq!(
        std::fs::read_to_string(written[0].path()).unwrap(),
        "I prefer tabs in Python"
    );

    desk.click("Delete");
    desk.wait_for("No notes yet.");
    assert!(std::fs::read_dir(&notes).unwrap().next().is_none());
    desk.wait_for("Delete note");
    desk.settle();

    // A session can be kept out of memory from its details.
    desk.click("Close");
    desk.start_session_in_workspace();
    desk.wait_for("Keep out of memory");
    let session_id = desk
        .app()
        .shown_session()
        .and_then(|session| session.configured.as_ref())
        .map(|configured| configured.session_id.clone())
        .unwrap();
    desk.click("Keep out of memory");
    desk.wait_until("the session is kept out", |desk| {
        std::fs::read_to_string(desk.codex_home.join("zspark-memories.json"))
            .is_ok_and(|state| state.contains(&session_id))
    });
}

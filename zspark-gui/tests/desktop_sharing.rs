//! Shared sessions in the window, end to end: real desktops (the app, its engine and
//! runtime, each with a `CODEX_HOME` and a user of its own) against a real
//! `zspark serve --dev` and a scripted model server. Alice shares a session from its
//! header; Bob finds it in the workspace, reads it, continues it in his folder and his
//! model request carries Alice's messages, calls and outputs; Alice's open page shows
//! Bob's turn as it lands; a viewer reads only. Owners manage members in the Members
//! tab and a removed member's page says so at once. A session whose server goes away
//! keeps its turns queued, says so in its header, and sends each record once, in order,
//! when the server is back. Teammates see each other come and go, in the session's
//! header and beside it in the sidebar. Snapshots of the shared session (also with a
//! teammate's turn streaming in), Members and Activity.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod support;

use std::path::Path;
use std::time::Duration;

use codex_test_support::{Reply, ScriptedModelServer, Turn};
use egui_kittest::kittest::{NodeT, Queryable};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{
    Desk, ServeProcess, alice_with_a_shared_turn, as_user, blocking_http, config_for,
    postgres_database, signed_in, workspace_with,
};
use zspark_gui::desktop::{SharedIdentityPrefs, SharedServerPrefs};

/// Every item payload of the workspace's only session, in order.
fn server_items(serve: &ServeProcess, workspace: &str, user: &str) -> (String, Vec<Value>) {
    let http = blocking_http(Duration::from_secs(10));
    let sessions = as_user(
        http.get(format!("{}/v1/workspaces/{workspace}/sessions", serve.base)),
        user,
    );
    let session = sessions["items"][0]["id"].as_str().unwrap().to_string();
    let page = as_user(
        http.get(format!(
            "{}/v1/workspaces/{workspace}/sessions/{session}/items?limit=1000",
            serve.base
        )),
        user,
    );
    let items = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["payload"].clone())
        .collect();
    (session, items)
}

/// The records of a rollout, in order.
fn rollout_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn shown_rollout(desk: &Desk) -> std::path::PathBuf {
    desk.app()
        .shown_session()
        .and_then(|session| session.configured.as_ref())
        .map(|configured| configured.rollout_path.clone())
        .expect("a session is shown")
}

fn share_and_continue(database_url: Option<&str>) {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), database_url);
    let workspace = workspace_with(
        &serve,
        "alice",
        "Shop",
        &[("principal:bob", "editor"), ("principal:carol", "viewer")],
    );
    let model = ScriptedModelServer::start([
        Reply::new()
            .function_call(
                "call-alice-1",
                "exec_command",
                json!({"cmd": "printf 'total: 42\\n' > totals.txt"}).to_string(),
            )
            .into(),
        Turn::text("Totals written to totals.txt"),
        Turn::text("Bob here: the totals look right"),
    ])
    .unwrap();

    let mut alice = alice_with_a_shared_turn(
        &serve,
        &model,
        "Write the totals",
        "Totals written to totals.txt",
    );
    let http = blocking_http(Duration::from_secs(10));
    let files = as_user(
        http.get(format!(
            "{}/v1/workspaces/{workspace}/artifacts",
            serve.base
        )),
        "alice",
    );
    let totals = files["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["name"] == "totals.txt")
        .unwrap_or_else(|| panic!("the produced file is shared: {files}"));
    let expected: String = Sha256::digest(b"total: 42\n")
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(
        totals["sha256"],
        expected.as_str(),
        "streamed with its checksum"
    );

    // Alice keeps the shared session open: Bob's turn shows up on it by itself.
    alice.click("Shop");
    alice.wait_for("by alice");
    alice
        .harness
        .get_by_label("Read the shared session Write the totals")
        .click();
    alice.wait_for("Continue here…");

    let mut carol = Desk::open(Some(config_for(&model)), signed_in(&serve.base, "carol"));
    carol.wait_for("Signed in as carol");
    carol.click("Shop");
    carol.wait_for("by alice");
    carol
        .harness
        .get_by_label("Read the shared session Write the totals")
        .click();
    carol.wait_for("Totals written to totals.txt");
    carol.wait_for("You can read this session");
    assert!(
        carol.harness.query_by_label("Continue here…").is_none()
            && carol.harness.query_by_label("Message").is_none(),
        "a viewer has no way to continue"
    );
    drop(carol);

    // Alice's window goes to the background.
    alice.harness.input_mut().focused = false;

    let mut bob = Desk::open(Some(config_for(&model)), signed_in(&serve.base, "bob"));
    bob.wait_for("Signed in as bob");
    bob.click("Shop");
    bob.wait_for("by alice");
    bob.harness
        .get_by_label("Read the shared session Write the totals")
        .click();
    bob.wait_for("Totals written to totals.txt");
    bob.dialogs
        .folders
        .lock()
        .unwrap()
        .push_back(bob.workspace.clone());
    bob.click("Continue here…");
    // The file Alice's turn produced goes with Bob's message, from the workspace.
    bob.wait_for("From Shop…");
    bob.click("From Shop…");
    bob.click("totals.txt");
    bob.wait_for("totals.txt · 10 B");
    let attached = bob.workspace.join(".zspark/attachments/totals.txt");
    assert_eq!(std::fs::read_to_string(&attached).unwrap(), "total: 42\n");
    bob.send("Check them");
    bob.wait_for("Bob here: the totals look right");
    // Every record once, in order: the server comes to hold exactly Bob's rollout.
    let continued = shown_rollout(&bob);
    bob.wait_until("the server holds Bob's whole rollout", |_| {
        server_items(&serve, &workspace, "bob").1 == rollout_records(&continued)
    });

    let requests = model.model_requests();
    let inputs = requests[2].input_items();
    let text = serde_json::to_string(&inputs).unwrap();
    assert!(text.contains("Write the totals"), "Alice's message: {text}");
    let call_ids: Vec<(&str, &str)> = inputs
        .iter()
        .filter_map(|item| Some((item["type"].as_str()?, item["call_id"].as_str()?)))
        .collect();
    assert!(
        call_ids.contains(&("function_call", "call-alice-1"))
            && call_ids.contains(&("function_call_output", "call-alice-1")),
        "Alice's call and its output reach Bob's model: {call_ids:?}"
    );
    assert!(text.contains("Check them"), "Bob's own message: {text}");
    let attached_path = format!("path=\\\"{}\\\"", attached.display());
    assert!(
        text.contains(&attached_path),
        "the workspace file is attached by its copy in Bob's folder: {text}"
    );

    alice.wait_for("Bob here: the totals look right");
    // The page may show Bob's turn from a read that another entry of the feed caused;
    // the entry of his turn comes with the feed.
    alice.wait_until(
        "the system tells Alice that Bob continued her session",
        |desk| {
            desk.notifier
                .shown
                .lock()
                .unwrap()
                .iter()
                .any(|(_, body)| body == "bob continued your session \"Write the totals\".")
        },
    );
}

#[test]
fn a_session_shared_from_the_window_is_continued_by_a_teammate_with_its_whole_conversation() {
    share_and_continue(None);
}

#[test]
fn the_same_on_postgresql() {
    let Some(database) = postgres_database("desktop_sharing") else {
        return;
    };
    share_and_continue(Some(database.url()));
}

#[test]
fn owners_manage_members_in_the_window_and_a_removed_member_loses_the_page_at_once() {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    let workspace = workspace_with(&serve, "alice", "Shop", &[]);
    let http = blocking_http(Duration::from_secs(10));
    // Bob has signed in once, so he can be invited by his name.
    as_user(http.get(format!("{}/v1/me", serve.base)), "bob");

    let mut alice = Desk::open(None, signed_in(&serve.base, "alice"));
    alice.wait_for("Signed in as alice");
    alice.click("Shop");
    alice.wait_for("Sessions");
    alice.click("Members");
    alice.wait_for("alice (you)");
    let leave = alice.harness.get_by_label("Leave");
    assert!(
        leave.accesskit_node().is_disabled(),
        "the last owner cannot leave"
    );

    alice.type_into("Invite whom", "nobody@example.com");
    alice.click("Invite");
    alice.wait_for("nobody has signed in to this server as nobody@example.com yet");
    alice.type_into("Invite whom", "bob");
    alice.click("Invite");
    alice.wait_until("Bob is a member, by name", |desk| {
        desk.app()
            .model
            .shared
            .workspace(&workspace)
            .is_some_and(|view| {
                view.members.iter().any(|member| {
                    member.principal == "principal:bob"
                        && member.display_name.as_deref() == Some("bob")
                })
            })
    });

    let mut bob = Desk::open(None, signed_in(&serve.base, "bob"));
    bob.wait_for("Signed in as bob");
    bob.click("Shop");
    bob.wait_for("you are an editor");

    alice.click("Remove");
    bob.wait_for("You are no longer a member of this workspace");
    let members = as_user(
        http.get(format!("{}/v1/workspaces/{workspace}/members", serve.base)),
        "alice",
    );
    assert_eq!(members.as_array().unwrap().len(), 1, "{members}");

    alice.click("Activity");
    alice.wait_for("added bob as editor");
}

#[test]
fn a_shared_session_keeps_its_turns_while_the_server_is_away_and_sends_each_once_when_back() {
    let data = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let serve = ServeProcess::start_on(data.path(), None, port);
    let workspace = workspace_with(&serve, "alice", "Shop", &[]);
    let model = ScriptedModelServer::start([
        Turn::text("First answer"),
        Turn::text("Second answer, written offline"),
    ])
    .unwrap();
    let mut alice = alice_with_a_shared_turn(&serve, &model, "First question", "First answer");

    serve.kill();
    alice.send("Second question");
    alice.wait_for("Second answer, written offline");
    alice.wait_for("not yet uploaded");
    let queued = alice
        .app()
        .model
        .shared
        .sync
        .values()
        .next()
        .map(|report| report.pending)
        .unwrap();
    assert!(queued > 0, "the second turn waits on disk");

    let serve = ServeProcess::start_on(data.path(), None, port);
    alice.wait_for("✔ Shared");
    // Every record arrives once, in order: the server holds exactly the rollout.
    let rollout = shown_rollout(&alice);
    alice.wait_until("the server holds the whole rollout", |_| {
        server_items(&serve, &workspace, "alice").1 == rollout_records(&rollout)
    });
}

#[test]
fn the_sidebar_lists_every_workspaces_sessions_and_keeps_them_current() {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    workspace_with(&serve, "alice", "Shop", &[("principal:bob", "viewer")]);
    workspace_with(&serve, "alice", "Lab", &[("principal:bob", "editor")]);
    let model = ScriptedModelServer::start([Turn::text("Samples measured")]).unwrap();
    let mut bob = Desk::open(None, signed_in(&serve.base, "bob"));
    bob.wait_for("Signed in as bob");
    bob.wait_for("Lab");
    bob.wait_until("both workspaces are read", |desk| {
        desk.app().model.shared.views.len() == 2
    });

    let mut alice = Desk::open(Some(config_for(&model)), signed_in(&serve.base, "alice"));
    alice.wait_for("Signed in as alice");
    alice.start_session_in_workspace();
    alice.send("Measure the samples");
    alice.wait_for("Samples measured");
    alice.click("Share…");
    alice.click("Share to Lab");
    alice.wait_for("✔ Shared");

    // Bob opened no page: the Lab's feed brings the session to his sidebar.
    bob.wait_for("Measure the samples");
    assert!(bob.app().model.shared.page.is_none());
    bob.click("Measure the samples");
    bob.wait_for("Continue here…");
}

/// The names of workspace `workspace`'s files, as `user` lists them.
fn workspace_file_names(serve: &ServeProcess, workspace: &str, user: &str) -> Vec<String> {
    let http = blocking_http(Duration::from_secs(10));
    let files = as_user(
        http.get(format!(
            "{}/v1/workspaces/{workspace}/artifacts",
            serve.base
        )),
        user,
    );
    files["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|file| file["name"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_shared_sessions_files_show_their_upload_one_too_large_is_refused_and_one_can_be_removed() {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    let workspace = workspace_with(&serve, "alice", "Shop", &[]);
    let model = ScriptedModelServer::start([
        Turn::text("Ready"),
        Reply::new()
            .function_call(
                "call-files",
                "exec_command",
                // A 2 GiB file (sparse, so it costs no disk) beside a small table.
                json!({"cmd": "printf 'city,people\\nOslo,709000\\n' > cities.csv && truncate -s 2G footage.bin"})
                    .to_string(),
            )
            .into(),
        Turn::text("Files made"),
        Turn::text("Nothing new"),
    ])
    .unwrap();
    let mut alice = alice_with_a_shared_turn(&serve, &model, "Get ready", "Ready");

    alice.send("Make the files");
    alice.wait_for("Files made");
    alice.wait_for("In the workspace");
    alice.wait_for("Not in the workspace: artifacts may be at most 1024 MiB on this server");
    assert_eq!(
        workspace_file_names(&serve, &workspace, "alice"),
        ["cities.csv"]
    );
    // The refused file held nothing else up: every record of the session is there.
    alice.wait_for("✔ Shared");
    let rollout = shown_rollout(&alice);
    alice.wait_until("the server holds the whole rollout", |_| {
        server_items(&serve, &workspace, "alice").1 == rollout_records(&rollout)
    });

    alice.settle();
    alice
        .harness
        .get_all_by_label("Remove cities.csv from the workspace")
        .next()
        .unwrap()
        .click();
    alice.wait_for("Removed from the workspace");
    assert!(workspace_file_names(&serve, &workspace, "alice").is_empty());

    // Later turns send neither again while they stay as they are.
    alice.send("Anything else?");
    alice.wait_for("Nothing new");
    alice.wait_for("✔ Shared");
    alice.wait_until("the later turn is on the server", |_| {
        server_items(&serve, &workspace, "alice").1 == rollout_records(&rollout)
    });
    assert!(workspace_file_names(&serve, &workspace, "alice").is_empty());
}

#[test]
fn a_workspace_deleted_while_open_says_so_and_its_sessions_go_on_here() {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    let workspace = workspace_with(&serve, "alice", "Shop", &[]);
    let model = ScriptedModelServer::start([
        Turn::text("First answer"),
        Turn::text("Second answer, kept here"),
    ])
    .unwrap();
    let mut alice = alice_with_a_shared_turn(&serve, &model, "First question", "First answer");
    let rollout = shown_rollout(&alice);
    alice.click("Shop");
    alice.wait_for("by alice");

    let http = blocking_http(Duration::from_secs(10));
    let deleted = http
        .delete(format!("{}/v1/workspaces/{workspace}", serve.base))
        .header("x-domain-user", "alice")
        .send()
        .unwrap();
    assert_eq!(deleted.status(), reqwest::StatusCode::NO_CONTENT);
    alice.wait_for("You are no longer a member of this workspace (or it was deleted)");
    alice.wait_until("the workspace leaves the sidebar", |desk| {
        desk.app()
            .model
            .shared
            .status
            .as_ref()
            .is_some_and(|status| status.workspaces.is_empty())
    });

    // The session goes on here, and its header says why its turns stay here.
    alice
        .harness
        .get_all_by_label_contains("First question,")
        .next()
        .unwrap()
        .click();
    alice.wait_until("the session is shown again", |desk| {
        desk.app().model.shared.page.is_none()
    });
    alice.send("Second question");
    alice.wait_for("Second answer, kept here");
    alice.wait_for("Not uploaded");
    let report = alice
        .app()
        .model
        .shared
        .sync
        .values()
        .next()
        .cloned()
        .unwrap();
    assert!(
        matches!(&report.state, zspark_core::SyncState::Failed(problem) if problem.contains("was not found")),
        "{report:?}"
    );
    // The rollout writer records the answer on its own task, maybe after it shows.
    alice.wait_until("the turn is in the local rollout", |_| {
        rollout_records(&rollout)
            .iter()
            .any(|record| record.to_string().contains("Second answer, kept here"))
    });
}

/// A workspace as the server would describe it, with fixed times for the snapshots.
fn snapshot_workspace() -> zspark_core::WorkspaceView {
    let at = "2026-11-30T10:00:00.000Z".to_string();
    let member = |key: &str, name: &str, role| zspark_api::Member {
        principal: key.to_string(),
        display_name: Some(name.to_string()),
        role,
        added_by: "principal:alice".to_string(),
        added_at: at.clone(),
    };
    let entry = |id: &str, actor: &str, verb: &str, summary: &str| zspark_api::Activity {
        id: id.to_string(),
        actor: actor.to_string(),
        actor_name: None,
        verb: verb.to_string(),
        object_type: "session".to_string(),
        object_id: Some("s1".to_string()),
        summary: summary.to_string(),
        at: at.clone(),
    };
    zspark_core::WorkspaceView {
        workspace: zspark_api::Workspace {
            id: "w1".to_string(),
            name: "Shop".to_string(),
            role: zspark_api::Role::Owner,
            created_by: "principal:alice".to_string(),
            created_at: at.clone(),
            updated_at: at.clone(),
        },
        me: "principal:alice".to_string(),
        sessions: vec![zspark_api::Session {
            id: "s1".to_string(),
            workspace_id: "w1".to_string(),
            title: "Add a CSV export and run the tests".to_string(),
            author: "principal:alice".to_string(),
            cwd_hint: Some("/home/alice/shop".to_string()),
            model: Some("qwen3-coder".to_string()),
            forked_from: None,
            forked_at_seq: None,
            item_count: 8,
            created_at: at.clone(),
            updated_at: at.clone(),
        }],
        members: vec![
            member(
                "principal:alice",
                "alice@contoso.com",
                zspark_api::Role::Owner,
            ),
            member("principal:bob", "bob@contoso.com", zspark_api::Role::Editor),
            member(
                "principal:carol",
                "carol@contoso.com",
                zspark_api::Role::Viewer,
            ),
        ],
        activity: vec![
            entry(
                "a3",
                "principal:bob",
                "appended",
                "added 6 items to a session",
            ),
            entry(
                "a2",
                "principal:alice",
                "added",
                "added principal:bob as editor",
            ),
            entry(
                "a1",
                "principal:alice",
                "created",
                "shared the session \"Add a CSV export\"",
            ),
        ],
        artifacts: vec![zspark_api::Artifact {
            id: "f1".to_string(),
            workspace_id: "w1".to_string(),
            session_id: Some("s1".to_string()),
            name: "report.csv".to_string(),
            media_type: "text/csv".to_string(),
            size: 2_048,
            sha256: "0".repeat(64),
            created_by: "principal:bob".to_string(),
            created_at: at,
        }],
    }
}

#[test]
fn snapshots_of_the_shared_pages() {
    let mut desk = Desk::open_rendered(Some(support::QUIET_CONFIG.to_string()), |prefs, _| {
        prefs.onboarded = true;
    });
    support::rich_rollout(&desk.codex_home, &desk.workspace);
    // Listed before any snapshot, so the sidebar is the same in every run.
    desk.click("⟳");
    desk.wait_for("~/workspace");
    let rollout = std::fs::read_dir(desk.codex_home.join("sessions/2026/11/30"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let events = codex_core::rollout::load_rollout(&rollout).unwrap().events;
    let view = snapshot_workspace();
    let address = zspark_core::sharing::SharedSessionAddress {
        server: "https://zspark.contoso.com".to_string(),
        workspace_id: "w1".to_string(),
        session_id: "s1".to_string(),
    };
    {
        let app = desk.harness.state_mut().app.as_mut().unwrap();
        let shared = &mut app.model.shared;
        app.model.prefs.shared_server = Some(SharedServerPrefs {
            url: address.server.clone(),
            identity: SharedIdentityPrefs::Development {
                user: "alice".to_string(),
            },
        });
        shared.status = Some(zspark_core::SharedStatus {
            server: address.server.clone(),
            signed_in_as: Some("alice@contoso.com".to_string()),
            workspaces: vec![view.workspace.clone()],
            problem: None,
        });
        shared.reading = Some(zspark_gui::desktop::ReadSession::new(
            zspark_core::SharedSessionRead {
                address: address.clone(),
                session: view.sessions[0].clone(),
                role: zspark_api::Role::Editor,
                events: events.clone(),
                unreadable: 0,
                artifacts: view.artifacts.clone(),
            },
        ));
        shared.views.insert(view.workspace.id.clone(), view);
        shared.page = Some(zspark_gui::desktop::SharedPage::Session(address));
    }
    desk.wait_for("CSV export added");
    desk.snapshot("shared_session");

    // Bob is running a turn in it: it streams in above the actions.
    let last_turn = events
        .iter()
        .rposition(|event| matches!(event, codex_protocol::EventMsg::UserMessage { .. }))
        .unwrap();
    {
        let app = desk.harness.state_mut().app.as_mut().unwrap();
        let shared = &mut app.model.shared;
        let key = ("w1".to_string(), "s1".to_string());
        let room = zspark_core::SessionRoom {
            people: vec![zspark_core::Presence {
                user: "bob@contoso.com".to_string(),
                doing: "running a turn".to_string(),
            }],
            driver: Some("bob@contoso.com".to_string()),
            turn: events[last_turn..].to_vec(),
            ..zspark_core::SessionRoom::default()
        };
        let live = zspark_core::Transcript::from_events(&room.turn);
        shared
            .rooms
            .insert(key, zspark_gui::desktop::RoomView { room, live });
    }
    desk.wait_for("bob@contoso.com's turn, live");
    desk.snapshot("shared_session_live");
    desk.harness
        .state_mut()
        .app
        .as_mut()
        .unwrap()
        .model
        .shared
        .page = Some(zspark_gui::desktop::SharedPage::Workspace("w1".to_string()));
    desk.wait_for("you are an owner");
    desk.click("Members");
    desk.wait_for("carol@contoso.com");
    desk.snapshot("workspace_members");
    desk.click("Activity");
    desk.wait_for("added bob@contoso.com as editor");
    desk.snapshot("workspace_activity");

    // The Files tab, with the preview of a fetched file.
    let fetched = desk.workspace.join("report.csv");
    std::fs::write(&fetched, "city,people\nOslo,709000\nBergen,291000\n").unwrap();
    let preview = zspark_core::Artifact::describe(&fetched).unwrap();
    desk.harness
        .state_mut()
        .app
        .as_mut()
        .unwrap()
        .model
        .shared
        .previews
        .insert("f1".to_string(), Some(preview));
    desk.click("Files");
    desk.wait_for("Bergen");
    desk.snapshot("workspace_files");
}

#[test]
fn workspace_files_preview_and_download_checked_and_an_item_from_a_newer_version_is_named_not_shown()
 {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    let workspace = workspace_with(&serve, "alice", "Shop", &[("principal:bob", "editor")]);
    let model = ScriptedModelServer::start([
        Reply::new()
            .function_call(
                "c1",
                "exec_command",
                json!({"cmd": "printf 'total: 42\\n' > totals.txt"}).to_string(),
            )
            .into(),
        Turn::text("Totals written"),
    ])
    .unwrap();
    let alice = alice_with_a_shared_turn(&serve, &model, "Write the totals", "Totals written");
    drop(alice);
    let http = blocking_http(Duration::from_secs(10));
    let (session, items) = server_items(&serve, &workspace, "alice");
    as_user(
        http.post(format!(
            "{}/v1/workspaces/{workspace}/sessions/{session}/items",
            serve.base
        ))
        .json(&json!({"expected_seq": items.len(),
            "items": [{"timestamp": "2026-12-03T10:00:00.000Z", "type": "world_state", "payload": {}}]})),
        "alice",
    );

    let mut bob = Desk::open(None, signed_in(&serve.base, "bob"));
    bob.wait_for("Signed in as bob");
    bob.click("Shop");
    bob.wait_for("you are an editor");
    bob.click("Files");
    bob.wait_for("totals.txt");
    // Its preview, from a checked copy kept by its checksum.
    bob.wait_for("total: 42");
    let sha256: String = Sha256::digest(b"total: 42\n")
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let cached = bob
        .codex_home
        .join("zspark-cache/workspace-files")
        .join(sha256)
        .join("totals.txt");
    assert_eq!(std::fs::read_to_string(cached).unwrap(), "total: 42\n");
    let downloads = bob.workspace.with_file_name("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    bob.dialogs
        .saves
        .lock()
        .unwrap()
        .push_back(downloads.join("totals.txt"));
    bob.click("Download…");
    bob.wait_for("Saved a copy to");
    assert_eq!(
        std::fs::read_to_string(downloads.join("totals.txt")).unwrap(),
        "total: 42\n"
    );

    // The server's copy goes bad (same length, other bytes): the download is refused.
    for stored in std::fs::read_dir(data.path().join("artifacts").join(&workspace)).unwrap() {
        std::fs::write(stored.unwrap().path(), "total: 43\n").unwrap();
    }
    bob.dialogs
        .saves
        .lock()
        .unwrap()
        .push_back(downloads.join("again.txt"));
    bob.click("Dismiss");
    bob.click("Download…");
    bob.wait_for("did not match the checksum");
    let left: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["totals.txt"], "nothing partial is kept: {left:?}");

    bob.click("Sessions");
    bob.harness
        .get_by_label("Read the shared session Write the totals")
        .click();
    bob.wait_for("Totals written");
    bob.wait_for("1 item(s) were written by a newer version");
}

#[test]
fn teammates_in_a_shared_session_see_each_other_come_and_go() {
    let data = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(data.path(), None);
    workspace_with(&serve, "alice", "Shop", &[("principal:bob", "editor")]);
    let model = ScriptedModelServer::start([Turn::text("Launch plan drafted")]).unwrap();
    // Alice stays on her shared session; Bob reads it from the workspace page.
    let mut alice =
        alice_with_a_shared_turn(&serve, &model, "Plan the launch", "Launch plan drafted");
    let mut bob = Desk::open(Some(config_for(&model)), signed_in(&serve.base, "bob"));
    bob.wait_for("Signed in as bob");
    bob.click("Shop");
    bob.wait_for("by alice");
    bob.harness
        .get_by_label("Read the shared session Plan the launch")
        .click();
    bob.wait_for("Launch plan drafted");
    bob.wait_for("alice: viewing");
    alice.wait_for("bob: reading");
    // Beside the session in Alice's sidebar too.
    alice.wait_for("bob is in Plan the launch");

    // Bob goes back to the workspace page: he has left the session, and his sidebar
    // still shows who is in it (watched, without announcing him).
    bob.click("‹ Workspace");
    alice.wait_until_beside(&mut bob, "bob's badge goes", |desk| {
        desk.harness.query_by_label("bob: reading").is_none()
            && desk
                .harness
                .query_by_label("bob is in Plan the launch")
                .is_none()
    });
    bob.wait_for("alice is in Plan the launch");
}

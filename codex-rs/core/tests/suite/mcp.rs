//! MCP connections against a real server from npm, the reference "everything" server
//! (`@modelcontextprotocol/server-everything`), over stdio and streamable HTTP: start,
//! tools and instructions, calls, resources, the environment a stdio server gets, and
//! the start-up and tool time-outs; and in sessions: namespaces, approvals, the bridge,
//! start-up reports, list changes and restarts (the last two against a small Python
//! fixture server). The tests that need the server skip with a reason when
//! `ZSPARK_TEST_MCP_EVERYTHING` (the path of its `mcp-server-everything` program) is
//! not set, unless `ZSPARK_REQUIRE_CLIENTS=1` (CI installs it).

use std::time::Duration;

use codex_core::config::Env;
use codex_core::mcp::McpServer;
use codex_core::mcp::client::{McpCallError, McpConnection, McpStartError};
use codex_core::mcp::config::McpServerFile;
use codex_core::mcp::oauth::{CredentialsStoreMode, TokenStore};
use codex_test_support::mcp::everything_server;
use tokio::io::AsyncBufReadExt;

fn server(name: &str, toml_text: &str) -> McpServer {
    toml::from_str::<McpServerFile>(toml_text)
        .unwrap()
        .resolve(name)
        .unwrap()
}

fn stdio_everything(program: &std::path::Path, extra: &str) -> McpServer {
    server(
        "everything",
        &format!(
            "command = {:?}\nargs = [\"stdio\"]\n{extra}",
            program.display().to_string()
        ),
    )
}

fn text_of(result: &rmcp::model::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| match block {
            rmcp::model::ContentBlock::Text(text) => Some(text.text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn host_env() -> Env {
    std::env::vars().collect()
}

/// A token store with nothing signed in, in the test's own directory.
fn no_tokens(work: &tempfile::TempDir) -> TokenStore {
    TokenStore::new(work.path(), CredentialsStoreMode::File)
}

#[tokio::test]
async fn a_stdio_server_starts_lists_its_tools_and_answers_calls() {
    let Some(program) = everything_server() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let connection = McpConnection::start(
        &stdio_everything(&program, ""),
        &host_env(),
        work.path(),
        &no_tokens(&work),
    )
    .await
    .unwrap();
    let echo = connection
        .tools()
        .iter()
        .find(|tool| tool.name == "echo")
        .expect("the everything server has an echo tool");
    assert_eq!(
        echo.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );
    assert!(
        connection
            .instructions()
            .unwrap_or_default()
            .contains("Everything"),
        "the server's instructions are kept"
    );
    let arguments = serde_json::json!({"message": "hello from zspark"});
    let result = connection
        .call_tool("echo", arguments.as_object().cloned())
        .await
        .unwrap();
    assert!(text_of(&result).contains("hello from zspark"), "{result:?}");
    assert_ne!(result.is_error, Some(true));
    connection.stop().await;
}

#[tokio::test]
async fn a_stdio_server_sees_only_the_default_and_named_variables() {
    let Some(program) = everything_server() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let mut env = host_env();
    env.insert("OPENAI_API_KEY".into(), "sk-never-shown".into());
    env.insert("FORWARDED_TOKEN".into(), "forwarded".into());
    let config = stdio_everything(
        &program,
        "env_vars = [\"FORWARDED_TOKEN\"]\nenv = { SET_BY_CONFIG = \"yes\" }",
    );
    let connection = McpConnection::start(&config, &env, work.path(), &no_tokens(&work))
        .await
        .unwrap();
    let result = connection.call_tool("get-env", None).await.unwrap();
    let text = text_of(&result);
    assert!(
        text.contains("forwarded"),
        "named variable forwarded: {text}"
    );
    assert!(text.contains("SET_BY_CONFIG"), "env applied: {text}");
    assert!(!text.contains("sk-never-shown"), "secrets stay out: {text}");
    connection.stop().await;
}

#[tokio::test]
async fn a_call_longer_than_the_tool_time_out_fails_with_one_line() {
    let Some(program) = everything_server() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let config = stdio_everything(&program, "tool_timeout_sec = 1");
    let connection = McpConnection::start(&config, &host_env(), work.path(), &no_tokens(&work))
        .await
        .unwrap();
    let arguments = serde_json::json!({"duration": 30, "steps": 2});
    let error = connection
        .call_tool(
            "trigger-long-running-operation",
            arguments.as_object().cloned(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, McpCallError::TimedOut { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "tool call failed for `everything/trigger-long-running-operation`: timed out after 1 s"
    );
    // The connection still works after a timed-out call.
    let arguments = serde_json::json!({"message": "still here"});
    let result = connection
        .call_tool("echo", arguments.as_object().cloned())
        .await
        .unwrap();
    assert!(text_of(&result).contains("still here"));
    connection.stop().await;
}

/// The everything server running over HTTP, and what it has printed on stderr.
struct HttpEverything {
    _process: tokio::process::Child,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl HttpEverything {
    fn said(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }
}

/// Starts the everything server over streamable HTTP on a free port. It cannot listen
/// on port 0 and say which port it got, so a port taken between choosing and binding
/// (another test's listener) is retried with a new one.
async fn start_http_everything(program: &std::path::Path) -> (u16, HttpEverything) {
    let mut said = Vec::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut process = tokio::process::Command::new(program)
            .arg("streamableHttp")
            .env("PORT", port.to_string())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stderr = process.stderr.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        said.clear();
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("listening on port") {
                // Keep reading its stderr (the server must never block on a full pipe),
                // for the test's failure message.
                let later = std::sync::Arc::new(std::sync::Mutex::new(said.clone()));
                let kept = later.clone();
                tokio::spawn(async move {
                    while let Ok(Some(line)) = lines.next_line().await {
                        kept.lock().unwrap().push(line);
                    }
                });
                return (
                    port,
                    HttpEverything {
                        _process: process,
                        stderr: later,
                    },
                );
            }
            said.push(line);
        }
        if !said.iter().any(|line| line.contains("EADDRINUSE")) {
            break;
        }
    }
    panic!(
        "the everything server did not start over HTTP:\n{}",
        said.join("\n")
    );
}

#[tokio::test]
async fn a_streamable_http_server_answers_calls() {
    let Some(program) = everything_server() else {
        return;
    };
    let (port, everything) = start_http_everything(&program).await;
    let config = server(
        "remote",
        &format!(
            "url = \"http://127.0.0.1:{port}/mcp\"\nhttp_headers = {{ \"X-Team\" = \"core\" }}"
        ),
    );
    let work = tempfile::tempdir().unwrap();
    let connection = McpConnection::start(&config, &Env::new(), work.path(), &no_tokens(&work))
        .await
        .unwrap_or_else(|error| panic!("{error}\nthe server said:\n{}", everything.said()));
    assert!(connection.tools().iter().any(|tool| tool.name == "get-sum"));
    let arguments = serde_json::json!({"a": 2, "b": 40});
    let result = connection
        .call_tool("get-sum", arguments.as_object().cloned())
        .await
        .unwrap();
    assert!(text_of(&result).contains("42"), "{result:?}");
    connection.stop().await;
}

#[tokio::test]
async fn start_up_failures_name_the_server_and_the_cause() {
    let work = tempfile::tempdir().unwrap();
    let missing = server("ghost", "command = \"/nonexistent/mcp-server\"");
    let error = McpConnection::start(&missing, &host_env(), work.path(), &no_tokens(&work))
        .await
        .err()
        .unwrap();
    assert!(matches!(error, McpStartError::Spawn { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("MCP client for `ghost` failed to start: MCP startup failed:"),
        "{error}"
    );

    // A program that never answers `initialize`, but says why on stderr.
    let silent = server(
        "silent",
        "command = \"sh\"\nargs = [\"-c\", \"echo waiting for a licence >&2; sleep 30\"]\nstartup_timeout_sec = 0.5",
    );
    let started = std::time::Instant::now();
    let error = McpConnection::start(&silent, &host_env(), work.path(), &no_tokens(&work))
        .await
        .err()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the time-out holds"
    );
    let message = error.to_string();
    assert!(matches!(error, McpStartError::TimedOut { .. }), "{message}");
    assert!(message.contains("within 0.5 s"), "{message}");
    assert!(message.contains("startup_timeout_sec"), "{message}");
    assert!(
        message.contains("waiting for a licence"),
        "its stderr is shown: {message}"
    );

    let missing_token = server(
        "remote",
        "url = \"http://127.0.0.1:9/mcp\"\nbearer_token_env_var = \"ZSPARK_TEST_UNSET_TOKEN\"",
    );
    let error = McpConnection::start(&missing_token, &Env::new(), work.path(), &no_tokens(&work))
        .await
        .err()
        .unwrap();
    assert!(
        error
            .to_string()
            .contains("ZSPARK_TEST_UNSET_TOKEN, which is not set"),
        "{error}"
    );
}

/// Waits until `server` announces its tools, so a test's first request has them
/// whatever the machine's load (the start-up grace has its own test).
async fn wait_for_tools(harness: &mut super::Harness, server: &str) {
    harness
        .until(|event| {
            matches!(event, codex_protocol::EventMsg::McpServerTools { server: name, .. } if name == server)
        })
        .await;
}

fn call(id: &str, name: &str, arguments: serde_json::Value) -> codex_test_support::Turn {
    codex_test_support::Reply::new()
        .function_call(id, name, arguments.to_string())
        .into()
}

#[tokio::test]
async fn a_session_offers_a_servers_tools_in_its_namespace_and_runs_their_calls() {
    let Some(program) = everything_server() else {
        return;
    };
    let extra = format!(
        "[mcp_servers.everything]\ncommand = {:?}\nargs = [\"stdio\"]\nenabled_tools = [\"echo\", \"get-structured-content\", \"toggle-simulated-logging\"]",
        program.display().to_string()
    );
    let mut harness = super::Harness::with(
        vec![
            call(
                "c1",
                "mcp__everything__echo",
                serde_json::json!({"message": "through the turn"}),
            ),
            call(
                "c2",
                "mcp__everything__get_structured_content",
                serde_json::json!({"location": "Chicago"}),
            ),
            call(
                "c3",
                "mcp__everything__toggle_simulated_logging",
                serde_json::json!({}),
            ),
            codex_test_support::Turn::text("done"),
        ],
        &extra,
    )
    .await;
    wait_for_tools(&mut harness, "everything").await;
    let events = harness.turn("use the server").await;
    let begins: Vec<&codex_protocol::McpToolCallBeginEvent> = events
        .iter()
        .filter_map(|event| match event {
            codex_protocol::EventMsg::McpToolCallBegin(begin) => Some(begin),
            _ => None,
        })
        .collect();
    assert_eq!(
        begins
            .iter()
            .map(|begin| begin.tool.as_str())
            .collect::<Vec<_>>(),
        ["echo", "get-structured-content"],
        "the refused call never began"
    );
    assert_eq!(begins[0].arguments, r#"{"message":"through the turn"}"#);
    let ended = events
        .iter()
        .find_map(|event| match event {
            codex_protocol::EventMsg::McpToolCallEnd(end) if end.call_id == "c1" => Some(end),
            _ => None,
        })
        .unwrap();
    assert!(ended.success);
    assert_eq!(
        ended.output, "Echo: through the turn",
        "shown without the header"
    );
    let rollout = std::fs::read_to_string(&harness.configured.rollout_path).unwrap();
    let recorded: Vec<serde_json::Value> = rollout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["type"] == "event_msg" && line["payload"]["type"] == "item_completed")
        .map(|line| line["payload"]["item"].clone())
        .collect();
    assert_eq!(
        recorded.len(),
        2,
        "one Codex item per call that ran: {recorded:?}"
    );
    assert_eq!(recorded[0]["type"], "McpToolCall");
    assert_eq!(
        (
            &recorded[0]["id"],
            &recorded[0]["server"],
            &recorded[0]["tool"],
            &recorded[0]["status"]
        ),
        (
            &serde_json::json!("c1"),
            &serde_json::json!("everything"),
            &serde_json::json!("echo"),
            &serde_json::json!("completed")
        )
    );
    assert_eq!(
        recorded[0]["arguments"],
        serde_json::json!({"message": "through the turn"})
    );
    assert_eq!(
        recorded[0]["result"]["content"][0]["text"],
        "Echo: through the turn"
    );
    assert_eq!(recorded[0]["readOnlyHint"], true);
    assert!(
        !rollout.contains("mcp_tool_call_begin"),
        "no lines Codex does not write"
    );
    let resumed = codex_core::rollout::load_rollout(&harness.configured.rollout_path).unwrap();
    let replayed_end = resumed
        .events
        .iter()
        .any(|event| matches!(event, codex_protocol::EventMsg::McpToolCallEnd(end) if end.call_id == "c1" && end.output == "Echo: through the turn"));
    assert!(replayed_end, "a resumed session shows the call again");
    let requests = harness.server.model_requests();
    let namespace = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["type"] == "namespace" && tool["name"] == "mcp__everything")
        .cloned()
        .expect("the request offers the server's namespace");
    assert!(
        namespace["description"]
            .as_str()
            .unwrap()
            .contains("Everything")
    );
    let names: Vec<&str> = namespace["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["echo", "get_structured_content", "toggle_simulated_logging"],
        "only enabled_tools, with sanitised names"
    );

    let echoed = super::output_for(&requests[1], "c1");
    let parts: Vec<serde_json::Value> = serde_json::from_str(&echoed).unwrap();
    assert_eq!(parts[0]["type"], "input_text");
    assert!(
        parts[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Wall time: "),
        "{echoed}"
    );
    assert!(
        parts[0]["text"]
            .as_str()
            .unwrap()
            .ends_with("seconds\nOutput:"),
        "{echoed}"
    );
    assert_eq!(parts[1]["text"], "Echo: through the turn");
    let structured = super::output_for(&requests[2], "c2");
    assert!(structured.starts_with("Wall time: "), "{structured}");
    assert!(
        structured.contains("\nOutput:\n{"),
        "structured content as JSON: {structured}"
    );
    let refused = super::output_for(&requests[3], "c3");
    assert_eq!(
        refused, "MCP tool call requires approval, but approval policy is never",
        "a tool that may write needs an approval, which `never` does not give"
    );
}

async fn answer_tool_request(
    harness: &mut super::Harness,
    decision: codex_protocol::ReviewDecision,
) -> codex_protocol::McpToolApprovalRequestEvent {
    let events = harness
        .until(|event| matches!(event, codex_protocol::EventMsg::McpToolApprovalRequest(_)))
        .await;
    let Some(codex_protocol::EventMsg::McpToolApprovalRequest(request)) = events.last().cloned()
    else {
        unreachable!("until stops at the request");
    };
    harness
        .submit(codex_protocol::Op::ExecApproval {
            call_id: request.call_id.clone(),
            decision,
        })
        .await;
    request
}

#[tokio::test]
async fn a_tool_that_may_write_asks_first_and_for_the_session_means_for_the_session() {
    use codex_protocol::{EventMsg, ReviewDecision};
    let Some(program) = everything_server() else {
        return;
    };
    let extra = format!(
        "approval_policy = \"on-request\"\n[mcp_servers.everything]\ncommand = {:?}\nargs = [\"stdio\"]",
        program.display().to_string()
    );
    let toggle = |id: &str| {
        call(
            id,
            "mcp__everything__toggle_simulated_logging",
            serde_json::json!({}),
        )
    };
    let mut harness = super::Harness::with(
        vec![
            toggle("declined"),
            toggle("allowed"),
            toggle("again"),
            call(
                "read",
                "mcp__everything__echo",
                serde_json::json!({"message": "no question"}),
            ),
            codex_test_support::Turn::text("done"),
        ],
        &extra,
    )
    .await;
    wait_for_tools(&mut harness, "everything").await;
    harness.submit_turn("toggle logging").await;
    let request = answer_tool_request(&mut harness, ReviewDecision::Decline).await;
    assert_eq!(
        (
            request.server.as_str(),
            request.tool.as_str(),
            request.arguments.as_str()
        ),
        ("everything", "toggle-simulated-logging", "{}"),
        "the raw tool name and the arguments are shown"
    );
    answer_tool_request(&mut harness, ReviewDecision::AcceptForSession).await;
    let events = harness.until_turn_end().await;
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, EventMsg::McpToolApprovalRequest(_))),
        "allowed for the session: no second question, and a read-only tool never asks"
    );
    let requests = harness.server.model_requests();
    assert_eq!(
        super::output_for(&requests[1], "declined"),
        "the user declined this call of the MCP tool `toggle-simulated-logging`"
    );
    for (index, call_id) in [(2, "allowed"), (3, "again")] {
        let output = super::output_for(&requests[index], call_id);
        assert!(
            output.contains("Wall time: ") && output.contains("logging"),
            "{call_id}: {output}"
        );
    }
    assert!(super::output_for(&requests[4], "read").contains("Echo: no question"));
}

#[tokio::test]
async fn over_chat_completions_the_tools_are_flat_functions_and_calls_keep_their_namespace() {
    let Some(program) = everything_server() else {
        return;
    };
    let extra = format!(
        "[mcp_servers.everything]\ncommand = {:?}\nargs = [\"stdio\"]\nenabled_tools = [\"echo\"]",
        program.display().to_string()
    );
    let mut harness = super::Harness::with_provider(
        vec![
            call(
                "c1",
                "mcp__everything__echo",
                serde_json::json!({"message": "over chat"}),
            ),
            codex_test_support::Turn::text("done"),
        ],
        &extra,
        "wire_api = \"chat\"",
    )
    .await;
    wait_for_tools(&mut harness, "everything").await;
    let events = harness.turn("echo it").await;
    assert!(
        matches!(
            events.last(),
            Some(codex_protocol::EventMsg::TurnComplete { .. })
        ),
        "{events:?}"
    );
    let requests = harness.server.model_requests();
    let offered: Vec<String> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["function"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        offered.contains(&"mcp__everything__echo".to_string()),
        "{offered:?}"
    );
    let messages = requests[1].body["messages"].as_array().unwrap();
    let assistant = messages
        .iter()
        .find(|message| message["role"] == "assistant")
        .unwrap();
    assert_eq!(
        assistant["tool_calls"][0]["function"]["name"], "mcp__everything__echo",
        "the recorded call (namespace and name) goes back under its flat name"
    );
    let tool = messages
        .iter()
        .find(|message| message["role"] == "tool")
        .unwrap();
    assert!(
        tool["content"].to_string().contains("Echo: over chat"),
        "{tool}"
    );
}

#[tokio::test]
async fn a_required_server_that_fails_stops_the_session_from_starting_and_says_why() {
    let server = codex_test_support::ScriptedModelServer::start(Vec::new()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let extra = "[mcp_servers.ghost]\ncommand = \"/nonexistent/mcp-server\"\nrequired = true\n\n[mcp_servers.optional_ghost]\ncommand = \"/nonexistent/other\"";
    std::fs::write(
        home.path().join("config.toml"),
        super::config_toml(&server.base_url(), extra),
    )
    .unwrap();
    let loaded = super::load(home.path(), work.path(), super::test_env(home.path()));
    let codex = codex_core::Codex::new();
    let error = codex
        .start_thread(loaded, codex_core::ThreadStart::new())
        .await
        .expect_err("a required server that cannot start stops the session");
    assert_eq!(
        error.to_string(),
        "required MCP servers failed to initialize: ghost: MCP client for `ghost` failed to start: MCP startup failed: No such file or directory (os error 2) (command `/nonexistent/mcp-server`)"
    );
}

#[tokio::test]
async fn an_optional_server_that_fails_is_a_warning_and_the_session_goes_on() {
    let extra = "[mcp_servers.ghost]\ncommand = \"/nonexistent/mcp-server\"";
    let mut harness = super::Harness::with(
        vec![codex_test_support::Turn::text("fine without it")],
        extra,
    )
    .await;
    let events = harness.turn("hello").await;
    let warned = events.iter().any(|event| {
        matches!(event, codex_protocol::EventMsg::Warning { message }
            if message.contains("MCP client for `ghost` failed to start") && message.ends_with("its tools are left out"))
    });
    assert!(warned, "{events:?}");
    assert!(matches!(
        events.last(),
        Some(codex_protocol::EventMsg::TurnComplete { .. })
    ));
}

#[tokio::test]
async fn a_server_that_says_its_tools_changed_is_listed_again_for_the_next_request() {
    let mut harness = super::Harness::with(
        vec![
            call("u", "mcp__vault__unlock", serde_json::json!({})),
            codex_test_support::Turn::text("unlocked it"),
            call("s", "mcp__vault__secret", serde_json::json!({})),
            codex_test_support::Turn::text("told it"),
        ],
        &vault_server(),
    )
    .await;
    let mut events = harness.turn("unlock").await;
    let listed_again = |event: &codex_protocol::EventMsg| {
        matches!(event, codex_protocol::EventMsg::McpServerTools { server, tools }
            if server == "vault" && tools.iter().any(|tool| tool == "secret"))
    };
    if !events.iter().any(listed_again) {
        events = harness.until(listed_again).await;
    }
    assert!(events.iter().any(listed_again));
    harness.turn("tell me").await;
    let requests = harness.server.model_requests();
    let offered = |index: usize| -> Vec<String> {
        requests[index].body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|tool| tool["name"] == "mcp__vault")
            .flat_map(|tool| tool["tools"].as_array().unwrap().clone())
            .map(|tool| tool["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        offered(0),
        ["exit", "unlock"],
        "the first request waited for the server (started right before it)"
    );
    assert_eq!(
        offered(2),
        ["exit", "secret", "unlock"],
        "the next turn offers the new list"
    );
    assert!(super::output_for(&requests[3], "s").contains("the secret is 42"));
}

fn vault_server() -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/changing_tools_server.py");
    format!(
        "approval_policy = \"on-request\"\n[mcp_servers.vault]\ncommand = \"python3\"\nargs = [{:?}]\ndefault_tools_approval_mode = \"approve\"",
        script.display().to_string()
    )
}

#[tokio::test]
async fn a_server_that_exits_mid_call_is_started_again_on_its_next_use_and_the_model_is_told() {
    let mut harness = super::Harness::with(
        vec![
            call("x", "mcp__vault__exit", serde_json::json!({})),
            call("u", "mcp__vault__unlock", serde_json::json!({})),
            call("u2", "mcp__vault__unlock", serde_json::json!({})),
            codex_test_support::Turn::text("recovered"),
        ],
        &vault_server(),
    )
    .await;
    wait_for_tools(&mut harness, "vault").await;
    let events = harness.turn("crash it, then use it").await;
    assert!(matches!(
        events.last(),
        Some(codex_protocol::EventMsg::TurnComplete { .. })
    ));
    let requests = harness.server.model_requests();
    let crashed = super::output_for(&requests[1], "x");
    assert!(
        crashed.contains("tool call failed for `vault/exit`: the connection to the server closed")
            && crashed
                .contains("the MCP server `vault` stopped, and is started again on its next use"),
        "{crashed}"
    );
    let restarted = super::output_for(&requests[2], "u");
    assert!(
        restarted.contains("(MCP server `vault` had stopped; it was started again for this call")
            && restarted.contains("unlocked"),
        "{restarted}"
    );
    let next = super::output_for(&requests[3], "u2");
    assert!(
        next.contains("unlocked") && !next.contains("had stopped"),
        "the restarted server stays: {next}"
    );
}

#[tokio::test]
async fn the_servers_start_up_is_reported_server_by_server() {
    let extra = format!(
        "{}\n\n[mcp_servers.ghost]\ncommand = \"/nonexistent/mcp-server\"",
        vault_server()
    );
    let mut harness =
        super::Harness::with(vec![codex_test_support::Turn::text("ok")], &extra).await;
    let mut updates = Vec::new();
    while updates.len() < 4 {
        let events = harness
            .until(|event| matches!(event, codex_protocol::EventMsg::McpStartupUpdate { .. }))
            .await;
        updates.extend(events.into_iter().filter_map(|event| match event {
            codex_protocol::EventMsg::McpStartupUpdate { server, status } => Some((server, status)),
            _ => None,
        }));
    }
    use codex_protocol::McpStartupStatus::{Failed, Ready, Starting};
    let of = |name: &str| -> Vec<&codex_protocol::McpStartupStatus> {
        updates
            .iter()
            .filter(|(server, _)| server == name)
            .map(|(_, status)| status)
            .collect()
    };
    assert_eq!(of("vault"), [&Starting, &Ready]);
    let ghost = of("ghost");
    assert_eq!(ghost[0], &Starting);
    assert!(
        matches!(ghost[1], Failed { error } if error.contains("MCP client for `ghost` failed to start")),
        "{ghost:?}"
    );
}

#[tokio::test]
async fn the_resource_tools_list_and_read_the_servers_resources() {
    let Some(program) = everything_server() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let direct = McpConnection::start(
        &stdio_everything(&program, ""),
        &host_env(),
        work.path(),
        &no_tokens(&work),
    )
    .await
    .unwrap();
    let first_page = direct.list_resources(None).await.unwrap();
    let uri = first_page.resources[0].uri.clone();
    direct.stop().await;

    let extra = format!(
        "[mcp_servers.everything]\ncommand = {:?}\nargs = [\"stdio\"]",
        program.display().to_string()
    );
    let mut harness = super::Harness::with(
        vec![
            call("all", "list_mcp_resources", serde_json::json!({})),
            call(
                "templates",
                "list_mcp_resource_templates",
                serde_json::json!({"server": "everything"}),
            ),
            call(
                "read",
                "read_mcp_resource",
                serde_json::json!({"server": "everything", "uri": uri}),
            ),
            call(
                "unknown",
                "read_mcp_resource",
                serde_json::json!({"server": "nope", "uri": "x"}),
            ),
            call(
                "no-uri",
                "read_mcp_resource",
                serde_json::json!({"server": "everything"}),
            ),
            call(
                "cursor",
                "list_mcp_resources",
                serde_json::json!({"cursor": "abc"}),
            ),
            codex_test_support::Turn::text("read them"),
        ],
        &extra,
    )
    .await;
    wait_for_tools(&mut harness, "everything").await;
    let events = harness.turn("look at the resources").await;
    let requests = harness.server.model_requests();
    let tools = requests[0].body["tools"].as_array().unwrap();
    let read_tool = tools
        .iter()
        .find(|tool| tool["name"] == "read_mcp_resource")
        .expect("the resource tools are offered");
    assert_eq!(
        read_tool["parameters"]["required"],
        serde_json::json!(["server", "uri"])
    );
    assert_eq!(read_tool["parameters"]["additionalProperties"], false);
    assert!(
        tools
            .iter()
            .any(|tool| tool["name"] == "list_mcp_resource_templates")
    );

    let json_output = |index: usize, id: &str| -> serde_json::Value {
        let text = super::output_for(&requests[index], id);
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{id}: {text}"))
    };
    let all = json_output(1, "all");
    let listed = all["resources"].as_array().unwrap();
    assert!(
        listed.len() >= first_page.resources.len(),
        "every page: {all}"
    );
    assert!(
        listed
            .iter()
            .all(|resource| resource["server"] == "everything"),
        "{all}"
    );
    assert_eq!(listed[0]["uri"], uri.as_str());
    let templates = json_output(2, "templates");
    assert_eq!(templates["server"], "everything");
    assert!(
        templates["resourceTemplates"][0]["uriTemplate"].is_string(),
        "{templates}"
    );
    let read = json_output(3, "read");
    assert_eq!(read["uri"], uri.as_str());
    assert_eq!(read["contents"][0]["uri"], uri.as_str());
    assert!(
        read["contents"][0]["text"].is_string() || read["contents"][0]["blob"].is_string(),
        "{read}"
    );
    let unknown = super::output_for(&requests[4], "unknown");
    assert_eq!(
        unknown,
        "unknown MCP server `nope`; the session's servers are: everything"
    );
    assert!(
        super::output_for(&requests[5], "no-uri").contains("missing field `uri`"),
        "read needs a uri"
    );
    assert!(super::output_for(&requests[6], "cursor").contains("`cursor` needs `server`"));
    let begins: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|event| match event {
            codex_protocol::EventMsg::McpToolCallBegin(begin) => {
                Some((begin.server.as_str(), begin.tool.as_str()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        &begins[..3],
        [
            ("codex", "list_mcp_resources"),
            ("everything", "list_mcp_resource_templates"),
            ("everything", "read_mcp_resource")
        ]
    );
}

#[tokio::test]
async fn a_session_without_mcp_servers_has_no_resource_tools() {
    let mut harness = super::Harness::with(vec![codex_test_support::Turn::text("hi")], "").await;
    harness.turn("hello").await;
    let requests = harness.server.model_requests();
    let names: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    assert!(!names.contains(&"list_mcp_resources"), "{names:?}");
    assert!(names.contains(&"exec_command"), "{names:?}");
}

#[tokio::test]
async fn a_plugins_mcp_server_joins_the_session_with_the_users_policy_over_it() {
    let server = codex_test_support::ScriptedModelServer::start(vec![
        call("u", "mcp__vault__unlock", serde_json::json!({})),
        codex_test_support::Turn::text("done"),
    ])
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let root = home.path().join("plugins/cache/tools/vault/1.0.0");
    std::fs::create_dir_all(root.join(".codex-plugin")).unwrap();
    std::fs::write(
        root.join(".codex-plugin/plugin.json"),
        r#"{"name": "vault", "version": "1.0.0"}"#,
    )
    .unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/changing_tools_server.py");
    std::fs::copy(&fixture, root.join("server.py")).unwrap();
    std::fs::write(
        root.join(".mcp.json"),
        r#"{"mcpServers": {"vault": {"command": "python3", "args": ["${PLUGIN_ROOT}/server.py"]}}}"#,
    )
    .unwrap();
    let policy = "approval_policy = \"on-request\"\n[plugins.\"vault@tools\".mcp_servers.vault]\ndisabled_tools = [\"exit\"]\ndefault_tools_approval_mode = \"approve\"";
    std::fs::write(
        home.path().join("config.toml"),
        super::config_toml(&server.base_url(), policy),
    )
    .unwrap();
    let loaded = super::load(home.path(), work.path(), super::test_env(home.path()));
    let mut harness =
        super::Harness::begin(server, home, work, loaded, codex_core::ThreadStart::new()).await;
    wait_for_tools(&mut harness, "vault").await;
    harness.turn("use the plugin").await;
    let requests = harness.server.model_requests();
    let namespace = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "mcp__vault")
        .cloned()
        .expect("the plugin's server is offered");
    let tools = namespace["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1, "the policy disabled `exit`: {tools:?}");
    assert_eq!(tools[0]["name"], "unlock");
    assert!(
        tools[0]["description"]
            .as_str()
            .unwrap()
            .ends_with("(From the plugin vault@tools.)"),
        "{tools:?}"
    );
    assert!(
        super::output_for(&requests[1], "u").contains("unlocked"),
        "approved by the policy, run in the plugin's folder"
    );
}

#[tokio::test]
async fn the_filesystem_server_reads_inside_its_root_refuses_outside_and_writes_need_approval() {
    let Some(program) = codex_test_support::mcp::filesystem_server() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let root_path = root.path().canonicalize().unwrap();
    std::fs::write(root_path.join("notes.txt"), "buy milk\n").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "not for you").unwrap();
    let extra = format!(
        "approval_policy = \"never\"\n[mcp_servers.files]\ncommand = {:?}\nargs = [{:?}]",
        program.display().to_string(),
        root_path.display().to_string()
    );
    let read = |id: &str, path: &std::path::Path| {
        call(
            id,
            "mcp__files__read_text_file",
            serde_json::json!({"path": path.display().to_string()}),
        )
    };
    let mut harness = super::Harness::with(
        vec![
            read("inside", &root_path.join("notes.txt")),
            read("outside", &outside.path().join("secret.txt")),
            call(
                "write",
                "mcp__files__write_file",
                serde_json::json!({"path": root_path.join("new.txt").display().to_string(), "content": "x"}),
            ),
            codex_test_support::Turn::text("done"),
        ],
        &extra,
    )
    .await;
    wait_for_tools(&mut harness, "files").await;
    harness.turn("read my notes").await;
    let requests = harness.server.model_requests();
    assert!(super::output_for(&requests[1], "inside").contains("buy milk"));
    let refused = super::output_for(&requests[2], "outside");
    assert!(
        !refused.contains("not for you") && refused.contains("denied"),
        "the server keeps to its root: {refused}"
    );
    assert_eq!(
        super::output_for(&requests[3], "write"),
        "MCP tool call requires approval, but approval policy is never",
        "write_file is not read-only"
    );
    assert!(!root_path.join("new.txt").exists());
}

#[tokio::test]
async fn always_approving_a_tool_keeps_it_in_config_toml_for_later_sessions() {
    use codex_protocol::{EventMsg, ReviewDecision};
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/changing_tools_server.py");
    let extra = format!(
        "approval_policy = \"on-request\"\n# the vault\n[mcp_servers.vault]\ncommand = \"python3\"\nargs = [{:?}]",
        script.display().to_string()
    );
    let mut harness = super::Harness::with(
        vec![
            call("first", "mcp__vault__unlock", serde_json::json!({})),
            call("second", "mcp__vault__unlock", serde_json::json!({})),
            codex_test_support::Turn::text("done"),
        ],
        &extra,
    )
    .await;
    wait_for_tools(&mut harness, "vault").await;
    harness.submit_turn("unlock twice").await;
    answer_tool_request(&mut harness, ReviewDecision::AcceptAlways).await;
    let events = harness.until_turn_end().await;
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, EventMsg::McpToolApprovalRequest(_))),
        "no second question"
    );
    let config = std::fs::read_to_string(harness.home.path().join("config.toml")).unwrap();
    assert!(
        config.contains("# the vault"),
        "comments are kept: {config}"
    );
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    assert_eq!(
        parsed["mcp_servers"]["vault"]["tools"]["unlock"]["approval_mode"].as_str(),
        Some("approve"),
        "{config}"
    );
    let reloaded = super::load(
        harness.home.path(),
        harness.work_path(),
        super::test_env(harness.home.path()),
    );
    let vault = &reloaded.config.mcp_servers[0];
    assert_eq!(
        vault.approval_mode("unlock"),
        codex_core::mcp::ApprovalMode::Approve
    );
}

#[tokio::test]
async fn malformed_tools_and_a_401_say_what_is_wrong_and_name_the_server() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/changing_tools_server.py");
    let work = tempfile::tempdir().unwrap();
    let malformed = server(
        "odd",
        &format!(
            "command = \"python3\"\nargs = [{:?}, \"--malformed\"]",
            script.display().to_string()
        ),
    );
    let outcome =
        McpConnection::start(&malformed, &host_env(), work.path(), &no_tokens(&work)).await;
    let connection = outcome.unwrap();
    let names: Vec<&str> = connection
        .tools()
        .iter()
        .map(|tool| tool.name.as_ref())
        .collect();
    assert_eq!(names, ["unlock", "exit"], "the readable tools stay");
    let unreadable = connection.unreadable_tools();
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(
        unreadable[0].starts_with("broken-schema: "),
        "{unreadable:?}"
    );
    assert!(unreadable[1].starts_with("tool #4: "), "{unreadable:?}");
    connection.stop().await;

    // An HTTP endpoint that refuses without credentials.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    let locked = server("locked", &format!("url = \"http://127.0.0.1:{port}/mcp\""));
    let error = McpConnection::start(&locked, &Env::new(), work.path(), &no_tokens(&work))
        .await
        .err()
        .unwrap();
    let message = error.to_string();
    assert!(message.contains("`locked`"), "{message}");
    assert!(
        message.contains("401") || message.contains("nauthorized"),
        "{message}"
    );
    assert!(
        message.contains("bearer_token_env_var"),
        "says what to do: {message}"
    );
}

//! The proxy over real HTTP, in front of the scripted Chat Completions server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use codex_test_support::sse::parse_frames;
use codex_test_support::{Ending, Reply, ScriptedModelServer, Turn};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use zspark_bridge::proxy::{BridgeArgs, ProxyConfig, serve_on};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    bridge: BridgeArgs,
}

fn config(args: &[&str], env: &[(&str, &str)]) -> Result<ProxyConfig, String> {
    let mut argv = vec!["bridge"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).map_err(|error| error.to_string())?;
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProxyConfig::from_args(&cli.bridge, &env).map_err(|error| error.to_string())
}

pub struct Proxy {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Proxy {
    pub async fn for_upstream(
        upstream: &ScriptedModelServer,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        proxy_for(upstream, extra, env).await
    }

    async fn start(config: ProxyConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_on(listener, config, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap()
    }
}

async fn proxy_for(upstream: &ScriptedModelServer, extra: &[&str], env: &[(&str, &str)]) -> Proxy {
    let base = upstream.base_url();
    let mut args = vec!["--upstream", base.as_str()];
    args.extend_from_slice(extra);
    Proxy::start(config(&args, env).unwrap()).await
}

fn client() -> reqwest::Client {
    zspark_bridge::http::client_builder().build().unwrap()
}

fn request(stream: bool) -> Value {
    json!({"model": "deepseek-chat", "stream": stream, "input": [
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
    "tools": [
        {"type": "function", "name": "exec_command", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}},
        {"type": "custom", "name": "apply_patch", "description": "patch"}
    ]})
}

#[tokio::test]
async fn streams_a_translated_answer_and_sends_a_chat_request_upstream() {
    let upstream = ScriptedModelServer::start([Reply::new()
        .reasoning("thinking")
        .function_call("c1", "exec_command", r#"{"cmd":"ls"}"#)
        .custom_tool_call("c2", "apply_patch", "*** Begin Patch\n*** End Patch")
        .usage(40, 8)
        .into()])
    .unwrap();
    let proxy = proxy_for(&upstream, &[], &[]).await;
    let response = client()
        .post(proxy.url("/v1/responses"))
        .bearer_auth("client-key")
        .json(&request(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let frames = parse_frames(&response.text().await.unwrap());
    let events: Vec<Value> = frames
        .iter()
        .map(|frame| serde_json::from_str(&frame.data).unwrap())
        .collect();
    for (frame, event) in frames.iter().zip(&events) {
        assert_eq!(frame.event.as_deref(), event["type"].as_str());
    }
    super::assert_well_formed(&events);
    let output = events.last().unwrap()["response"]["output"]
        .as_array()
        .unwrap()
        .clone();
    let kinds: Vec<&str> = output
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reasoning", "function_call", "custom_tool_call"]);
    assert_eq!(output[2]["input"], "*** Begin Patch\n*** End Patch");
    assert_eq!(
        events.last().unwrap()["response"]["usage"]["input_tokens"],
        40
    );

    let sent = &upstream.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(
        sent.header("authorization"),
        Some("Bearer client-key"),
        "the client's key is passed on, locally"
    );
    assert_eq!(sent.body["stream_options"], json!({"include_usage": true}));
    assert_eq!(
        sent.body["messages"],
        json!([{"role": "user", "content": "hi"}])
    );
    assert_eq!(
        sent.body["tools"][1]["function"]["parameters"]["required"],
        json!(["input"])
    );
    proxy.shutdown().await.unwrap();
}

#[tokio::test]
async fn non_streaming_requests_get_one_response_object() {
    let upstream = ScriptedModelServer::start([Turn::text("plain answer")]).unwrap();
    let proxy = proxy_for(&upstream, &[], &[]).await;
    let answer: Value = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["object"], "response");
    assert_eq!(answer["output"][0]["content"][0]["text"], "plain answer");
    assert_eq!(upstream.requests()[0].body["stream"], false);
}

#[tokio::test]
async fn upstream_errors_keep_their_status_and_name_the_cause() {
    let upstream = ScriptedModelServer::start([
        Turn::http_error(401, "Authentication Fails (no such user)"),
        Turn::RawBody {
            status: 502,
            content_type: "text/html".into(),
            body: "<html>Bad Gateway from nginx</html>".into(),
        },
    ])
    .unwrap();
    let proxy = proxy_for(&upstream, &[], &[]).await;
    let send = || {
        client()
            .post(proxy.url("/v1/responses"))
            .json(&request(true))
            .send()
    };
    let unauthorized = send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let body: Value = unauthorized.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "the upstream answered 401: Authentication Fails (no such user)"
    );
    let html = send().await.unwrap();
    assert_eq!(html.status(), 502);
    let body: Value = html.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("502: <html>Bad Gateway from nginx</html>")
    );
}

#[tokio::test]
async fn a_broken_or_silent_upstream_ends_in_response_failed() {
    let upstream = ScriptedModelServer::start([
        // The role chunk and the text, then the connection ends: no finish reason.
        Reply::new()
            .message("partial")
            .ending(Ending::CutAfter { events: 2 })
            .into(),
        Reply::new()
            .message("stalls")
            .ending(Ending::StallAfter { events: 2 })
            .into(),
    ])
    .unwrap();
    let proxy = proxy_for(&upstream, &["--upstream-timeout-secs", "1"], &[]).await;
    let last_event = |text: String| -> Value {
        let frames = parse_frames(&text);
        serde_json::from_str(&frames.last().unwrap().data).unwrap()
    };
    let cut = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(true))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let event = last_event(cut);
    assert_eq!(event["type"], "response.failed");
    assert_eq!(event["response"]["error"]["code"], "truncated_stream");
    let silent = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(true))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let event = last_event(silent);
    assert_eq!(event["type"], "response.failed");
    assert!(
        event["response"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sent nothing for 1 s")
    );
}

#[tokio::test]
async fn an_upstream_that_never_sends_headers_ends_in_response_failed_on_time() {
    let upstream = ScriptedModelServer::start([Turn::Silent, Turn::Silent]).unwrap();
    let proxy = proxy_for(&upstream, &["--upstream-timeout-secs", "1"], &[]).await;
    let response = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let frames = parse_frames(&response.text().await.unwrap());
    let events: Vec<Value> = frames
        .iter()
        .map(|frame| serde_json::from_str(&frame.data).unwrap())
        .collect();
    let types: Vec<&str> = events
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "response.created",
            "response.in_progress",
            "response.failed"
        ]
    );
    let message = events[2]["response"]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("no response headers for 1 s"),
        "the time-out is named: {message}"
    );
    let plain = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(false))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 504);
}

#[tokio::test]
async fn a_rate_limit_keeps_its_retry_after() {
    let upstream = ScriptedModelServer::start([Turn::rate_limited(7)]).unwrap();
    let proxy = proxy_for(&upstream, &[], &[]).await;
    let limited = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(true))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited
            .headers()
            .get("retry-after")
            .map(|value| value.to_str().unwrap()),
        Some("7")
    );
    let body: Value = limited.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "the upstream answered 429: Rate limit reached"
    );
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_answers() {
    let upstream = ScriptedModelServer::start([]).unwrap();
    let proxy = proxy_for(&upstream, &["--max-body-mib", "1"], &[]).await;
    let post = |body: Vec<u8>, content_type: &'static str| {
        client()
            .post(proxy.url("/v1/responses"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let message = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        (
            status,
            body["error"]["message"].as_str().unwrap().to_string(),
        )
    };
    let (status, text) = message(
        post(b"{not json".to_vec(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("not valid JSON"), "{text}");
    let (status, _) = message(post(b"{}".to_vec(), "text/plain").await.unwrap()).await;
    assert_eq!(status, 415);
    let orphan = json!({"model": "m", "input": [{"type": "function_call_output", "call_id": "ghost", "output": "x"}]});
    let (status, text) = message(
        post(orphan.to_string().into_bytes(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("answers no earlier tool call"), "{text}");
    let big = vec![b' '; 2 * 1024 * 1024];
    let (status, text) = message(post(big, "application/json").await.unwrap()).await;
    assert_eq!(status, 413);
    assert!(text.contains("--max-body-mib"), "{text}");
    let (status, text) =
        message(client().get(proxy.url("/v1/nothing")).send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert!(text.contains("POST /v1/responses"), "{text}");
    let (status, text) = message(
        client()
            .get(proxy.url("/v1/responses"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
    assert!(text.contains("POST /v1/responses"), "{text}");
    assert!(
        upstream.requests().is_empty(),
        "nothing bad reached the upstream"
    );
}

#[tokio::test]
async fn the_bridge_token_and_the_configured_key() {
    let upstream = ScriptedModelServer::start([Turn::text("ok")]).unwrap();
    let proxy = proxy_for(
        &upstream,
        &["--api-key-env", "UPSTREAM_KEY"],
        &[
            ("UPSTREAM_KEY", "sk-upstream"),
            ("ZSPARK_BRIDGE_TOKEN", "bridge-secret"),
        ],
    )
    .await;
    let without = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(true))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 401);
    let with = client()
        .post(proxy.url("/v1/responses"))
        .bearer_auth("bridge-secret")
        .json(&request(true))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 200);
    let _ = with.text().await;
    assert_eq!(
        upstream.requests()[0].header("authorization"),
        Some("Bearer sk-upstream"),
        "the bridge token is not passed on"
    );
}

#[tokio::test]
async fn azure_gets_its_api_key_header_and_api_version() {
    let upstream = ScriptedModelServer::start([Turn::text("ok")]).unwrap();
    let proxy = proxy_for(
        &upstream,
        &[
            "--profile",
            "azure",
            "--api-key-env",
            "AZ",
            "--query",
            "api-version=2024-10-21",
        ],
        &[("AZ", "az-key")],
    )
    .await;
    let response = client()
        .post(proxy.url("/v1/responses"))
        .json(&request(false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sent = &upstream.requests()[0];
    assert_eq!(sent.header("api-key"), Some("az-key"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(sent.query.as_deref(), Some("api-version=2024-10-21"));
}

#[tokio::test]
async fn models_are_passed_through_and_an_unreachable_upstream_is_a_502() {
    let upstream = ScriptedModelServer::start([]).unwrap();
    let proxy = proxy_for(&upstream, &[], &[]).await;
    let models: Value = client()
        .get(proxy.url("/v1/models"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "scripted-model");
    let gone = format!("http://{}", upstream.addr());
    drop(upstream);
    let dead = Proxy::start(config(&["--upstream", &gone], &[]).unwrap()).await;
    let response = client()
        .post(dead.url("/v1/responses"))
        .json(&request(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{body}"
    );
}

#[tokio::test]
async fn shutdown_lets_a_running_stream_finish() {
    let slow = Reply::new()
        .message("slow but complete")
        .delta_chars(2)
        .event_delay(Duration::from_millis(30));
    let upstream = ScriptedModelServer::start([slow.into()]).unwrap();
    let proxy = proxy_for(&upstream, &[], &[]).await;
    let running = tokio::spawn({
        let url = proxy.url("/v1/responses");
        async move {
            client()
                .post(url)
                .json(&request(true))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    });
    assert!(upstream.wait_for_requests(1, Duration::from_secs(10)).await);
    proxy.shutdown().await.unwrap();
    let text = running.await.unwrap();
    assert!(text.contains("response.completed"), "{text}");
}

#[test]
fn configuration_errors_say_what_to_set() {
    let wide = config(
        &[
            "--listen",
            "0.0.0.0:9000",
            "--upstream",
            "https://api.deepseek.com/v1",
        ],
        &[],
    )
    .unwrap_err();
    assert!(
        wide.contains("needs a bearer token: set ZSPARK_BRIDGE_TOKEN"),
        "{wide}"
    );
    let no_key = config(
        &["--listen", "0.0.0.0:9000", "--upstream", "https://x/v1"],
        &[("ZSPARK_BRIDGE_TOKEN", "t")],
    )
    .unwrap_err();
    assert!(no_key.contains("--api-key-env"), "{no_key}");
    let unset = config(
        &["--upstream", "https://x/v1", "--api-key-env", "NOPE"],
        &[],
    )
    .unwrap_err();
    assert!(unset.contains("NOPE"), "{unset}");
    let profile = config(&["--upstream", "https://x/v1", "--profile", "mystery"], &[]).unwrap_err();
    assert!(profile.contains("unknown profile `mystery`"), "{profile}");
    let scheme = config(&["--upstream", "ftp://x"], &[]).unwrap_err();
    assert!(scheme.contains("http:// or https://"), "{scheme}");
    assert_eq!(
        config(&["--upstream", "https://api.deepseek.com/v1/"], &[])
            .unwrap()
            .profile
            .name,
        "deepseek"
    );
}

#[tokio::test]
async fn a_taken_address_is_reported_before_anything_says_serving() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let cli = Cli::try_parse_from([
        "bridge",
        "--listen",
        address.as_str(),
        "--upstream",
        "http://127.0.0.1:9/v1",
    ])
    .unwrap();
    let mut reports = Vec::new();
    let code = zspark_bridge::proxy::run(cli.bridge, BTreeMap::new(), |line| {
        reports.push(line.to_string())
    })
    .await;
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].contains(&format!("cannot listen on {address}"))
            && reports[0].to_lowercase().contains("address already in use"),
        "{reports:?}"
    );
}

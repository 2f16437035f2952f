//! Retry paths: HTTP errors, rate limits, broken and stalled streams, failed
//! responses, and the errors that are not retried.

use std::time::Duration;

use codex_protocol::EventMsg;
use codex_test_support::{Ending, Reply, ScriptedModelServer, Turn};
use zspark_bridge::proxy::ProxyConfig;

use super::{Harness, config_toml, load, test_env};

fn retries(events: &[EventMsg]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|event| match event {
            EventMsg::Error {
                will_retry: Some(info),
                ..
            } => Some(info.attempt),
            _ => None,
        })
        .collect()
}

fn failure(events: &[EventMsg]) -> String {
    match events.last() {
        Some(EventMsg::TurnFailed { message, .. }) => message.clone(),
        other => panic!("expected TurnFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_then_succeed() {
    let mut harness = Harness::start(vec![
        Turn::http_error(500, "boom"),
        Turn::rate_limited(0),
        Turn::text("finally"),
    ])
    .await;
    let events = harness.turn("hi").await;
    assert_eq!(retries(&events), [1, 2]);
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "finally".into()
    }));
    let requests = harness.server.model_requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].body, requests[2].body,
        "a retry sends the same request"
    );
}

#[tokio::test]
async fn broken_streams_are_retried_keeping_finished_items() {
    let cut = Reply::new()
        .function_call(
            "c1",
            "update_plan",
            r#"{"plan":[{"step":"a","status":"pending"}]}"#,
        )
        .message("this part is lost")
        // created, in_progress, the call's added, 6 argument deltas, done, item done,
        // then the message has begun: the call is finished, the message is not.
        .ending(Ending::CutAfter { events: 13 });
    let aborted = Reply::new()
        .message("also lost")
        .ending(Ending::AbortAfter { events: 3 });
    let mut harness =
        Harness::start(vec![cut.into(), aborted.into(), Turn::text("recovered")]).await;
    let events = harness.turn("go").await;
    assert_eq!(retries(&events), [1, 2]);
    assert!(events.iter().any(|e| matches!(e, EventMsg::Error { message, .. } if message.contains("closed before response.completed"))));
    assert!(events.iter().any(
        |e| matches!(e, EventMsg::Error { message, .. } if message.contains("connection broke"))
    ));
    let third = &harness.server.model_requests()[2];
    let kinds: Vec<String> = third
        .input_items()
        .iter()
        .map(|i| i["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        kinds.contains(&"function_call".to_string())
            && kinds.contains(&"function_call_output".to_string()),
        "{kinds:?}"
    );
    assert!(third.tool_pair_problems().is_empty());
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "recovered".into()
    }));
}

#[tokio::test]
async fn a_silent_stream_times_out_and_is_retried() {
    let mut harness = Harness::with_provider(
        vec![
            Reply::new()
                .message("x")
                .ending(Ending::StallAfter { events: 2 })
                .into(),
            Turn::text("back"),
        ],
        "",
        "stream_idle_timeout_ms = 300",
    )
    .await;
    let events = harness.turn("hi").await;
    assert!(events.iter().any(|e| matches!(e, EventMsg::Error { message, will_retry: Some(_) } if message.contains("no data from the provider"))));
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "back".into()
    }));
}

#[tokio::test]
async fn a_provider_that_never_sends_headers_times_out_and_is_retried() {
    let mut harness = Harness::with_provider(
        vec![Turn::Silent, Turn::text("answered")],
        "",
        "stream_idle_timeout_ms = 300",
    )
    .await;
    let events = harness.turn("hi").await;
    assert!(
        events.iter().any(|e| matches!(e, EventMsg::Error { message, will_retry: Some(_) } if message.contains("no response headers"))),
        "{events:?}"
    );
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "answered".into()
    }));
}

/// A rate limit from a Chat Completions provider behind the `zspark bridge` proxy:
/// the proxy passes the `Retry-After` on and the runtime waits that long.
#[tokio::test]
async fn a_rate_limit_behind_the_bridge_proxy_is_retried_after_its_retry_after() {
    let upstream =
        ScriptedModelServer::start([Turn::rate_limited(1), Turn::text("after the wait")]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}/v1", listener.local_addr().unwrap());
    let upstream_url = upstream.base_url();
    let config = ProxyConfig {
        listen: listener.local_addr().unwrap(),
        profile: zspark_bridge::Profile::detect(&upstream_url),
        upstream: upstream_url,
        api_key: None,
        token: None,
        query: Default::default(),
        max_body_bytes: 1024 * 1024,
        upstream_timeout: Duration::from_secs(30),
    };
    tokio::spawn(zspark_bridge::proxy::serve_on(
        listener,
        config,
        std::future::pending(),
    ));
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config_toml(&proxy_url, "")).unwrap();
    let loaded = load(home.path(), work.path(), test_env(home.path()));
    let mut harness =
        Harness::begin(upstream, home, work, loaded, codex_core::ThreadStart::new()).await;
    let events = harness.turn("hi").await;
    let delays: Vec<u64> = events
        .iter()
        .filter_map(|event| match event {
            EventMsg::Error {
                will_retry: Some(info),
                ..
            } => Some(info.delay_ms),
            _ => None,
        })
        .collect();
    assert_eq!(delays, [1000], "the wait the upstream asked for");
    assert!(events.contains(&EventMsg::AgentMessage {
        message: "after the wait".into()
    }));
}

#[tokio::test]
async fn failed_responses_retry_unless_the_error_is_final() {
    let transient = Reply::new().ending(Ending::Failed {
        code: "server_error".into(),
        message: "try again".into(),
    });
    let too_long = Reply::new().ending(Ending::Failed {
        code: "context_length_exceeded".into(),
        message: "Your input exceeds the context window".into(),
    });
    let mut harness =
        Harness::start(vec![transient.into(), Turn::text("ok"), too_long.into()]).await;
    let first = harness.turn("one").await;
    assert_eq!(retries(&first), [1]);
    let second = harness.turn("two").await;
    assert!(retries(&second).is_empty());
    assert!(
        failure(&second).contains("too long for the model's context window"),
        "{}",
        failure(&second)
    );
}

#[tokio::test]
async fn client_errors_fail_at_once_naming_the_status() {
    let mut harness =
        Harness::start(vec![Turn::http_error(401, "Incorrect API key provided")]).await;
    let events = harness.turn("hi").await;
    assert!(retries(&events).is_empty());
    let message = failure(&events);
    assert!(
        message.contains("answered 401: Incorrect API key provided"),
        "{message}"
    );
    assert!(
        message.contains("Check the provider's API key"),
        "{message}"
    );
}

#[tokio::test]
async fn retries_stop_at_the_budget() {
    let mut harness = Harness::start(vec![
        Turn::http_error(503, "down"),
        Turn::http_error(503, "down"),
        Turn::http_error(503, "down"),
    ])
    .await;
    let events = harness.turn("hi").await;
    assert_eq!(retries(&events), [1, 2]);
    assert!(failure(&events).contains("gave up after 2 retries"));
}

#[tokio::test]
async fn html_error_pages_and_garbage_streams_get_clear_messages() {
    let mut harness = Harness::start(vec![
        Turn::RawBody {
            status: 502,
            content_type: "text/html".into(),
            body: "<html><h1>Bad Gateway</h1></html>".into(),
        },
        Turn::RawBody {
            status: 502,
            content_type: "text/html".into(),
            body: "<html><h1>Bad Gateway</h1></html>".into(),
        },
        Turn::RawBody {
            status: 502,
            content_type: "text/html".into(),
            body: "<html><h1>Bad Gateway</h1></html>".into(),
        },
        Turn::RawSse {
            frames: vec!["data: {this is not json\n\n".into()],
        },
        Turn::RawSse {
            frames: vec!["data: {this is not json\n\n".into()],
        },
        Turn::RawSse {
            frames: vec!["data: {this is not json\n\n".into()],
        },
    ])
    .await;
    let html = failure(&harness.turn("a").await);
    assert!(
        html.contains("502: <html><h1>Bad Gateway</h1></html>"),
        "{html}"
    );
    let garbage = failure(&harness.turn("b").await);
    assert!(garbage.contains("not JSON"), "{garbage}");
}

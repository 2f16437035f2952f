//! Request recording, routing and the script's serde form.

use std::time::Duration;

use codex_test_support::{Ending, Reply, ScriptedModelServer, Turn};
use serde_json::json;

use super::{client, post};

#[tokio::test]
async fn records_method_path_query_headers_and_body() {
    let server = ScriptedModelServer::start([Turn::text("hi")]).unwrap();
    let response = client()
        .post(format!(
            "{}/responses?api-version=2025-04-01",
            server.base_url()
        ))
        .header("Authorization", "Bearer sk-test")
        .header("X-Custom", "yes")
        .json(&json!({"model": "m", "stream": true, "input": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/responses");
    assert_eq!(request.query.as_deref(), Some("api-version=2025-04-01"));
    assert_eq!(request.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(request.header("x-custom"), Some("yes"));
    assert_eq!(request.body["model"], "m");
}

#[tokio::test]
async fn serves_models_and_404s_unknown_routes_but_records_both() {
    let server = ScriptedModelServer::start([]).unwrap();
    let models: serde_json::Value = client()
        .get(format!("{}/models", server.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "scripted-model");

    let (status, text) = post(&format!("{}/completions", server.base_url()), &json!({})).await;
    assert_eq!(status, 404);
    assert!(text.contains("no route for POST /v1/completions"));
    assert_eq!(server.requests().len(), 2);
    assert!(server.model_requests().is_empty());
}

#[tokio::test]
async fn azure_style_deployment_paths_reach_chat() {
    let server = ScriptedModelServer::start([Turn::text("azure")]).unwrap();
    let url = format!(
        "http://{}/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21",
        server.addr()
    );
    let (status, text) = post(
        &url,
        &json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"chat.completion\""));
}

#[tokio::test]
async fn wait_for_requests_returns_when_the_count_is_reached() {
    let server = ScriptedModelServer::start([Turn::text("a")]).unwrap();
    assert!(!server.wait_for_requests(1, Duration::from_millis(50)).await);
    let url = format!("{}/responses", server.base_url());
    let request = tokio::spawn(async move { post(&url, &json!({"input": []})).await });
    assert!(server.wait_for_requests(1, Duration::from_secs(10)).await);
    assert_eq!(request.await.unwrap().0, 200);
    assert_eq!(server.remaining_turns(), 0);
}

#[test]
fn scripts_round_trip_through_json() {
    let turns = vec![
        Reply::new()
            .reasoning("r")
            .function_call("c1", "shell", "{}")
            .event_delay(Duration::from_millis(15))
            .ending(Ending::CutAfter { events: 3 })
            .into(),
        Turn::rate_limited(2),
    ];
    let text = serde_json::to_string(&turns).unwrap();
    let back: Vec<Turn> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, turns);
    let minimal: Turn =
        serde_json::from_str(r#"{"kind":"reply","items":[{"type":"message","text":"x"}]}"#)
            .unwrap();
    assert_eq!(minimal, Turn::text("x"));
}

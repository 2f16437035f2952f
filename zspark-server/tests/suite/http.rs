//! Server behaviour around the API: health, readiness, the OpenAPI document, request
//! ids, rate limits, and a server with no identity provider.

use reqwest::Method;
use zspark_server::Backend;

use super::{TestServer, on_both_backends};

on_both_backends! {
    async fn health_readiness_and_the_openapi_document(server) {
        let anonymous = server.anonymous();
        assert_eq!(anonymous.get("/healthz").await, (200, serde_json::json!({"status": "ok", "hub": "local"})));
        assert_eq!(anonymous.get("/readyz").await.0, 200);
        let (status, document) = anonymous.get("/openapi.json").await;
        assert_eq!(status, 200);
        let paths = document["paths"].as_object().unwrap();
        for path in [
            "/v1/workspaces",
            "/v1/workspaces/{workspace_id}/members/{principal}",
            "/v1/workspaces/{workspace_id}/sessions/{session_id}/items",
            "/v1/workspaces/{workspace_id}/artifacts/{artifact_id}",
        ] {
            assert!(paths.contains_key(path), "{path} is documented");
        }
        assert!(document["components"]["schemas"]["Session"].is_object());
        assert_document_states_the_rules(&document);
    }

    async fn request_ids_are_returned_and_reused_when_given(server) {
        let response = server.anonymous().request(Method::GET, "/healthz").send().await.unwrap();
        let generated = response.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(generated.len(), 36);
        let response = server.anonymous().request(Method::GET, "/v1/me").header("x-request-id", "trace-123").send().await.unwrap();
        assert_eq!(response.headers()["x-request-id"], "trace-123");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["request_id"], "trace-123", "errors carry the id");
    }
}

#[tokio::test]
async fn rate_limits_apply_per_principal() {
    let server = TestServer::start(
        Backend::Sqlite,
        &["--rate-limit-max", "3", "--rate-limit-window-ms", "60000"],
    )
    .await
    .unwrap();
    let alice = server.as_user("alice");
    for _ in 0..3 {
        assert_eq!(alice.get("/v1/me").await.0, 200);
    }
    let response = alice.request(Method::GET, "/v1/me").send().await.unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(
        server.as_user("bob").get("/v1/me").await.0,
        200,
        "others are not limited"
    );
}

#[tokio::test]
async fn without_an_identity_provider_the_api_says_what_to_configure() {
    let data = tempfile::tempdir().unwrap();
    let args = ["serve", "--data-dir", data.path().to_str().unwrap()];
    let cli = <Cli as clap::Parser>::try_parse_from(args).unwrap();
    let config = zspark_server::ServerConfig::from_args(&cli.serve).unwrap();
    let state = zspark_server::open(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(zspark_server::serve_on(
        listener,
        state,
        std::future::pending(),
    ));
    let client = zspark_bridge::http::client_builder().build().unwrap();
    let response = client
        .get(format!("{base}/v1/workspaces"))
        .header("x-domain-user", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zspark serve --dev"),
        "{body}"
    );
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    serve: zspark_server::ServeArgs,
}

/// The document says what the server checks: ids are UUIDs, limits are bounded, the
/// rules' patterns are the server's own, and every route lists its error answers.
fn assert_document_states_the_rules(document: &serde_json::Value) {
    use zspark_api::rules;
    let paths = document["paths"].as_object().unwrap();
    let parameter = |path: &str, method: &str, name: &str| -> serde_json::Value {
        paths[path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} documents {name}"))
            .clone()
    };
    let artifact = "/v1/workspaces/{workspace_id}/artifacts/{artifact_id}";
    for name in ["workspace_id", "artifact_id"] {
        assert_eq!(parameter(artifact, "get", name)["schema"]["format"], "uuid");
    }
    let limit = parameter("/v1/workspaces", "get", "limit");
    assert_eq!(
        (
            limit["schema"]["minimum"].as_u64(),
            limit["schema"]["maximum"].as_u64()
        ),
        (Some(1), Some(200))
    );
    let cursor = parameter("/v1/workspaces", "get", "cursor");
    assert_eq!(cursor["schema"]["pattern"], rules::CURSOR.pattern);
    let uploads = "/v1/workspaces/{workspace_id}/artifacts";
    assert_eq!(
        parameter(uploads, "post", "x-content-sha256")["schema"]["pattern"],
        rules::SHA256_HEX.pattern
    );
    let title = &document["components"]["schemas"]["CreateWorkspace"]["properties"]["name"];
    assert_eq!(
        (title["pattern"].as_str(), title["maxLength"].as_u64()),
        (Some(rules::TITLE.pattern), Some(200))
    );
    for (path, operations) in paths.iter().filter(|(path, _)| path.starts_with("/v1/")) {
        for (method, operation) in operations.as_object().unwrap() {
            let answers = operation["responses"].as_object().unwrap();
            for status in ["400", "401", "429"] {
                assert!(
                    answers.contains_key(status),
                    "{method} {path} lists {status}"
                );
            }
            if operation.get("requestBody").is_some() {
                for status in ["408", "413"] {
                    assert!(
                        answers.contains_key(status),
                        "{method} {path} lists {status}"
                    );
                }
            }
            assert!(
                operation["security"].is_array(),
                "{method} {path} names its authentication"
            );
        }
    }
}

//! Bad input: every one a clear 4xx with a JSON body, never a 500.

use reqwest::Method;
use serde_json::json;

use super::on_both_backends;

on_both_backends! {
    async fn malformed_requests_get_clear_client_errors(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let session = alice.session(&workspace, "S").await;
        let ws = format!("/v1/workspaces/{workspace}");
        let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
            (alice.request(Method::GET, "/v1/workspaces/not-a-uuid"), 400, "malformed workspace id"),
            (alice.request(Method::GET, &format!("{ws}/sessions/123")), 400, "malformed session id"),
            (alice.request(Method::GET, "/v1/nowhere"), 404, "no such route"),
            (alice.request(Method::PUT, &ws), 405, "does not take that method"),
            (alice.request(Method::POST, "/v1/workspaces").header("content-type", "text/plain").body("{\"name\":\"x\"}"), 415, "application/json"),
            (alice.request(Method::POST, "/v1/workspaces").header("content-type", "application/json").body("{not json"), 400, "not valid JSON"),
            (alice.request(Method::POST, "/v1/workspaces").json(&json!({"name": "x", "admin": true})), 422, "unknown field"),
            (alice.request(Method::POST, "/v1/workspaces").json(&json!({"name": ""})), 422, "1 to 200 characters"),
            (alice.request(Method::POST, "/v1/workspaces").json(&json!({"name": "a\u{1}b"})), 422, "control characters"),
            (alice.request(Method::POST, &format!("{ws}/sessions")).json(&json!({"title": 5})), 422, "invalid type"),
            (alice.request(Method::POST, "/v1/workspaces").json(&json!({"name": " \u{3000} "})), 422, "not only white space"),
            (alice.request(Method::POST, &format!("{ws}/sessions/{session}/fork")).json(&json!([null, null])), 422, "not an array"),
            (alice.request(Method::GET, "/v1/workspaces?limit=abc"), 400, "limit"),
            (alice.request(Method::GET, "/v1/workspaces?limit=0"), 400, "between 1 and 200"),
            (alice.request(Method::GET, "/v1/workspaces?limit=201"), 400, "between 1 and 200"),
            (alice.request(Method::GET, "/v1/workspaces?limit=4294967296"), 400, "limit"),
            (alice.request(Method::GET, &format!("{ws}/sessions/{session}/items?limit=1001")), 400, "between 1 and 1000"),
            (alice.request(Method::GET, &format!("/v1/workspaces/{}", workspace.replace('-', ""))), 400, "malformed workspace id"),
            (alice.request(Method::POST, &format!("{ws}/sessions/{session}/items")).json(&json!({"expected_seq": -1, "items": [{"type": "message"}]})), 422, "0 or more"),
            (alice.request(Method::POST, &format!("{ws}/members")).json(&json!({"principal": "tenant:a:b:oid:c", "role": "viewer"})), 404, "not a principal key"),
            (alice.request(Method::GET, "/v1/workspaces?cursor=%%%"), 400, "cursor"),
            (alice.request(Method::GET, &format!("{ws}/activity?cursor=bogus")), 400, "cursor"),
            (
                server.anonymous().request(Method::GET, "/v1/me").header(
                    "x-domain-user",
                    reqwest::header::HeaderValue::from_bytes(&[0xff, 0xfe]).unwrap(),
                ),
                400,
                "X-Domain-User",
            ),
        ];
        for (request, status, fragment) in cases {
            let built = request.build().unwrap();
            let description = format!("{} {}", built.method(), built.url());
            let response = server.raw().execute(built).await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{description}");
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let message = body["error"]["message"].as_str().unwrap_or_default().to_string();
            assert!(message.contains(fragment), "{description}: {message}");
            assert!(body["error"]["request_id"].is_string(), "{description}");
        }
    }

    async fn item_batches_are_checked_before_anything_is_written(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let session = alice.session(&workspace, "S").await;
        let items = format!("/v1/workspaces/{workspace}/sessions/{session}/items");
        let bad_batches = [
            json!({"expected_seq": 0, "items": []}),
            json!({"expected_seq": 0, "items": [{"no": "type"}]}),
            json!({"expected_seq": 0, "items": [{"type": "message"}, "not an object"]}),
            json!({"expected_seq": 0}),
        ];
        for batch in bad_batches {
            assert_eq!(alice.post(&items, batch.clone()).await.0, 422, "{batch}");
        }
        let big = "x".repeat(5 * 1024 * 1024);
        let (status, _) = alice.post(&items, json!({"expected_seq": 0, "items": [{"type": "message", "text": big}]})).await;
        assert_eq!(status, 413);
        let (_, all) = alice.get(&items).await;
        assert_eq!(all["next_seq"], 0, "nothing was written");
    }
}

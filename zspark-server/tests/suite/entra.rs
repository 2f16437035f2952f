//! The server with Entra ID configured, against a local token issuer: every route but
//! health needs a valid bearer token; refused tokens get 401 with a
//! `WWW-Authenticate` header naming the reason class; an unreachable identity provider
//! means 503, never acceptance.

use codex_test_support::issuer::{TestIssuer, access_claims, signing_keys, with_claims};
use reqwest::Method;
use serde_json::{Value, json};
use zspark_server::Backend;

use super::TestServer;

pub(super) const TENANT: &str = "0b5a8c1e-1111-2222-3333-444444444444";
pub(super) const CLIENT: &str = "c0ffee00-aaaa-bbbb-cccc-dddddddddddd";

/// A server that takes `issuer`'s tokens for tenant [`TENANT`] and API [`CLIENT`].
pub(super) async fn entra_server(issuer: &TestIssuer) -> TestServer {
    let authority = issuer.issuer();
    TestServer::start(
        Backend::Sqlite,
        &[
            "--tenant-id",
            TENANT,
            "--client-id",
            CLIENT,
            "--authority",
            &authority,
        ],
    )
    .await
    .unwrap()
}

/// Status, `WWW-Authenticate` and JSON body of `GET path` with `token`.
async fn get_with(server: &TestServer, path: &str, token: Option<&str>) -> (u16, String, Value) {
    let mut request = server
        .raw()
        .request(Method::GET, format!("{}{path}", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        challenge,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn valid_tokens_enter_and_everything_else_is_refused_with_a_reason() {
    let issuer = TestIssuer::start().unwrap();
    let server = entra_server(&issuer).await;
    let [key, _] = signing_keys();
    let alice = key.sign(&access_claims(
        &issuer.issuer(),
        TENANT,
        CLIENT,
        "alice-oid",
    ));
    let bob = key.sign(&access_claims(&issuer.issuer(), TENANT, CLIENT, "bob-oid"));

    assert_eq!(
        get_with(&server, "/healthz", None).await.0,
        200,
        "health needs no token"
    );
    let (status, challenge, body) = get_with(&server, "/v1/me", None).await;
    assert_eq!(
        (status, challenge.as_str()),
        (401, "Bearer realm=\"zspark\"")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization")
    );
    let dev_header = server.as_user("alice").get("/v1/me").await;
    assert_eq!(
        dev_header.0, 401,
        "X-Domain-User means nothing once Entra is configured"
    );

    let (status, _, me) = get_with(&server, "/v1/me", Some(&alice)).await;
    assert_eq!(status, 200);
    assert_eq!(me["principal"], format!("tenant:{TENANT}:oid:alice-oid"));
    assert_eq!(me["tenant_id"], TENANT);

    let created = server
        .raw()
        .post(format!("{}/v1/workspaces", server.base))
        .bearer_auth(&alice)
        .json(&json!({"name": "Shared"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let workspace: Value = created.json().await.unwrap();
    let path = format!("/v1/workspaces/{}", workspace["id"].as_str().unwrap());
    assert_eq!(get_with(&server, &path, Some(&alice)).await.0, 200);
    assert_eq!(
        get_with(&server, &path, Some(&bob)).await.0,
        404,
        "bob is not a member"
    );

    let claims = access_claims(&issuer.issuer(), TENANT, CLIENT, "alice-oid");
    let refused = [
        (
            key.sign(&with_claims(claims.clone(), json!({"aud": "someone-else"}))),
            "invalid_token",
            "wrong_audience",
        ),
        (
            key.sign(&with_claims(claims.clone(), json!({"exp": 1_000}))),
            "invalid_token",
            "expired",
        ),
        (
            key.sign(&with_claims(
                claims.clone(),
                json!({"tid": "another-tenant"}),
            )),
            "invalid_token",
            "wrong_tenant",
        ),
        (
            key.sign(&with_claims(claims.clone(), json!({"scp": "User.Read"}))),
            "insufficient_scope",
            "missing_scope",
        ),
        ("garbage".to_string(), "invalid_token", "malformed"),
    ];
    for (token, error, class) in refused {
        let (status, challenge, body) = get_with(&server, &path, Some(&token)).await;
        assert_eq!(status, 401, "{class}");
        assert_eq!(
            challenge,
            format!("Bearer realm=\"zspark\", error=\"{error}\", error_description=\"{class}\"")
        );
        assert_eq!(body["error"]["code"], "unauthenticated", "{class}");
    }
}

#[tokio::test]
async fn an_unreachable_identity_provider_means_503() {
    let issuer = TestIssuer::start().unwrap();
    issuer.set_down(true);
    let server = entra_server(&issuer).await;
    let [key, _] = signing_keys();
    let token = key.sign(&access_claims(
        &issuer.issuer(),
        TENANT,
        CLIENT,
        "alice-oid",
    ));
    let (status, _, body) = get_with(&server, "/v1/me", Some(&token)).await;
    assert_eq!(status, 503);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("identity provider")
    );
}

#[tokio::test]
async fn entra_settings_that_would_weaken_the_check_stop_the_server() {
    let args =
        |authority: &str| -> Result<zspark_server::ServerConfig, zspark_server::ConfigError> {
            use clap::Parser;
            let cli = super::Cli::try_parse_from([
                "serve",
                "--tenant-id",
                TENANT,
                "--client-id",
                CLIENT,
                "--authority",
                authority,
            ])
            .unwrap();
            zspark_server::ServerConfig::from_args(&cli.serve)
        };
    for (authority, expected) in [
        ("http://idp.example.com", "plain http"),
        ("https://login.microsoftonline.com/common", "multi-tenant"),
    ] {
        let error = match zspark_server::open(args(authority).unwrap()).await {
            Ok(_) => panic!("{authority} was accepted"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains(expected), "{authority}: {error}");
    }
}

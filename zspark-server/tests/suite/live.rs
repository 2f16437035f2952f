//! Live activity over a real WebSocket: a member hears what teammates do as it happens
//! (with a single-use ticket, or a bearer token in the header with Entra ID); a
//! reconnecting client catches up from the last entry it saw; a caller without a
//! ticket or membership is refused before the upgrade; a removed member is cut off.

use std::time::Duration;

use codex_test_support::issuer::{TestIssuer, access_claims, signing_keys};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use super::entra::{CLIENT, TENANT, entra_server};
use super::{TestServer, on_both_backends};

pub(super) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(super) fn ws_url(server: &TestServer, path: &str) -> String {
    format!("{}{path}", server.base.replacen("http://", "ws://", 1))
}

/// Connects to `path` (with `bearer` in the header, if given).
pub(super) async fn connect(
    server: &TestServer,
    path: &str,
    bearer: Option<&str>,
) -> Result<Socket, u16> {
    let mut request = ws_url(server, path).into_client_request().unwrap();
    if let Some(token) = bearer {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(error) => panic!("the connection failed: {error}"),
    }
}

/// The next JSON message, or the close frame's code.
pub(super) async fn next(socket: &mut Socket) -> Result<Value, Option<u16>> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s");
        match message {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|frame| u16::from(frame.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}

pub(super) async fn new_ticket(server: &TestServer, user: &str) -> String {
    let (status, body) = server
        .as_user(user)
        .post("/v1/auth/ws-ticket", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires_in"], 30);
    body["ticket"].as_str().unwrap().to_string()
}

on_both_backends! {
    async fn teammates_are_heard_live_and_a_reconnect_catches_up(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("Live").await;
        alice.invite(&workspace, "principal:bob", "viewer").await;
        let live = format!("/v1/workspaces/{workspace}/live");

        let ticket = new_ticket(&server, "bob").await;
        let mut socket = connect(&server, &format!("{live}?ticket={ticket}"), None).await.unwrap();
        assert_eq!(next(&mut socket).await.unwrap(), json!({"type": "ready", "role": "viewer"}));
        let session = alice.session(&workspace, "Quarterly report").await;
        let heard = next(&mut socket).await.unwrap();
        assert_eq!(heard["type"], "activity");
        assert_eq!(heard["entry"]["object_id"], session.as_str());
        assert_eq!(heard["entry"]["actor"], "principal:alice");
        let seen = heard["entry"]["id"].as_str().unwrap().to_string();

        assert_eq!(
            connect(&server, &format!("{live}?ticket={ticket}"), None).await.err(),
            Some(401),
            "a ticket works once"
        );
        drop(socket);
        alice.session(&workspace, "Missed while away").await;
        let again = new_ticket(&server, "bob").await;
        let mut socket = connect(&server, &format!("{live}?ticket={again}&after={seen}"), None)
            .await
            .unwrap();
        next(&mut socket).await.unwrap();
        let caught_up = next(&mut socket).await.unwrap();
        assert!(
            caught_up["entry"]["summary"].as_str().unwrap().contains("Missed while away"),
            "{caught_up}"
        );

        let (status, _) = alice
            .delete(&format!("/v1/workspaces/{workspace}/members/principal:bob"))
            .await;
        assert_eq!(status, 204);
        assert_eq!(next(&mut socket).await.err(), Some(Some(4403)), "a removed member is cut off");
    }

    async fn upgrades_without_a_ticket_or_membership_are_refused(server) {
        let workspace = server.as_user("alice").workspace("Private").await;
        let live = format!("/v1/workspaces/{workspace}/live");
        assert_eq!(connect(&server, &live, None).await.err(), Some(401), "no identity");
        assert_eq!(
            connect(&server, &format!("{live}?ticket=made-up"), None).await.err(),
            Some(401)
        );
        let mallory = new_ticket(&server, "mallory").await;
        assert_eq!(
            connect(&server, &format!("{live}?ticket={mallory}"), None).await.err(),
            Some(404),
            "a non-member does not learn the workspace exists"
        );
        let alice = new_ticket(&server, "alice").await;
        assert_eq!(
            connect(&server, &format!("/v1/workspaces/not-a-uuid/live?ticket={alice}"), None).await.err(),
            Some(400)
        );
        assert_eq!(server.anonymous().post("/v1/auth/ws-ticket", json!({})).await.0, 401);
    }
}

#[tokio::test]
async fn with_entra_the_bearer_header_opens_the_socket_and_a_bad_token_does_not() {
    let issuer = TestIssuer::start().unwrap();
    let authority = issuer.issuer();
    let server = entra_server(&issuer).await;
    let [key, other_key] = signing_keys();
    let alice = key.sign(&access_claims(&authority, TENANT, CLIENT, "alice-oid"));
    let created: Value = server
        .raw()
        .post(format!("{}/v1/workspaces", server.base))
        .bearer_auth(&alice)
        .json(&json!({"name": "Entra live"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let live = format!("/v1/workspaces/{}/live", created["id"].as_str().unwrap());
    let mut socket = connect(&server, &live, Some(&alice)).await.unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["role"], "owner");

    let forged = other_key.sign(&access_claims(&authority, TENANT, CLIENT, "alice-oid"));
    assert_eq!(
        connect(&server, &live, Some(&forged)).await.err(),
        Some(401)
    );
    assert_eq!(connect(&server, &live, None).await.err(), Some(401));
}

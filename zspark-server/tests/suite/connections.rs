//! Connection abuse: clients that send headers slowly or never, promise bodies that do
//! not come, or open more connections than their share. Raw TCP, as an attacker would.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use zspark_server::Backend;

use super::TestServer;

/// Long enough for a one-second server time-out to fire on a loaded machine; a server
/// without the time-out keeps the connection open past it.
const PATIENCE: Duration = Duration::from_secs(8);

async fn start(extra: &[&str]) -> TestServer {
    TestServer::start(Backend::Sqlite, extra).await.unwrap()
}

fn address(server: &TestServer) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection to `server` from the loopback address `from` (127.0.0.x).
async fn connect_from(server: &TestServer, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse::<IpAddr>().unwrap(), 0))
        .unwrap();
    socket.connect(address(server)).await.unwrap()
}

/// Everything the server sends until it closes the connection, or `None` when it is
/// still open after [`PATIENCE`].
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let outcome = tokio::time::timeout(PATIENCE, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    })
    .await;
    outcome
        .ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// The status and JSON body of the one response in `text`.
fn response_of(text: &str) -> (u16, serde_json::Value) {
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or_default())
}

/// What the server answers a `GET /healthz` from `from` (a refusal may come before
/// the request is even read, so a failed write is not an error here).
async fn healthz_answer_from(server: &TestServer, from: &str) -> String {
    let mut stream = connect_from(server, from).await;
    let _ = stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: zspark\r\nconnection: close\r\n\r\n")
        .await;
    read_until_closed(&mut stream).await.unwrap_or_default()
}

async fn healthz_from(server: &TestServer, from: &str) -> u16 {
    response_of(&healthz_answer_from(server, from).await).0
}

#[tokio::test]
async fn headers_that_never_finish_and_idle_kept_alive_connections_are_closed() {
    let server = start(&["--header-timeout-secs", "1"]).await;
    let mut slow = connect_from(&server, "127.0.0.1").await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: zspark\r\n")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut slow).await.is_some(),
        "a request whose headers never end is cut off"
    );

    let mut silent = connect_from(&server, "127.0.0.1").await;
    assert!(
        read_until_closed(&mut silent).await.is_some(),
        "a connection that never sends is cut off"
    );

    let mut kept_alive = connect_from(&server, "127.0.0.1").await;
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: zspark\r\n\r\n")
        .await
        .unwrap();
    let answered = read_until_closed(&mut kept_alive)
        .await
        .expect("an idle kept-alive connection is closed");
    assert_eq!(response_of(&answered).0, 200, "{answered}");
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_read() {
    let server = start(&[]).await;
    let mut stream = connect_from(&server, "127.0.0.1").await;
    stream
        .write_all(
            b"POST /v1/workspaces HTTP/1.1\r\nhost: zspark\r\nx-domain-user: alice\r\n\
              content-type: application/json\r\nconnection: close\r\ncontent-length: 2147483648\r\n\r\n{\"name\":\"W\"",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream)
        .await
        .expect("answered and closed at once");
    let (status, body) = response_of(&answer);
    assert_eq!(status, 413, "{answer}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{answer}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_fails_with_408() {
    let server = start(&["--body-idle-timeout-secs", "1"]).await;
    let mut stream = connect_from(&server, "127.0.0.1").await;
    stream
        .write_all(
            b"POST /v1/workspaces HTTP/1.1\r\nhost: zspark\r\nx-domain-user: alice\r\n\
              content-type: application/json\r\nconnection: close\r\ncontent-length: 100\r\n\r\n{\"name\":\"W\"",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream)
        .await
        .expect("the stalled request ends");
    let (status, body) = response_of(&answer);
    assert_eq!(status, 408, "{answer}");
    assert_eq!(body["error"]["code"], "request_timeout", "{answer}");
}

#[tokio::test]
async fn one_address_cannot_take_every_connection_and_others_are_still_served() {
    let server = start(&["--max-connections-per-address", "3"]).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from(&server, "127.0.0.2").await);
    }
    let mut over = connect_from(&server, "127.0.0.2").await;
    let refused = read_until_closed(&mut over)
        .await
        .expect("turned away at once");
    let (status, body) = response_of(&refused);
    assert_eq!(status, 503, "{refused}");
    assert_eq!(body["error"]["code"], "unavailable");

    assert_eq!(healthz_from(&server, "127.0.0.1").await, 200);

    drop(held.pop());
    let served_again = tokio::time::timeout(PATIENCE, async {
        loop {
            if healthz_from(&server, "127.0.0.2").await == 200 {
                return;
            }
        }
    })
    .await;
    assert!(served_again.is_ok(), "a closed connection frees its slot");
}

#[tokio::test]
async fn a_full_server_closes_the_oldest_silent_connection_for_a_newcomer() {
    let server = start(&["--max-connections", "4"]).await;
    let mut silent = Vec::new();
    for last in 2..6 {
        silent.push(connect_from(&server, &format!("127.0.0.{last}")).await);
    }
    assert_eq!(
        healthz_from(&server, "127.0.0.1").await,
        200,
        "a flood of silent connections does not lock a client out"
    );
    assert!(
        read_until_closed(&mut silent[0]).await.is_some(),
        "the oldest silent connection made room"
    );
    drop(silent);

    // Connections that are being served are never evicted: a newcomer is turned away.
    let mut busy = Vec::new();
    for last in 2..6 {
        let mut stream = connect_from(&server, &format!("127.0.0.{last}")).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: zspark\r\n\r\n")
            .await
            .unwrap();
        let mut answer = [0u8; 512];
        let read = stream.read(&mut answer).await.unwrap();
        assert_eq!(
            response_of(&String::from_utf8_lossy(&answer[..read])).0,
            200
        );
        busy.push(stream);
    }
    let refused = tokio::time::timeout(PATIENCE, async {
        loop {
            // A closed connection's slot may not be free yet; then this one is served.
            let answer = healthz_answer_from(&server, "127.0.0.9").await;
            if response_of(&answer).0 == 503 {
                return answer;
            }
        }
    })
    .await
    .expect("turned away while every connection is busy");
    assert!(refused.contains("too many connections"), "{refused}");
}

#[tokio::test]
async fn the_live_route_without_an_upgrade_answers_in_the_json_error_shape() {
    let server = start(&[]).await;
    let alice = server.as_user("alice");
    let workspace = alice.workspace("W").await;
    let (status, body) = alice.get(&format!("/v1/workspaces/{workspace}/live")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("WebSocket"),
        "{body}"
    );
}

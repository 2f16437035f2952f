//! Several instances on one Redis: activity recorded through one instance is heard live
//! on another, a ticket from one opens a socket on the other, the rate limit counts
//! across them; Redis going away leaves each instance serving its own clients (and
//! saying so), and when it is back a socket hears what it missed meanwhile.
//!
//! Each test runs its own `redis-server` (so it can stop it) on a free port.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use super::TestServer;
use super::live::{connect, new_ticket, next};

/// A `redis-server` of this test, stopped when dropped.
pub(super) struct RedisProcess {
    port: u16,
    child: tokio::process::Child,
}

impl RedisProcess {
    /// `None` (with the reason printed) when no `redis-server` is installed.
    pub(super) async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port).await
    }

    async fn start_on(port: u16) -> Option<Self> {
        let spawned = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                assert!(
                    std::env::var("ZSPARK_REQUIRE_SERVICES").as_deref() != Ok("1"),
                    "ZSPARK_REQUIRE_SERVICES=1 but redis-server cannot run: {error}"
                );
                eprintln!("skipping: redis-server cannot run ({error}); install Redis");
                return None;
            }
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Some(Self { port, child })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn stop(mut self) -> u16 {
        self.child.kill().await.unwrap();
        self.port
    }
}

/// Waits until the instance's `/healthz` reports `hub`, asking every 20 ms (the
/// instance notices Redis going and coming by itself; nothing reports it sooner).
async fn wait_for_hub(server: &TestServer, hub: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, health) = server.anonymous().get("/healthz").await;
        if health["hub"] == hub {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hub never became {hub}: {health}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(super) async fn two_instances(
    redis: &RedisProcess,
    extra: &[&str],
) -> (TestServer, TestServer) {
    let url = redis.url();
    let mut args = vec!["--redis-url", url.as_str()];
    args.extend_from_slice(extra);
    let first = TestServer::start(zspark_server::Backend::Sqlite, &args)
        .await
        .unwrap();
    let second = first.another_instance().await;
    wait_for_hub(&first, "shared").await;
    wait_for_hub(&second, "shared").await;
    (first, second)
}

#[tokio::test]
async fn activity_through_one_instance_is_heard_live_on_the_other_with_its_ticket() {
    let Some(redis) = RedisProcess::start().await else {
        return;
    };
    let (first, second) = two_instances(&redis, &[]).await;
    let alice = first.as_user("alice");
    let workspace = alice.workspace("Across").await;
    alice.invite(&workspace, "principal:bob", "viewer").await;

    let ticket = new_ticket(&first, "bob").await;
    let live = format!("/v1/workspaces/{workspace}/live");
    let mut socket = connect(&second, &format!("{live}?ticket={ticket}"), None)
        .await
        .expect("a ticket from one instance opens a socket on the other");
    assert_eq!(
        next(&mut socket).await.unwrap(),
        json!({"type": "ready", "role": "viewer"})
    );
    assert_eq!(
        connect(&first, &format!("{live}?ticket={ticket}"), None)
            .await
            .err(),
        Some(401),
        "and it is used up on every instance"
    );

    let session = alice.session(&workspace, "Written on the first").await;
    let heard = next(&mut socket).await.unwrap();
    assert_eq!(heard["entry"]["object_id"], session.as_str());

    let (status, _) = alice
        .delete(&format!("/v1/workspaces/{workspace}/members/principal:bob"))
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        next(&mut socket).await.err(),
        Some(Some(4403)),
        "a member removed on one instance is cut off on the other"
    );
}

#[tokio::test]
async fn the_rate_limit_counts_requests_on_every_instance() {
    let Some(redis) = RedisProcess::start().await else {
        return;
    };
    let (first, second) = two_instances(&redis, &["--rate-limit-max", "3"]).await;
    assert_eq!(first.as_user("carol").get("/v1/me").await.0, 200);
    assert_eq!(second.as_user("carol").get("/v1/me").await.0, 200);
    assert_eq!(first.as_user("carol").get("/v1/me").await.0, 200);
    let response = second
        .as_user("carol")
        .request(reqwest::Method::GET, "/v1/me")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        429,
        "the fourth request, on either instance"
    );
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        second.as_user("dave").get("/v1/me").await.0,
        200,
        "others are not limited"
    );
}

#[tokio::test]
async fn without_redis_an_instance_serves_alone_and_catches_up_when_it_is_back() {
    let Some(redis) = RedisProcess::start().await else {
        return;
    };
    let (first, second) = two_instances(&redis, &[]).await;
    let alice = first.as_user("alice");
    let workspace = alice.workspace("Outage").await;
    alice.invite(&workspace, "principal:bob", "viewer").await;
    let live = format!("/v1/workspaces/{workspace}/live");
    let ticket = new_ticket(&second, "bob").await;
    let mut on_second = connect(&second, &format!("{live}?ticket={ticket}"), None)
        .await
        .unwrap();
    next(&mut on_second).await.unwrap();

    let port = redis.stop().await;
    wait_for_hub(&first, "degraded").await;
    wait_for_hub(&second, "degraded").await;

    // The first instance keeps serving its own clients: tickets, sockets, activity.
    let ticket = new_ticket(&first, "alice").await;
    let mut on_first = connect(&first, &format!("{live}?ticket={ticket}"), None)
        .await
        .unwrap();
    next(&mut on_first).await.unwrap();
    alice.session(&workspace, "While Redis was away").await;
    let heard = next(&mut on_first).await.unwrap();
    assert!(
        heard["entry"]["summary"]
            .as_str()
            .unwrap()
            .contains("While Redis was away")
    );

    let _redis = RedisProcess::start_on(port).await.unwrap();
    wait_for_hub(&second, "shared").await;
    let caught_up = next(&mut on_second).await.unwrap();
    assert!(
        caught_up["entry"]["summary"]
            .as_str()
            .unwrap()
            .contains("While Redis was away"),
        "the other instance's socket hears what it missed once Redis is back: {caught_up}"
    );
}

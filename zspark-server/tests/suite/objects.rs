//! Artifacts in S3-compatible object storage, against moto's S3 server (`moto[server]`
//! from PyPI; `.ci/run` installs it, `ZSPARK_TEST_MOTO_SERVER` names its
//! `moto_server`): a file uploaded through one instance downloads through another, a
//! deleted one is gone from the bucket, an upload cut off half-way leaves neither a row
//! nor an object, and a bucket that cannot be read stops the start with the reason.

use std::process::Stdio;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{TestServer, eventually};

const BUCKET: &str = "zspark-artifacts";

/// A moto S3 server of this test, stopped when dropped.
struct Moto {
    endpoint: String,
    _child: tokio::process::Child,
}

impl Moto {
    async fn start() -> Option<Self> {
        let Some(binary) = std::env::var("ZSPARK_TEST_MOTO_SERVER")
            .ok()
            .filter(|path| std::path::Path::new(path).is_file())
        else {
            assert!(
                std::env::var("ZSPARK_REQUIRE_CLIENTS").as_deref() != Ok("1"),
                "ZSPARK_REQUIRE_CLIENTS=1 but ZSPARK_TEST_MOTO_SERVER names no moto_server"
            );
            eprintln!(
                "skipping: set ZSPARK_TEST_MOTO_SERVER to moto_server (pip install 'moto[server]')"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server runs");
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = zspark_bridge::http::client_builder().build().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        // moto takes no signature: the bucket is made with a plain PUT once it answers.
        loop {
            if let Ok(response) = http.put(format!("{endpoint}/{BUCKET}")).send().await
                && response.status().is_success()
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "moto_server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(Self {
            endpoint,
            _child: child,
        })
    }

    fn settings(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
    }

    /// The keys in the bucket (ListObjectsV2, read from its XML).
    async fn keys(&self) -> Vec<String> {
        let http = zspark_bridge::http::client_builder().build().unwrap();
        let listing = http
            .get(format!("{}/{BUCKET}?list-type=2", self.endpoint))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_string()))
            .collect()
    }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[tokio::test]
async fn a_file_uploaded_through_one_instance_downloads_through_the_other() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let url = format!("s3://{BUCKET}/team");
    let first = TestServer::start_with_object_store(&url, moto.settings()).await;
    let second = first.another_instance().await;
    let alice = first.as_user("alice");
    let workspace = alice.workspace("Objects").await;
    // Larger than one part of a multipart upload.
    let content: Vec<u8> = (0..20 * 1024 * 1024u32).map(|n| (n % 251) as u8).collect();
    let id = alice.upload(&workspace, "big.bin", &content).await;
    let small = alice.upload(&workspace, "notes.txt", b"short").await;
    let keys = moto.keys().await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.iter()
            .all(|key| key.starts_with(&format!("team/{workspace}/"))),
        "{keys:?}"
    );

    let response = second
        .as_user("alice")
        .request(
            reqwest::Method::GET,
            &format!("/v1/workspaces/{workspace}/artifacts/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-content-sha256"].to_str().unwrap(),
        sha256(&content)
    );
    let downloaded = response.bytes().await.unwrap();
    assert_eq!(downloaded.len(), content.len());
    assert_eq!(sha256(&downloaded), sha256(&content));

    let (status, _) = second
        .as_user("alice")
        .delete(&format!("/v1/workspaces/{workspace}/artifacts/{small}"))
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        moto.keys().await.len(),
        1,
        "the deleted file left the bucket"
    );
    let (status, _) = first
        .as_user("alice")
        .get(&format!("/v1/workspaces/{workspace}/artifacts/{small}"))
        .await;
    assert_eq!(status, 404);

    let (status, _) = second
        .as_user("alice")
        .delete(&format!("/v1/workspaces/{workspace}"))
        .await;
    assert_eq!(status, 204);
    assert!(
        moto.keys().await.is_empty(),
        "a deleted workspace takes its files"
    );
}

#[tokio::test]
async fn an_upload_cut_off_half_way_leaves_no_row_and_no_object() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let server =
        TestServer::start_with_object_store(&format!("s3://{BUCKET}"), moto.settings()).await;
    let workspace = server.as_user("alice").workspace("Cut").await;
    let address = server.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/workspaces/{workspace}/artifacts?name=half.bin HTTP/1.1\r\nhost: {address}\r\nx-domain-user: alice\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
        10 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![7; 1024 * 1024]).await.unwrap();
    stream.flush().await.unwrap();
    let tmp = server.data_dir.path().join("artifacts/tmp");
    let in_progress = || std::fs::read_dir(&tmp).unwrap().count();
    eventually("the upload is being received", || in_progress() == 1).await;
    drop(stream);
    eventually("the partial upload leaves tmp/", || in_progress() == 0).await;
    let (status, listed) = server
        .as_user("alice")
        .get(&format!("/v1/workspaces/{workspace}/artifacts"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    assert!(moto.keys().await.is_empty());
}

#[tokio::test]
async fn a_bucket_that_cannot_be_read_stops_the_start_with_the_reason() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    let data_dir = tempfile::tempdir().unwrap();
    let args = [
        "serve",
        "--dev",
        "--data-dir",
        data_dir.path().to_str().unwrap(),
        "--artifact-store",
        "s3://no-such-bucket/x",
    ];
    let mut config = zspark_server::ServerConfig::from_args(
        &<super::Cli as clap::Parser>::try_parse_from(args)
            .unwrap()
            .serve,
    )
    .unwrap();
    config.artifact_store_settings = moto.settings();
    let error = zspark_server::open(config)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.starts_with("--artifact-store: the bucket cannot be read"),
        "{error}"
    );
}

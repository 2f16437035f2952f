//! Artifacts: verified streaming uploads, safe downloads, limits and clean failures.

use bytes::Bytes;
use reqwest::Method;
use serde_json::Value;

use super::{TestServer, eventually, on_both_backends};
use zspark_server::Backend;

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn stored_files(server: &TestServer) -> usize {
    let root = server.data_dir.path().join("artifacts");
    std::fs::read_dir(&root)
        .map(|dirs| {
            dirs.flatten()
                .filter(|dir| dir.file_name() != "tmp")
                .map(|dir| {
                    std::fs::read_dir(dir.path())
                        .map(|files| files.count())
                        .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0)
}

fn partial_files(server: &TestServer) -> usize {
    std::fs::read_dir(server.data_dir.path().join("artifacts/tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

on_both_backends! {
    async fn upload_verify_download_and_delete(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let session = alice.session(&workspace, "S").await;
        let content = "Quarterly numbers: 42\n".repeat(1000);
        let request = alice
            .request(Method::POST, &format!("/v1/workspaces/{workspace}/artifacts"))
            .query(&[("name", "Résumé \"Q3\".csv"), ("session_id", session.as_str())])
            .header("content-type", "text/csv")
            .header("x-content-sha256", sha256(content.as_bytes()))
            .body(content.clone());
        let (status, artifact) = alice.send(request).await;
        assert_eq!(status, 201, "{artifact}");
        assert_eq!(artifact["size"], content.len());
        assert_eq!(artifact["sha256"], sha256(content.as_bytes()));
        assert_eq!(artifact["session_id"], session.as_str());
        let id = artifact["id"].as_str().unwrap();

        let response = alice.request(Method::GET, &format!("/v1/workspaces/{workspace}/artifacts/{id}")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/csv");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"R_sum_ _Q3_.csv\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22Q3%22.csv"
        );
        assert_eq!(response.text().await.unwrap(), content);

        let (_, list) = alice.get(&format!("/v1/workspaces/{workspace}/artifacts")).await;
        assert_eq!(list["items"][0]["name"], "Résumé \"Q3\".csv");
        assert_eq!(alice.delete(&format!("/v1/workspaces/{workspace}/artifacts/{id}")).await.0, 204);
        assert_eq!(alice.get(&format!("/v1/workspaces/{workspace}/artifacts/{id}")).await.0, 404);
        assert_eq!(stored_files(&server), 0);
    }

    async fn active_content_is_served_as_octet_stream(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        for (name, media_type) in [("page.html", "text/html"), ("logo.svg", "image/svg+xml")] {
            let request = alice
                .request(Method::POST, &format!("/v1/workspaces/{workspace}/artifacts"))
                .query(&[("name", name)])
                .header("content-type", media_type)
                .body("<script>alert(1)</script>");
            let (_, artifact) = alice.send(request).await;
            let id = artifact["id"].as_str().unwrap();
            let response = alice.request(Method::GET, &format!("/v1/workspaces/{workspace}/artifacts/{id}")).send().await.unwrap();
            assert_eq!(response.headers()["content-type"], "application/octet-stream", "{name}");
        }
    }

    async fn a_wrong_checksum_bad_names_and_unknown_sessions_store_nothing(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let path = format!("/v1/workspaces/{workspace}/artifacts");
        let wrong = alice
            .request(Method::POST, &path)
            .query(&[("name", "a.txt")])
            .header("x-content-sha256", sha256(b"something else"))
            .body("actual bytes");
        let (status, body) = alice.send(wrong).await;
        assert_eq!(status, 422);
        assert!(body["error"]["message"].as_str().unwrap().contains("not the"), "{body}");
        let malformed = alice.request(Method::POST, &path).query(&[("name", "a.txt")]).header("x-content-sha256", "zz").body("x");
        assert_eq!(alice.send(malformed).await.0, 400);
        for name in ["../etc/passwd", "dir/file.txt", "back\\slash", "bell\u{7}", ".", ""] {
            let request = alice.request(Method::POST, &path).query(&[("name", name)]).body("x");
            assert_eq!(alice.send(request).await.0, 422, "{name:?}");
        }
        let unknown_session = alice
            .request(Method::POST, &path)
            .query(&[("name", "a.txt"), ("session_id", &uuid::Uuid::new_v4().to_string())])
            .body("x");
        assert_eq!(alice.send(unknown_session).await.0, 404);
        let not_utf8 = server
            .raw()
            .post(format!("{}{path}?name=%FF%FE", server.base))
            .header("x-domain-user", "alice")
            .body("x");
        let response = not_utf8.send().await.unwrap();
        assert_eq!(response.status(), 400, "a name that is not UTF-8");
        assert_eq!((stored_files(&server), partial_files(&server)), (0, 0));
        let (_, list) = alice.get(&path).await;
        assert_eq!(list["items"], Value::Array(vec![]));
    }

    async fn a_client_that_stops_mid_upload_leaves_nothing(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from(vec![b'a'; 64 * 1024])),
            Err(std::io::Error::other("the client went away")),
        ];
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let request = alice
            .request(Method::POST, &format!("/v1/workspaces/{workspace}/artifacts"))
            .query(&[("name", "big.bin")])
            .body(body);
        // The broken body may surface as an error or an error response; either is fine.
        let _ = request.send().await;
        eventually("the partial upload is removed", || partial_files(&server) == 0).await;
        assert_eq!(stored_files(&server), 0);
        let (_, list) = alice.get(&format!("/v1/workspaces/{workspace}/artifacts")).await;
        assert_eq!(list["items"], Value::Array(vec![]));
    }

    async fn deleting_a_workspace_during_an_upload_leaves_no_file(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let (more, chunks) = tokio::sync::mpsc::channel::<Bytes>(4);
        let body = futures::stream::unfold(chunks, |mut chunks| async move {
            chunks.recv().await.map(|chunk| (Ok::<_, std::io::Error>(chunk), chunks))
        });
        let upload = alice
            .request(Method::POST, &format!("/v1/workspaces/{workspace}/artifacts"))
            .query(&[("name", "late.bin")])
            .body(reqwest::Body::wrap_stream(body));
        let uploading = tokio::spawn(async move {
            let response = upload.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_default();
            (status, body)
        });
        more.send(Bytes::from(vec![b'a'; 64 * 1024])).await.unwrap();
        eventually("the upload is being received", || partial_files(&server) == 1).await;

        assert_eq!(alice.delete(&format!("/v1/workspaces/{workspace}")).await.0, 204);
        more.send(Bytes::from(vec![b'b'; 1024])).await.unwrap();
        drop(more);
        let (status, body) = uploading.await.unwrap();
        assert_eq!(status, 404, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("deleted"), "{body}");
        assert_eq!((stored_files(&server), partial_files(&server)), (0, 0));
        assert!(
            !server.data_dir.path().join("artifacts").join(&workspace).exists(),
            "the workspace's folder is gone"
        );
    }
}

#[tokio::test]
async fn oversize_uploads_are_refused_while_streaming_on_sqlite() {
    oversize(Backend::Sqlite).await;
}

#[tokio::test]
async fn oversize_uploads_are_refused_while_streaming_on_postgres() {
    oversize(Backend::Postgres).await;
}

async fn oversize(backend: Backend) {
    let Some(server) = TestServer::start(backend, &["--max-artifact-mib", "1"]).await else {
        return;
    };
    let alice = server.as_user("alice");
    let workspace = alice.workspace("W").await;
    let path = format!("/v1/workspaces/{workspace}/artifacts");
    let declared = alice
        .request(Method::POST, &path)
        .query(&[("name", "big.bin")])
        .body(vec![0u8; 2 * 1024 * 1024]);
    let (status, body) = alice.send(declared).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1 MiB")
    );
    // Without a length the limit applies while streaming.
    let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 64 * 1024])));
    let streamed = alice
        .request(Method::POST, &path)
        .query(&[("name", "big.bin")])
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)));
    let status = match streamed.send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 413,
    };
    assert_eq!(status, 413);
    assert_eq!((stored_files(&server), partial_files(&server)), (0, 0));
}

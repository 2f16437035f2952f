//! Error injection: HTTP errors, raw bodies, cut, aborted and stalled streams, and an
//! exhausted script.

use std::time::Duration;

use codex_test_support::sse::parse_frames;
use codex_test_support::{Ending, Reply, ScriptedModelServer, Turn};
use futures::StreamExt;
use serde_json::{Value, json};

use super::{client, data_json, post, post_sse};

fn body() -> Value {
    json!({"model": "m", "stream": true, "input": []})
}

#[tokio::test]
async fn http_errors_carry_status_body_and_retry_after() {
    let server = ScriptedModelServer::start([
        Turn::rate_limited(7),
        Turn::http_error(503, "overloaded"),
        Turn::RawBody {
            status: 502,
            content_type: "text/html".into(),
            body: "<html><body>Bad gateway</body></html>".into(),
        },
    ])
    .unwrap();
    let url = format!("{}/responses", server.base_url());

    let limited = client().post(&url).json(&body()).send().await.unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");

    let (status, text) = post(&url, &body()).await;
    assert_eq!(status, 503);
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["error"]["message"], "overloaded");

    let html = client().post(&url).json(&body()).send().await.unwrap();
    assert_eq!(html.status().as_u16(), 502);
    assert_eq!(html.headers()["content-type"], "text/html");
    assert!(html.text().await.unwrap().contains("Bad gateway"));
}

#[tokio::test]
async fn cut_stream_ends_cleanly_without_completion() {
    let reply = Reply::new()
        .message("abcdefgh")
        .delta_chars(1)
        .ending(Ending::CutAfter { events: 5 });
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let frames = post_sse(&format!("{}/responses", server.base_url()), &body()).await;
    assert_eq!(frames.len(), 5);
    assert!(
        frames
            .iter()
            .all(|frame| data_json(frame)["type"] != "response.completed")
    );
}

#[tokio::test]
async fn aborted_stream_is_a_transport_error_for_the_client() {
    let reply = Reply::new()
        .message("abcdefgh")
        .delta_chars(1)
        .ending(Ending::AbortAfter { events: 3 });
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let response = client()
        .post(format!("{}/responses", server.base_url()))
        .json(&body())
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut received = String::new();
    let mut saw_error = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => received.push_str(&String::from_utf8_lossy(&bytes)),
            Err(_) => {
                saw_error = true;
                break;
            }
        }
    }
    assert!(saw_error, "the body must fail, not end cleanly");
    assert_eq!(parse_frames(&received).len(), 3);
}

#[tokio::test]
async fn stalled_stream_stays_open_and_silent() {
    let reply = Reply::new()
        .message("abc")
        .ending(Ending::StallAfter { events: 2 });
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let response = client()
        .post(format!("{}/responses", server.base_url()))
        .json(&body())
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut received = String::new();
    while parse_frames(&received).len() < 2 {
        let bytes = stream.next().await.unwrap().unwrap();
        received.push_str(&String::from_utf8_lossy(&bytes));
    }
    let next = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(
        next.is_err(),
        "no further bytes and no end of stream while stalled"
    );
}

#[tokio::test]
async fn event_delay_spaces_out_the_stream() {
    let reply = Reply::new()
        .message("ab")
        .delta_chars(1)
        .event_delay(Duration::from_millis(40));
    let server = ScriptedModelServer::start([reply.into()]).unwrap();
    let response = client()
        .post(format!("{}/responses", server.base_url()))
        .json(&body())
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap();
    assert!(first.is_some());
    let quick = tokio::time::timeout(Duration::from_millis(5), stream.next()).await;
    assert!(quick.is_err(), "the next event waits for the delay");
}

#[tokio::test]
async fn exhausted_script_answers_500_naming_the_request() {
    let server = ScriptedModelServer::start([Turn::text("only one")]).unwrap();
    let url = format!("{}/responses", server.base_url());
    assert_eq!(post(&url, &body()).await.0, 200);
    let (status, text) = post(&url, &body()).await;
    assert_eq!(status, 500);
    assert!(text.contains("no turn left for request #2"), "{text}");
}

#[tokio::test]
async fn repeat_turn_answers_every_request_after_the_script() {
    let server = ScriptedModelServer::options()
        .turns([Turn::text("first")])
        .repeat(Turn::text("again"))
        .start()
        .unwrap();
    let url = format!("{}/responses", server.base_url());
    let mut texts = Vec::new();
    for _ in 0..3 {
        let frames = post_sse(&url, &body()).await;
        let completed = data_json(frames.last().unwrap());
        texts.push(
            completed["response"]["output"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(texts, ["first", "again", "again"]);
}

#[tokio::test]
async fn raw_sse_frames_are_sent_verbatim() {
    let frames = vec![
        "data: {not json\n\n".to_string(),
        ": comment\n\n".to_string(),
    ];
    let server = ScriptedModelServer::start([Turn::RawSse { frames }]).unwrap();
    let (status, text) = post(&format!("{}/chat/completions", server.base_url()), &body()).await;
    assert_eq!(status, 200);
    assert_eq!(text, "data: {not json\n\n: comment\n\n");
}

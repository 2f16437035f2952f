//! Test modules and the small HTTP helpers they share.
mod chat_wire;
mod errors;
mod recording;
mod responses_wire;
mod tool_pairs;

use codex_test_support::sse::{SseFrame, parse_frames};
use serde_json::Value;

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// POSTs `body` as JSON to `url` and returns the status and the whole body text.
pub async fn post(url: &str, body: &Value) -> (u16, String) {
    let response = client().post(url).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// POSTs and parses the body as SSE frames.
pub async fn post_sse(url: &str, body: &Value) -> Vec<SseFrame> {
    let (status, text) = post(url, body).await;
    assert_eq!(status, 200, "body: {text}");
    parse_frames(&text)
}

pub fn data_json(frame: &SseFrame) -> Value {
    serde_json::from_str(&frame.data).unwrap()
}

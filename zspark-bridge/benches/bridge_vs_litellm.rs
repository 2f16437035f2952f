//! Benchmark: the zspark bridge against LiteLLM's proxy doing the same translation
//! (a Responses request served by a Chat Completions upstream), in one run.
//!
//! Every target is a separate process: the scripted chat upstream, `zspark bridge`,
//! and `litellm` (optional). This program is the client. For each target it measures
//! one stream at a time (time per stream, per upstream chunk, to first byte) and
//! concurrent streams (throughput, failures, and the proxy's peak resident memory,
//! sampled from /proc). "Direct" is the upstream itself, the baseline the added
//! latency is computed against.
//!
//! Run:
//!   cargo bench -p zspark-bridge --bench bridge_vs_litellm -- \
//!     --zspark target/release/zspark --server target/release/scripted-model-server \
//!     [--litellm PATH/TO/litellm] [--chunks 200] [--sequential 50] [--concurrency 10,100,1000]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

struct Options {
    zspark: String,
    server: String,
    litellm: Option<String>,
    chunks: usize,
    sequential: usize,
    concurrency: Vec<usize>,
}

fn options() -> Result<Options, String> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let value = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    Ok(Options {
        zspark: value("--zspark").ok_or("--zspark PATH is required")?,
        server: value("--server").ok_or("--server PATH is required")?,
        litellm: value("--litellm"),
        chunks: value("--chunks")
            .and_then(|v| v.parse().ok())
            .unwrap_or(200),
        sequential: value("--sequential")
            .and_then(|v| v.parse().ok())
            .unwrap_or(50),
        concurrency: value("--concurrency")
            .unwrap_or_else(|| "10,100,1000".to_string())
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect(),
    })
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

async fn wait_until_up(url: &str, client: &reqwest::Client) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("{url} did not come up"))
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One target the client sends streams to.
struct Target {
    name: &'static str,
    url: String,
    body: Value,
    pid: Option<u32>,
    bearer: Option<&'static str>,
}

/// LiteLLM's proxy refuses to start without a master key, and wants it from clients.
const LITELLM_MASTER_KEY: &str = "sk-zspark-benchmark-master-key-0123456789";

struct StreamResult {
    total: Duration,
    first_byte: Duration,
    frames: usize,
}

async fn one_stream(client: &reqwest::Client, target: &Target) -> Result<StreamResult, String> {
    let started = Instant::now();
    let mut request = client.post(&target.url).json(&target.body);
    if let Some(token) = target.bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("status {}", response.status()));
    }
    let mut body = response.bytes_stream();
    let mut first_byte = None;
    let mut text = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        first_byte.get_or_insert_with(|| started.elapsed());
        text.extend_from_slice(&chunk);
    }
    let text = String::from_utf8_lossy(&text);
    let complete = text.contains("response.completed") || text.contains("[DONE]");
    if !complete {
        return Err("the stream did not complete".to_string());
    }
    Ok(StreamResult {
        total: started.elapsed(),
        first_byte: first_byte.unwrap_or_default(),
        frames: text.matches("data:").count(),
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

async fn measure(
    client: &reqwest::Client,
    target: &Target,
    options: &Options,
) -> Result<Value, String> {
    for _ in 0..5 {
        one_stream(client, target).await?;
    }
    let mut totals = Vec::new();
    let mut first_bytes = Vec::new();
    let mut frames = 0;
    for _ in 0..options.sequential {
        let result = one_stream(client, target).await?;
        totals.push(result.total.as_secs_f64() * 1000.0);
        first_bytes.push(result.first_byte.as_secs_f64() * 1000.0);
        frames = result.frames;
    }
    let idle_rss = target.pid.and_then(peak_rss_kib);
    let mut concurrent = BTreeMap::new();
    for &streams in &options.concurrency {
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = target.pid.map(|pid| {
            let (peak, sampling) = (peak.clone(), sampling.clone());
            std::thread::spawn(move || {
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(rss) = peak_rss_kib(pid) {
                        peak.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        });
        let started = Instant::now();
        let results =
            futures::future::join_all((0..streams).map(|_| one_stream(client, target))).await;
        let wall = started.elapsed().as_secs_f64();
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        if let Some(sampler) = sampler {
            let _ = sampler.join();
        }
        let ok = results.iter().filter(|r| r.is_ok()).count();
        concurrent.insert(
            streams.to_string(),
            json!({
                "wall_s": wall,
                "completed": ok,
                "failed": streams - ok,
                "upstream_chunks_per_s": (ok * options.chunks) as f64 / wall,
                "peak_rss_mib": target.pid.map(|_| peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0),
            }),
        );
    }
    let stream_ms = median(totals);
    Ok(json!({
        "stream_ms_median": stream_ms,
        "first_byte_ms_median": median(first_bytes),
        "per_upstream_chunk_us": stream_ms * 1000.0 / options.chunks as f64,
        "frames_per_stream": frames,
        "idle_rss_mib": idle_rss.map(|kib| kib as f64 / 1024.0),
        "concurrent": concurrent,
    }))
}

async fn run(options: Options) -> Result<Value, String> {
    let client = zspark_bridge::http::client_builder()
        .pool_max_idle_per_host(2000)
        .build()
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let text: String = (0..options.chunks)
        .map(|n| format!("w{:03}", n % 1000))
        .collect();
    let script = json!([{"kind": "reply", "items": [{"type": "message", "text": text}], "delta_chars": 4,
        "usage": {"input_tokens": 100, "output_tokens": options.chunks}}]);
    let script_path = dir.path().join("script.json");
    std::fs::write(&script_path, script.to_string()).map_err(|e| e.to_string())?;

    let mut upstream = Command::new(&options.server)
        .arg(&script_path)
        .arg("--repeat-last")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", options.server))?;
    let mut line = String::new();
    BufReader::new(upstream.stdout.take().ok_or("no stdout")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let upstream_url = line.trim().to_string();
    let upstream_pid = upstream.id();
    let _upstream = Process(upstream);

    let zspark_port = free_port()?;
    let zspark = Process(
        Command::new(&options.zspark)
            .args([
                "bridge",
                "--listen",
                &format!("127.0.0.1:{zspark_port}"),
                "--upstream",
                &upstream_url,
                "--profile",
                "deepseek",
            ])
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start zspark: {e}"))?,
    );
    wait_until_up(
        &format!("http://127.0.0.1:{zspark_port}/v1/models"),
        &client,
    )
    .await?;

    let responses_body = json!({"model": "bench-model", "stream": true, "input": "say the words"});
    let mut targets = vec![
        Target {
            name: "direct upstream (chat)",
            url: format!("{upstream_url}/chat/completions"),
            body: json!({"model": "bench-model", "stream": true, "messages": [{"role": "user", "content": "say the words"}]}),
            pid: Some(upstream_pid),
            bearer: None,
        },
        Target {
            name: "zspark bridge",
            url: format!("http://127.0.0.1:{zspark_port}/v1/responses"),
            body: responses_body.clone(),
            pid: Some(zspark.0.id()),
            bearer: None,
        },
    ];
    let mut _litellm = None;
    if let Some(litellm) = &options.litellm {
        let port = free_port()?;
        let config = dir.path().join("litellm.yaml");
        std::fs::write(
            &config,
            format!(
                "model_list:\n  - model_name: bench-model\n    litellm_params:\n      model: deepseek/bench-model\n      api_base: {upstream_url}\n      api_key: sk-bench\nlitellm_settings:\n  drop_params: true\n  turn_off_message_logging: true\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        let child = Command::new(litellm)
            .args([
                "--config",
                &config.display().to_string(),
                "--port",
                &port.to_string(),
                "--host",
                "127.0.0.1",
            ])
            .env("LITELLM_LOG", "ERROR")
            .env("LITELLM_MASTER_KEY", LITELLM_MASTER_KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start litellm: {e}"))?;
        let pid = child.id();
        _litellm = Some(Process(child));
        wait_until_up(
            &format!("http://127.0.0.1:{port}/health/liveliness"),
            &client,
        )
        .await?;
        targets.push(Target {
            name: "LiteLLM proxy",
            url: format!("http://127.0.0.1:{port}/v1/responses"),
            body: responses_body,
            pid: Some(pid),
            bearer: Some(LITELLM_MASTER_KEY),
        });
    }

    let mut results = serde_json::Map::new();
    for target in &targets {
        let measured = measure(&client, target, &options)
            .await
            .map_err(|e| format!("{}: {e}", target.name))?;
        results.insert(target.name.to_string(), measured);
    }
    Ok(
        json!({"chunks_per_stream": options.chunks, "sequential_streams": options.sequential, "targets": results}),
    )
}

#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark reports on the terminal"
)]
fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("benchmark failed: {message}");
            ExitCode::FAILURE
        }
    }
}

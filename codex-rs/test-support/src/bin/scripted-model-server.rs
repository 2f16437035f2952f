//! Runs the scripted model server as a process, for benchmarks and for driving other
//! programs (the real Codex CLI) in tests.
//!
//! Usage: `scripted-model-server SCRIPT.json [--repeat-last] [--log REQUESTS.jsonl]`
//! The script is a JSON array of turns. The server prints its base URL on the first
//! line of stdout and runs until stdin closes. With `--log`, each request is written as
//! a JSON line when the server stops.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use codex_test_support::{ScriptedModelServer, Turn};

#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(script_path) = args.first() else {
        eprintln!(
            "usage: scripted-model-server SCRIPT.json [--repeat-last] [--log REQUESTS.jsonl]"
        );
        return ExitCode::from(2);
    };
    let repeat_last = args.iter().any(|arg| arg == "--repeat-last");
    let log_path = args
        .iter()
        .position(|arg| arg == "--log")
        .and_then(|index| args.get(index + 1));
    let turns: Vec<Turn> = match std::fs::read_to_string(script_path)
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|error| error.to_string()))
    {
        Ok(turns) => turns,
        Err(error) => {
            eprintln!("cannot read script {script_path}: {error}");
            return ExitCode::from(2);
        }
    };
    let mut options = ScriptedModelServer::options().turns(turns.clone());
    if repeat_last && let Some(last) = turns.last() {
        options = options.repeat(last.clone());
    }
    let server = match options.start() {
        Ok(server) => server,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", server.base_url());
    let _ = std::io::stdout().flush();
    for _ in std::io::stdin().lock().lines() {}
    if let Some(path) = log_path {
        let lines: Vec<String> = server
            .requests()
            .iter()
            .map(|request| {
                serde_json::json!({
                    "method": request.method, "path": request.path, "query": request.query,
                    "headers": request.headers, "body": request.body,
                })
                .to_string()
            })
            .collect();
        if let Err(error) = std::fs::write(path, lines.join("\n") + "\n") {
            eprintln!("cannot write {path}: {error}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

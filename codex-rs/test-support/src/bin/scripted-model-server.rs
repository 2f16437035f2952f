//! Runs the scripted model server as a process, for benchmarks and for driving other
//! programs (the real Codex CLI) in tests.
//!
//! Usage: `scripted-model-server SCRIPT.json [--repeat-last] [--log REQUESTS.jsonl]
//! [--model MODEL=SCRIPT.json ...]`
//! The script is a JSON array of turns; `--model` gives requests for one model a
//! script of their own (a sub-agent's, say). The server prints its base URL on the first
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
            "usage: scripted-model-server SCRIPT.json [--repeat-last] [--log REQUESTS.jsonl] [--model MODEL=SCRIPT.json ...]"
        );
        return ExitCode::from(2);
    };
    let repeat_last = args.iter().any(|arg| arg == "--repeat-last");
    let log_path = args
        .iter()
        .position(|arg| arg == "--log")
        .and_then(|index| args.get(index + 1));
    let turns = match read_script(script_path) {
        Ok(turns) => turns,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let mut options = ScriptedModelServer::options().turns(turns.clone());
    for (index, arg) in args.iter().enumerate() {
        if arg != "--model" {
            continue;
        }
        let Some((model, path)) = args.get(index + 1).and_then(|value| value.split_once('='))
        else {
            eprintln!("--model takes MODEL=SCRIPT.json");
            return ExitCode::from(2);
        };
        match read_script(path) {
            Ok(model_turns) => options = options.model_turns(model, model_turns),
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        }
    }
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

fn read_script(path: &str) -> Result<Vec<Turn>, String> {
    std::fs::read_to_string(path)
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|error| error.to_string()))
        .map_err(|error| format!("cannot read script {path}: {error}"))
}

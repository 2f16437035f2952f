#!/usr/bin/env python3
"""Benchmark: time from process start to the first MCP tool result, `zspark exec` vs
the real `codex exec`, same config, same run.

Each agent gets the same `config.toml` with one stdio MCP server (a small standard-
library Python server written out by this script) and the same two-request script on
the scripted model server: the model calls the server's `ping` tool (as a namespaced
function call, `mcp__bench` / `ping`), then answers. The MCP server writes the moment it
answers `tools/call` to a file, so the measured time runs from spawning the agent to the
server handing back the first tool result: agent start-up, config loading, starting the
MCP server (spawn, `initialize`, `tools/list`), the first model request and the call.
Total wall time to exit is reported too. Runs alternate between the agents; medians.

Usage:
  mcp_first_result.py --zspark PATH --codex PATH --server PATH [--runs N] [--out FILE]

PATH for codex is the native binary from the npm package (see exec_vs_codex.py).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "gpt-5.5"
SCRIPT = [
    {"kind": "reply", "items": [
        {"type": "function_call", "call_id": "c1", "namespace": "mcp__bench", "name": "ping",
         "arguments": json.dumps({"text": "hello"})},
    ], "usage": {"input_tokens": 900, "output_tokens": 20}},
    {"kind": "reply", "items": [
        {"type": "message", "text": "The server answered."},
    ], "usage": {"input_tokens": 1000, "output_tokens": 10}},
]

# The MCP server both agents start: newline-delimited JSON-RPC on stdio; `ping` answers
# with its text and writes the time (time.time()) it answered to $BENCH_MARK_FILE.
MCP_SERVER = r'''
import json, os, sys, time
def send(message):
    sys.stdout.write(json.dumps(message) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    request = json.loads(line)
    method = request.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": request["id"], "result": {
            "protocolVersion": request["params"].get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}}, "serverInfo": {"name": "bench", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": request["id"], "result": {"tools": [{
            "name": "ping", "description": "Answers with the text",
            "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
            "annotations": {"readOnlyHint": True}}]}})
    elif method == "tools/call":
        answered = time.time()
        send({"jsonrpc": "2.0", "id": request["id"], "result": {
            "content": [{"type": "text", "text": request["params"]["arguments"]["text"]}]}})
        with open(os.environ["BENCH_MARK_FILE"], "a") as mark:
            mark.write(f"{answered}\n")
    elif "id" in request:
        send({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "no such method"}})
'''


def start_server(server: str, script: Path):
    process = subprocess.Popen([server, str(script)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit(f"the scripted model server did not start: {url!r}")
    return process, url


def write_config(home: Path, url: str, mcp_script: Path, mark: Path):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "{MODEL}"\nmodel_provider = "mock"\n'
        f'[model_providers.mock]\nname = "Mock"\nbase_url = "{url}"\nenv_key = "MOCK_KEY"\n'
        'request_max_retries = 0\nstream_max_retries = 0\n\n'
        f'[mcp_servers.bench]\ncommand = "python3"\nargs = ["{mcp_script}"]\n'
        f'env = {{ BENCH_MARK_FILE = "{mark}" }}\n')


def command(agent: str, binary: str) -> list:
    common = ["exec", "--sandbox", "danger-full-access"]
    if agent == "codex":
        return [binary, *common, "--skip-git-repo-check", "-c", 'approval_policy="never"', "ping the server"]
    return [binary, *common, "--approval", "never", "ping the server"]


def measure(agent: str, binary: str, server: str, script: Path, home: Path, root: Path, mcp_script: Path) -> dict:
    process, url = start_server(server, script)
    mark = root / f"{agent}.mark"
    mark.unlink(missing_ok=True)
    try:
        write_config(home, url, mcp_script, mark)
        work = Path(tempfile.mkdtemp(dir=root))
        subprocess.run(["git", "init", "-q", str(work)], check=True)
        env = {"PATH": os.environ["PATH"], "HOME": str(home.parent), "CODEX_HOME": str(home),
               "MOCK_KEY": "sk-bench", "SHELL": "/bin/bash", "TERM": "dumb"}
        err_path = root / f"{agent}.err"
        with open(err_path, "wb") as err:
            spawned = time.time()
            started = time.perf_counter()
            child = subprocess.run(command(agent, binary), cwd=work, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=err)
            wall = time.perf_counter() - started
        answered = [float(line) for line in mark.read_text().split()] if mark.exists() else []
        if child.returncode != 0 or len(answered) != 1:
            raise SystemExit(f"{agent} run failed (exit {child.returncode}, tool calls answered: "
                             f"{len(answered)}):\n{err_path.read_text(errors='replace')[-2000:]}")
        return {"first_result_s": answered[0] - spawned, "wall_s": wall}
    finally:
        process.stdin.close()
        process.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zspark", required=True)
    parser.add_argument("--codex", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out")
    args = parser.parse_args()
    agents = {"zspark": args.zspark, "codex": args.codex}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        script = root / "script.json"
        script.write_text(json.dumps(SCRIPT))
        mcp_script = root / "bench_mcp_server.py"
        mcp_script.write_text(MCP_SERVER)
        homes = {agent: root / agent / ".codex" for agent in agents}
        for agent, binary in agents.items():  # warm-up: first-run set-up is not measured
            measure(agent, binary, args.server, script, homes[agent], root, mcp_script)
        results = {agent: [] for agent in agents}
        for run in range(args.runs):
            order = list(agents) if run % 2 == 0 else list(reversed(list(agents)))
            for agent in order:
                results[agent].append(measure(agent, agents[agent], args.server, script, homes[agent], root, mcp_script))
    summary = {agent: {key: {"median": statistics.median(r[key] for r in runs),
                             "min": min(r[key] for r in runs), "max": max(r[key] for r in runs)}
                       for key in ("first_result_s", "wall_s")}
               for agent, runs in results.items()}
    print(f"{'agent':8} {'first MCP result s (median, min-max)':>38} {'wall s (median)':>16}")
    for agent, stats in summary.items():
        first = stats["first_result_s"]
        print(f"{agent:8} {first['median']:14.3f} ({first['min']:.3f}-{first['max']:.3f}){'':10} "
              f"{stats['wall_s']['median']:16.3f}")
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": args.runs, "summary": summary, "raw": results}, indent=2))


if __name__ == "__main__":
    sys.exit(main())

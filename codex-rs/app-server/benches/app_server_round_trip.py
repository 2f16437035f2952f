#!/usr/bin/env python3
"""Benchmark: a turn's round trip over the app-server protocol, zspark against Codex.

Each agent's app-server runs as one long-lived process on stdio (as an IDE extension
runs it), against the scripted model server. After `initialize` and `thread/start`,
the client runs turns one after another and times each from writing `turn/start` to
reading its `turn/completed`, plus the time to `turn/start`'s answer. Two kinds of
turn, alternating: `text` (one model request answered with a message) and `tool` (a
command, then a message: two model requests and an `exec_command` run). The two
agents run one after the other for each round, so machine noise hits both alike;
medians and 90th percentiles are reported, with the app-server process's CPU time and
peak memory after the last round.

Usage:
  app_server_round_trip.py --zspark PATH --codex PATH --server PATH [--turns N] [--out FILE]

PATH for codex is the native binary shipped in the npm package, so the Node launcher's
start-up is not counted against it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import queue
from pathlib import Path

MODEL = "gpt-5.5"


def turn_script(kind: str, n: int) -> list:
    if kind == "text":
        return [{"kind": "reply", "items": [{"type": "message", "text": f"Answer number {n}."}],
                 "usage": {"input_tokens": 500, "output_tokens": 20}}]
    return [
        {"kind": "reply", "items": [{"type": "function_call", "call_id": f"c{n}", "name": "exec_command",
                                      "arguments": json.dumps({"cmd": f"echo round {n}"})}],
         "usage": {"input_tokens": 500, "output_tokens": 20}},
        {"kind": "reply", "items": [{"type": "message", "text": f"Ran round {n}."}],
         "usage": {"input_tokens": 600, "output_tokens": 20}},
    ]


class AppServer:
    def __init__(self, argv: list, home: Path, work: Path):
        env = dict(os.environ, CODEX_HOME=str(home), HOME=str(home), MOCK_KEY="sk-bench")
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, env=env, cwd=work)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 1

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def send(self, message: dict):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def until(self, done):
        while True:
            message = self.lines.get(timeout=60)
            if message is None:
                raise SystemExit("the app-server closed its output")
            if done(message):
                return message

    def request(self, method: str, params: dict) -> dict:
        request_id = self.next_id
        self.next_id += 1
        self.send({"id": request_id, "method": method, "params": params})
        return self.until(lambda m: m.get("id") == request_id and "method" not in m)

    def close(self):
        self.process.stdin.close()
        _, status, usage = os.wait4(self.process.pid, 0)
        return usage


def run_agent(name: str, argv: list, server: str, turns: list, root: Path) -> dict:
    home, work = root / name / "home", root / name / "work"
    home.mkdir(parents=True)
    work.mkdir(parents=True)
    script = root / name / "script.json"
    requests = []
    for n, kind in enumerate(turns):
        requests += turn_script(kind, n)
    script.write_text(json.dumps(requests))
    model = subprocess.Popen([server, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = model.stdout.readline().strip()
    (home / "config.toml").write_text(
        f'model = "{MODEL}"\nmodel_provider = "mock"\napproval_policy = "never"\n'
        f'sandbox_mode = "danger-full-access"\n'
        f'[model_providers.mock]\nname = "Mock"\nbase_url = "{url}"\nenv_key = "MOCK_KEY"\n'
        'request_max_retries = 0\nstream_max_retries = 0\n')
    agent = AppServer(argv, home, work)
    agent.request("initialize", {"clientInfo": {"name": "bench", "version": "0"}})
    agent.send({"method": "initialized"})
    thread = agent.request("thread/start", {"cwd": str(work)})["result"]["thread"]["id"]
    times = {"text": [], "tool": [], "answer": []}
    for n, kind in enumerate(turns):
        started = time.perf_counter()
        answer = agent.request("turn/start", {"threadId": thread, "input": [
            {"type": "text", "text": f"round {n}", "text_elements": []}]})
        answered = time.perf_counter()
        if "error" in answer:
            raise SystemExit(f"{name}: turn/start failed: {answer}")
        completed = agent.until(lambda m: m.get("method") == "turn/completed")
        done = time.perf_counter()
        if completed["params"]["turn"]["status"] != "completed":
            raise SystemExit(f"{name}: a turn did not complete: {completed}")
        times[kind].append(done - started)
        times["answer"].append(answered - started)
    usage = agent.close()
    model.stdin.close()
    model.wait()
    times["cpu"] = usage.ru_utime + usage.ru_stime
    times["rss_mib"] = usage.ru_maxrss / 1024
    return times


def summary(values: list) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{statistics.median(values) * 1000:.1f} ms (p90 {p90 * 1000:.1f} ms)"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zspark", required=True)
    parser.add_argument("--codex", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    turns = ["text" if n % 2 == 0 else "tool" for n in range(args.turns)]
    results = {"zspark": [], "codex": []}
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(args.rounds):
            for name, argv in (("zspark", [args.zspark, "app-server"]), ("codex", [args.codex, "app-server"])):
                root = Path(scratch) / f"round{round_number}"
                results[name].append(run_agent(name, argv, args.server, turns, root))
    report = {}
    for name, rounds in results.items():
        merged = {key: sum((r[key] for r in rounds), []) for key in ("text", "tool", "answer")}
        report[name] = {
            "text turn": summary(merged["text"]),
            "tool turn": summary(merged["tool"]),
            "turn/start answer": summary(merged["answer"]),
            "cpu s (per process)": f"{statistics.median(r['cpu'] for r in rounds):.2f}",
            "peak RSS MiB": f"{statistics.median(r['rss_mib'] for r in rounds):.1f}",
        }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

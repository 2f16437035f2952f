#!/usr/bin/env python3
"""Benchmark: continuing a teammate's shared session of 5,000 items, to the first model
request, against resuming the same conversation from a local file (zspark and Codex).

Set-up (not measured): `zspark serve --dev` on SQLite, a workspace where alice owns and
bob edits, and a session of about 5,000 rollout records (session_meta, then turns of a
user message, a command call and its output, and an answer) that alice shares with
`zspark share`.

Each run measures, from spawning the agent:
  * the time until the model endpoint receives the first request (the endpoint is a
    small Responses server in this script, so both clocks are the same);
  * the wall time to exit and the peak resident memory of the agent process (wait4).

The three sides:
  * zspark-shared: bob's `zspark exec resume <shared URL> "next"` (reads every item from
    the server, writes the local copy, resumes, and after the turn appends it);
  * zspark-local: `zspark exec resume <id> "next"` on a local copy of the same rollout;
  * codex-local: `codex exec resume <id> "next"` on the same local copy.
The local copies are put back before each run; runs alternate between the sides.

Usage:
  continue_shared.py --zspark PATH --codex PATH [--runs N] [--items N] [--out FILE]
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SESSION_ID = "01a23856-c023-7250-8dd1-64b56cc4de00"
RECORDS_PER_TURN = 9


class ModelEndpoint:
    """A Responses endpoint answering every request with one short message, noting
    when the first request after `arm()` arrived."""

    def __init__(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                if endpoint.first_request is None:
                    endpoint.first_request = time.perf_counter()
                events = [
                    {"type": "response.created", "response": {"id": "resp_1"}},
                    {"type": "response.output_item.done", "output_index": 0, "item": {
                        "type": "message", "role": "assistant", "id": "msg_1",
                        "content": [{"type": "output_text", "text": "noted"}]}},
                    {"type": "response.completed", "response": {
                        "id": "resp_1", "usage": {"input_tokens": 10, "output_tokens": 1, "total_tokens": 11}}},
                ]
                body = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.first_request = None
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def arm(self):
        self.first_request = None


def rollout_records(turns: int, cwd: str) -> list:
    stamp = "2026-12-01T10:00:00.000Z"
    records = [{"timestamp": stamp, "type": "session_meta", "payload": {
        "id": SESSION_ID, "session_id": SESSION_ID, "timestamp": stamp, "cwd": cwd,
        "originator": "codex_exec", "cli_version": "0.169.0", "source": "exec",
        "model_provider": "mock"}}]
    for turn in range(turns):
        turn_id = f"turn-{turn:05d}"
        question = f"question {turn}: what does module {turn % 40} do with its inputs?"
        output = "\n".join(f"line {n} of the listing for module {turn % 40}" for n in range(6))
        answer = f"Module {turn % 40} parses its inputs and writes a summary (turn {turn})."
        call = f"call_{turn}"
        for record_type, payload in [
            ("turn_context", {"turn_id": turn_id, "cwd": cwd, "approval_policy": "never",
                              "sandbox_policy": {"type": "danger-full-access"}, "model": "gpt-5.5"}),
            ("event_msg", {"type": "task_started", "turn_id": turn_id}),
            ("response_item", {"type": "message", "role": "user",
                               "content": [{"type": "input_text", "text": question}]}),
            ("event_msg", {"type": "user_message", "message": question, "images": []}),
            ("response_item", {"type": "function_call", "name": "exec_command", "call_id": call,
                               "arguments": json.dumps({"cmd": f"ls module_{turn % 40}"})}),
            ("response_item", {"type": "function_call_output", "call_id": call, "output": output}),
            ("response_item", {"type": "message", "role": "assistant",
                               "content": [{"type": "output_text", "text": answer}]}),
            ("event_msg", {"type": "agent_message", "message": answer}),
            ("event_msg", {"type": "task_complete", "turn_id": turn_id, "last_agent_message": answer}),
        ]:
            records.append({"timestamp": stamp, "type": record_type, "payload": payload})
    return records


def write_config(home: Path, url: str):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-5.5"\nmodel_provider = "mock"\napproval_policy = "never"\n'
        'sandbox_mode = "danger-full-access"\n'
        f'[model_providers.mock]\nname = "Mock"\nbase_url = "{url}"\nenv_key = "MOCK_KEY"\n'
        'request_max_retries = 0\nstream_max_retries = 0\n')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api(base: str, path: str, user: str, body=None):
    request = urllib.request.Request(
        f"{base}{path}", method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"x-domain-user": user, "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def measure(side: str, argv: list, env: dict, cwd: Path, endpoint: ModelEndpoint, root: Path) -> dict:
    endpoint.arm()
    err_path = root / f"{side}.err"
    with open(os.devnull, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or endpoint.first_request is None:
        raise SystemExit(f"{side} failed (exit {code}):\n{err_path.read_text(errors='replace')[-2000:]}")
    return {"first_request_s": endpoint.first_request - started, "wall_s": wall,
            "peak_rss_mib": usage.ru_maxrss / 1024}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zspark", required=True)
    parser.add_argument("--codex", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--out")
    args = parser.parse_args()
    endpoint = ModelEndpoint()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = free_port()
        server = subprocess.Popen([args.zspark, "serve", "--dev", "--port", str(port), "--data-dir",
                                   str(root / "server"), "--rate-limit-max", "1000000"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            workspace = api(base, "/v1/workspaces", "alice", {"name": "Bench"})["id"]
            api(base, f"/v1/workspaces/{workspace}/members", "alice", {"principal": "principal:bob", "role": "editor"})

            work = root / "work"
            work.mkdir()
            turns = max(1, (args.items - 1) // RECORDS_PER_TURN)
            records = rollout_records(turns, str(work))
            original = root / "original.jsonl"
            original.write_text("".join(json.dumps(r) + "\n" for r in records))
            homes = {name: root / name / ".codex" for name in ("alice", "bob", "zspark-local", "codex-local")}
            for home in homes.values():
                write_config(home, endpoint.url)
            day = Path("sessions/2026/12/01")
            local_name = f"rollout-2026-12-01T10-00-00-{SESSION_ID}.jsonl"
            for name in ("alice", "zspark-local", "codex-local"):
                (homes[name] / day).mkdir(parents=True)
                shutil.copy(original, homes[name] / day / local_name)
            base_env = {"PATH": os.environ["PATH"], "MOCK_KEY": "sk-bench", "SHELL": "/bin/bash", "TERM": "dumb"}
            env = {name: {**base_env, "HOME": str(home.parent), "CODEX_HOME": str(home)} for name, home in homes.items()}
            shared = subprocess.run([args.zspark, "share", SESSION_ID, "--server", base, "--workspace", workspace],
                                    env={**env["alice"], "ZSPARK_DEV_USER": "alice"}, capture_output=True, text=True)
            if shared.returncode != 0:
                raise SystemExit(f"zspark share failed: {shared.stderr}")
            url = shared.stdout.strip()
            item_count = api(base, url[len(base):], "alice")["item_count"]

            sides = {
                "zspark-shared": ([args.zspark, "exec", "resume", url, "next"], {**env["bob"], "ZSPARK_DEV_USER": "bob"}, "bob"),
                "zspark-local": ([args.zspark, "exec", "resume", SESSION_ID, "next"], env["zspark-local"], "zspark-local"),
                "codex-local": ([args.codex, "exec", "--skip-git-repo-check", "resume", SESSION_ID, "next"], env["codex-local"], "codex-local"),
            }

            def run(side):
                argv, side_env, home_name = sides[side]
                if home_name != "bob":
                    shutil.copy(original, homes[home_name] / day / local_name)
                return measure(side, argv, side_env, work, endpoint, root)

            for side in sides:  # warm-up: first-run set-up is not measured
                run(side)
            results = {side: [] for side in sides}
            for number in range(args.runs):
                order = list(sides) if number % 2 == 0 else list(reversed(list(sides)))
                for side in order:
                    results[side].append(run(side))
        finally:
            server.terminate()
            server.wait(timeout=10)
    summary = {side: {key: {"median": statistics.median(r[key] for r in runs),
                            "min": min(r[key] for r in runs), "max": max(r[key] for r in runs)}
                      for key in ("first_request_s", "wall_s", "peak_rss_mib")}
               for side, runs in results.items()}
    print(f"shared session: {item_count} items at the start")
    print(f"{'side':14} {'first request s':>16} {'wall s':>8} {'peak RSS MiB':>13}  (medians)")
    for side, stats in summary.items():
        print(f"{side:14} {stats['first_request_s']['median']:16.3f} {stats['wall_s']['median']:8.3f} "
              f"{stats['peak_rss_mib']['median']:13.1f}")
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": args.runs, "items": item_count, "summary": summary,
                                              "raw": results}, indent=2))


if __name__ == "__main__":
    sys.exit(main())

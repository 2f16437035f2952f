#!/usr/bin/env python3
"""Benchmark: `zspark exec` against the real `codex exec` on the same scripted task.

Both agents run the same four-request task against the scripted model server (one
fresh server process per run): a reasoning step and a command, two parallel commands,
a patch that adds a file, and a final answer. Each run is measured from the outside:
wall time, CPU time (user + system, the agent and the commands it waited for) and
peak resident memory, from wait4's rusage. Runs alternate between the two agents so
machine noise hits both alike; medians are reported.

Usage:
  exec_vs_codex.py --zspark PATH --codex PATH --server PATH [--runs N] [--out FILE]

PATH for codex is the native binary shipped in the npm package
(node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex), so
the Node launcher's start-up is not counted against it.
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
PATCH = "*** Begin Patch\n*** Add File: notes/summary.txt\n+three lines\n+of notes\n+written by the agent\n*** End Patch"
SCRIPT = [
    {"kind": "reply", "items": [
        {"type": "reasoning", "summary": "Look at the files first."},
        {"type": "function_call", "call_id": "c1", "name": "exec_command",
         "arguments": json.dumps({"cmd": "ls -la && wc -l data.txt"})},
    ], "usage": {"input_tokens": 900, "output_tokens": 40}},
    {"kind": "reply", "items": [
        {"type": "function_call", "call_id": "c2", "name": "exec_command",
         "arguments": json.dumps({"cmd": "grep -c line data.txt"})},
        {"type": "function_call", "call_id": "c3", "name": "exec_command",
         "arguments": json.dumps({"cmd": "head -n 3 data.txt"})},
    ], "usage": {"input_tokens": 1100, "output_tokens": 60}},
    {"kind": "reply", "items": [
        {"type": "custom_tool_call", "call_id": "c4", "name": "apply_patch", "input": PATCH},
    ], "usage": {"input_tokens": 1300, "output_tokens": 80}},
    {"kind": "reply", "items": [
        {"type": "message", "text": "The file has 200 lines; I wrote notes/summary.txt."},
    ], "usage": {"input_tokens": 1500, "output_tokens": 20}},
]


def start_server(server: str, script: Path):
    process = subprocess.Popen([server, str(script)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit(f"the scripted model server did not start: {url!r}")
    return process, url


def write_config(home: Path, url: str):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "{MODEL}"\nmodel_provider = "mock"\n'
        f'[model_providers.mock]\nname = "Mock"\nbase_url = "{url}"\nenv_key = "MOCK_KEY"\n'
        'request_max_retries = 0\nstream_max_retries = 0\n')


def fresh_workdir(root: Path) -> Path:
    work = Path(tempfile.mkdtemp(dir=root))
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "data.txt").write_text("".join(f"line {n}\n" for n in range(200)))
    return work


def command(agent: str, binary: str) -> list:
    common = ["exec", "--sandbox", "danger-full-access"]
    if agent == "codex":
        return [binary, *common, "--skip-git-repo-check", "-c", 'approval_policy="never"', "summarise data.txt"]
    return [binary, *common, "--approval", "never", "summarise data.txt"]


def measure(agent: str, binary: str, server: str, script: Path, home: Path, root: Path) -> dict:
    """One run against a fresh server and working directory; rusage from wait4."""
    process, url = start_server(server, script)
    try:
        write_config(home, url)
        work = fresh_workdir(root)
        env = {"PATH": os.environ["PATH"], "HOME": str(home.parent), "CODEX_HOME": str(home),
               "MOCK_KEY": "sk-bench", "SHELL": "/bin/bash", "TERM": "dumb"}
        out_path = root / f"{agent}.out"
        err_path = root / f"{agent}.err"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.perf_counter()
            child = subprocess.Popen(command(agent, binary), cwd=work, env=env,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        patched = (work / "notes" / "summary.txt").is_file()
        if code != 0 or not patched:
            raise SystemExit(f"{agent} run failed (exit {code}, patch applied: {patched}):\n"
                             f"{err_path.read_text(errors='replace')[-2000:]}")
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                "peak_rss_mib": usage.ru_maxrss / 1024}
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
        homes = {agent: root / agent / ".codex" for agent in agents}
        for agent, binary in agents.items():  # warm-up: first-run set-up is not measured
            measure(agent, binary, args.server, script, homes[agent], root)
        results = {agent: [] for agent in agents}
        for run in range(args.runs):
            order = list(agents) if run % 2 == 0 else list(reversed(list(agents)))
            for agent in order:
                results[agent].append(measure(agent, agents[agent], args.server, script, homes[agent], root))
    summary = {}
    for agent, runs in results.items():
        summary[agent] = {key: {"median": statistics.median(r[key] for r in runs),
                                "min": min(r[key] for r in runs), "max": max(r[key] for r in runs)}
                          for key in ("wall_s", "cpu_s", "peak_rss_mib")}
    print(f"{'agent':8} {'wall s (median)':>16} {'cpu s (median)':>15} {'peak RSS MiB (median)':>22}")
    for agent, stats in summary.items():
        print(f"{agent:8} {stats['wall_s']['median']:16.3f} {stats['cpu_s']['median']:15.3f} "
              f"{stats['peak_rss_mib']['median']:22.1f}")
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": args.runs, "summary": summary, "raw": results}, indent=2))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Load benchmark of `zspark serve` with wrk, on SQLite and on PostgreSQL.

For each backend a release `zspark serve --dev` is started on a fresh data directory
(and a fresh PostgreSQL database), and wrk drives four workloads for a fixed time:

- reads:     GET a workspace's session list (authenticated, role check, one query)
- appends:   POST one item to a session, each connection on its own session, with
             the expected sequence number it tracks (a Lua script)
- uploads:   POST a 64 KiB artifact (streamed to disk, SHA-256, fsync, row)
- downloads: GET a 64 KiB artifact

wrk reports requests per second and the latency distribution (p50, p99). Then a
1 GiB artifact is uploaded and downloaded with curl while the server's resident memory
is sampled, to show it stays flat whatever the file size.

Usage: load.py --zspark target/release/zspark [--postgres URL] [--seconds 10]
"""

import argparse
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

USER = "bench"


def call(base, method, path, body=None, raw=None, headers=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("x-domain-user", USER)
    if body is not None:
        request.add_header("content-type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler:
    """Samples a process's resident memory every 20 ms and keeps the peak."""

    def __init__(self, pid):
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except FileNotFoundError:
                return
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.peak / 1024


def wrk(url, seconds, connections, script=None):
    command = ["wrk", "--latency", "-t", "2", "-c", str(max(connections, 2)), "-d", f"{seconds}s",
               "-H", f"x-domain-user: {USER}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def percentile(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {"requests_per_s": rps, "p50_ms": percentile("50"), "p99_ms": percentile("99"),
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


def run_backend(zspark, database_url, seconds, connections, work):
    """All workloads against one server on one database; returns the measurements."""
    data = Path(tempfile.mkdtemp(dir=work))
    port = 20000 + (os.getpid() % 20000)
    command = [zspark, "serve", "--dev", "--port", str(port), "--data-dir", str(data), "--rate-limit-max", "100000000"]
    if database_url:
        command += ["--database-url", database_url]
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "warn"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        workspace = call(base, "POST", "/v1/workspaces", {"name": "Bench"})["id"]
        ws = f"/v1/workspaces/{workspace}"
        for n in range(20):
            call(base, "POST", f"{ws}/sessions", {"title": f"session {n}"})
        # wrk has no per-connection state, so appends run one connection per thread,
        # each thread on its own session, tracking its next sequence number.
        sessions = [call(base, "POST", f"{ws}/sessions", {"title": f"append {n}"})["id"] for n in range(2)]
        artifact = call(base, "POST", f"{ws}/artifacts?name=sample.bin", raw=os.urandom(64 * 1024),
                        headers={"content-type": "application/octet-stream"})["id"]

        script = data / "append.lua"
        script.write_text(APPEND_LUA.replace("SESSIONS", ", ".join(f'"{s}"' for s in sessions)).replace("WS", ws))
        upload = data / "upload.lua"
        upload.write_text(UPLOAD_LUA.replace("WS", ws))
        results = {
            "reads": wrk(f"{base}{ws}/sessions?limit=20", seconds, connections),
            "appends": wrk(f"{base}{ws}/sessions/{sessions[0]}/items", seconds, 2, str(script)),
            "uploads_64k": wrk(f"{base}{ws}/artifacts?name=up.bin", seconds, connections, str(upload)),
            "downloads_64k": wrk(f"{base}{ws}/artifacts/{artifact}", seconds, connections),
        }

        big = data / "big.bin"
        with open(big, "wb") as handle:
            block = os.urandom(1024 * 1024)
            for _ in range(1024):
                handle.write(block)
        idle = rss_kib(server.pid) / 1024
        sampler = Sampler(server.pid)
        started = time.perf_counter()
        uploaded = subprocess.run(["curl", "-s", "-f", "-X", "POST", "-H", f"x-domain-user: {USER}",
                                   "-H", "content-type: application/octet-stream", "-T", str(big),
                                   f"{base}{ws}/artifacts?name=big.bin"], capture_output=True, text=True, check=True)
        upload_s = time.perf_counter() - started
        upload_peak = sampler.stop()
        big_id = json.loads(uploaded.stdout)["id"]
        sampler = Sampler(server.pid)
        started = time.perf_counter()
        subprocess.run(["curl", "-s", "-f", "-o", "/dev/null", "-H", f"x-domain-user: {USER}",
                        f"{base}{ws}/artifacts/{big_id}"], check=True)
        download_s = time.perf_counter() - started
        download_peak = sampler.stop()
        results["one_gib"] = {"rss_before_mib": idle, "upload_s": upload_s, "upload_peak_rss_mib": upload_peak,
                              "download_s": download_s, "download_peak_rss_mib": download_peak}
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


# wrk.format uses the headers it is given instead of the command line's (-H), so the
# scripts copy those (the identity header among them) and add a content type.
HEADERS_LUA = """
function with_content_type(content_type)
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["content-type"] = content_type
  return headers
end
"""

APPEND_LUA = HEADERS_LUA + """
local sessions = {SESSIONS}
local counter = 0
local next_seq = 0
function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end
request = function()
  local session = sessions[(index - 1) % #sessions + 1]
  local body = '{"expected_seq":' .. next_seq .. ',"items":[{"type":"message","role":"user","content":[{"type":"input_text","text":"load"}]}]}'
  return wrk.format("POST", "WS/sessions/" .. session .. "/items", with_content_type("application/json"), body)
end
response = function(status, headers, body)
  if status == 200 then
    next_seq = next_seq + 1
  else
    local current = body:match('has (%d+) items')
    if current then next_seq = tonumber(current) end
  end
end
"""

UPLOAD_LUA = HEADERS_LUA + """
local payload = string.rep("z", 64 * 1024)
request = function()
  return wrk.format("POST", nil, with_content_type("application/octet-stream"), payload)
end
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zspark", required=True)
    parser.add_argument("--postgres", help="admin URL, e.g. postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--out")
    args = parser.parse_args()
    connections = 16
    report = {"seconds": args.seconds, "connections": connections}
    with tempfile.TemporaryDirectory() as work:
        report["sqlite"] = run_backend(args.zspark, None, args.seconds, connections, work)
        if args.postgres:
            name = f"zspark_bench_{uuid.uuid4().hex}"
            subprocess.run(["psql", args.postgres, "-q", "-c", f"CREATE DATABASE {name}"], check=True)
            try:
                url = args.postgres.rsplit("/", 1)[0] + "/" + name
                report["postgres"] = run_backend(args.zspark, url, args.seconds, connections, work)
            finally:
                subprocess.run(["psql", args.postgres, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

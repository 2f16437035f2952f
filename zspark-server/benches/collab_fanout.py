#!/usr/bin/env python3
"""Live-collaboration benchmark: `zspark serve` against the reference
`@y/websocket-server` 0.1.1, and the live activity feed before and after the hub.
Loopback only, bounded in time and size.

Scenarios (each server in turn, in one run):

- one-room: 1,000 listeners and one writer in one document; the writer sends an
  update every 20 ms (an agent's streamed output), 200 in all;
- many-rooms: 100 documents with 9 listeners and one writer each; every writer sends
  an update every 200 ms, 50 each;
- feed (zspark binaries only): 1,000 sockets on one workspace's live activity; the
  server's CPU over 10 s at rest, then 20 changes (a session created), each timed from
  the moment it is asked for until every socket has the entry;
- storm: 10,000 clients connect to one document all at once (a reconnect storm after
  a restart); each is timed from its first attempt until it has the document, failed
  attempts are retried after 250-500 ms and counted; reported: the time until all are
  in, p50/p99 per client, retries, the server's CPU seconds and memory per connection.

The load runs in Node (`collab_load.cjs`: raw `ws` listeners that timestamp each sync
update, a `yjs` document for each writer), so both servers face the same client.
Reported per server: update latency p50/p99 (send to arrival, over every listener),
deliveries, the server's CPU while updates flow (CPU seconds per wall second), and its
resident memory per connection (after connecting minus before, divided by the
connections).

Usage: collab_fanout.py --node-modules DIR [--zspark NAME=PATH ...]
         [--reference DIR] [--scenario one-room --scenario feed ...]
`--node-modules` holds yjs, ws and lib0 (.ci/run installs them); `--reference` a
node_modules with @y/websocket-server@0.1.1 and y-leveldb@0.1.2.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = {
    "one-room": {"rooms": 1, "listeners": 1000, "rounds": 200, "interval_ms": 20},
    "many-rooms": {"rooms": 100, "listeners": 9, "rounds": 50, "interval_ms": 200},
}
FEED = {"listeners": 1000, "rounds": 20, "idle_seconds": 10}
STORM = {"listeners": 10000}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_open_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_for_port(port, process):
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"x-domain-user": "alice", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


class Server:
    """A server process and how its clients reach its rooms."""

    def __init__(self, name, command, env, port):
        self.name = name
        self.port = port
        self.process = subprocess.Popen(
            command,
            env=env,
            preexec_fn=raise_open_files,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port, self.process)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_zspark(name, binary, data_dir):
    port = free_port()
    command = [
        binary, "serve", "--dev", "--data-dir", data_dir, "--port", str(port),
        "--max-connections-per-address", "0", "--max-connections", "20000",
        "--rate-limit-max", "100000000",
    ]
    server = Server(name, command, dict(os.environ), port)
    server.kind = "zspark"
    server.base = f"http://127.0.0.1:{port}"
    return server


def start_reference(reference_dir):
    port = free_port()
    script = os.path.join(reference_dir, "@y", "websocket-server", "src", "server.js")
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port))
    server = Server("@y/websocket-server 0.1.1", ["node", script], env, port)
    server.kind = "reference"
    return server


def room_urls(server, rooms):
    if server.kind == "reference":
        return [f"ws://127.0.0.1:{server.port}/room-{n}" for n in range(rooms)]
    workspace = call(server.base, "POST", "/v1/workspaces", {"name": "Bench"})["id"]
    urls = []
    for n in range(rooms):
        session = call(server.base, "POST", f"/v1/workspaces/{workspace}/sessions", {"title": f"Room {n}"})["id"]
        urls.append(f"ws://127.0.0.1:{server.port}/v1/workspaces/{workspace}/sessions/{session}/sync")
    return urls


def load(node_modules, settings):
    return subprocess.Popen(
        ["node", os.path.join(HERE, "collab_load.cjs"), json.dumps(settings)],
        env=dict(os.environ, NODE_PATH=node_modules),
        preexec_fn=raise_open_files,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def read_json(process):
    line = process.stdout.readline()
    if not line:
        raise RuntimeError("the load process ended")
    answer = json.loads(line)
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer


def fanout(server, node_modules, scenario):
    shape = SCENARIOS[scenario]
    settings = dict(shape, mode="sync", rooms=room_urls(server, shape["rooms"]), headers={"x-domain-user": "alice"})
    pid = server.process.pid
    memory_before = proc_rss_mib(pid)
    client = load(node_modules, settings)
    connected = read_json(client)["connected"]
    memory_after = proc_rss_mib(pid)
    cpu_before, wall_before = proc_cpu_seconds(pid), time.time()
    client.stdin.write("go\n")
    client.stdin.flush()
    result = read_json(client)
    cpu = (proc_cpu_seconds(pid) - cpu_before) / (time.time() - wall_before)
    client.wait()
    return {
        "server": server.name,
        "scenario": scenario,
        "connections": connected,
        "p50_ms": result["latencies_ms"]["p50"],
        "p99_ms": result["latencies_ms"]["p99"],
        "delivered": f'{result["delivered"]}/{result["expected"]}',
        "cpu": cpu,
        "kib_per_connection": (memory_after - memory_before) * 1024 / connected,
    }


def feed(server, node_modules):
    workspace = call(server.base, "POST", "/v1/workspaces", {"name": "Feed"})["id"]
    url = f"ws://127.0.0.1:{server.port}/v1/workspaces/{workspace}/live"
    settings = {"mode": "feed", "rooms": [url], "listeners": FEED["listeners"], "rounds": FEED["rounds"], "headers": {"x-domain-user": "alice"}}
    pid = server.process.pid
    memory_before = proc_rss_mib(pid)
    client = load(node_modules, settings)
    connected = read_json(client)["connected"]
    memory_after = proc_rss_mib(pid)
    cpu_before = proc_cpu_seconds(pid)
    time.sleep(FEED["idle_seconds"])
    idle_cpu = (proc_cpu_seconds(pid) - cpu_before) / FEED["idle_seconds"]
    client.stdin.write("go\n")
    client.stdin.flush()
    for _ in range(FEED["rounds"]):
        read_json(client)
        call(server.base, "POST", f"/v1/workspaces/{workspace}/sessions", {"title": "Change"})
        client.stdin.write("done\n")
        client.stdin.flush()
    result = read_json(client)
    client.wait()
    return {
        "server": server.name,
        "scenario": "feed",
        "connections": connected,
        "p50_ms": result["latencies_ms"]["p50"],
        "p99_ms": result["latencies_ms"]["p99"],
        "delivered": f'{result["delivered"]}/{result["expected"]}',
        "cpu": idle_cpu,
        "kib_per_connection": (memory_after - memory_before) * 1024 / connected,
    }


def storm(server, node_modules):
    settings = {"mode": "storm", "rooms": room_urls(server, 1), "listeners": STORM["listeners"], "headers": {"x-domain-user": "alice"}}
    pid = server.process.pid
    memory_before = proc_rss_mib(pid)
    cpu_before = proc_cpu_seconds(pid)
    client = load(node_modules, settings)
    result = read_json(client)
    cpu_seconds = proc_cpu_seconds(pid) - cpu_before
    memory_after = proc_rss_mib(pid)
    client.wait()
    return {
        "server": server.name,
        "scenario": "storm",
        "connections": result["connected"],
        "all_in_s": result["all_ms"] / 1000,
        "p50_ms": result["latencies_ms"]["p50"],
        "p99_ms": result["latencies_ms"]["p99"],
        "retried": result["retried"],
        "cpu_seconds": cpu_seconds,
        "kib_per_connection": (memory_after - memory_before) * 1024 / result["connected"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zspark", action="append", default=[], help="NAME=PATH of a zspark binary")
    parser.add_argument("--reference", help="node_modules with @y/websocket-server")
    parser.add_argument("--node-modules", required=True, help="node_modules with yjs, ws, lib0")
    parser.add_argument("--scenario", action="append", choices=[*SCENARIOS, "feed", "storm"])
    args = parser.parse_args()
    scenarios = args.scenario or [*SCENARIOS, "feed"]
    results = []
    for scenario in scenarios:
        servers = [("zspark", name, path) for name, path in (entry.split("=", 1) for entry in args.zspark)]
        if scenario != "feed" and args.reference:
            servers.append(("reference", None, None))
        for kind, name, path in servers:
            with tempfile.TemporaryDirectory(prefix="zspark-collab-bench-") as data_dir:
                server = start_reference(args.reference) if kind == "reference" else start_zspark(name, path, data_dir)
                try:
                    if scenario == "feed":
                        result = feed(server, args.node_modules)
                    elif scenario == "storm":
                        result = storm(server, args.node_modules)
                    else:
                        result = fanout(server, args.node_modules, scenario)
                finally:
                    server.stop()
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print("| scenario | server | connections | p50 | p99 | delivered | server CPU | memory per connection |")
    print("|---|---|---|---|---|---|---|---|")
    for r in (r for r in results if r["scenario"] != "storm"):
        cpu_label = "at rest" if r["scenario"] == "feed" else "while updating"
        print(
            f'| {r["scenario"]} | {r["server"]} | {r["connections"]} | {r["p50_ms"]:.1f} ms | {r["p99_ms"]:.1f} ms '
            f'| {r["delivered"]} | {r["cpu"] * 100:.0f}% of a core {cpu_label} | {r["kib_per_connection"]:.0f} KiB |'
        )

    storms = [r for r in results if r["scenario"] == "storm"]
    if storms:
        print()
        print("| storm | server | clients in | all in after | p50 | p99 | retried attempts | server CPU | memory per connection |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in storms:
            print(
                f'| storm | {r["server"]} | {r["connections"]} | {r["all_in_s"]:.1f} s | {r["p50_ms"]:.0f} ms | {r["p99_ms"]:.0f} ms '
                f'| {r["retried"]} | {r["cpu_seconds"]:.1f} CPU s | {r["kib_per_connection"]:.0f} KiB |'
            )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Connection-abuse load test of `zspark serve`: does `/healthz` keep answering while
clients hold connections they never use? Loopback only, bounded in time and size.

Each server binary given is started as `zspark serve --dev` on a fresh data directory
with its open-file limit set to 4096 (soft and hard, a common default), then:

1. baseline: 200 `GET /healthz`, one new connection each, from 127.0.0.1;
2. flood: attackers from 127.0.0.2 upwards (250 per address, under the default
   per-address cap, so only the total cap and the time-outs can help) keep, for the
   whole phase, 6,000 connections that send nothing, 500 that send headers without
   ever ending them, and 500 that declare a 2 GiB body and send 12 bytes. An attacker
   whose connection is closed opens a new one 50 ms later;
3. while the flood runs (after a 5 s ramp-up), the same 200 probes as the baseline,
   each given at most 5 s. The probes run in a process of their own, so the attackers'
   busy event loop cannot delay them.

Reported per binary: probes answered 200, their median and 99th-percentile latency,
and the server's peak number of open file descriptors and resident memory.

Usage: connection_abuse.py --zspark NAME=PATH [--zspark NAME=PATH ...]
"""

import argparse
import asyncio
import multiprocessing
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time

SERVER_OPEN_FILES = 4096
PROBES = 200
PROBE_TIMEOUT = 5.0
RAMP_UP = 5.0
PER_ADDRESS = 250
SILENT, SLOW_HEADERS, FALSE_BODY = 6000, 500, 500
RECONNECT_PAUSE = 0.05


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def limit_open_files():
    resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_OPEN_FILES, SERVER_OPEN_FILES))


def start_server(binary, data_dir, port):
    process = subprocess.Popen(
        [binary, "serve", "--dev", "--data-dir", data_dir, "--port", str(port)],
        preexec_fn=limit_open_files,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nhost: b\r\nconnection: close\r\n\r\n")
                if connection.recv(64).startswith(b"HTTP/1.1 200"):
                    return process
        except OSError:
            pass
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{binary} did not start")


class Sampler:
    """Samples the server's open descriptors and resident memory every 100 ms."""

    def __init__(self, pid):
        self.pid, self.peak_fds, self.peak_rss_kib = pid, 0, 0

    def sample(self):
        try:
            self.peak_fds = max(self.peak_fds, len(os.listdir(f"/proc/{self.pid}/fd")))
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        self.peak_rss_kib = max(self.peak_rss_kib, int(line.split()[1]))
        except OSError:
            pass

    async def run(self, stop):
        while not stop.is_set():
            self.sample()
            await asyncio.sleep(0.1)


def probe(port):
    """One `GET /healthz` on a new connection: its latency in ms, or None."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PROBE_TIMEOUT) as connection:
            connection.settimeout(max(0.001, PROBE_TIMEOUT - (time.perf_counter() - started)))
            connection.sendall(b"GET /healthz HTTP/1.1\r\nhost: b\r\nconnection: close\r\n\r\n")
            ok = connection.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return (time.perf_counter() - started) * 1000 if ok else None


def probes(port):
    return [probe(port) for _ in range(PROBES)]


def probes_elsewhere(port):
    """The probes in their own process, so a busy attacker loop cannot delay them."""
    # Spawned, not forked: a forked child would hold copies of the attackers' sockets.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(probes, (port,))


ATTACKS = {
    "silent": b"",
    "slow headers": b"GET /healthz HTTP/1.1\r\nhost: b\r\nx-filler: ",
    "false body": b"POST /v1/workspaces HTTP/1.1\r\nhost: b\r\nx-domain-user: a\r\n"
    b"content-type: application/json\r\ncontent-length: 2147483648\r\n\r\n{\"name\":\"W\"",
}


async def attacker(port, source, payload, stop, opened):
    """Keeps one abusive connection open for as long as the flood lasts."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(source, 0)
            )
            opened[0] += 1
            if payload:
                writer.write(payload)
                await writer.drain()
            # Whatever the server sends (a refusal, a time-out) comes before it closes.
            stopped = asyncio.ensure_future(stop.wait())
            answered = asyncio.ensure_future(reader.read(65536))
            await asyncio.wait({stopped, answered}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            answered.cancel()
            writer.close()
        except OSError:
            pass
        await asyncio.sleep(RECONNECT_PAUSE)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else None


def summary(latencies):
    answered = [latency for latency in latencies if latency is not None]
    return len(answered), percentile(answered, 0.5), percentile(answered, 0.99)


async def measure(binary):
    data_dir = tempfile.mkdtemp(prefix="zspark-abuse-")
    port = free_port()
    server = start_server(binary, data_dir, port)
    sampler = Sampler(server.pid)
    try:
        loop = asyncio.get_running_loop()
        baseline = await loop.run_in_executor(None, probes_elsewhere, port)
        stop = asyncio.Event()
        opened = [0]
        plan = (
            [ATTACKS["silent"]] * SILENT
            + [ATTACKS["slow headers"]] * SLOW_HEADERS
            + [ATTACKS["false body"]] * FALSE_BODY
        )
        tasks = [
            asyncio.ensure_future(
                attacker(port, f"127.0.0.{2 + n // PER_ADDRESS}", payload, stop, opened)
            )
            for n, payload in enumerate(plan)
        ]
        sampling = asyncio.ensure_future(sampler.run(stop))
        await asyncio.sleep(RAMP_UP)
        flooded = await loop.run_in_executor(None, probes_elsewhere, port)
        stop.set()
        await asyncio.gather(*tasks, sampling, return_exceptions=True)
        return baseline, flooded, sampler, opened[0]
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def ms(value):
    return "–" if value is None else f"{value:.1f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zspark", action="append", required=True, metavar="NAME=PATH")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    needed = SILENT + SLOW_HEADERS + FALSE_BODY + 100
    if hard < needed:
        raise SystemExit(f"the open-file limit is {hard}; this test needs {needed}")
    print("| server | baseline answered | p50 | p99 | under flood answered | p50 | p99 | peak fds | peak RSS | attack connections opened |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for entry in args.zspark:
        name, binary = entry.split("=", 1)
        baseline, flooded, sampler, opened = asyncio.run(measure(binary))
        base_ok, base_p50, base_p99 = summary(baseline)
        flood_ok, flood_p50, flood_p99 = summary(flooded)
        print(
            f"| {name} | {base_ok}/{PROBES} | {ms(base_p50)} | {ms(base_p99)} "
            f"| {flood_ok}/{PROBES} | {ms(flood_p50)} | {ms(flood_p99)} "
            f"| {sampler.peak_fds} | {sampler.peak_rss_kib / 1024:.1f} MiB | {opened} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Does `zspark serve` do exactly what its OpenAPI document says? Runs schemathesis
(every check) against a real server, and fails on any finding.

The server runs as `zspark serve --dev` on loopback with a fresh data directory. A
workspace owned by `alice` is set up first (a session with items, an artifact, a second
member), because generated ids almost never name something that exists: the first pass
fixes the path ids to these so requests reach the handlers' own checks (the deletes of
the workspace and the session are left to the second pass, so they cannot pull the
ground away); the second pass lets schemathesis generate every id.

The WebSockets (live activity, shared-session documents) are left out: schemathesis
speaks plain HTTP, and a successful upgrade never ends. `zspark-server/tests/suite/
live.rs` and `sync.rs` cover them.

Usage: run.py --zspark PATH [--schemathesis PATH] [--max-examples N]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
WEBSOCKETS = [
    "/v1/workspaces/{workspace_id}/live",
    "/v1/workspaces/{workspace_id}/sessions/{session_id}/sync",
]
DELETES_OF_THE_GROUND = [
    "DELETE /v1/workspaces/{workspace_id}",
    "DELETE /v1/workspaces/{workspace_id}/sessions/{session_id}",
]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base, method, path, body=None, headers=None, user="alice"):
    """One request as `user`; the decoded JSON answer (None when empty)."""
    data = None
    headers = dict(headers or {})
    headers["X-Domain-User"] = user
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif isinstance(body, bytes):
        data = body
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


def wait_until_ready(base, process):
    """Polls /readyz until it answers 200; the server's own start-up time bounds it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"zspark serve exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("zspark serve was not ready within 60 s")


def set_up_ground(base):
    """A workspace with a session, three items, an artifact and a second member."""
    workspace = call(base, "POST", "/v1/workspaces", {"name": "Conformance"})["id"]
    prefix = f"/v1/workspaces/{workspace}"
    session = call(base, "POST", f"{prefix}/sessions", {"title": "Fuzzed"})["id"]
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}] * 3
    call(base, "POST", f"{prefix}/sessions/{session}/items", {"expected_seq": 0, "items": items})
    artifact = call(
        base,
        "POST",
        f"{prefix}/artifacts?name=notes.txt&session_id={session}",
        b"some notes\n",
        {"Content-Type": "text/plain"},
    )["id"]
    call(base, "POST", f"{prefix}/members", {"principal": "principal:bob", "role": "editor"})
    return {
        "workspace_id": workspace,
        "session_id": session,
        "artifact_id": artifact,
        "principal": "principal:bob",
    }


def schemathesis_pass(tool, base, name, parameters, excluded, max_examples, report_dir):
    config_path = os.path.join(report_dir, f"{name}.toml")
    with open(config_path, "w") as config:
        # Credentials for the document's `development` scheme, so schemathesis can also
        # leave them out and expect 401.
        config.write('[auth.openapi.development]\napi_key = "alice"\n')
        # An upload whose x-content-sha256 differs from its body's digest is refused
        # (422): a rule across the header and the body that a schema cannot state.
        config.write(
            '\n[[operations]]\ninclude-name = "POST /v1/workspaces/{workspace_id}/artifacts"\n'
            'checks.positive_data_acceptance.expected-statuses = '
            '["2xx", "401", "403", "404", "409", "422", "429"]\n'
        )
        if parameters:
            config.write("\n[parameters]\n")
            for key, value in parameters.items():
                config.write(f"{key} = {json.dumps(value)}\n")
    command = [
        tool,
        "--config-file",
        config_path,
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--checks",
        "all",
        # In development mode every name is a valid identity, so there are no invalid
        # credentials to refuse; requests without any are still refused (401), as
        # tests/suite/access.rs checks.
        "--exclude-checks",
        "ignored_auth",
        "--max-examples",
        str(max_examples),
        "--seed",
        os.environ.get("ZSPARK_CONFORMANCE_SEED", "20261202"),
        "--workers",
        "1",
        "--report",
        "junit",
        "--report-junit-path",
        os.path.join(report_dir, f"{name}.xml"),
    ]
    for path in WEBSOCKETS:
        command += ["--exclude-path", path]
    for operation in excluded:
        command += ["--exclude-name", operation]
    print(f"==> schemathesis, {name}", flush=True)
    # Run inside the report folder: schemathesis keeps a cache in its working directory.
    return subprocess.run(command, cwd=report_dir).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zspark", required=True, help="the zspark binary")
    parser.add_argument("--schemathesis", default=shutil.which("schemathesis") or "schemathesis")
    parser.add_argument("--max-examples", type=int, default=40)
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="zspark-conformance-") as data_dir:
        report_dir = os.path.join(data_dir, "reports")
        os.makedirs(report_dir)
        log = open(os.path.join(data_dir, "server.log"), "w")
        server = subprocess.Popen(
            [
                args.zspark,
                "serve",
                "--dev",
                "--port",
                str(port),
                "--data-dir",
                os.path.join(data_dir, "data"),
                # Schemathesis sends thousands of requests as one user.
                "--rate-limit-max",
                "100000000",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(base, server)
            ground = set_up_ground(base)
            failed = schemathesis_pass(
                args.schemathesis, base, "existing-ids", ground,
                DELETES_OF_THE_GROUND, args.max_examples, report_dir,
            )
            failed |= schemathesis_pass(
                args.schemathesis, base, "generated-ids", {}, [], args.max_examples, report_dir,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
            with open(os.path.join(data_dir, "server.log")) as server_log:
                panics = [line for line in server_log if "panicked" in line]
        if panics:
            print("the server panicked:\n" + "".join(panics), file=sys.stderr)
            return 1
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

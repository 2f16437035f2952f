#!/usr/bin/env python3
"""The desktop in a real window under Xvfb: its idle cost against a bare eframe window
measured the same way (`idle`), the time from start to its first drawn frame against the
same bare window (`first-frame`), or a screenshot anyone can look at (`screenshot`).

idle:
Each program runs in a real window under Xvfb (software GL). After a settle period the
script samples the process's CPU time (all threads, from /proc/PID/stat) over a
measurement window and reads its resident memory (VmRSS, and the peak VmHWM). Runs
alternate between the two programs; the report gives the median of the runs.

zspark starts on a fresh HOME whose CODEX_HOME holds one provider profile and a few
stored sessions, with the first-run screen already passed, so the window shows the
sidebar, an empty conversation area and the details panel.

first-frame:
Xvfb starts with a black root window. The script starts the program and grabs the
screen (xwd) in a loop until the window's area shows more than a few colours (text drawn
on a filled panel); the time from the program's start to that grab is its time to first
frame (a grab takes about 10 ms, which bounds the resolution). Fresh HOME every run;
runs alternate between the two programs.

Usage:
  python3 zspark-gui/benches/desktop_window.py idle \
      --zspark target/release/zspark --bare target/release/examples/bare_window
  python3 zspark-gui/benches/desktop_window.py first-frame \
      --zspark target/release/zspark --bare target/release/examples/bare_window
  python3 zspark-gui/benches/desktop_window.py screenshot \
      --zspark target/release/zspark --open-session --out zspark.png
Needs Xvfb, xwd (first-frame), and ImageMagick's `import` and xdotool (screenshots):
  apt-get install -y xvfb x11-apps imagemagick xdotool
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_kib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def seeded_home(root):
    """A HOME with a provider profile, three stored sessions, two skills and onboarded
    prefs."""
    home = os.path.join(root, "home")
    codex_home = os.path.join(home, ".codex")
    workspace = os.path.join(home, "project")
    os.makedirs(workspace)
    os.makedirs(os.path.join(codex_home, "sessions", "2026", "11", "24"))
    with open(os.path.join(codex_home, "config.toml"), "w") as config:
        config.write(
            'profile = "local"\n[model_providers.local]\nname = "Local"\n'
            'base_url = "http://127.0.0.1:9/v1"\nenv_key = "LOCAL_KEY"\n'
            '[profiles.local]\nmodel_provider = "local"\nmodel = "local-model"\n'
        )
    for n in range(3):
        session_id = f"0190b5f2-7c4a-7d1e-9a53-3c2f0b6e4d1{n}"
        path = os.path.join(
            codex_home, "sessions", "2026", "11", "24",
            f"rollout-2026-11-24T10-0{n}-00-{session_id}.jsonl",
        )
        lines = [
            {"timestamp": "2026-11-24T10:00:00.000Z", "type": "session_meta",
             "payload": {"id": session_id, "timestamp": "2026-11-24T10:00:00.000Z",
                         "cwd": workspace, "originator": "zspark", "cli_version": "0.1.0",
                         "source": "exec", "model_provider": "local"}},
            {"timestamp": "2026-11-24T10:00:01.000Z", "type": "response_item",
             "payload": {"type": "message", "role": "user",
                         "content": [{"type": "input_text", "text": f"Task number {n}"}]}},
            {"timestamp": "2026-11-24T10:00:02.000Z", "type": "response_item",
             "payload": {"type": "message", "role": "assistant",
                         "content": [{"type": "output_text", "text": "Done."}]}},
        ]
        if n == 2:
            lines[2:2] = [
                {"timestamp": "2026-11-24T10:00:01.500Z", "type": "response_item",
                 "payload": {"type": "function_call", "name": "exec_command", "call_id": "call_1",
                             "arguments": json.dumps({"cmd": "cargo test"})}},
                {"timestamp": "2026-11-24T10:00:01.800Z", "type": "response_item",
                 "payload": {"type": "function_call_output", "call_id": "call_1",
                             "output": "Process exited with code 0\nOutput:\nrunning 12 tests\n"
                                       "test result: ok. 12 passed; 0 failed"}},
            ]
            lines[-1]["payload"]["content"][0]["text"] = (
                "All **12 tests** pass. The parser change is in `src/parse.rs`:\n\n"
                "```rust\nfn parse(input: &str) -> Result<Ast, Error> {\n    Parser::new(input).run()\n}\n```\n\n"
                "| Suite | Tests |\n|---|---|\n| unit | 9 |\n| integration | 3 |\n")
        with open(path, "w") as rollout:
            rollout.write("".join(json.dumps(line) + "\n" for line in lines))
    for name, description in [("slides", "Build a slide deck from notes"),
                              ("spreadsheets", "Create and edit .xlsx workbooks")]:
        skill_dir = os.path.join(codex_home, "skills", name)
        os.makedirs(skill_dir)
        with open(os.path.join(skill_dir, "SKILL.md"), "w") as skill:
            skill.write(f"---\nname: {name}\ndescription: {description}\n---\n")
    storage = os.path.join(home, ".local", "share", "zspark")
    os.makedirs(storage)
    prefs = f'(onboarded:true,recent_folders:["{workspace}"])'
    with open(os.path.join(storage, "app.ron"), "w") as app_ron:
        app_ron.write("{" + json.dumps("zspark-desktop") + ":" + json.dumps(prefs) + "}")
    return home, codex_home


def open_newest_session(env):
    """Clicks the newest session: the first row under the folder in the sidebar."""
    subprocess.run(["xdotool", "mousemove", "80", "162", "click", "1"], env=env, check=True)
    time.sleep(2.0)


def stop(process):
    """Ends a program started for a measurement, killing it if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(command, env, settle, window, open_session):
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(settle)
        if open_session:
            open_newest_session(env)
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited: {process.stderr.read().decode()[-2000:]}")
        start_cpu = cpu_seconds(process.pid)
        time.sleep(window)
        used = cpu_seconds(process.pid) - start_cpu
        memory = memory_kib(process.pid)
        return {"cpu_percent": 100.0 * used / window, "rss_mib": memory["VmRSS"] / 1024,
                "peak_mib": memory["VmHWM"] / 1024}
    finally:
        stop(process)


def start_xvfb(display):
    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb is needed: apt-get install -y xvfb")
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-br", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return xvfb


def environment(home, codex_home, display):
    return {"PATH": os.environ.get("PATH", ""), "HOME": home, "CODEX_HOME": codex_home,
            "DISPLAY": display, "XDG_DATA_HOME": os.path.join(home, ".local", "share")}


def alternating_runs(args, measure_one):
    """Runs `measure_one(command, env)` for zspark and the bare window, `args.runs` times
    each, alternating which goes first, each on a fresh HOME under one Xvfb."""
    xvfb = start_xvfb(args.display)
    results = {"zspark": [], "bare eframe": []}
    try:
        for run in range(args.runs):
            order = ["zspark", "bare eframe"] if run % 2 == 0 else ["bare eframe", "zspark"]
            for name in order:
                with tempfile.TemporaryDirectory() as root:
                    home, codex_home = seeded_home(root)
                    command = [args.zspark] if name == "zspark" else [args.bare]
                    env = environment(home, codex_home, args.display)
                    results[name].append(measure_one(name, command, env))
                    print(name, results[name][-1], flush=True)
    finally:
        xvfb.terminate()
    return results


def idle(args):
    def measure_one(name, command, env):
        open_session = args.open_session and name == "zspark"
        return measure(command, env, args.settle, args.window, open_session)

    results = alternating_runs(args, measure_one)
    print(f"\n{'program':<14}{'idle CPU %':>12}{'RSS MiB':>10}{'peak MiB':>10}   (median of {args.runs})")
    for name, runs in results.items():
        def median(key):
            return statistics.median(run[key] for run in runs)
        print(f"{name:<14}{median('cpu_percent'):>12.2f}{median('rss_mib'):>10.1f}{median('peak_mib'):>10.1f}")
    ratio = statistics.median(r["rss_mib"] for r in results["zspark"]) / statistics.median(
        r["rss_mib"] for r in results["bare eframe"])
    print(f"\nzspark resident memory is {ratio:.2f}x the bare window's")


def colours_on_screen(display):
    """How many distinct colours a grid of points on the screen shows (xwd, 24-bit)."""
    grab = subprocess.run(["xwd", "-root", "-silent", "-display", display],
                          capture_output=True, check=True).stdout
    header_size = int.from_bytes(grab[0:4], "big")
    width = int.from_bytes(grab[16:20], "big")
    height = int.from_bytes(grab[20:24], "big")
    bytes_per_line = int.from_bytes(grab[48:52], "big")
    colormap_entries = int.from_bytes(grab[76:80], "big")
    pixels = grab[header_size + 12 * colormap_entries:]
    seen = set()
    for y in range(0, height, 8):
        row = pixels[y * bytes_per_line:(y + 1) * bytes_per_line]
        for x in range(0, width, 8):
            seen.add(row[4 * x:4 * x + 3])
    return len(seen)


def time_to_first_frame(command, env, display, timeout=30.0):
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - started < timeout:
            if colours_on_screen(display) > 4:
                return time.monotonic() - started
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited before drawing")
        raise RuntimeError(f"{command[0]} drew nothing within {timeout} s")
    finally:
        stop(process)
        time.sleep(0.5)


def first_frame(args):
    if shutil.which("xwd") is None:
        sys.exit("xwd is needed: apt-get install -y x11-apps")
    results = alternating_runs(
        args, lambda name, command, env: time_to_first_frame(command, env, args.display))
    print(f"\n{'program':<14}{'median ms':>10}{'min ms':>8}{'max ms':>8}   ({args.runs} runs)")
    for name, runs in results.items():
        print(f"{name:<14}{statistics.median(runs) * 1000:>10.0f}{min(runs) * 1000:>8.0f}{max(runs) * 1000:>8.0f}")


def screenshot(args):
    if shutil.which("import") is None:
        sys.exit("ImageMagick's import is needed: apt-get install -y imagemagick")
    xvfb = start_xvfb(args.display)
    try:
        with tempfile.TemporaryDirectory() as root:
            home, codex_home = seeded_home(root)
            env = environment(home, codex_home, args.display)
            process = subprocess.Popen([args.zspark], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            try:
                time.sleep(args.settle)
                if args.open_session:
                    open_newest_session(env)
                subprocess.run(["import", "-display", args.display, "-window", "root", args.out], check=True)
                print(f"saved {args.out}")
            finally:
                stop(process)
    finally:
        xvfb.terminate()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    idle_parser = commands.add_parser("idle", help="idle CPU and memory against a bare eframe window")
    idle_parser.add_argument("--zspark", required=True)
    idle_parser.add_argument("--bare", required=True)
    idle_parser.add_argument("--runs", type=int, default=3)
    idle_parser.add_argument("--settle", type=float, default=5.0)
    idle_parser.add_argument("--window", type=float, default=20.0)
    idle_parser.add_argument("--display", default=":97")
    idle_parser.add_argument("--open-session", action="store_true",
                             help="measure zspark with the newest session open (needs xdotool)")
    first_parser = commands.add_parser("first-frame", help="time to first frame against a bare eframe window")
    first_parser.add_argument("--zspark", required=True)
    first_parser.add_argument("--bare", required=True)
    first_parser.add_argument("--runs", type=int, default=10)
    first_parser.add_argument("--display", default=":96")
    shot_parser = commands.add_parser("screenshot", help="save a screenshot of the desktop")
    shot_parser.add_argument("--zspark", required=True)
    shot_parser.add_argument("--out", default="zspark-desktop.png")
    shot_parser.add_argument("--settle", type=float, default=4.0)
    shot_parser.add_argument("--display", default=":98")
    shot_parser.add_argument("--open-session", action="store_true",
                             help="click the newest session first (needs xdotool)")
    args = parser.parse_args()
    if args.command == "idle":
        idle(args)
    elif args.command == "first-frame":
        first_frame(args)
    else:
        screenshot(args)


if __name__ == "__main__":
    main()

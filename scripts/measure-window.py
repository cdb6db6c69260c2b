#!/usr/bin/env python3
"""Measures the desktop app on the demo workspace, driven through WebKitWebDriver under Xvfb:

- start: from asking the driver for a session (which launches the app) to the editor shown
  with the policy's verdict on its first text;
- idle memory: the app and its WebKit processes 10 s after start (RSS, and PSS, which counts
  shared pages once; with --breakdown also each process's PSS split into anonymous, file-backed
  and shared memory, its threads, and the files mapped with the most PSS);
- keystroke to underline: from a text change in the editor (the app's test hook, which edits
  as typing does) to the lint's underline drawn, as the page's own clock sees it, N times.

    scripts/measure-window.py [BINARY] [--runs N] [--breakdown] [--bare]
    (default BINARY: $CARGO_TARGET_DIR/release/warden-desktop)

--bare measures a window that is not Warden's (scripts/measure-tauri-floor.sh): start to its
page's `#ready` element, and idle memory; no keystrokes.

Prints one JSON document. Needs Xvfb and WebKitWebDriver (`make test` installs both).
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

DENIED = "SELECT ssn FROM sales.customers"
CLEAN = "SELECT country FROM sales.customers"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, timeout=120):
    data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response).get("value")


def wait(what, seconds, check):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            got = check()
        except OSError:
            got = None
        if got:
            return got
        time.sleep(0.02)
    raise SystemExit(f"measure-window: gave up waiting for {what} after {seconds} s")


def descendants(root):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def memory_kib(pid, breakdown=False):
    fields = {}
    wanted = ("Rss:", "Pss:") + (("Pss_Anon:", "Pss_File:", "Pss_Shmem:") if breakdown else ())
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if parts and parts[0] in wanted:
                    fields[parts[0][:-1]] = int(parts[1])
        with open(f"/proc/{pid}/comm") as f:
            fields["name"] = f.read().strip()
        if breakdown:
            fields["threads"] = len(os.listdir(f"/proc/{pid}/task"))
            fields["top_files_pss_kib"] = top_files(pid)
    except OSError:
        return None
    return fields


def top_files(pid, n=8):
    """The files mapped with the most PSS (code, relocated data): what a process's libraries cost."""
    by_file, path = {}, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if "-" in parts[0] and len(parts) >= 5 and ":" in parts[3]:
                path = parts[5] if len(parts) > 5 and parts[5].startswith("/") else None
            elif parts[0] == "Pss:" and path:
                name = os.path.basename(path)
                by_file[name] = by_file.get(name, 0) + int(parts[1])
    return dict(sorted(by_file.items(), key=lambda kv: -kv[1])[:n])


def app_pid(driver_pid, binary):
    name = os.path.basename(binary)[:15]
    for pid in descendants(driver_pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == name:
                    return pid
        except OSError:
            pass
    return None


def main():
    args = sys.argv[1:]
    runs = 30
    breakdown = "--breakdown" in args
    if breakdown:
        args.remove("--breakdown")
    bare = "--bare" in args
    if bare:
        args.remove("--bare")
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i : i + 2]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/warden/target"))
    binary = os.path.abspath(args[0] if args else os.path.join(target, "release", "warden-desktop"))
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"measure-window: no app at {binary}: build it first as make deb does (RUSTC_WORKSPACE_WRAPPER= cargo build --release --locked --features tauri/custom-protocol --bin warden-desktop --bin warden-demo-engine)")
    # Warden's demo workspace needs its engine beside the app (or installed); without it every
    # check fails closed and no underline is ever drawn, which would look like a hang.
    engine = os.path.join(os.path.dirname(binary), "warden-demo-engine")
    if not bare and not any(os.access(p, os.X_OK) for p in (engine, "/usr/lib/warden/warden-demo-engine")):
        raise SystemExit(f"measure-window: no demo engine at {engine}: build it beside the app as make deb does (RUSTC_WORKSPACE_WRAPPER= cargo build --release --locked --features tauri/custom-protocol --bin warden-desktop --bin warden-demo-engine), or install the warden-demo package")
    for tool in ("Xvfb", "WebKitWebDriver"):
        if not shutil.which(tool):
            raise SystemExit(f"measure-window: {tool} is not installed (make test installs it)")

    home = tempfile.mkdtemp(prefix="warden-measure-")
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1400x900x24", "-nolisten", "tcp"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    display = ":" + xvfb.stdout.readline().decode().strip()
    port = free_port()
    env = dict(os.environ, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true", NO_AT_BRIDGE="1", WARDEN_HOME=os.path.join(home, "warden"), HOME=home)
    driver = subprocess.Popen(["WebKitWebDriver", f"--port={port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait("WebKitWebDriver", 15, lambda: call(base, "GET", "/status", timeout=2) is not None)
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": binary, "args": []}}}}
        started = time.monotonic()
        session = call(base, "POST", "/session", caps)["sessionId"]
        s = f"/session/{session}"

        def script(js, *values, asynchronous=False):
            path = "/execute/async" if asynchronous else "/execute/sync"
            return call(base, "POST", s + path, {"script": js, "args": list(values)})

        if bare:
            wait("the page", 60, lambda: script("return !!document.querySelector('#ready');"))
        else:
            wait("the editor and its first verdict", 60, lambda: script("const v = document.querySelector('#verdict'); return !!(document.querySelector('#editor .cm-content') && v && v.dataset.verdict);"))
        start_s = time.monotonic() - started

        time.sleep(10)
        pid = app_pid(driver.pid, binary)
        processes = [m for m in (memory_kib(p, breakdown) for p in (descendants(pid) if pid else [])) if m]

        underline = """
            const [sql, selector, done] = arguments;
            const t0 = performance.now();
            window.__warden.setSql(sql);
            const check = () => {
              const drawn = !!document.querySelector(selector);
              if (drawn === (selector !== 'none')) done(performance.now() - t0);
              else requestAnimationFrame(check);
            };
            requestAnimationFrame(check);
        """
        cleared = """
            const [sql, done] = arguments;
            window.__warden.setSql(sql);
            const check = () => document.querySelector('.cm-lintRange-error') ? requestAnimationFrame(check) : done(true);
            setTimeout(check, 200);
        """
        timings = []
        for _ in range(0 if bare else runs):
            script(cleared, CLEAN, asynchronous=True)
            timings.append(script(underline, DENIED, ".cm-lintRange-error", asynchronous=True))
        timings.sort()
        call(base, "DELETE", s)
    finally:
        driver.kill()
        xvfb.kill()
        shutil.rmtree(home, ignore_errors=True)

    report = {
        "binary": binary,
        "binary_bytes": os.path.getsize(binary),
        "start_to_editor_ready_s" if not bare else "start_to_page_ready_s": round(start_s, 2),
        "idle_after_10s": {
            "processes": processes,
            "rss_mib": round(sum(p.get("Rss", 0) for p in processes) / 1024, 1),
            "pss_mib": round(sum(p.get("Pss", 0) for p in processes) / 1024, 1),
        },
    }
    if not bare:
        report["keystroke_to_underline_ms"] = {
            "runs": runs,
            "median": round(statistics.median(timings), 1),
            "p95": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
            "max": round(timings[-1], 1),
            "lint_delay_ms": 75,
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

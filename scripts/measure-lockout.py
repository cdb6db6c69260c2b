#!/usr/bin/env python3
"""End to lockout of an AWS grant in the running app, on the local sandbox.

The app (debug build) runs under Xvfb, driven through WebKitWebDriver, signed in to the
sandbox's `sandbox` workspace (scripts/sandbox.sh: moto, the SSO fake, the Athena stand-in, the
broker passing every 2 s) with its secrets in a throw-away keyring. Each round asks for
large-scan from the window (the Request elevation dialog), waits for the broker's grant, starts
the elevated query (`SELECT count(*) FROM sales.orders`), which the stand-in holds QUEUED, and
then lets the grant end one of two ways:

- expiry: the grant is asked for 60 s (the dialog offers 5 min at least; the script adds a
  60 s choice to its list, which the backend accepts like any duration within the policy's
  maximum) and runs out. The reference is the grant's end (`expires_at_ms`).
- broker: the grant (15 min) is ended at the broker: `warden elevation revoke ID` from the
  command line (the requester ending their own grant, as from another machine), and the
  broker's next pass ends it. The reference is the broker's `elevation_expired` for it.

From the reference it times: the app's `lockout` and `query_cancelled` (the held run stopped
at Athena) and `credentials_wiped` in the workspace's journal; the keyring entry gone
(`secret-tool`, polled); and the window back to baseline (verdict `elevate` for the query, no
large-scan in the status bar, no run in flight; polled through WebDriver). Prints a line per
round and a JSON summary (min/median/max per measure and kind).

    scripts/measure-lockout.py [--rounds N] [--kinds expiry,broker]
    (after `cd ui && npm run build` and `cargo test --workspace --no-run`: it uses
    $CARGO_TARGET_DIR/debug/{warden,warden-desktop,athena-standin,warden-sandbox})

Needs Xvfb, WebKitWebDriver, dbus-run-session, gnome-keyring, secret-tool and moto_server
(`make test` installs them). Figures go in docs/performance.md.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIG = "SELECT count(*) AS n FROM sales.orders"
GRANT_ENTRY = "sandbox/elevation-grant/large-scan"
# How long the stand-in holds every query QUEUED: longer than any round.
HOLD_MS = 30 * 60 * 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what, seconds, check, every=0.05):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            got = check()
        except OSError:
            got = None
        if got:
            return got
        time.sleep(every)
    raise SystemExit(f"measure-lockout: gave up waiting for {what} after {seconds} s")


class Window:
    """Just enough WebDriver for this measurement."""

    def __init__(self, base):
        self.base = base
        self.session = None

    def call(self, method, path, body=None, timeout=120):
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response).get("value")

    def open(self, binary):
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": binary, "args": []}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def close(self):
        if self.session:
            try:
                self.call("DELETE", f"/session/{self.session}", timeout=30)
            except OSError:
                pass

    def js(self, script, *args):
        return self.call("POST", f"/session/{self.session}/execute/sync", {"script": script, "args": list(args)})

    def state(self):
        """Verdict, the status bar's elevation item and whether a run is in flight, read at once."""
        return self.js(
            """
            const v = document.querySelector('#verdict');
            const e = document.querySelector('#status [data-item=elevation]');
            const c = document.querySelector('#cancel');
            return { verdict: v ? v.dataset.verdict : null,
                     elevation: e ? e.textContent : '',
                     running: !!(c && !c.hidden) };
            """
        )


def keyring_has_grant():
    out = subprocess.run(
        ["secret-tool", "search", "--all", "--unlock", "service", "warden"],
        capture_output=True, text=True, timeout=20,
    )
    return f"attribute.username = {GRANT_ENTRY}" in out.stdout + out.stderr


def events(path, after_seq):
    """(seq, ts_ms, kind, payload) of `path`'s journal after `after_seq`."""
    if not os.path.exists(path):
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute(
            "SELECT seq, ts_ms, kind, payload FROM events WHERE seq > ? ORDER BY seq", (after_seq,)
        ).fetchall()
    finally:
        conn.close()
    return [(seq, ts, kind, json.loads(payload)) for seq, ts, kind, payload in rows]


def last_seq(path):
    found = events(path, 0)
    return found[-1][0] if found else 0


def summary(values):
    values = sorted(values)
    return {"min": round(values[0], 2), "median": round(statistics.median(values), 2), "max": round(values[-1], 2)}


def main():
    args = sys.argv[1:]
    rounds, kinds = 5, ["expiry", "broker"]
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i : i + 2]
    if "--kinds" in args:
        i = args.index("--kinds")
        kinds = args[i + 1].split(",")
        del args[i : i + 2]
    if not os.environ.get("WARDEN_TEST_KEYRING"):
        # A session bus and an unlocked throw-away keyring of our own.
        os.execvp("dbus-run-session", ["dbus-run-session", "--", os.path.join(REPO, "scripts/with-keyring.sh"), sys.executable, os.path.abspath(__file__), "--rounds", str(rounds), "--kinds", ",".join(kinds)])
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/warden/target"))
    cli, app, standin = (os.path.join(target, "debug", n) for n in ("warden", "warden-desktop", "athena-standin"))
    for binary in (cli, app, standin):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"measure-lockout: no {binary}: build first (cargo test --workspace --no-run)")
    for tool in ("Xvfb", "WebKitWebDriver", "secret-tool", "moto_server"):
        if not shutil.which(tool):
            raise SystemExit(f"measure-lockout: {tool} is not installed (make test installs it)")

    scratch = tempfile.mkdtemp(prefix="warden-lockout-")
    home, user_home, state = (os.path.join(scratch, d) for d in ("home", "user", "state"))
    for d in (home, os.path.join(user_home, ".aws"), state):
        os.makedirs(d)
    env = dict(os.environ, WARDEN_HOME=home, WARDEN_SANDBOX_STATE=state, WARDEN_SANDBOX_PREBUILT="1",
               CARGO_TARGET_DIR=target, HOME=user_home, BROWSER="/nonexistent-browser")
    env.pop("AWS_PROFILE", None)

    def warden(*argv):
        return subprocess.run([cli, *argv], env=env, capture_output=True, text=True, timeout=120)

    started = []
    try:
        out = subprocess.run([os.path.join(REPO, "scripts/sandbox.sh"), "start"], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"measure-lockout: the sandbox did not start:\n{out.stdout}{out.stderr}")
        endpoints = dict(p.split("=", 1) for p in open(os.path.join(state, "endpoints")).read().split())

        # The sandbox's stand-in again, on the same ports, holding every query QUEUED (the lake
        # is already in moto): an elevated run is in flight when its grant ends. Its other
        # arguments are those of scripts/sandbox.sh's athena_start: keep them in step.
        pid_file = os.path.join(state, "athena.pid")
        old = int(open(pid_file).read())
        os.kill(old, signal.SIGTERM)
        wait("the sandbox's stand-in to stop", 30, lambda: not os.path.exists(f"/proc/{old}"))
        athena_port = endpoints["athena"].rsplit(":", 1)[1]
        s3_port = endpoints["s3"].rsplit(":", 1)[1]
        log = open(os.path.join(state, "athena.log"), "w")
        held = subprocess.Popen(
            [standin, "--moto", endpoints["moto"], "--athena-port", athena_port, "--s3-port", s3_port,
             "--until-killed", "--workgroup", "warden-pii-read", "--workgroup", "warden-large-scan",
             "--class-roles", "pii=arn:aws:iam::123456789012:role/warden-pii-read",
             "--queued-ms", str(HOLD_MS)],
            env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        with open(pid_file, "w") as f:
            f.write(str(held.pid))
        wait("the held stand-in", 60, lambda: '"athena"' in open(os.path.join(state, "athena.log")).read())

        out = warden("login", "--workspace", "sandbox", "--device-code")
        if out.returncode != 0:
            raise SystemExit(f"measure-lockout: sign-in failed:\n{out.stderr}")
        os.makedirs(os.path.join(home, "data"), exist_ok=True)
        with open(os.path.join(home, "data", "window-workspace"), "w") as f:
            f.write("sandbox")
        journal = os.path.join(home, "data/workspaces/sandbox/audit/journal.sqlite")
        broker_journal = os.path.join(home, "data/workspaces/sandbox/broker/journal.sqlite")

        xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        started.append(xvfb)
        display = ":" + xvfb.stdout.readline().decode().strip()
        port = free_port()
        driver = subprocess.Popen(["WebKitWebDriver", f"--port={port}"],
                                  env=dict(env, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true", NO_AT_BRIDGE="1"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(driver)
        w = Window(f"http://127.0.0.1:{port}")
        wait("WebKitWebDriver", 15, lambda: w.call("GET", "/status", timeout=2) is not None)
        w.open(app)
        wait("the signed-in window", 90, lambda: (lambda t: t and "signed out" not in t)(
            w.js("const e = document.querySelector('#sign-in-identity'); return e ? e.textContent : null;")))

        results = []
        print("round kind lockout_s query_cancelled_s credentials_wiped_s keyring_gone_s window_baseline_s "
              "complete_s [broker_pass_after_revoke_s] (seconds after the grant's end; negative: before it)", flush=True)
        for kind in kinds:
            for n in range(1, rounds + 1):
                results.append(one_round(w, warden, journal, broker_journal, kind, n))
        w.close()
    finally:
        for p in reversed(started):
            p.kill()
            p.wait()
        subprocess.run([os.path.join(REPO, "scripts/sandbox.sh"), "stop"], env=env, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)

    measures = ["lockout_s", "query_cancelled_s", "credentials_wiped_s", "keyring_gone_s", "window_baseline_s",
                "complete_s", "broker_pass_after_revoke_s"]
    report = {"rounds": results, "summary": {}}
    for kind in kinds:
        mine = [r for r in results if r["kind"] == kind]
        report["summary"][kind] = {m: summary([r[m] for r in mine]) for m in measures if m in mine[0]}
    print(json.dumps(report["summary"], indent=2))


def one_round(w, warden, journal, broker_journal, kind, n):
    since, broker_since = last_seq(journal), last_seq(broker_journal)
    w.js("window.__warden.setSql(arguments[0]);", BIG)
    wait("verdict elevate", 60, lambda: w.state()["verdict"] == "elevate")
    w.js("document.querySelector('button.request-elevation[data-elevation=large-scan]').click();")
    wait("the request dialog", 30, lambda: w.js("return !!document.querySelector('#elevation-submit');"))
    if kind == "expiry":
        w.js("""const s = document.querySelector('#elevation-duration');
                const o = document.createElement('option'); o.value = '60'; o.textContent = '1 min';
                s.append(o); s.value = '60';""")
    w.js("document.querySelector('#elevation-submit').click();")
    wait("the broker's grant in the window", 60,
         lambda: (lambda s: "large-scan" in s["elevation"] and s["verdict"] == "allow")(w.state()))
    granted = wait("elevation_granted in the journal", 30,
                   lambda: [e for e in events(journal, since) if e[2] == "elevation_granted"])[-1]
    request_id, expires_at_ms = granted[3]["elevation_id"], granted[3]["expires_at_ms"]
    w.js("document.querySelector('#run').click();")
    wait("the elevated run in flight", 60,
         lambda: w.state()["running"] and any(e[2] == "query_started" for e in events(journal, since)))

    if kind == "broker":
        out = warden("elevation", "revoke", request_id, "--workspace", "sandbox", "--reason", "measuring the lockout")
        if out.returncode != 0:
            raise SystemExit(f"measure-lockout: revoke failed:\n{out.stderr}")
        revoked = time.time()
    seen = {}
    deadline = time.monotonic() + (120 if kind == "expiry" else 60)
    while len(seen) < 2:
        if time.monotonic() > deadline:
            raise SystemExit(f"measure-lockout: round {n} ({kind}): no lockout seen: {seen}")
        s = w.state()
        now = time.time()
        if "window" not in seen and s["verdict"] == "elevate" and "large-scan" not in s["elevation"] and not s["running"]:
            seen["window"] = now
        if "keyring" not in seen and not keyring_has_grant():
            seen["keyring"] = time.time()
        time.sleep(0.05)

    def at(path, after, kind_, match=lambda p: True):
        found = wait(f"{kind_} in {os.path.basename(os.path.dirname(path))}'s journal", 60,
                     lambda: [e for e in events(path, after) if e[2] == kind_ and match(e[3])])
        return found[0][1] / 1000

    if kind == "expiry":
        end = expires_at_ms / 1000
    else:
        end = at(broker_journal, broker_since, "elevation_expired", lambda p: p.get("elevation_id") == request_id)
    row = {
        "round": n,
        "kind": kind,
        "lockout_s": at(journal, since, "lockout") - end,
        "query_cancelled_s": at(journal, since, "query_cancelled") - end,
        "credentials_wiped_s": at(journal, since, "credentials_wiped") - end,
        "keyring_gone_s": seen["keyring"] - end,
        "window_baseline_s": seen["window"] - end,
    }
    # Complete: the run stopped, the credentials gone and the window at baseline.
    row["complete_s"] = max(row[m] for m in list(row)[2:])
    if kind == "broker":
        # The broker's part, for the record: from the revocation written to its next pass.
        row["broker_pass_after_revoke_s"] = end - revoked
    print(f"{n} {kind} " + " ".join(f"{row[k]:.2f}" for k in list(row)[2:]), flush=True)
    return row


if __name__ == "__main__":
    main()

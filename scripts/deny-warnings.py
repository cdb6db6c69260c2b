#!/usr/bin/env python3
"""Fail a cargo build that warned: reads `cargo ... --message-format=json` on stdin.

The test build compiles Warden's crates through clippy's driver (.cargo/config.toml), so its
diagnostics are clippy's and rustc's together, and cargo replays a fresh crate's cached ones:
one build both tests and lints, instead of `cargo clippy` checking every dependency a second
time. Cargo caps the lints of registry crates, so every warning seen here is Warden's.

Prints each diagnostic as the compiler rendered it, then a one-line summary; exits 1 if any
warning or error was seen, 0 otherwise. Lines that are not JSON (a build script's output) are
passed through unchanged.
"""

import json
import sys


def main() -> int:
    warned = {}
    errors = 0
    seen = set()
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            sys.stdout.write(line)
            continue
        if message.get("reason") != "compiler-message":
            continue
        diagnostic = message["message"]
        level = diagnostic.get("level", "")
        rendered = diagnostic.get("rendered") or diagnostic.get("message", "")
        # A crate's library is linted once as a dependency and once with its unit tests: the
        # same warning twice says nothing new.
        if rendered in seen:
            continue
        seen.add(rendered)
        if level == "warning":
            name = message.get("package_id", "?")
            warned[name] = warned.get(name, 0) + 1
        elif level in ("error", "error: internal compiler error"):
            errors += 1
        else:
            continue
        sys.stdout.write(rendered)
    count = sum(warned.values())
    if count or errors:
        crates = ", ".join(sorted(short(p) for p in warned))
        print(
            f"lints: {count} warning(s){' in ' + crates if crates else ''}, {errors} error(s). "
            "make test denies warnings (rustc's and clippy's): fix them, or run "
            "`cargo clippy --workspace --all-targets` to see them alone",
            file=sys.stderr,
        )
        return 1
    print("lints: no warnings from rustc or clippy")
    return 0


def short(package_id: str) -> str:
    """`path+file:///work/main/crates/core#warden-core@0.1.0` -> `warden-core`."""
    tail = package_id.rsplit("#", 1)[-1]
    return tail.split("@", 1)[0]


if __name__ == "__main__":
    sys.exit(main())

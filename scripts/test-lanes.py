#!/usr/bin/env python3
"""Split the workspace's tests into two lanes that scripts/test.sh runs side by side.

    scripts/test-lanes.py window   # cargo test's target options for the window and wait lane
    scripts/test-lanes.py rest     # ... for everything else (--lib --bins and the other tests)

`cargo test` runs one test binary after another, and most of the slowest ones leave a core
idle: the window's end-to-end tests drive one debug app at a time, and the broker's CLI tests
and the sign-in flows wait on a clock. Each lane names its targets, so the two lanes are computed
from `cargo metadata` rather than listed by hand: a new test file lands in "rest" without
anyone remembering it, and a name below that no longer exists is an error.
"""

import json
import subprocess
import sys

# Test targets (file names under a crate's tests/) that spend their time waiting on a window
# or a clock rather than on the CPU; a name matches in every crate that has it.
WINDOW_LANE = (
    "e2e",
    "e2e_approvals",
    "e2e_athena",
    "e2e_athena_results",
    "no_display",
    "broker",
    "sandbox",
    # The sign-in flows: most of their 30 s is the device flow's polling intervals.
    "flows",
)


def integration_tests() -> set[str]:
    out = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    metadata = json.loads(out)
    return {
        target["name"]
        for package in metadata["packages"]
        for target in package["targets"]
        if target["kind"] == ["test"]
    }


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("window", "rest"):
        print("usage: scripts/test-lanes.py window|rest", file=sys.stderr)
        return 2
    tests = integration_tests()
    missing = sorted(set(WINDOW_LANE) - tests)
    if missing:
        print(
            f"test-lanes.py: no test target named {', '.join(missing)}: "
            "update WINDOW_LANE in scripts/test-lanes.py",
            file=sys.stderr,
        )
        return 1
    if sys.argv[1] == "window":
        names = sorted(WINDOW_LANE)
        args = []
    else:
        names = sorted(tests - set(WINDOW_LANE))
        args = ["--lib", "--bins"]
    for name in names:
        args += ["--test", name]
    print(" ".join(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

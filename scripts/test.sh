#!/usr/bin/env bash
# Every test Warden has: the UI's unit tests, the dependency boundary of the CLI, all Rust
# unit and integration tests (the end-to-end test drives the real app window under Xvfb), and
# the Debian package's Depends as computed from the app's binary.
# Run through `make test`, which installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden/target}"

# Each section's header carries the time since the start, so a CI log shows where a run's
# minutes went (a cold run is mostly building dependencies: docs/performance.md, "Tests").
section() { printf '== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$1"; }

section "Formatting (cargo fmt --check)"
cargo fmt --all --check

section "UI unit tests (vitest)"
report=$(mktemp --suffix=.json)
(cd ui && npx vitest run --reporter=default --reporter=json --outputFile="$report")
# vitest's own summary is not a line CI reads; say it plainly too.
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`ui: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$report"
rm -f "$report"

section "The lint-only CLI builds without Tauri, WebKit or DataFusion; the app without DataFusion"
if cargo tree -p warden-cli --no-default-features -e normal --prefix none | grep -Ei '^(tauri|webkit2gtk|gtk|datafusion)[ -]'; then
  echo "the lint-only CLI depends on a desktop or engine crate (listed above)" >&2
  exit 1
fi
if cargo tree -p warden-cli -e normal --prefix none | grep -Ei '^(tauri|webkit2gtk|gtk)[ -]'; then
  echo "the CLI depends on a desktop crate (listed above)" >&2
  exit 1
fi
# The demo engine runs as its own program (warden-demo-engine, the warden-demo package), so
# neither the app nor the CLI links it: the package stays small.
for pkg in warden-app warden-cli; do
  if cargo tree -p "$pkg" -e normal --prefix none | grep -Ei '^(datafusion|warden-engine-datafusion)[ -]'; then
    echo "$pkg links the demo engine (listed above); it must go through warden-demo-client" >&2
    exit 1
  fi
done
echo "cli-boundary: 4 passed, 0 failed"

section "One HTTP client and one TLS stack (an SDK crate with its default features brings a second)"
twice=$(cargo tree --workspace -d -e normal --depth 0 | awk 'NF >= 2 {print $1, $2}' | sort -u |
  awk '{n[$1]++} END {for (c in n) if (n[c] > 1) print c}' |
  grep -Ex 'hyper|h2|http|http-body|rustls|rustls-webpki|hyper-rustls|tokio-rustls' || true)
if [ -n "$twice" ]; then
  echo "two versions of:" $twice >&2
  echo "a second HTTP or TLS stack is built: declare the crate that brings it" >&2
  echo "through the workspace's aws-* entries (default-https-client) in Cargo.toml" >&2
  exit 1
fi
if cargo tree --workspace -e normal --prefix none | grep -E '^(ring|openssl|native-tls) v'; then
  echo "a second crypto library is built (listed above): rustls on aws-lc-rs is the one" >&2
  exit 1
fi
echo "one-stack: 2 passed, 0 failed"

section "The AWS deployment template (cfn-lint, then the security properties it must keep)"
cfn-lint deploy/warden-aws.yaml
echo "cfn-lint: 1 passed, 0 failed"
python3 deploy/check.py

section "Build the Rust tests, the app and the CLI, with clippy's lints (-D warnings)"
# One feature set, as make run builds. Warden's crates go through clippy's driver
# (.cargo/config.toml); --all-targets adds the benchmarks, so every target `cargo clippy
# --all-targets` would lint is compiled here, and any warning, rustc's or clippy's, fails.
cargo test --workspace --all-targets --no-run --message-format=json | scripts/deny-warnings.py
echo "rust-style: 2 passed, 0 failed"

section "Rust tests (all crates, and the end-to-end tests of the desktop app), in two lanes"
# cargo test runs one test binary after another, and the slowest leave a core idle (the window's
# end-to-end tests, the broker's CLI tests and the sign-in flows waiting on a clock): they run
# in a lane of their own beside the rest (scripts/test-lanes.py picks the targets from cargo
# metadata).
# Each lane has a private session bus for the keyring, notifications and the webview, and
# with-keyring.sh unlocks a throw-away GNOME Keyring on it, so the identity tests use the real
# Secret Service and the lanes never share a secret; no stray bus outlives them.
export NO_AT_BRIDGE=1
window_args=$(scripts/test-lanes.py window)
rest_args=$(scripts/test-lanes.py rest)
window_log=$(mktemp)
# shellcheck disable=SC2086 # the lanes' arguments are words
(
  failed=0
  dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --no-fail-fast $window_args || failed=1
  cargo test --workspace --doc || failed=1
  exit $failed
) >"$window_log" 2>&1 &
window_pid=$!
trap 'kill "$window_pid" 2>/dev/null || true; rm -f "$window_log"' EXIT
rest=0
# shellcheck disable=SC2086
dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --no-fail-fast $rest_args || rest=$?
window=0
wait "$window_pid" || window=$?
trap - EXIT
echo "== the window lane (run beside the tests above): $(scripts/test-lanes.py window)"
cat "$window_log"
rm -f "$window_log"
if [ "$rest" -ne 0 ] || [ "$window" -ne 0 ]; then
  echo "Rust tests failed (see the failures above)" >&2
  exit 1
fi

section "The package's Depends (scripts/deb-depends.sh on the app's binary, as make deb uses it)"
depends=$(scripts/deb-depends.sh "$CARGO_TARGET_DIR/debug/warden-desktop")
passed=0
expect() { # NAME TEXT PATTERN: TEXT matches the extended regex PATTERN
  if echo "$2" | grep -Eq "$3"; then passed=$((passed + 1)); else
    echo "deb-depends: $1: expected /$3/ in: $2" >&2
    exit 1
  fi
}
# glibc 2.36 for the packed relocations, and the libraries the binary links beside WebKit's.
expect "glibc raised for DT_RELR" "$depends" '(^|, )libc6 \(>= 2\.36\)'
for lib in libwebkit2gtk-4.1-0 libgtk-3-0 libsoup-3.0-0 libdbus-1-3 libcairo2; do
  expect "$lib declared" "$depends" "(^|, )$lib( |,|$)"
done
# The C library's version is only ever raised.
expect "a newer libc stays" "$(scripts/deb-depends.sh --raise-libc 'libc6 (>= 2.38), libgtk-3-0')" '^libc6 \(>= 2\.38\), libgtk-3-0$'
expect "an older libc is raised" "$(scripts/deb-depends.sh --raise-libc 'libc6 (>= 2.35), libgtk-3-0')" '^libc6 \(>= 2\.36\), libgtk-3-0$'
expect "a missing libc is added" "$(scripts/deb-depends.sh --raise-libc 'libgtk-3-0')" '^libc6 \(>= 2\.36\), libgtk-3-0$'
echo "deb-depends: $passed passed, 0 failed"
section "Done: every section passed"

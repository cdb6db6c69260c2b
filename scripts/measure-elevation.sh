#!/usr/bin/env bash
# Request-to-granted and end-to-wiped for an AWS elevation on the local sandbox, from the shell,
# as an analyst sees them: `warden elevation request NAME --wait` (the request goes to the
# broker's S3 queue, the broker, polling every 2 s, grants it and delivers credentials, which
# land in the keyring) and `warden elevation end NAME` (broker told, keyring entry wiped).
# Runs in a throw-away Warden home, sandbox and keyring; figures go in docs/performance.md.
#   scripts/measure-elevation.sh [ROUNDS]        (after `make test` or `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WARDEN_TEST_KEYRING:-}" ]; then
  exec dbus-run-session -- scripts/with-keyring.sh "$0" "$@"
fi
rounds="${1:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden/target}"
cli="$CARGO_TARGET_DIR/debug/warden"
export WARDEN_HOME WARDEN_SANDBOX_STATE WARDEN_SANDBOX_PREBUILT=1
WARDEN_HOME=$(mktemp -d)
WARDEN_SANDBOX_STATE=$(mktemp -d)
trap 'scripts/sandbox.sh stop >/dev/null 2>&1; rm -rf "$WARDEN_HOME" "$WARDEN_SANDBOX_STATE"' EXIT
scripts/sandbox.sh start >/dev/null
"$cli" login --workspace sandbox --device-code >/dev/null 2>&1
now() { date +%s.%N; }
echo "round request_to_granted_s end_to_wiped_s"
for round in $(seq 1 "$rounds"); do
  t0=$(now)
  "$cli" elevation request large-scan --workspace sandbox --duration 15m \
    --justification "measuring the broker" --wait --timeout 2m >/dev/null
  t1=$(now)
  "$cli" elevation end large-scan --workspace sandbox >/dev/null
  t2=$(now)
  awk -v r="$round" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%s %.2f %.2f\n", r, b - a, c - b }'
done
"$cli" logout --workspace sandbox >/dev/null

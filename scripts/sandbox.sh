#!/usr/bin/env bash
# A local AWS sandbox, no account needed (`make sandbox` / `make sandbox-stop`):
#   moto_server (S3, STS, Glue, sso-admin, identitystore) and Warden's fake of the SSO portal
#   and SSO-OIDC, both on 127.0.0.1, in the background until `scripts/sandbox.sh stop`.
# It writes the workspace `sandbox` into the Warden configuration ($WARDEN_HOME when set) and
# returns once both servers answer.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden/target}"
state="${WARDEN_SANDBOX_STATE:-${XDG_RUNTIME_DIR:-/tmp}/warden-sandbox-$(id -u)}"
helper="$CARGO_TARGET_DIR/debug/warden-sandbox"
cli="$CARGO_TARGET_DIR/debug/warden"

if [ -n "${WARDEN_HOME:-}" ]; then
  config="$WARDEN_HOME/config/config.toml"
else
  config="${XDG_CONFIG_HOME:-$HOME/.config}/warden/config.toml"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

answers() { python3 - "$1" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass  # it answered
except Exception:
    sys.exit(1)
PY
}

stop() {
  local stopped=0
  for name in fake moto; do
    if [ -f "$state/$name.pid" ]; then
      kill "$(cat "$state/$name.pid")" 2>/dev/null && stopped=1 || true
      rm -f "$state/$name.pid"
    fi
  done
  rm -f "$state/endpoints"
  [ "$stopped" = 1 ] && echo "sandbox stopped" || echo "no sandbox was running"
}

start() {
  if ! command -v moto_server >/dev/null; then
    echo "moto_server is not installed: run scripts/setup.sh --test (or pip install 'moto[server]==5.2.5')" >&2
    exit 1
  fi
  if [ -f "$state/fake.pid" ] && kill -0 "$(cat "$state/fake.pid")" 2>/dev/null; then
    echo "a sandbox is already running ($(cat "$state/endpoints")); restarting it"
    stop >/dev/null
  fi
  cargo build --quiet -p warden-test-support --bin warden-sandbox -p warden-cli
  mkdir -p "$state"
  local moto_port fake_port
  moto_port=$(free_port)
  fake_port=$(free_port)
  setsid moto_server -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 < /dev/null &
  echo $! > "$state/moto.pid"
  setsid "$helper" serve "$fake_port" >"$state/fake.log" 2>&1 < /dev/null &
  echo $! > "$state/fake.pid"
  local moto="http://127.0.0.1:$moto_port" fake="http://127.0.0.1:$fake_port"
  for _ in $(seq 1 150); do
    if answers "$moto/moto-api/" && answers "$fake/fake/health"; then
      echo "moto=$moto sso=$fake" > "$state/endpoints"
      "$helper" write-config "$config" "$fake" "$moto"
      cat <<EOT
Sandbox running on 127.0.0.1: moto_server $moto, SSO portal and SSO-OIDC fake $fake.
Workspace \`sandbox\` written to $config.
  $cli login --workspace sandbox --device-code   # the fake approves after a few polls
  $cli login --workspace sandbox                 # browser sign-in; the fake's page approves at once
  $cli whoami --workspace sandbox
  $cli credentials --workspace sandbox           # credential_process JSON
  $CARGO_TARGET_DIR/debug/warden-desktop        # the app (make run builds it)
Stop it with: make sandbox-stop
EOT
      return 0
    fi
    sleep 0.2
  done
  echo "the sandbox servers did not answer within 30 s; logs in $state" >&2
  stop >/dev/null
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

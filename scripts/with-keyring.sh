#!/usr/bin/env bash
# Runs a command with an unlocked GNOME Keyring (Secret Service) on the current session bus, so
# tests use the real OS keyring. Run it inside `dbus-run-session`. The keyring's files go to a
# temporary folder that is removed afterwards: tests never touch the user's own keyring.
set -euo pipefail
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  echo "with-keyring.sh: no session bus; run it as: dbus-run-session -- $0 COMMAND..." >&2
  exit 2
fi
if ! command -v gnome-keyring-daemon >/dev/null; then
  echo "with-keyring.sh: gnome-keyring-daemon is missing; run scripts/setup.sh --test (package gnome-keyring)" >&2
  exit 2
fi
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home"
# A non-empty password creates and unlocks the login keyring without a prompt (an empty one
# makes the daemon try to prompt and fail).
printf 'warden-test-keyring' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
export WARDEN_TEST_KEYRING=1
"$@"

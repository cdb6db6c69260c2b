#!/usr/bin/env bash
# What any Tauri 2 app costs in memory here: builds the smallest one (scripts/tauri-floor: one
# window, one static page, the same Tauri, profile and WebKit settings as Warden's app) and
# measures it as scripts/measure-window.py measures Warden's, so Warden's own share of the idle
# memory can be told apart from the platform's (docs/performance.md, "Window").
#
#   scripts/measure-tauri-floor.sh [--breakdown]
#
# Builds in $CARGO_TARGET_DIR/../floor-target (6 minutes cold on 2 cores, measured); the crate
# resolves the same versions as Warden's Cargo.lock.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$HOME/.cache/warden/target}
floor_target=$(dirname "$target")/floor-target
cp "$root/Cargo.lock" "$root/scripts/tauri-floor/Cargo.lock"
(cd "$root/scripts/tauri-floor" && CARGO_TARGET_DIR=$floor_target RUSTC_WORKSPACE_WRAPPER= \
  cargo build --release --features tauri/custom-protocol --quiet)
exec "$root/scripts/measure-window.py" "$floor_target/release/tauri-floor" --bare "$@"

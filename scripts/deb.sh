#!/usr/bin/env bash
# Builds the Debian package: the desktop app (release) with its desktop entry and icons, and the
# `warden` CLI installed beside it as /usr/bin/warden. Prints the package's path and size.
#   scripts/deb.sh            (make deb)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/warden/target}"
export CARGO_TARGET_DIR

(cd ui && npm run --silent build)
# The CLI with its default features (the demo workspace's embedded engine), staged where
# tauri.conf.json's bundle.linux.deb.files expects it.
cargo build --release --locked --bin warden
mkdir -p target/deb-staging
install -m 0755 "$CARGO_TARGET_DIR/release/warden" target/deb-staging/warden
ui/node_modules/.bin/tauri build --bundles deb -- --locked

deb=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n1)
echo "package: $deb"
echo "size: $(stat -c %s "$deb") bytes ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

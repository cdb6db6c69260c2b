#!/usr/bin/env bash
# Builds the Debian package: the desktop app (release) with its desktop entry and icons, and the
# `warden` CLI as /usr/bin/warden, a link to the app's binary, which runs the CLI when started
# under that name (src-tauri/src/main.rs). Prints the package's path and size.
#   scripts/deb.sh            (make deb)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/warden/target}"
export CARGO_TARGET_DIR

(cd ui && npm run --silent build)
# One binary, one LTO link: the app with the feature `tauri build` adds (the UI served from the
# binary); it holds the CLI too (warden-cli's library with its default features, the demo
# workspace's embedded engine), so the package carries the engine and the parser once.
# Not `tauri build`: it runs `cargo build --bins`, which also builds and links the workspace's
# test servers (athena-standin, warden-sandbox, audit-crash-writer), three more LTO links.
cargo build --release --locked --features tauri/custom-protocol --bin warden-desktop
ui/node_modules/.bin/tauri bundle --bundles deb --features tauri/custom-protocol

deb=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n1)
echo "bundler's package: $(stat -c %s "$deb") bytes, $(ar t "$deb" | grep data.tar)"

# Repack the bundler's package, keeping its control data: strip the binary (the release profile
# keeps symbols, see Cargo.toml), add /usr/bin/warden as a relative link to it, refresh md5sums
# (regular files only, as dpkg lists them) and Installed-Size, and compress data.tar with xz -9
# instead of the bundler's gzip (docs/performance.md "Package"; xz -9 needs 65 MiB to unpack).
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb --raw-extract "$deb" "$root/pkg"
strip --strip-all "$root/pkg/usr/bin/warden-desktop"
ln -s warden-desktop "$root/pkg/usr/bin/warden"

# Depends from the libraries the binary links, with glibc 2.36 for the packed relocations (see
# the script), not only the bundler's two.
depends=$(scripts/deb-depends.sh "$root/pkg/usr/bin/warden-desktop")
sed -i "s/^Depends: .*/Depends: $depends/" "$root/pkg/DEBIAN/control"
(cd "$root/pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/md5sums"
mv "$root/md5sums" "$root/pkg/DEBIAN/md5sums"
size_kib=$(du -sk --exclude=DEBIAN "$root/pkg" | cut -f1)
sed -i "s/^Installed-Size: .*/Installed-Size: $size_kib/" "$root/pkg/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz -z9 --build "$root/pkg" "$deb" >/dev/null

echo "package: $deb"
echo "size: $(stat -c %s "$deb") bytes ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

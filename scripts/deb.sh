#!/usr/bin/env bash
# Builds the Debian package: the desktop app (release) with its desktop entry and icons, and the
# `warden` CLI installed beside it as /usr/bin/warden. Prints the package's path and size.
#   scripts/deb.sh            (make deb)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/warden/target}"
export CARGO_TARGET_DIR

(cd ui && npm run --silent build)
# The two binaries in one cargo run: the app with the feature `tauri build` adds (the UI served
# from the binary), the CLI with its default features (the demo workspace's embedded engine).
# Not `tauri build`: it runs `cargo build --bins`, which also builds and links the workspace's
# test servers (athena-standin, warden-sandbox, audit-crash-writer), three more LTO links.
cargo build --release --locked --features tauri/custom-protocol --bin warden-desktop --bin warden
# The CLI staged where tauri.conf.json's bundle.linux.deb.files expects it.
mkdir -p target/deb-staging
install -m 0755 "$CARGO_TARGET_DIR/release/warden" target/deb-staging/warden
ui/node_modules/.bin/tauri bundle --bundles deb --features tauri/custom-protocol

deb=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n1)
echo "bundler's package: $(stat -c %s "$deb") bytes, $(ar t "$deb" | grep data.tar)"

# Repack the bundler's package, keeping its control data: strip the two binaries (the release
# profile keeps symbols, see Cargo.toml), refresh md5sums and Installed-Size, and compress
# data.tar with xz -9 instead of the bundler's gzip (84 MB with gzip, 54 MB with xz -6, 49 MB
# with xz -9, docs/performance.md "Package"; xz -9 needs 65 MiB to unpack).
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb --raw-extract "$deb" "$root/pkg"
strip --strip-all "$root/pkg/usr/bin/warden" "$root/pkg/usr/bin/warden-desktop"
(cd "$root/pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/md5sums"
mv "$root/md5sums" "$root/pkg/DEBIAN/md5sums"
size_kib=$(du -sk --exclude=DEBIAN "$root/pkg" | cut -f1)
sed -i "s/^Installed-Size: .*/Installed-Size: $size_kib/" "$root/pkg/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz -z9 --build "$root/pkg" "$deb" >/dev/null

echo "package: $deb"
echo "size: $(stat -c %s "$deb") bytes ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

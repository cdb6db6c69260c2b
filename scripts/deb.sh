#!/usr/bin/env bash
# Builds the two Debian packages (release):
# - warden: the desktop app with its desktop entry and icons, and the `warden` CLI as
#   /usr/bin/warden, a link to the app's binary, which runs the CLI when started under that name
#   (src-tauri/src/main.rs);
# - warden-demo: the demo workspace's engine, /usr/lib/warden/warden-demo-engine, which the app
#   starts (crates/demo-client). DataFusion, Arrow's kernels and Parquet are most of what an
#   engine weighs and only the demo uses them, so they are a package of their own, which
#   warden recommends.
# Prints each package's path and size.
#   scripts/deb.sh            (make deb)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/warden/target}"
export CARGO_TARGET_DIR
# The package is compiled by rustc alone, with its MIR optimisations: clippy's driver
# (.cargo/config.toml) is there to lint the test build, and turns them off.
export RUSTC_WORKSPACE_WRAPPER=

(cd ui && npm run --silent build)
# The app with the feature `tauri build` adds (the UI served from the binary); it holds the CLI
# too (warden-cli's library with its default features). The demo engine in the same cargo run,
# so that both share one set of compiled dependencies.
# Not `tauri build`: it runs `cargo build --bins`, which also builds and links the workspace's
# test servers (athena-standin, warden-sandbox, audit-crash-writer), three more LTO links.
cargo build --release --locked --features tauri/custom-protocol --bin warden-desktop --bin warden-demo-engine
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
version=$(sed -n 's/^Version: //p' "$root/pkg/DEBIAN/control")
# The demo workspace needs the engine, of the same version (the pipe between them is theirs).
sed -i "/^Depends: /a Recommends: warden-demo (= $version)" "$root/pkg/DEBIAN/control"
(cd "$root/pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/md5sums"
mv "$root/md5sums" "$root/pkg/DEBIAN/md5sums"
size_kib=$(du -sk --exclude=DEBIAN "$root/pkg" | cut -f1)
sed -i "s/^Installed-Size: .*/Installed-Size: $size_kib/" "$root/pkg/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz -z9 --build "$root/pkg" "$deb" >/dev/null

echo "package: $deb"
echo "size: $(stat -c %s "$deb") bytes ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

# warden-demo, written from scratch: one executable, its copyright, control data.
demo="$root/demo"
mkdir -p "$demo/DEBIAN" "$demo/usr/lib/warden" "$demo/usr/share/doc/warden-demo"
strip --strip-all -o "$demo/usr/lib/warden/warden-demo-engine" \
  "$CARGO_TARGET_DIR/release/warden-demo-engine"
chmod 755 "$demo/usr/lib/warden/warden-demo-engine"
printf 'Warden demo engine\nLicense: Apache-2.0 (/usr/share/common-licenses/Apache-2.0)\n' \
  >"$demo/usr/share/doc/warden-demo/copyright"
demo_depends=$(scripts/deb-depends.sh "$demo/usr/lib/warden/warden-demo-engine")
arch=$(dpkg --print-architecture)
cat >"$demo/DEBIAN/control" <<EOF
Package: warden-demo
Version: $version
Architecture: $arch
Maintainer: $(sed -n 's/^Maintainer: //p' "$root/pkg/DEBIAN/control")
Installed-Size: $(du -sk --exclude=DEBIAN "$demo" | cut -f1)
Depends: $demo_depends, warden (= $version)
Section: devel
Priority: optional
Description: Demo workspace engine for Warden
 The engine of Warden's demo workspace: DataFusion over a generated sample data lake, so
 Warden can be tried without an AWS account. Warden starts it; it is not a command of its own.
EOF
(cd "$demo" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/demo-md5sums"
mv "$root/demo-md5sums" "$demo/DEBIAN/md5sums"
demo_deb="$(dirname "$deb")/warden-demo_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz -z9 --build "$demo" "$demo_deb" >/dev/null

echo
echo "package: $demo_deb"
echo "size: $(stat -c %s "$demo_deb") bytes ($(du -h "$demo_deb" | cut -f1))"
dpkg-deb --info "$demo_deb" | sed -n '/Package:/,$p'

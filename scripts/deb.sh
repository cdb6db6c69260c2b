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

# Depends from the libraries the binary links (dpkg-shlibdeps, as Debian's own packages do),
# not only the bundler's two: libcairo2, libdbus-1-3, libsoup-3.0-0 and the C library's
# version. The packed relocations (src-tauri/build.rs) need glibc 2.36's GLIBC_ABI_DT_RELR,
# which dpkg-shlibdeps does not weigh (it goes by symbols): without it the package would install
# on a system with glibc 2.35 and then fail to start.
mkdir -p "$root/shlibs/debian"
printf 'Source: warden\n\nPackage: warden\nArchitecture: any\n' >"$root/shlibs/debian/control"
if ! command -v dpkg-shlibdeps >/dev/null; then
  echo "deb.sh: dpkg-shlibdeps is missing: apt-get install dpkg-dev" >&2
  exit 1
fi
# Its warnings about the binary not being in a source package's folder are expected; anything
# else it says is printed (before the verdict, so that "above" is true).
status=0
shlibs=$(cd "$root/shlibs" && dpkg-shlibdeps -O -e "$root/pkg/usr/bin/warden-desktop" 2>"$root/shlibdeps.err") ||
  status=$?
grep -v 'warning: binaries to analyze' "$root/shlibdeps.err" >&2 || true
if [ "$status" -ne 0 ]; then
  echo "deb.sh: dpkg-shlibdeps could not work out warden-desktop's dependencies (above)" >&2
  exit 1
fi
depends=$(echo "$shlibs" | sed -n 's/^shlibs:Depends=//p')
if [ -z "$depends" ]; then
  echo "deb.sh: dpkg-shlibdeps found no dependencies for warden-desktop" >&2
  exit 1
fi
# Only ever raised: a newer C library found by dpkg-shlibdeps stays.
libc=$(echo "$depends" | sed -nE 's/.*libc6 \(>= ([0-9.]+)\).*/\1/p')
# grep reads all of readelf's output (no -q): under pipefail a reader that stops early could
# kill readelf with SIGPIPE and skip the raise.
if readelf -V "$root/pkg/usr/bin/warden-desktop" | grep GLIBC_ABI_DT_RELR >/dev/null &&
  { [ -z "$libc" ] || dpkg --compare-versions "$libc" lt 2.36; }; then
  if [ -n "$libc" ]; then
    depends=$(echo "$depends" | sed -E 's/libc6 \(>= [0-9.]+\)/libc6 (>= 2.36)/')
  else
    depends="libc6 (>= 2.36), $depends"
  fi
fi
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

#!/usr/bin/env bash
# Prints the Debian `Depends` of the app's binary: the libraries it links, as dpkg-shlibdeps
# finds them (as Debian's own packages are built), with the C library raised to 2.36 when the
# binary needs glibc 2.36's GLIBC_ABI_DT_RELR (the packed relocations of src-tauri/build.rs),
# which dpkg-shlibdeps does not weigh: it goes by symbols. Without the raise the package would
# install on glibc 2.35 and then fail to start. Used by scripts/deb.sh; tested by scripts/test.sh.
#   scripts/deb-depends.sh BINARY
#   scripts/deb-depends.sh --raise-libc DEPENDS   (the raise alone, for the tests)
set -euo pipefail

# DEPENDS with libc6 at least 2.36: only ever raised, a newer one found stays.
raise_libc() {
  local depends=$1 libc
  libc=$(echo "$depends" | sed -nE 's/.*libc6 \(>= ([0-9.]+)\).*/\1/p')
  if [ -z "$libc" ]; then
    echo "libc6 (>= 2.36), $depends"
  elif dpkg --compare-versions "$libc" lt 2.36; then
    echo "$depends" | sed -E 's/libc6 \(>= [0-9.]+\)/libc6 (>= 2.36)/'
  else
    echo "$depends"
  fi
}

if [ "${1:-}" = --raise-libc ] && [ $# -eq 2 ]; then
  raise_libc "$2"
  exit 0
fi
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: scripts/deb-depends.sh BINARY (an existing file)" >&2
  exit 2
fi
binary=$(realpath "$1")
if ! command -v dpkg-shlibdeps >/dev/null; then
  echo "deb-depends.sh: dpkg-shlibdeps is missing: apt-get install dpkg-dev" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: warden\n\nPackage: warden\nArchitecture: any\n' >"$work/debian/control"
# Its warnings about the binary not being in a source package's folder are expected; anything
# else it says is printed (before the verdict, so that "above" is true).
status=0
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e "$binary" 2>"$work/err") || status=$?
grep -v 'warning: binaries to analyze' "$work/err" >&2 || true
if [ "$status" -ne 0 ]; then
  echo "deb-depends.sh: dpkg-shlibdeps could not work out $1's dependencies (above)" >&2
  exit 1
fi
depends=$(echo "$shlibs" | sed -n 's/^shlibs:Depends=//p')
if [ -z "$depends" ]; then
  echo "deb-depends.sh: dpkg-shlibdeps found no dependencies for $1" >&2
  exit 1
fi
# grep reads all of readelf's output (no -q): under pipefail a reader that stops early could
# kill readelf with SIGPIPE and skip the raise.
if readelf -V "$binary" | grep GLIBC_ABI_DT_RELR >/dev/null; then
  depends=$(raise_libc "$depends")
fi
echo "$depends"

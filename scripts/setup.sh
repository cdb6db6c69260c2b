#!/usr/bin/env bash
# Installs what Warden needs on Debian 12: system packages (through apt-get when run as root,
# otherwise it prints the exact command), then the UI's npm packages.
# Usage: scripts/setup.sh [--test]   (--test also installs the test servers)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

mapfile -t packages < <(grep -v '^\s*#' scripts/system-packages.txt | grep -v '^\s*$')
missing=()
for p in "${packages[@]}"; do
  # Node and npm may come from elsewhere (nvm, NodeSource); only ask for them when absent.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    python3-pip) command -v pip3 >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing: install it from https://rustup.rs (Rust 1.94 or newer), then run this again" >&2
  exit 1
fi

# Warden's crates are compiled by clippy's driver (.cargo/config.toml), for make run too.
if ! clippy-driver --version >/dev/null 2>&1; then
  if command -v rustup >/dev/null 2>&1; then
    echo "setup: adding clippy, whose driver compiles Warden's crates (rustup component add clippy)"
    rustup component add clippy
  else
    echo "setup: clippy-driver is missing: Warden's crates are compiled by it (.cargo/config.toml);" >&2
    echo "setup: install Rust's clippy component, then run this again" >&2
    exit 1
  fi
fi

if [ $want_tests -eq 1 ] && ! command -v moto_server >/dev/null 2>&1; then
  echo "setup: installing moto_server (PyPI moto[server]) for the AWS tests"
  pip3 install --quiet 'moto[server]==5.2.5' 2>/dev/null || pip3 install --quiet --break-system-packages 'moto[server]==5.2.5'
fi

if [ $want_tests -eq 1 ] && ! cfn-lint --version 2>/dev/null | grep -q '1.51.0'; then
  echo "setup: installing cfn-lint (PyPI) for the AWS deployment template"
  pip3 install --quiet 'cfn-lint==1.51.0' 2>/dev/null || pip3 install --quiet --break-system-packages 'cfn-lint==1.51.0'
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

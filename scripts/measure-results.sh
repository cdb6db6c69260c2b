#!/usr/bin/env bash
# Peak memory of a large result through the gate on the demo engine, from the shell:
# `warden query` over the demo workspace returns PER_CUSTOMER x 5,000 rows (the customers table
# crossed with its first PER_CUSTOMER customers: 200 gives 1,000,000 rows), written to
# /dev/null as csv, json and table, each run under `/usr/bin/time -v`; `SELECT 1` first, for
# the process's own size. Runs in a throw-away Warden home; figures go in docs/performance.md.
#   scripts/measure-results.sh [PER_CUSTOMER] [WARDEN_BINARY]   (after `make build`)
# WARDEN_BINARY may be `warden-desktop` (the package's one binary): it is started through a link
# named `warden`, which is how it knows to run the CLI.
set -euo pipefail
per_customer="${1:-200}"
[[ $per_customer =~ ^[1-9][0-9]*$ ]] || { echo "measure-results: PER_CUSTOMER must be a whole number of 1 or more, not '$per_customer'" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden/target}"
binary=$(realpath "${2:-$CARGO_TARGET_DIR/debug/warden}")
[ -x "$binary" ] || { echo "measure-results: $binary is not an executable (build it first)" >&2; exit 2; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cli="$home/warden"
ln -s "$binary" "$cli"
"$cli" --home "$home" workspace init >/dev/null 2>&1
sql="SELECT a.customer_id, a.country, b.customer_id AS other_id FROM sales.customers a CROSS JOIN sales.customers b WHERE b.customer_id <= $per_customer"
measure() {
  local what="$1"
  shift
  /usr/bin/time -v "$cli" --home "$home" "$@" 2>"$home/time.log" >/dev/null || true
  local rss wall summary
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$home/time.log")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$home/time.log")
  summary=$(grep -E ' rows? · |^warden: ' "$home/time.log" | head -1 | cut -c1-80 || true)
  echo "$what | $((rss / 1024)) MiB | $wall | $summary"
}
echo "what | peak RSS | wall | summary"
measure "SELECT 1, csv" query --format csv "SELECT 1"
for format in csv json table; do
  measure "$((per_customer * 5000)) rows, $format" query --format "$format" "$sql"
done
# Nothing of the results stays behind in the cache folder.
left=$(find "$home" -type d -name 'result-*' | wc -l)
echo "result folders left in the cache: $left"

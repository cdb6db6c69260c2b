#!/usr/bin/env bash
# Times the demo workspace's embedded engine from the shell: eleven queries, each run RUNS times
# by `warden query` (the time is the run's own, as the command prints it), median and all runs
# printed. A throw-away Warden home whose demo policy has its scan budget raised (signed with the
# demo's own key and published as the security team would), so whole-table queries run without
# the large-scan elevation. Figures go in docs/performance.md ("Embedded engine").
# WARDEN_BINARY may be `warden-desktop` (the package's one binary): it is started through a link
# named `warden`, which is how it knows to run the CLI. Times are whole milliseconds, as the
# command prints them; use an odd RUNS (an even one reports the lower middle run).
#   scripts/measure-engine.sh [WARDEN_BINARY] [RUNS]   (default: the debug `warden`, 9 runs)
set -euo pipefail
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden/target}"
binary=$(realpath "${1:-$CARGO_TARGET_DIR/debug/warden}")
runs="${2:-9}"
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "measure-engine: RUNS must be a whole number of 1 or more, not '$runs'" >&2; exit 2; }
[ -x "$binary" ] || { echo "measure-engine: $binary is not an executable (build it first)" >&2; exit 2; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cli="$home/warden"
ln -s "$binary" "$cli"
export WARDEN_HOME="$home"
"$cli" workspace init >/dev/null
demo="$home/data/workspaces/demo"
budget=77603600000
sed -i -E "s/(kind: max_scan_bytes, limit: )[0-9]+/\\1$budget/" "$demo/policy.yaml"
grep -q "limit: $budget" "$demo/policy.yaml" || { echo "measure-engine: no scan budget found in $demo/policy.yaml" >&2; exit 1; }
"$cli" bundle build --policy "$demo/policy.yaml" --revision 1000 --key "$demo/keys/demo-signing.key" \
  --out "$home/bundle.tar.gz" >/dev/null
"$cli" bundle publish --to "file://$demo/central/bundles/" "$home/bundle.tar.gz" >/dev/null
"$cli" bundle fetch >/dev/null

queries=(
  "SELECT country, count(*) FROM sales.customers GROUP BY 1"
  "SELECT count(*), sum(amount) FROM sales.orders WHERE dt = '2025-09-10'"
  "SELECT c.country, sum(o.amount) FROM sales.orders o JOIN sales.customers c ON o.customer_id = c.customer_id WHERE o.dt = '2025-09-10' GROUP BY 1 ORDER BY 2 DESC"
  "SELECT event_type, count(*) FROM web.events WHERE dt = '2025-10-01' GROUP BY 1"
  "SELECT order_id, amount, status FROM sales.orders WHERE dt = '2025-09-10' ORDER BY amount DESC LIMIT 20"
  "SELECT segment, lower(country), count(DISTINCT customer_id) FROM sales.customers GROUP BY 1, 2"
  "SELECT count(*), sum(amount) FROM sales.orders"
  "SELECT event_type, count(*) FROM web.events GROUP BY 1"
  "SELECT c.country, sum(o.amount) FROM sales.orders o JOIN sales.customers c ON o.customer_id = c.customer_id GROUP BY 1 ORDER BY 2 DESC"
  "SELECT url, count(*), count(DISTINCT user_id) FROM web.events GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
  "SELECT dt, status, avg(amount), max(order_ts) FROM sales.orders GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 5"
)
echo "median ms | runs | query"
for sql in "${queries[@]}"; do
  times=()
  for _ in $(seq "$runs"); do
    summary=$("$cli" query --format csv "$sql" 2>&1 >/dev/null | grep -E ' rows? · ' || true)
    ms=$(grep -oE '· [0-9]+ ms' <<<"$summary" | grep -oE '[0-9]+' || true)
    [ -n "$ms" ] || { echo "measure-engine: no time in the output of: $sql" >&2; "$cli" query "$sql" >&2 || true; exit 1; }
    times+=("$ms")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  echo "$median | ${times[*]} | $sql"
done

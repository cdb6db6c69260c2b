#!/usr/bin/env python3
"""Times the demo engine's process as the app uses it: one `warden-demo-engine serve`, kept
between runs, answering the eleven queries of scripts/measure-engine.sh over its pipe. Prints,
per query, the median and all RUNS times in milliseconds from the request written to the last
line of the answer read (planning, running, and the Arrow IPC stream of the rows, not storing
them), and the first request's time on a new process (its start). `warden query` starts a new
process for each run, so its figures include that start; the app's runs after the first do not.

    scripts/measure-demo-engine.py ENGINE LAKE [RUNS]   (LAKE: a demo workspace's `lake` folder)
"""
import json
import statistics
import subprocess
import sys
import time

QUERIES = [
    "SELECT country, count(*) FROM sales.customers GROUP BY 1",
    "SELECT count(*), sum(amount) FROM sales.orders WHERE dt = '2025-09-10'",
    "SELECT c.country, sum(o.amount) FROM sales.orders o JOIN sales.customers c ON o.customer_id = c.customer_id WHERE o.dt = '2025-09-10' GROUP BY 1 ORDER BY 2 DESC",
    "SELECT event_type, count(*) FROM web.events WHERE dt = '2025-10-01' GROUP BY 1",
    "SELECT order_id, amount, status FROM sales.orders WHERE dt = '2025-09-10' ORDER BY amount DESC LIMIT 20",
    "SELECT segment, lower(country), count(DISTINCT customer_id) FROM sales.customers GROUP BY 1, 2",
    "SELECT count(*), sum(amount) FROM sales.orders",
    "SELECT event_type, count(*) FROM web.events GROUP BY 1",
    "SELECT c.country, sum(o.amount) FROM sales.orders o JOIN sales.customers c ON o.customer_id = c.customer_id GROUP BY 1 ORDER BY 2 DESC",
    "SELECT url, count(*), count(DISTINCT user_id) FROM web.events GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT dt, status, avg(amount), max(order_ts) FROM sales.orders GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 5",
]

# The Arrow IPC stream's end: the continuation marker and a zero length.
END = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def ask(engine, sql):
    """Sends one run; returns (milliseconds, last line). Reads the IPC stream up to its end
    marker followed by the last line (a marker inside the rows followed by a JSON line is not
    something these queries' results hold)."""
    start = time.perf_counter()
    engine.stdin.write((json.dumps({"Run": {"statement": sql, "default_database": None}}) + "\n").encode())
    engine.stdin.flush()
    first = engine.stdout.readline()
    if not first.startswith(b'"Stream"'):
        raise SystemExit(f"measure-demo-engine: {sql}: {first.decode(errors='replace').strip()}")
    seen = b""
    while True:
        chunk = engine.stdout.read1(65536)
        if not chunk:
            raise SystemExit("measure-demo-engine: the engine stopped")
        seen += chunk
        at = seen.rfind(END)
        if at >= 0 and seen.endswith(b"\n") and seen[at + len(END):].startswith(b"{"):
            ms = (time.perf_counter() - start) * 1000
            return ms, seen[at + len(END):].decode().strip()


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    program, lake = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) == 4 else 9
    engine = subprocess.Popen([program, "serve", "--lake", lake], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, env={})
    try:
        start_ms, last = ask(engine, "SELECT 1")
        print(f"first request on a new process (SELECT 1): {start_ms:.1f} ms ({last})")
        again, _ = ask(engine, "SELECT 1")
        print(f"the same on the kept process: {again:.1f} ms")
        print("median ms | runs | query")
        for sql in QUERIES:
            ask(engine, sql)  # once to warm the page cache, as measure-engine.sh's runs do each other
            times = [ask(engine, sql)[0] for _ in range(runs)]
            print(f"{statistics.median(times):.1f} | {' '.join(f'{t:.1f}' for t in times)} | {sql}")
    finally:
        engine.stdin.close()
        engine.wait(timeout=10)


if __name__ == "__main__":
    main()

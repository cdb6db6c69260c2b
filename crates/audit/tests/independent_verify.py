#!/usr/bin/env python3
"""Verifies a Warden audit store folder without Warden: only the Python standard library and
the format in docs/audit.md. Usage: independent_verify.py STORE_DIR. Exit 0 when intact."""
import gzip, hashlib, json, os, re, sys

KEY = re.compile(r"audit/v1/dt=(\d{4}-\d{2}-\d{2})/(?:principal=([A-Za-z0-9+=,.@_:-]+)/)?"
                 r"device=([^/]+)/(\d+)-(\d+)(?:\.[a-z0-9]+)?\.jsonl\.gz$")

def canonical(obj):
    # JCS for what Warden writes: ASCII keys, strings, integers, booleans, null.
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

def main(root):
    objects = {}
    for folder, _, files in os.walk(root):
        for name in files:
            key = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            m = KEY.match(key)
            if not m:
                sys.exit(f"unexpected object {key}")
            objects.setdefault(m[3], []).append((int(m[4]), int(m[5]), key))
    total = 0
    for device, objs in objects.items():
        prev, expected, seen = bytes(32), 1, {}
        for first, last, key in sorted(objs):
            with gzip.open(os.path.join(root, key), "rb") as f:
                content = f.read()
            if (first, last) in seen and seen[(first, last)] == content:
                continue  # the same events again under another writer: a re-upload
            seen[(first, last)] = content
            if first != expected:
                sys.exit(f"device {device}: expected sequence {expected}, object {key} starts at {first}")
            with gzip.open(os.path.join(root, key), "rt", encoding="utf-8") as f:
                for line in f:
                    event = json.loads(line)
                    digest = bytes.fromhex(event.pop("hash"))
                    if bytes.fromhex(event.pop("prev_hash")) != prev or event["seq"] != expected:
                        sys.exit(f"device {device}: chain broken at sequence {expected} in {key}")
                    if hashlib.sha256(prev + canonical(event)).digest() != digest:
                        sys.exit(f"device {device}: event {expected} in {key} was altered")
                    prev, expected, total = digest, expected + 1, total + 1
            if expected != last + 1:
                sys.exit(f"device {device}: {key} ends before sequence {last}")
    print(f"OK devices={len(objects)} events={total}")

if __name__ == "__main__":
    main(sys.argv[1])

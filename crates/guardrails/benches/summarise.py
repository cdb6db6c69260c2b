#!/usr/bin/env python3
"""Summarises `cargo bench --bench lint`: median per-query parse and lint times and the median
of the per-query lint/parse ratios. Usage: summarise.py $CARGO_TARGET_DIR/criterion"""
import json
import statistics
import sys
from pathlib import Path

root = Path(sys.argv[1])
for corpus in ("tpch", "tpcds", None):
    groups = [corpus] if corpus else ["tpch", "tpcds"]
    parse, lint, ratios = [], [], []
    for g in groups:
        for d in sorted((root / g).glob("parse_*")):
            name = d.name[len("parse_"):]
            l = root / g / f"lint_{name}" / "new" / "estimates.json"
            p = d / "new" / "estimates.json"
            if not (l.exists() and p.exists()):
                continue
            pm = json.loads(p.read_text())["median"]["point_estimate"] / 1000
            lm = json.loads(l.read_text())["median"]["point_estimate"] / 1000
            parse.append(pm)
            lint.append(lm)
            ratios.append(lm / pm)
    if not ratios:
        continue
    label = corpus or "all"
    print(
        f"{label}: {len(ratios)} queries, median parse {statistics.median(parse):.0f} us, "
        f"median lint {statistics.median(lint):.0f} us, median lint/parse {statistics.median(ratios):.2f}, "
        f"max lint/parse {max(ratios):.2f}"
    )

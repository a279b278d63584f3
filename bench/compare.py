"""Print a results file written by the benchmark programs (JSON lines, one object per workload and run) as a
table: workload, ours, baseline (records/s), ratio, target, met.

    python bench/compare.py [FILE ...]        # default: bench/results/storage.jsonl
    python bench/compare.py --last FILE       # only the newest result of each workload

Several files are read in order (e.g. storage.jsonl and codec.jsonl). Each row also gives the commit measured
("+": with uncommitted changes to logstore/ or csrc/), the date (UTC) and whether it was a --quick run.
"""
from __future__ import annotations

import argparse
import json
import os

from harness import RESULTS_DIR, table


def main() -> None:
    p = argparse.ArgumentParser(description="Print benchmark results (JSON lines) as a table.")
    p.add_argument("files", nargs="*", default=[os.path.join(RESULTS_DIR, "storage.jsonl")],
                   help="results files (default: bench/results/storage.jsonl)")
    p.add_argument("--last", action="store_true", help="only the newest result of each workload")
    args = p.parse_args()
    rows = []
    for path in args.files:
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    if args.last:
        rows = list({r["name"]: r for r in rows}.values())
    print(table(rows, [("commit", lambda r: r.get("commit", "?") + ("+" if r.get("dirty") else "")),
                       ("date", lambda r: r.get("timestamp", "?")[:16]),
                       ("size", lambda r: "quick" if r.get("quick") else "full")]))


if __name__ == "__main__":
    main()

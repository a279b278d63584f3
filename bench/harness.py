"""Shared machinery of the benchmark programs in bench/ (not a benchmark itself).

A benchmark program defines named ``Workload``s and calls ``main``. Each workload measures logstore ("ours") and
a baseline doing the same work in the same run, alternating the two ``--repeat`` times, and keeps each side's
best rate, so a noisy machine moves both figures and the ratio (ours / baseline) stays meaningful. Results go to
stdout as a table and are appended to a JSON-lines file (one object per workload); bench/compare.py prints such
a file again.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import random
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterator

import lmdb

from logstore import codec

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")

# The records every workload stores: payloads from a pool of BATCH random byte strings of 150..250 bytes (~200 on
# average), made once at import, before any timing; one fixed timestamp (ms).
BATCH = 1000
TS = 1_700_000_000_000
_rng = random.Random(7)
PAYLOADS = [_rng.randbytes(_rng.randint(150, 250)) for _ in range(BATCH)]

Run = Callable[[], tuple[int, float]]   # one measured run: (records processed, seconds timed)


@dataclass(frozen=True)
class Workload:
    """A named measurement. ``setup(n, tmp)`` is a context manager yielding (ours, baseline): two ``Run``s, each
    doing its own untimed preparation and timing only the work itself. ``met(ratio, ours_seconds, ours_per_s)``
    judges the target (None: informational, no target)."""

    name: str
    records: int                  # full size
    quick_records: int            # --quick size
    baseline: str                 # what the baseline is, in words
    target: str | None
    met: Callable[[float, float, float], bool] | None
    setup: Callable[[int, str], ContextManager[tuple[Run, Run]]]


def ratio_at_least(x: float) -> Callable[[float, float, float], bool]:
    return lambda ratio, _seconds, _per_s: ratio >= x


# -- measuring -------------------------------------------------------------------------------------------------

class Stopwatch:
    """Times a block after a collection, with the garbage collector on, as users run: the collector's cost is
    part of what a workload that makes objects costs (it is a quarter of a GetRecords record's)."""

    seconds = 0.0

    def __enter__(self) -> "Stopwatch":
        gc.collect()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


@contextmanager
def temp_dir(base: str) -> Iterator[str]:
    """A fresh directory under ``base`` (keep it on the disk being measured), removed afterwards."""
    os.makedirs(base, exist_ok=True)
    path = tempfile.mkdtemp(prefix="bench-", suffix=".tmp", dir=base)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def open_raw(path: str, map_size: int = 1 << 30) -> tuple[lmdb.Environment, object]:
    """A plain py-lmdb environment with the same durability as a default logstore Environment (sync and
    metasync on), and one named database."""
    env = lmdb.open(path, map_size=map_size, subdir=True, sync=True, metasync=True, max_dbs=4, lock=True)
    return env, env.open_db(b"records")


def measure(w: Workload, n: int, tmp: str, repeat: int) -> dict:
    """Alternate ours and the baseline ``repeat`` times (swapping who goes first each round); keep each's best."""
    ours: list[tuple[int, float]] = []
    base: list[tuple[int, float]] = []
    with w.setup(n, tmp) as (run_ours, run_base):
        for i in range(repeat):
            pair = ((run_ours, ours), (run_base, base))
            for run, into in (pair if i % 2 == 0 else pair[::-1]):
                into.append(run())
    best_ours = max(ours, key=lambda r: r[0] / r[1])
    best_base = max(base, key=lambda r: r[0] / r[1])
    ours_per_s, base_per_s = best_ours[0] / best_ours[1], best_base[0] / best_base[1]
    ratio = ours_per_s / base_per_s
    return {
        "name": w.name, "records": best_ours[0], "baseline_records": best_base[0],
        "ours_per_s": round(ours_per_s), "baseline_per_s": round(base_per_s), "ratio": round(ratio, 3),
        "ours_s": round(best_ours[1], 4), "baseline_s": round(best_base[1], 4),
        "ours_runs_s": [round(s, 4) for _, s in ours], "baseline_runs_s": [round(s, 4) for _, s in base],
        "baseline": w.baseline, "target": w.target,
        "met": None if w.met is None else bool(w.met(ratio, best_ours[1], ours_per_s)),
        "repeat": repeat,
    }


# -- context of a run ------------------------------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    mem_kib = None
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
        with open("/proc/meminfo") as f:
            mem_kib = next((int(line.split()[1]) for line in f if line.startswith("MemTotal:")), None)
    except OSError:
        pass
    return {"cpu": cpu, "nproc": os.cpu_count(), "mem_gib": round(mem_kib / 2**20, 1) if mem_kib else None,
            "platform": platform.platform(), "python": platform.python_version(),
            "py_lmdb": lmdb.__version__, "lmdb": ".".join(map(str, lmdb.version()))}


def git_commit() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    # "dirty": uncommitted changes in the code being measured (bench/ and docs/ do not count)
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown",
            "dirty": bool(git("status", "--porcelain", "--", "logstore", "csrc"))}


# -- output ----------------------------------------------------------------------------------------------------

COLUMNS = [  # header, cell of a result row; text columns are left-aligned, numbers right-aligned
    ("workload", lambda r: r["name"]),
    ("records", lambda r: f"{r['records']:,}"),
    ("ours/s", lambda r: f"{r['ours_per_s']:,}"),
    ("baseline/s", lambda r: f"{r['baseline_per_s']:,}"),
    ("ratio", lambda r: f"{r['ratio']:.2f}"),
    ("ours s", lambda r: f"{r['ours_s']:.3f}"),
    ("base s", lambda r: f"{r['baseline_s']:.3f}"),
    ("target", lambda r: r.get("target") or "-"),
    ("met", lambda r: "-" if r.get("met") is None else ("yes" if r["met"] else "NO")),
]
LEFT = {"workload", "target", "commit", "date"}


def table(rows: list[dict], extra: list = ()) -> str:
    """The results as a fixed-width table, one line per result; ``extra``: more (header, cell) columns."""
    columns = COLUMNS + list(extra)
    lines = [[h for h, _ in columns]] + [[cell(r) for _, cell in columns] for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    out = ["  ".join(c.ljust(w) if h in LEFT else c.rjust(w) for c, w, (h, _) in zip(line, widths, columns))
           for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in out)


def main(description: str, workloads: list[Workload], default_out: str, argv: list[str] | None = None) -> None:
    names = [w.name for w in workloads]
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test (seconds)")
    p.add_argument("--workload", action="append", choices=names, metavar="NAME",
                   help=f"run only this workload (repeatable): {', '.join(names)}")
    p.add_argument("--repeat", type=int, default=7, help="runs of each side, alternating; best kept (default 7)")
    p.add_argument("--out", default=default_out, help="JSON-lines file results are appended to (default %(default)s)")
    p.add_argument("--tmp", default=RESULTS_DIR,
                   help="where temporary stores are made; keep it on the disk to measure (default %(default)s)")
    args = p.parse_args(argv)
    context = {"codec": codec.IMPLEMENTATION, "machine": machine(), **git_commit(), "quick": args.quick}
    chosen = [w for w in workloads if not args.workload or w.name in args.workload]
    print(f"codec {context['codec']}, commit {context['commit']}{' (dirty)' if context['dirty'] else ''}, "
          f"{context['machine']['cpu']} x{context['machine']['nproc']}, python {context['machine']['python']}, "
          f"lmdb {context['machine']['lmdb']} (py-lmdb {context['machine']['py_lmdb']})", flush=True)
    rows = []
    for w in chosen:
        n = w.quick_records if args.quick else w.records
        print(f"  {w.name}: {n:,} records x {args.repeat} ...", end="", flush=True)
        row = {**measure(w, n, args.tmp, args.repeat), **context,
               "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        print(f" ratio {row['ratio']:.2f}", flush=True)
        rows.append(row)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")
    print(table(rows))
    print(f"appended {len(rows)} result(s) to {args.out}")

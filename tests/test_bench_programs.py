"""Every program in bench/ still runs: each at its smallest size, in a child process with a time bound, writing its
results and stores under the test's temporary directory (bench/results is never touched).

Nothing here looks at a speed (docs/benchmarks.md: speed is measured by the programs, never asserted in tests);
what is asserted is that a program finishes with status 0 and, for those that record results, appends one JSON
object per workload with the fields docs/benchmarks.md describes. A program left broken by a change elsewhere
(an internal signature that moved, say) would otherwise go unnoticed until someone next measured.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")


def _server_workloads() -> list[str]:
    """bench/server.py's workloads that need no moto server (moto[server] is the bench extra, not the test's)."""
    names = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['x']; import server; "
                            "print(' '.join(w.name for w in server.WORKLOADS))"],
                           cwd=BENCH, capture_output=True, text=True, timeout=120, check=True).stdout.split()
    return [arg for name in names if "moto" not in name for arg in ("--workload", name)]


# program, its arguments (besides --out), whether it takes --tmp, the least number of results it appends
PROGRAMS = [
    ("storage.py", ["--quick", "--repeat", "1"], True, 4),
    ("codec.py", ["--quick", "--repeat", "1"], True, 1),
    ("engine.py", ["--quick", "--repeat", "1"], True, 8),
    ("inspection.py", ["--quick", "--repeat", "1"], True, 3),
    ("expressions.py", ["--quick", "--repeat", "1"], True, 1),
    ("hardening.py", ["--quick", "--repeat", "1"], True, 1),
    ("item_path.py", ["--quick", "--repeat", "1"], True, 1),
    ("testing.py", ["--quick", "--repeat", "1"], True, 1),
    ("processors.py", ["--quick"], True, 1),
    ("scaleout.py", ["--quick", "--repeat", "1"], True, 1),
    ("server.py", ["--quick", "--repeat", "1", "SERVER_WORKLOADS"], True, 5),
    ("growth.py", ["--sizes", "300,600", "--shards", "10,20", "--reps", "3", "--baseline-max", "600"], True, 1),
    ("console.py", ["--quick", "--repeat", "1", "--store-dir", "TMP"], False, 1),
]


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("program, args, takes_tmp, results", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_bench_program_runs(tmp_path, program, args, takes_tmp, results):
    out = tmp_path / "results.jsonl"
    argv = []
    for arg in args:
        argv += _server_workloads() if arg == "SERVER_WORKLOADS" else [str(tmp_path) if arg == "TMP" else arg]
    argv += ["--out", str(out)] + (["--tmp", str(tmp_path)] if takes_tmp else [])
    done = subprocess.run([sys.executable, os.path.join(BENCH, program), *argv], cwd=BENCH, capture_output=True,
                          text=True, timeout=840, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{program} {' '.join(argv)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    assert len(rows) >= results, rows
    if program not in ("growth.py", "console.py", "processors.py"):   # the harness's rows (docs/benchmarks.md)
        for row in rows:
            assert {"name", "ours_per_s", "baseline_per_s", "ratio", "commit", "machine"} <= set(row), row


@pytest.mark.slow
def test_compare_prints_a_results_file(tmp_path):
    out = tmp_path / "results.jsonl"
    subprocess.run([sys.executable, os.path.join(BENCH, "codec.py"), "--quick", "--repeat", "1", "--out", str(out),
                    "--tmp", str(tmp_path)], cwd=BENCH, capture_output=True, timeout=300, check=True)
    done = subprocess.run([sys.executable, os.path.join(BENCH, "compare.py"), str(out)], cwd=BENCH,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "codec_c_vs_pure" in done.stdout, done.stdout + done.stderr

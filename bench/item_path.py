"""The per-item write path in C (csrc/item.c, issue 13) against the Python path it replaces, in the same run.

* put_batched_c_vs_python -- engine.py's put_batched (100,000 new ~200-byte items, store.batch() of 1,000 per
  transaction, NEW_AND_OLD_IMAGES stream, durable), once with the C path (tables.items.prepared_put) and once
  with it switched off, so every item takes attrs / keycodec / change_record in Python. Baseline: the Python
  path. No target: it says what the C path buys, everything else (commit, stream append, validation hops) equal.

Timed with the garbage collector on (harness.Stopwatch). ``python bench/item_path.py --help`` for the options.
"""
from __future__ import annotations

from contextlib import contextmanager

from engine import put_batched
from harness import RESULTS_DIR, Workload, main

import logstore.api.items_api as items_api

_PREPARED = items_api.prepared_put


@contextmanager
def put_batched_c_vs_python(n: int, tmp: str):
    with put_batched(n, tmp) as (ours, _raw):
        def run(prepared):
            def timed():
                items_api.prepared_put = prepared
                try:
                    return ours()
                finally:
                    items_api.prepared_put = _PREPARED
            return timed

        yield run(_PREPARED), run(lambda tdef, item: None)


WORKLOADS = [
    Workload("put_batched_c_vs_python", 100_000, 5_000, "the same puts with the C item path switched off", None,
             None, put_batched_c_vs_python),
]

if __name__ == "__main__":
    main("The C per-item write path against the Python one.", WORKLOADS, f"{RESULTS_DIR}/item_path.jsonl")

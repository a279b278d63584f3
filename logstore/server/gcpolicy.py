"""The cyclic garbage collector's settings for a long-running server process (docs/server.md, "Memory and GC").

A server's start-up allocates everything that lives as long as the process (modules, the compiled request shapes,
the open store, the console's templates); a request allocates short-lived, almost always acyclic objects that
reference counting frees. With CPython's defaults, a page of GetRecords output (tens of thousands of objects)
triggers dozens of young collections and, now and then, a full one that walks every long-lived object again.
After start-up the server therefore collects once, freezes what survived (``gc.freeze``: never scanned again) and
raises the young-generation threshold, so collections are rare and cheap. The collector stays on: request cycles
are still found. Owns only this policy; ``Server.startup`` calls it once per worker process.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000   # allocations (net of frees) between young collections; CPython's default is 700
OLDER_THRESHOLDS = (20, 20)   # young collections per middle one, middle ones per full one (default 10, 10)


def tune_for_serving() -> None:
    """Collect, freeze the survivors of start-up, and raise the thresholds. Idempotent; the GC stays enabled."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), max(middle, OLDER_THRESHOLDS[0]), max(old, OLDER_THRESHOLDS[1]))

"""Codec benchmark: what the C core buys over its pure-Python twin.

Workload codec_c_vs_pure: encode a segment of 1,000 records (~200-byte payloads, contiguous sequence numbers,
one fixed timestamp), then validate it, again and again; "ours" is the C core (logstore.codec._native), the
baseline the pure-Python twin (logstore.codec._pure). The twin is far slower, so it processes fewer segments
(1/100 of the C side's); both are reported as records/s. Informational: the issue sets no target. No disk.
Run ``python bench/codec.py --help`` for the options.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

from harness import BATCH, PAYLOADS, RESULTS_DIR, TS, Stopwatch, Workload, main

from logstore.codec import _pure

try:
    from logstore.codec import _native
except ImportError:   # extension not built: nothing to compare
    _native = None

PURE_SHARE = 100      # the twin does 1/PURE_SHARE of the C side's records


def encode_validate(impl, n: int) -> tuple[int, float]:
    timestamps = [TS] * BATCH
    with Stopwatch() as sw:
        for first in range(1, n + 1, BATCH):
            impl.validate(impl.encode(range(first, first + BATCH), timestamps, PAYLOADS))
    return n, sw.seconds


@contextmanager
def codec_c_vs_pure(n: int, _tmp: str):
    if _native is None:
        raise SystemExit("codec_c_vs_pure: the C extension logstore._logseg is not built")
    yield (lambda: encode_validate(_native, n)), (lambda: encode_validate(_pure, max(BATCH, n // PURE_SHARE)))


WORKLOADS = [
    Workload("codec_c_vs_pure", 500_000, 20_000, "pure-Python codec twin (encode + validate)", None, None,
             codec_c_vs_pure),
]

if __name__ == "__main__":
    main(__doc__.splitlines()[0], WORKLOADS, os.path.join(RESULTS_DIR, "codec.jsonl"))

"""The compiled module's calls keep the GIL (csrc/build_logseg.py, KEEP_GIL; docs/codec.md, "The GIL"): cffi
would release it around each call, handing it to any runnable thread and waiting to get it back, which costs
more than the calls themselves. A thread counting in a loop must not advance while a C call runs."""
from __future__ import annotations

import sys
import threading
import time

import pytest

native = pytest.importorskip("logstore.codec._native")


def _wait_for(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.001)


def test_c_calls_keep_the_gil():
    data = bytes(32 << 20)   # a C call of a few milliseconds (CRC32C at some GB/s)
    counted = [0]
    stop = [False]

    def count() -> None:
        while not stop[0]:
            counted[0] += 1
            time.sleep(0)   # lets the GIL go at every turn: the main thread never waits to be given it

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.25)   # no forced switch inside a measurement (the counter gives the GIL up itself)
    counter = threading.Thread(target=count, daemon=True)
    try:
        counter.start()
        _wait_for(lambda: counted[0] > 0)
        during_c = []
        for _ in range(5):
            before = counted[0]
            native.crc32c(data)
            during_c.append(counted[0] - before)
        before = counted[0]
        _wait_for(lambda: counted[0] != before)   # the probe itself: sleeping lets the counter run
        during_sleep = counted[0] - before
    finally:
        stop[0] = True
        sys.setswitchinterval(previous)
        counter.join(5)
    assert during_sleep > 0, "the counting thread never ran while the GIL was free: the probe proves nothing"
    # with the GIL kept the counter cannot run during a call at all (only a stall of a quarter of a second could
    # force a switch); released, it runs in nearly every call
    assert during_c.count(0) >= 4, f"the counting thread advanced during C calls ({during_c}): they release the GIL"

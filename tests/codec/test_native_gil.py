"""The compiled module's calls keep the GIL (csrc/build_logseg.py, KEEP_GIL; docs/codec.md, "The GIL"): cffi
would release it around each call, handing it to any runnable thread and waiting to get it back, which costs
more than the calls themselves. A thread counting in a loop must not advance while a long C call runs."""
from __future__ import annotations

import sys
import threading
import time

import pytest

native = pytest.importorskip("logstore.codec._native")


def test_c_calls_keep_the_gil():
    data = bytes(16 << 20)   # a call of some milliseconds, still well inside the switch interval below
    counted = [0]
    stop = False

    def count() -> None:
        while not stop:
            counted[0] += 1

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.25)   # the counter takes the GIL from us only when we give it up
    counter = threading.Thread(target=count, daemon=True)
    try:
        counter.start()
        while counted[0] == 0:
            time.sleep(0.001)
        time.sleep(0.001)            # we get the GIL back here, with a quarter of a second before a forced switch
        before = counted[0]
        started = time.perf_counter()
        for _ in range(3):
            native.crc32c(data)
        during_c = counted[0] - before
        took = time.perf_counter() - started
        before = counted[0]
        time.sleep(0.005)            # the probe itself: a call that does release the GIL lets the counter run
        during_sleep = counted[0] - before
    finally:
        stop = True
        sys.setswitchinterval(previous)
        counter.join(5)
    assert during_sleep > 0, "the counting thread never ran while the GIL was free: the probe proves nothing"
    assert during_c == 0, f"the counting thread ran {during_c} times during C calls: they released the GIL"
    assert took < 0.2, f"the C calls took {took:.3f} s, too long to tell a kept GIL from a forced switch"

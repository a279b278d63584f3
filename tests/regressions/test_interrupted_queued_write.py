"""Regression: a write interrupted (Ctrl-C, a signal handler raising) while queued behind another thread's write
left its request in the group-commit queue; leadership was handed to it and never taken, so every later write
of the process waited forever. The interrupted write must change nothing and later writes must go through."""
from __future__ import annotations

import signal
import threading
import time

import pytest

from logstore.storage import Environment


class Interrupt(Exception):
    pass


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_interrupted_waiter_does_not_freeze_later_writes(store_path):
    def interrupt(*_):
        raise Interrupt()

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with Environment(store_path) as env:
            db = env.db("meta")

            inside = threading.Event()

            def slow(txn):
                inside.set()
                time.sleep(0.6)
                txn.put(b"a", b"1", db=db)

            other = threading.Thread(target=env.write, args=(slow,))
            other.start()
            assert inside.wait(30)                # the other thread now leads and holds the transaction
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            with pytest.raises(Interrupt):
                env.write(lambda txn: txn.put(b"b", b"2", db=db))   # queued, then interrupted
            other.join()
            done = threading.Event()
            threading.Thread(target=lambda: (env.write(lambda txn: txn.put(b"c", b"3", db=db)), done.set()),
                             daemon=True).start()
            assert done.wait(10), "a later write never completed"
            with env.begin_read() as txn:
                assert txn.get(b"a", db=db) == b"1" and txn.get(b"c", db=db) == b"3"
                assert txn.get(b"b", db=db) is None  # withdrawn before any leader took it
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

"""Fixtures of the processor tests: real stores in tmp_path on a FakeClock, and processors stopped at teardown."""
from __future__ import annotations

import pytest

import logstore
from logstore.clock import FakeClock
from prochelpers import START_MS


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START_MS)


@pytest.fixture
def open_store(tmp_path, clock):
    opened = []

    def open_(path=None, **options):
        options.setdefault("clock", clock)
        options.setdefault("durable", False)
        s = logstore.open(path or tmp_path / "store", **options)
        opened.append(s)
        return s

    yield open_
    for s in reversed(opened):
        try:
            s.close()
        except Exception:  # already closed by the test
            pass


@pytest.fixture
def store(open_store):
    return open_store()


@pytest.fixture
def processors():
    """``processors(p)`` starts ``p`` and stops it at teardown (before the stores close)."""
    started = []

    def start(p):
        started.append(p)
        return p.start()

    yield start
    for p in started:
        p.stop()

"""Fixtures for the embedded-API behaviour tests (tests/api): real stores in tmp_path driven by a FakeClock, and the
``api`` helper (apihelpers.Api) for the stream chores every test repeats."""
from __future__ import annotations

import pytest

import logstore
from apihelpers import START_MS, Api
from logstore.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START_MS)


@pytest.fixture
def open_store(tmp_path, clock):
    """``open_store(**options)`` opens (or reopens) the store directory tmp_path/store with the test's clock;
    every store opened this way is closed at teardown."""
    opened = []

    def open_(path=None, **options):
        options.setdefault("clock", clock)
        options.setdefault("durable", False)
        s = logstore.open(path or tmp_path / "store", **options)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        try:
            s.close()
        except Exception:  # already closed by the test
            pass


@pytest.fixture
def store(open_store):
    return open_store()


@pytest.fixture
def api(store, clock) -> Api:
    return Api(store, clock)

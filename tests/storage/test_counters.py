"""Durable counters: consecutive, never reused after commit, reused after abort."""
from __future__ import annotations

import pytest

from logstore.storage import Counters, Environment


def test_allocate_is_consecutive_and_survives_restart(store_path):
    with Environment(store_path) as env:
        c = Counters(env)
        assert env.write(lambda txn: c.allocate(txn, "a", 5)) == 1
        assert env.write(lambda txn: c.allocate(txn, "a")) == 6
        assert env.write(lambda txn: c.allocate(txn, "b", start=100)) == 100
        with pytest.raises(RuntimeError):
            env.write(lambda txn: (c.allocate(txn, "a", 10), (_ for _ in ()).throw(RuntimeError())))
    with Environment(store_path) as env:
        c = Counters(env)
        assert env.write(lambda txn: c.allocate(txn, "a")) == 7
        with pytest.raises(ValueError):
            env.write(lambda txn: c.allocate(txn, "a", 0))

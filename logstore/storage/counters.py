"""Durable monotonic counters (e.g. sequence-number allocation), kept in the ``counters`` database.

Format: key = the counter's UTF-8 name; value = u64 LE, the next value to hand out. ``allocate`` runs inside the
caller's write transaction, so numbers handed out by a transaction that aborts are handed out again, and numbers
from one that commits are never reused, also across restarts. Thread-safety: stateless; LMDB serialises writers.
"""
from __future__ import annotations


from . import keys
from .env import Environment
from .txn import Txn


class Counters:
    def __init__(self, env: Environment):
        self.db = env.db("counters")

    def peek(self, txn: Txn, name: str, start: int = 1) -> int:
        """The next value ``allocate`` would return."""
        if self.db is None:
            return start
        raw = txn.get(keys.counter_key(name), db=self.db)
        return keys.unpack_counter(raw) if raw is not None else start

    def allocate(self, txn: Txn, name: str, n: int = 1, start: int = 1) -> int:
        """Reserve ``n`` consecutive values; return the first. A new counter begins at ``start``."""
        if n < 1:
            raise ValueError("allocate at least one value")
        first = self.peek(txn, name, start)
        txn.put(keys.counter_key(name), keys.pack_counter(first + n), db=self.db)
        return first

    def raise_to(self, txn: Txn, name: str, value: int) -> int:
        """Make the counter at least ``value``; return its new value (a monotonic high-water mark)."""
        current = self.peek(txn, name, 0)
        if value > current:
            txn.put(keys.counter_key(name), keys.pack_counter(value), db=self.db)
            return value
        return current

    def delete(self, txn: Txn, name: str) -> None:
        """Forget the counter (it reads as its start value again)."""
        txn.delete(keys.counter_key(name), db=self.db)

    def add(self, txn: Txn, name: str, delta: int) -> int:
        """Add ``delta`` (which may be negative; the value never goes below 0) and return the new value."""
        value = max(0, self.peek(txn, name, 0) + delta)
        txn.put(keys.counter_key(name), keys.pack_counter(value), db=self.db)
        return value

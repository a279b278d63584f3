"""The only source of "now" in logstore.

Everything that depends on time (retention, shard rollover, iterator expiry, TTL) takes a ``Clock`` and asks it,
never ``time.time()``, so tests can move time by hand. Times are integer milliseconds since the Unix epoch.

Leaf module. ``SystemClock`` is stateless; ``FakeClock`` and ``OffsetClock`` are safe to share between threads.
"""
from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FakeClock:
    """A clock that moves only when told to (forward or backward: tests jump it both ways)."""

    def __init__(self, start_ms: int = 1_700_000_000_000):
        self._now = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now

    def advance(self, ms: int) -> int:
        with self._lock:
            self._now += ms
            return self._now

    def set(self, now_ms: int) -> None:
        with self._lock:
            self._now = now_ms


SYSTEM_CLOCK = SystemClock()


class OffsetClock:
    """Another clock moved forward by an adjustable offset (a server started with test endpoints uses one over the
    system clock, so tests can make shards roll over and iterators expire). Safe to share between threads."""

    def __init__(self, base: Clock):
        self._base = base
        self._offset = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._base.now_ms() + self._offset

    def advance(self, ms: int) -> int:
        with self._lock:
            self._offset += ms
        return self.now_ms()

    def set_offset(self, ms: int) -> None:
        with self._lock:
            self._offset = ms

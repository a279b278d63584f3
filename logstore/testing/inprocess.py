"""``mock()``: while active, every botocore client for DynamoDB and DynamoDB Streams in the process is answered in
process by embedded stores, through the server's own per-request core (interceptor.py -> server/dispatch.py).

A ``Mock`` is a context manager, a decorator (functions, coroutine functions, methods, classes) and, while active,
the handle a test uses: ``store`` (the default region's ``Store``), ``clock``, ``advance(...)`` (moves the clock and
runs maintenance, so shards roll over, records are trimmed and TTL items expire), ``records(table)`` and ``path``.

Stores: one per region the clients use (ARNs name their region, as AWS's do), opened on first use under
``path/<region>``. Without ``path`` that is a fresh temporary directory, removed at exit (renamed at once, deleted
on a background thread), with durability off (no fsync: a test does not survive a power cut anyway); with ``path``
the stores stay for the CLI (``logstore tables PATH/us-east-1``) and are durable unless ``durable=False``.

Clock: by default the system clock plus an offset that ``advance`` grows (so code that computes TTLs from
``time.time()`` agrees with the store); pass ``clock=FakeClock(...)`` for a clock that stands still.

Environment while any mock is active: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` are set to dummy values (so
botocore never looks for credentials elsewhere, e.g. over the network, and real ones are out of reach),
``AWS_DEFAULT_REGION`` to the first mock's region when no region is set; boto3's default session is replaced. All
restored when the last active mock exits.

Nesting and threads (docs/testing.md): mocks are process-wide; the innermost active one answers every thread; a
nested mock is a separate, fresh set of stores that shadows the outer one until it exits (the outer one's data and
clock are untouched). Exiting takes a mock off the stack wherever it is, so mocks of several threads may end in any
order. A Mock may be active once at a time; stores are shared by all threads, as a Store may be.
"""
from __future__ import annotations

import atexit
import functools
import inspect
import os
import queue
import shutil
import sys
import tempfile
import threading
import unittest
from typing import Any

import orjson

import logstore
from logstore.api import Store, StreamPolicy
from logstore.clock import SYSTEM_CLOCK, Clock, OffsetClock
from logstore.server.auth import Verifier
from logstore.server.dispatch import Dispatcher
from logstore.server import wire

from . import interceptor, timeline
from .lineage import records_along_lineage

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

_shared_lock = threading.Lock()
_shared: dict[str, Any] = {}


def _verifier() -> Verifier:
    """The one verifier of every mock (it accepts every request), made once per process."""
    with _shared_lock:
        if "verifier" not in _shared:
            _shared["verifier"] = Verifier(None)
        return _shared["verifier"]


class _Environment:
    """What the process looks like while any mock is active: dummy credentials, a region when none is set, no
    boto3 default session from before. Set by the first mock to start, restored when the last one stops (so
    mocks may stop in any order)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = 0
        self._saved_env: dict[str, str | None] = {}
        self._saved_session: Any = None
        self._ours: Any = None   # the default boto3 session of every mock: made once, under the mock environment

    def acquire(self, region: str) -> None:
        with self._lock:
            self._depth += 1
            if self._depth > 1:
                return
            wanted = dict(DUMMY_CREDENTIALS)
            if not os.environ.get("AWS_DEFAULT_REGION") and not os.environ.get("AWS_REGION"):
                wanted["AWS_DEFAULT_REGION"] = region
            self._saved_env = {name: os.environ.get(name) for name in wanted}
            os.environ.update(wanted)
            boto3 = sys.modules.get("boto3")   # only if the program uses boto3 at all
            self._saved_session = (boto3, boto3.DEFAULT_SESSION) if boto3 is not None else None
            if boto3 is not None:
                # one made before may lack the handler or hold other credentials: use one made now, and the same
                # one in every later mock (its credentials are the same dummy ones), so a test that makes new
                # clients does not pay for a new session's model loading each time, as under moto
                if self._ours is None:
                    self._ours = boto3.Session()
                boto3.DEFAULT_SESSION = self._ours

    def release(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth > 0:
                return
            for name, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            if self._saved_session is not None:
                boto3, session = self._saved_session
                boto3.DEFAULT_SESSION = session
            self._saved_env, self._saved_session = {}, None


_ENVIRONMENT = _Environment()


class _Remover:
    """Deletes the temporary stores of ended mocks on a thread of its own, so a test's teardown pays for a rename
    only (on a busy disk, deleting a store's files took milliseconds). Drained at interpreter exit."""

    def __init__(self):
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def remove(self, path: str) -> None:
        trash = f"{path}.removing"
        try:
            os.rename(path, trash)   # gone from its name at once; the files go in the background
        except OSError:
            shutil.rmtree(path, ignore_errors=True)
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="logstore-mock-remover", daemon=True)
                self._thread.start()
                atexit.register(self.drain)
        self._queue.put(trash)

    def _run(self) -> None:
        while True:
            path = self._queue.get()
            if path is None:
                return
            shutil.rmtree(path, ignore_errors=True)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every store handed over so far is deleted (at exit; tests that count files call it)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)


_REMOVER = _Remover()


class _Region:
    """One region's store, opened on first use, and a gate so that closing waits for calls in flight."""

    def __init__(self, mock: "Mock", region: str):
        self.mock, self.region = mock, region
        self._cond = threading.Condition()
        self._inside = 0
        self._closed = False
        self.store: Store | None = None
        self.dispatcher = Dispatcher(_verifier(), self)

    def open(self) -> Store:
        with self._cond:
            if self._closed:
                raise RuntimeError("this mock has ended")
            if self.store is None:
                self.store = self.mock._open_store(self.region)
            return self.store

    def enter(self) -> Store:
        store = self.open()
        with self._cond:
            self._inside += 1
        return store

    def leave(self) -> None:
        try:
            jobs = self.store.tables.jobs_queued
            if jobs.is_set():   # a request queued an index build or drop: run it now, in the caller's thread
                jobs.clear()
                self.store.build_indexes()
        finally:
            with self._cond:
                self._inside -= 1
                self._cond.notify_all()

    def close(self, timeout: float = 30.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.wait_for(lambda: self._inside == 0, timeout)
            if self.store is not None:
                self.store.close()
                self.store = None


class Mock:
    """See the module docstring. ``mock(...)`` makes one."""

    def __init__(self, path: str | os.PathLike | None = None, *, region: str = "us-east-1",
                 account: str = "000000000000", clock: Clock | None = None, durable: bool | None = None,
                 stream_policy: StreamPolicy | None = None):
        self._path_option = os.fspath(path) if path is not None else None
        self.region, self.account = region, account
        self._clock_option = clock
        self.durable = durable if durable is not None else path is not None
        self.stream_policy = stream_policy   # None: the one a kept store recorded, else the default
        self.keep = False            # set before exit to keep a temporary store (the pytest plugin's option)
        self._lock = threading.Lock()
        self._regions: dict[str, _Region] = {}
        self._active = False
        self.path: str | None = None
        self.clock: Any = None

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> "Mock":
        with self._lock:
            if self._active:
                raise RuntimeError("this mock is already active; nest a new mock() instead")
            _verifier()
            if self._path_option is not None:
                os.makedirs(self._path_option, exist_ok=True)
                self.path = self._path_option
            else:
                self.path = tempfile.mkdtemp(prefix="logstore-mock-")
            self.clock = self._clock_option if self._clock_option is not None else OffsetClock(SYSTEM_CLOCK)
            self._regions = {}
            self.keep = False
            _ENVIRONMENT.acquire(self.region)
            self._active = True
        interceptor.push(self)
        return self

    def stop(self) -> None:
        with self._lock:
            if not self._active:
                raise RuntimeError("this mock is not active")
            self._active = False
        interceptor.remove(self)
        try:
            for region in list(self._regions.values()):
                region.close()
        finally:
            _ENVIRONMENT.release()
            if self._path_option is None and not self.keep:
                _REMOVER.remove(self.path)

    def __enter__(self) -> "Mock":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def active(self) -> bool:
        return self._active

    # -- decorator -----------------------------------------------------------------------------------------------

    def __call__(self, target):
        if inspect.isclass(target):
            return self._decorate_class(target)
        if inspect.iscoroutinefunction(target):
            @functools.wraps(target)
            async def run_async(*args, **kwargs):
                with self:
                    return await target(*args, **kwargs)
            return run_async

        @functools.wraps(target)
        def run(*args, **kwargs):
            with self:
                return target(*args, **kwargs)
        return run

    def _decorate_class(self, klass: type) -> type:
        """A fresh mock around each test: for a unittest.TestCase from before ``setUp`` to after ``tearDown``; for a
        class with ``setup_method``, from it to after ``teardown_method``; otherwise around each ``test*`` method."""
        if issubclass(klass, unittest.TestCase):
            original = klass.setUp

            @functools.wraps(original)
            def set_up(test_self, *args, **kwargs):
                self.start()
                test_self.addCleanup(self.stop)   # runs after tearDown, and also when setUp raises
                return original(test_self, *args, **kwargs)
            klass.setUp = set_up
            return klass
        setup = inspect.getattr_static(klass, "setup_method", None)
        if inspect.isfunction(setup):
            teardown = inspect.getattr_static(klass, "teardown_method", None)

            def call(fn, test_self, method):   # pytest passes ``method`` only to those that take it
                return fn(test_self, method) if fn.__code__.co_argcount > 1 else fn(test_self)

            @functools.wraps(setup)
            def setup_method(test_self, method=None):
                self.start()
                try:
                    return call(setup, test_self, method)
                except BaseException:
                    self.stop()
                    raise

            def teardown_method(test_self, method=None):
                try:
                    if inspect.isfunction(teardown):
                        call(teardown, test_self, method)
                finally:
                    self.stop()
            klass.setup_method = setup_method
            klass.teardown_method = teardown_method
            return klass
        for name in dir(klass):
            if name.startswith("test"):
                value = inspect.getattr_static(klass, name)
                if inspect.isfunction(value):
                    setattr(klass, name, self(value))
        return klass

    # -- the handle ----------------------------------------------------------------------------------------------

    def _require_active(self) -> None:
        if not self._active:
            raise RuntimeError("the mock is not active")

    def _open_store(self, region: str) -> Store:
        # index builds run at the end of the request that queued them (_Region.leave), not on a thread per store:
        # a test sees a new GSI ACTIVE at once, and a store costs no thread to start and join
        return logstore.open(os.path.join(self.path, region), durable=self.durable, clock=self.clock, region=region,
                             account=self.account, stream_policy=self.stream_policy, index_builds=False)

    def _region(self, region: str) -> _Region:
        found = self._regions.get(region)
        if found is None:
            with self._lock:
                found = self._regions.get(region)
                if found is None:
                    found = self._regions[region] = _Region(self, region)
        return found

    def dispatcher(self, region: str) -> Dispatcher:
        """The server's per-request core over ``region``'s store (used by the interceptor)."""
        return self._region(region).dispatcher

    @property
    def store(self) -> Store:
        """The default region's store (the embedded ``Store``: its snake_case methods skip the wire)."""
        return self.store_for(self.region)

    def store_for(self, region: str) -> Store:
        self._require_active()
        return self._region(region).open()

    def path_for(self, region: str | None = None) -> str:
        """The directory of a region's store (``logstore tables`` and the other commands read it)."""
        self._require_active()
        return os.path.join(self.path, region or self.region)

    @property
    def regions(self) -> list[str]:
        """The regions whose store has been opened."""
        return sorted(name for name, r in self._regions.items() if r.store is not None)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> dict:
        """Move the clock forward and run maintenance as a server would have meanwhile (timeline.py: a round per
        simulated hour, at most 240), each rolling over due shards, trimming records past the 24-hour retention and
        deleting expired TTL items, in every open region. Returns the totals and the new time."""
        self._require_active()
        totals = {"rolled": 0, "records_trimmed": 0, "shards_deleted": 0, "streams_deleted": 0}
        for step in timeline.steps(timeline.total_ms(seconds, minutes, hours, days)):
            self.clock.advance(step)
            for name, value in self.maintain().items():
                totals[name] += value
        totals["now_ms"] = self.clock.now_ms()
        return totals

    def maintain(self) -> dict:
        """One maintenance round now, in every open region (what ``advance`` runs)."""
        self._require_active()
        totals = {"rolled": 0, "records_trimmed": 0, "shards_deleted": 0, "streams_deleted": 0}
        for region in list(self._regions.values()):
            store = region.store
            if store is None:
                continue
            report = store.maintain()
            store.build_indexes()   # what the TTL sweep or a dropped table queued
            for name in totals:
                totals[name] += getattr(report, name)
        return totals

    def records(self, table: str, *, region: str | None = None) -> list[dict]:
        """Every readable record of the table's latest stream, shard by shard along lineage (parents first), as the
        wire carries them (the JSON of GetRecords: binary values base64, times epoch seconds)."""
        store = self.store_for(region or self.region)
        return records_along_lineage(lambda op, **request: orjson.loads(wire.encode(store.call(op, request))),
                                     table)


def mock(path: str | os.PathLike | None = None, **options) -> Mock:
    """A new ``Mock``: ``with mock() as m:``, ``@mock()``, or ``m = mock(); m.start() ... m.stop()``."""
    return Mock(path, **options)


def current() -> Mock | None:
    """The innermost active mock (what a decorated test uses to reach its handle), or None."""
    return interceptor.innermost()

"""The ASGI application: DynamoDB and DynamoDB Streams (AWS JSON 1.0) over one store.

Per request: body size (refused with 413 from Content-Length before reading, or as soon as the streamed body
passes the limit), then the per-request core, dispatch.py's (shared with the in-process mock, logstore.testing):
SigV4 -> ``X-Amz-Target`` -> JSON -> member types against botocore's model -> the engine's ``Store.call`` -> JSON
out. Every operation of the engine's ``ROUTES`` (api/operations.py) is routed, generically: all behaviour lives
in the engine. An ``AwsError`` becomes AWS's envelope; anything else is logged with the request id and
becomes InternalServerError with no details.

Where a request runs (docs/server.md, "Concurrency and durability"): the single-item writes (``SUBMIT_TARGETS``:
PutItem, DeleteItem, UpdateItem) are checked on the event loop's thread and handed to the store's one committer
thread (``Store.submit``), which commits every write waiting in one transaction and one fsync and answers each
through ``loop.call_soon_threadsafe``: one hand-off each way, no thread waiting; a write that is alone (the
worker's only request in flight, no write running: ``Server._alone``) is committed on the loop itself, since a
group would carry it alone and the hand-offs only add latency. Bounded reads (``INLINE_TARGETS``:
GetRecords, GetItem, the Describe/List calls) are answered on the event loop's thread, and so is a BatchWriteItem
or TransactWriteItems that is alone (``LONE_TARGETS``). Everything else runs on a thread pool, where concurrent
writes meet in ``env.write``'s group commit. A response is sent only after its commit returned, so a success means
the write and its record are on disk.

Also served: ``GET /`` (a health line, like AWS's endpoints); the web console below ``/console/``
(logstore/console, docs/console.md: behind the same access keys, through a login form; off with
``Settings.console=False``); and, only when test endpoints are enabled,
``POST /moto-api/reset`` (wipe all state), ``POST /logstore-admin/split-shard`` (split a shard's partition now:
``{"StreamArn", "ShardId"}``), ``POST /logstore-admin/advance-clock`` (``{"Seconds": n}``, moves the server's clock
forward) and ``POST /logstore-admin/maintain`` (rollover, retention trim and TTL sweep now).

The background maintenance (rollover, retention trim, TTL sweep) is a ``StoreHolder`` thread running the store's
``maintenance_loop`` over whichever store is open (a failing round is logged, the next one runs).

Thread-safety: one ``Server`` per process (``serve --workers N`` runs N processes over the same store, each with
its own ``Server``, made by ``from_environment``); requests run concurrently on the pool; ``StoreHolder`` lets a
reset wait for in-flight calls and hold new ones back while it wipes the store.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import logging
import os
import threading
from dataclasses import dataclass

import logstore
from logstore.api import Store, StreamPolicy, members
from logstore.api.store import maintenance_loop
from logstore.clock import SYSTEM_CLOCK, OffsetClock
from logstore.errors import (AwsError, InternalServerError, RequestEntityTooLargeException, RequestTimeoutException,
                             SerializationException, ThrottlingException, UnknownOperationException,
                             ValidationException)

from . import gcpolicy, protocol, wire
from .auth import Verifier
from .dispatch import Dispatcher
from .limits import DEFAULT_MAX_BODY

log = logging.getLogger("logstore.server")

STORE_FILES = ("data.mdb", "lock.mdb")   # what an LMDB environment with subdir=True consists of (storage/env.py)
DEFAULT_BODY_BUDGET = 64 * 1024 * 1024   # request-body bytes one worker holds at once (protocol.BodyBudget)
DEFAULT_BODY_TIMEOUT = 60.0              # seconds for a request's whole body to arrive


class _Disconnected(Exception):
    """The client went away before its request's body was whole: nothing runs, nobody to answer."""


@dataclass
class Settings:
    path: str
    keys: dict[str, str] | None = None            # access key id -> secret; None: no verification
    max_body: int = DEFAULT_MAX_BODY
    test_endpoints: bool = False
    threads: int = 32
    maintenance_interval: float | None = 60.0
    durable: bool = True
    region: str = "us-east-1"
    account: str = "000000000000"
    rollover_ms: int | None = None                # None: StreamPolicy's default (4 hours)
    workers: int = 1                              # processes serving the store (see command.py)
    console: bool = True                          # serve the web console at /console/
    max_request_line: int = protocol.MAX_REQUEST_LINE
    max_header_bytes: int = protocol.MAX_HEADER_BYTES
    max_headers: int = protocol.MAX_HEADERS
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    body_budget: int = DEFAULT_BODY_BUDGET
    tune_gc: bool = True                          # gcpolicy.tune_for_serving at start-up (False: leave the GC as is)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        return cls(**json.loads(text))


SETTINGS_ENV = "LOGSTORE_SERVER_SETTINGS"


def from_environment() -> "Server":
    """The application of one worker process when ``serve`` runs several (uvicorn's factory): the settings come
    from ``$LOGSTORE_SERVER_SETTINGS``, written by the parent."""
    settings = Settings.from_json(os.environ[SETTINGS_ENV])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return Server(settings)


class StoreHolder:
    """The open store, and a gate: calls ``enter``/``leave`` around their use of it; ``reset`` waits until none is
    inside, closes the store, deletes its files, opens a new one, and lets the waiting calls in."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.clock = OffsetClock(SYSTEM_CLOCK) if settings.test_endpoints else SYSTEM_CLOCK
        self._cond = threading.Condition()
        self._inside = 0
        self._resetting = False
        self.store = self._open()
        self._stop = threading.Event()
        self._maintainer = None
        if settings.maintenance_interval:
            self._maintainer = threading.Thread(target=maintenance_loop, name="logstore-maintenance",
                                                args=(self._maintain_once, settings.maintenance_interval,
                                                      self._stop), daemon=True)
            self._maintainer.start()

    def _open(self):
        s = self.settings
        options = {"stream_policy": StreamPolicy(rollover_ms=s.rollover_ms)} if s.rollover_ms else {}
        return logstore.open(s.path, durable=s.durable, clock=self.clock, region=s.region, account=s.account,
                             **options)

    def _maintain_once(self):
        """One maintenance round of the store open now (a reset may have replaced it)."""
        store = self.enter()
        try:
            return store.maintain()
        finally:
            self.leave()

    def enter(self):
        with self._cond:
            while self._resetting:
                self._cond.wait()
            self._inside += 1
            return self.store

    def leave(self) -> None:
        with self._cond:
            self._inside -= 1
            if self._inside == 0:
                self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            while self._resetting:
                self._cond.wait()
            self._resetting = True
            while self._inside:
                self._cond.wait()
        try:
            self.store.close()
            for name in STORE_FILES:   # only the store's own files: the directory may hold other things
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.settings.path, name))
            if isinstance(self.clock, OffsetClock):
                self.clock.set_offset(0)
            self.store = self._open()
        finally:
            with self._cond:
                self._resetting = False
                self._cond.notify_all()

    def close(self) -> None:
        self._stop.set()
        if self._maintainer is not None:
            self._maintainer.join()
        with self._cond:
            self._resetting = True
            while self._inside:
                self._cond.wait()
        self.store.close()


class Server:
    """The ASGI callable. ``startup``/``shutdown`` run from the ASGI lifespan."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.verifier = Verifier(settings.keys)
        self.holder: StoreHolder | None = None
        self.dispatcher: Dispatcher | None = None
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.console = None
        protocol.configure(protocol.HttpLimits(settings.max_request_line, settings.max_header_bytes,
                                               settings.max_headers))
        self.budget = protocol.BodyBudget(max(settings.body_budget, 1))
        self.lone_writes = 0        # single-item writes committed on the event loop (``_alone``)
        self.submitted_writes = 0   # and those handed to the committer thread
        self.lone_batches = 0       # BatchWriteItem / TransactWriteItems run on the event loop (``LONE_TARGETS``)

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def startup(self) -> None:
        protocol.return_freed_memory_to_the_os()
        members.compile_all()
        os.makedirs(self.settings.path, exist_ok=True)
        self.holder = StoreHolder(self.settings)
        self.dispatcher = Dispatcher(self.verifier, self.holder)
        self.pool = concurrent.futures.ThreadPoolExecutor(self.settings.threads, thread_name_prefix="logstore-req")
        if self.settings.console:
            from logstore.console import Console   # its templates load only when the console is on
            self.console = Console(self._console_store, self.settings.path, readonly=False,
                                   keys=self.settings.keys, pool=self.pool)
        if self.settings.tune_gc:   # last: what start-up built lives as long as the process
            gcpolicy.tune_for_serving()

    @contextlib.contextmanager
    def _console_store(self):
        """The store, for one console call: inside the holder's gate, like an API call."""
        store = self.holder.enter()
        try:
            yield store
        finally:
            self.holder.leave()

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        if self.holder is not None:
            stats = self.holder.store.env.write_stats()   # LMDB's one write lock: how long this worker held it
            log.info("worker %d: %d write transactions, open %.3f ms each on average, of it %.3f ms committing",
                     os.getpid(), stats.transactions, stats.held_s * 1e3 / max(stats.transactions, 1),
                     stats.commit_s * 1e3 / max(stats.transactions, 1))
            log.info("worker %d: %d single-item writes committed on the event loop (nothing else in flight), %d by "
                     "the committer thread", os.getpid(), self.lone_writes, self.submitted_writes)
            log.info("worker %d: %d batch and transaction writes run on the event loop (nothing else in flight)",
                     os.getpid(), self.lone_batches)
            self.holder.close()

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.startup()
                except Exception as exc:  # reported to the server, which exits
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.get_running_loop().run_in_executor(None, self.shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- HTTP ----------------------------------------------------------------------------------------------------

    async def _http(self, scope, receive, send) -> None:
        # while the committer stages a group inside LMDB's write lock, take up no request: see Environment.
        # wait_for_staging (docs/server.md, "The committer stages first")
        self.holder.store.env.wait_for_staging()
        rid = wire.request_id()
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]},{text}" if key in headers else text
        method, path = scope["method"], scope["path"]
        if method == "GET" and path == "/":
            return await _send(send, 200, b"healthy: logstore", [(b"content-type", b"text/plain")])
        if self.console is not None and (path == "/console" or path.startswith("/console/")):
            if path == "/console":
                return await _send(send, 308, b"", [(b"location", b"/console/")])
            return await self.console(scope, receive, send)
        reserved = 0
        try:
            try:
                reserved, body = await self._body(headers, receive, scope.get(protocol.BODY_COMPLETE, False))
            except _Disconnected:
                return   # a partial request is never executed, and there is nobody to answer
            except AwsError as exc:
                status, out = wire.error_body(exc)
                return await _send(send, status, out, wire.headers(out, rid) + [(b"connection", b"close")])
            if method == "POST" and self.settings.test_endpoints and path in TEST_ENDPOINTS:
                fn = self._test_endpoint
            elif method == "POST" and path == "/":
                fn = self._handle
            else:
                out = wire.encode({"__type": UnknownOperationException.aws_type()})
                return await _send(send, 404 if method == "POST" else 405, out, wire.headers(out, rid))
            query = scope.get("query_string", b"").decode("latin-1")
            target = headers.get("x-amz-target") if fn == self._handle else None   # (a new bound method each time)
            if target in INLINE_TARGETS:
                status, out = fn(rid, method, path, query, headers, body)   # a bounded read: no pool hop
            elif target in SUBMIT_TARGETS:
                if self._alone():   # nothing to group it with: committed here, no hand-off either way
                    self.lone_writes += 1
                    status, out = fn(rid, method, path, query, headers, body)
                else:
                    self.submitted_writes += 1
                    status, out = await self._submitted(rid, method, path, query, headers, body)
            elif target in LONE_TARGETS and self._alone():   # bounded, and nothing for the pool to overlap it with
                self.lone_batches += 1
                status, out = fn(rid, method, path, query, headers, body)
            else:
                status, out = await asyncio.get_running_loop().run_in_executor(
                    self.pool, fn, rid, method, path, query, headers, body)
            del body
            await _send(send, status, out, wire.headers(out, rid))
        finally:
            if reserved:
                self.budget.release(reserved)

    async def _body(self, headers: dict[str, str], receive, arrived: bool = False) -> tuple[int, bytes]:
        """The whole request body, and how many bytes of the body budget it holds (the caller releases them).
        Refused before anything is read: a Content-Length over the limit (413) or not a number. Then the budget
        is reserved (ThrottlingException if it stays spent for the body timeout); the body must arrive whole
        within the timeout (RequestTimeoutException); a client that goes away first (a short body) is
        ``_Disconnected``. ``arrived``: the connection layer already holds the whole body
        (protocol.BODY_COMPLETE), so nothing is waited for and no timer is armed (a timer per request cost ~5 %
        of a PutItem's server CPU)."""
        limit, timeout = self.settings.max_body, self.settings.body_timeout
        declared = headers.get("content-length")
        expected = None
        if declared is not None:
            if not declared.isdigit():
                raise SerializationException("Invalid Content-Length")
            expected = int(declared)
            if expected > limit:
                raise RequestEntityTooLargeException(f"Request body of {declared} bytes is over the limit of "
                                                     f"{limit} bytes")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        held = [0]   # the budget's bytes reserved so far (a chunked body's grow as it is read)
        try:
            if expected:
                if not await self.budget.acquire(expected, timeout):
                    raise ThrottlingException("The server holds as many request bodies as it may at once; retry")
                held[0] = expected
            body = bytearray()
            try:
                if arrived:
                    await self._read_body(receive, body, limit, expected, held, deadline, None)
                else:
                    async with asyncio.timeout_at(deadline) as timer:   # one timer for the whole body
                        await self._read_body(receive, body, limit, expected, held, deadline, timer)
            except TimeoutError:
                raise RequestTimeoutException(f"The request body did not arrive whole within {timeout:g} "
                                              f"seconds ({len(body)} of {declared or 'unknown'} bytes)") from None
            if expected is not None and len(body) != expected:
                raise _Disconnected()   # the parser ended the message early: never run a partial request
            return held[0], body   # a bytearray: copying it would double what a body costs
        except BaseException:
            if held[0]:
                self.budget.release(held[0])
            raise

    async def _read_body(self, receive, body: bytearray, limit: int, expected: int | None, held: list[int],
                         deadline: float, timer: asyncio.Timeout | None) -> None:
        """_body's loop: the request's messages appended to ``body`` until the last. A chunked body reserves
        the budget as it comes (added to ``held[0]``, which the caller releases), within the same deadline:
        ``timer`` is paused while it waits for the budget."""
        loop = asyncio.get_running_loop()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected()
            chunk = message.get("body", b"")
            if len(body) + len(chunk) > limit:
                raise RequestEntityTooLargeException(f"Request body is over the limit of {limit} bytes")
            if expected is None and chunk:   # chunked: reserve as it comes, within the same time
                if timer is not None:
                    timer.reschedule(None)
                if not await self.budget.acquire(len(chunk), max(0.0, deadline - loop.time())):
                    raise ThrottlingException("The server holds as many request bodies as it may at once; retry")
                if timer is not None:
                    timer.reschedule(deadline)
                held[0] += len(chunk)
            body += chunk
            if not message.get("more_body"):
                return

    def _alone(self) -> bool:
        """Whether a single-item write is best committed on the event loop itself: it is the only request this
        worker has in flight and no write of the store is running or waiting in this process, so a group commit
        would carry it alone and the committer's two thread hand-offs would only add their latency (a lone
        client's PutItem: ~0.1 ms of its ~1.3). Only when this process is the store's one writer: another
        worker's long transaction would hold the event loop, and every request with it."""
        return (self.settings.workers == 1 and protocol.requests_in_flight() <= 1
                and not self.holder.store.env.writing())

    def _submitted(self, rid: str, method: str, path: str, query: str, headers: dict[str, str],
                   body: bytes) -> asyncio.Future[tuple[int, bytes]]:
        """A single-item write: checked here, on the event loop, then committed by the store's committer thread
        with every other write waiting (one fsync); its answer comes back to the loop once the commit returned."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, bytes]] = loop.create_future()

        def answer(status: int, out: bytes) -> None:   # on the committer thread (or here, refused before it)
            loop.call_soon_threadsafe(_resolve, future, (status, out))
        self.dispatcher.submit(rid, method, path, query, headers, body, answer)
        return future

    def _handle(self, rid: str, method: str, path: str, query: str, headers: dict[str, str],
                body: bytes) -> tuple[int, bytes]:
        """One AWS request, on a pool thread: (status, body). The core is dispatch.py's, shared with the mock."""
        return self.dispatcher.answer(rid, method, path, query, headers, body)

    def _test_endpoint(self, rid: str, method: str, path: str, query: str, headers: dict[str, str],
                       body: bytes) -> tuple[int, bytes]:
        try:
            request = wire.decode(body)
            if path == "/moto-api/reset":
                self.holder.reset()
                log.warning("request %s: all state wiped (test endpoint)", rid)
                return 200, wire.encode({"status": "ok"})
            if path == "/logstore-admin/advance-clock":
                seconds = request.get("Seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                    raise ValidationException("Seconds must be a number >= 0")
                self.holder.clock.advance(int(seconds * 1000))
                return 200, wire.encode({"NowMs": self.holder.clock.now_ms()})
            store = self.holder.enter()
            try:
                if path == "/logstore-admin/split-shard":
                    arn, shard = request.get("StreamArn"), request.get("ShardId")
                    if not isinstance(arn, str) or not isinstance(shard, str):
                        raise ValidationException("StreamArn and ShardId (strings) are required")
                    return 200, wire.encode(store.split_shard(StreamArn=arn, ShardId=shard))
                report = store.maintain()
                return 200, wire.encode({"Report": repr(report)})
            finally:
                self.holder.leave()
        except AwsError as exc:
            return wire.error_body(exc)
        except Exception:
            log.exception("request %s (%s): unexpected error", rid, path)
            return wire.error_body(InternalServerError())


# Reads answered on the event loop's thread: each is bounded (GetRecords by 1,000 records / 1 MB, the others by one
# item or one stream's or table's description), never waits for a writer (LMDB readers do not block) and is
# cheaper than the two thread hand-offs a pool call costs. Writes, Query/Scan/batch reads (whose work grows with a
# filter or a batch) and everything else go to the pool, where concurrent writes meet in one group commit.
INLINE_TARGETS = frozenset(f"{prefix}.{op}" for prefix, ops in (
    ("DynamoDBStreams_20120810", ("GetRecords", "GetShardIterator", "DescribeStream", "ListStreams")),
    ("DynamoDB_20120810", ("GetItem", "DescribeTable", "ListTables", "DescribeTimeToLive"))) for op in ops)

# Writes committed by the store's committer thread (Store.submit): no pool thread waits for them.
SUBMIT_TARGETS = frozenset(f"DynamoDB_20120810.{op}" for op in Store.SUBMITTABLE)

# Bounded writes (at most 25 or 100 items) that run on the pool unless alone (Server._alone): then on the loop,
# as a lone single-item write, saving the pool's two hand-offs.
LONE_TARGETS = frozenset(f"DynamoDB_20120810.{op}" for op in ("BatchWriteItem", "TransactWriteItems"))

TEST_ENDPOINTS = ("/moto-api/reset", "/logstore-admin/split-shard", "/logstore-admin/advance-clock",
                  "/logstore-admin/maintain")


def _resolve(future: asyncio.Future[tuple[int, bytes]], answer: tuple[int, bytes]) -> None:
    if not future.done():
        future.set_result(answer)


async def _send(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    if not any(name == b"content-length" for name, _ in headers):
        headers = headers + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

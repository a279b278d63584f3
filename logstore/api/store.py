"""The embedded store: ``logstore.open(path)`` returns one. It wires the layers together (storage -> stream ->
tables -> api services) and offers every DynamoDB and DynamoDB Streams operation logstore supports as a
snake_case method (generated from botocore's models into operations.py: typed, documented, greppable) taking the
operation's request members as keyword arguments, like a boto3 low-level client:
``store.put_item(TableName="t", Item={...})``, ``store.get_records(ShardIterator=it)``. Responses are the
operation's JSON-level shape (binary values as bytes, times as epoch seconds).

Beyond AWS's operations: ``split_shard`` (split a partition now), ``maintain`` (rollover, retention trim, TTL
sweep: call it periodically, or pass ``maintenance_interval`` to run it on a background thread), ``batch()``
(many writes in one LMDB transaction), ``build_indexes`` (run queued index builds and drops now), and ``close``.
The store records the ``stream_policy`` it is opened with and uses the recorded one when opened without.

Index jobs (a GSI created on a populated table, TTL enabled on one, dropped indexes and tables; tables/indexes.py)
run on a background thread of a writable store, ``logstore-indexes``, one bounded transaction at a time, from the
moment one is queued (or found queued at open) until none is left; ``index_builds=False`` leaves them to
``build_indexes``.

``walk_pages`` (storage/env.py): True walks LMDB's pages at open whatever the store's size, False never, None (the
default) when data.mdb is at most 64 MiB, so that damage is refused at open instead of crashing LMDB later.

Thread-safety: a Store may be shared by threads; several processes may open the same directory.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import astuple
from contextlib import contextmanager
from typing import Callable, Iterator

from logstore.clock import SYSTEM_CLOCK, Clock
from logstore.errors import ValidationException
from logstore.storage import DEFAULT_MAP_SIZE, Counters, Environment, SegmentLog, SegmentPolicy
from logstore.stream import MaintenanceReport, StreamCatalog, StreamEngine, StreamPolicy
from logstore.tables import TableEngine, tokens
from logstore.tables.upgrade import upgrade as upgrade_store
from logstore.tables.writes import revalidated

from .batch_api import BatchService
from . import members
from .items_api import ItemsService
from .operations import ROUTES, StoreOperations
from .reads_api import ReadsService
from .streams_api import StreamsService
from .tables_api import TablesService
from .tags_api import TagsService
from .transact_api import TransactService
from .write_batch import Batch

OPERATIONS = ROUTES["DynamoDB_20120810"]                 # AWS name -> method name (operations.py, generated)
STREAMS_OPERATIONS = ROUTES["DynamoDBStreams_20120810"]


BUILDER_POLL_S = 5.0
MAINTAIN_SHARDS = 256          # shards a maintenance transaction visits (rollover, trim, drop)
log = logging.getLogger("logstore.indexes")
maintenance_log = logging.getLogger("logstore.maintenance")


class Store(StoreOperations):
    """An open store. Its AWS operations (``put_item``, ``get_records``...) are the methods of
    ``StoreOperations`` (operations.py, generated from botocore's models); each runs ``call``, which hands the
    request to the service that owns the operation."""

    SUBMITTABLE = frozenset(ItemsService.PLANS)
    """The operations ``submit`` takes (the single-item writes)."""

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False, durable: bool = True,
                 clock: Clock = SYSTEM_CLOCK, region: str = "us-east-1", account: str = "000000000000",
                 stream_policy: StreamPolicy | None = None, segment_policy: SegmentPolicy = SegmentPolicy(),
                 map_size: int = DEFAULT_MAP_SIZE, maintenance_interval: float | None = None,
                 index_builds: bool = True, walk_pages: bool | None = None):
        self.env = Environment(path, readonly=readonly, durable=durable, map_size=map_size, walk_pages=walk_pages)
        try:
            for name in StreamCatalog.DBS + ("tables", "items") + tokens.DBS:
                self.env.db(name)
            self.clock = clock
            self.region, self.account = region, account
            counters = Counters(self.env)
            stream_policy = self._policy(StreamCatalog(self.env), stream_policy)
            self.streams = StreamEngine(SegmentLog(self.env, segment_policy), counters, StreamCatalog(self.env),
                                        stream_policy, clock, region, account)
            self.tables = TableEngine(self.env, counters, self.streams)
            self._streams_api = StreamsService(self.env, self.streams, clock, region,
                                               self.env.secret("iterators") if not readonly
                                               else self._read_secret())
            self._tables_api = TablesService(self.tables, region, account)
            self._items_api = ItemsService(self.tables)
            self._batch_api = BatchService(self._items_api)
            self._transact_api = TransactService(self._items_api)
            self._reads_api = ReadsService(self.tables)
            self._tags_api = TagsService(self.tables, region, account)
            self.event_key = self._streams_api.event_key   # mixed into every eventID (stream.ids)
            services = (self._tables_api, self._items_api, self._batch_api, self._transact_api, self._reads_api,
                        self._streams_api, self._tags_api)
            self._plans = {op: getattr(self._items_api, method) for op, method in ItemsService.PLANS.items()}
            self._handlers = {op: next(getattr(s, method) for s in services if hasattr(s, method))
                              for routes in ROUTES.values() for op, method in routes.items()}
        except BaseException:
            self.env.close()
            raise
        self._stop = threading.Event()
        self._maintainer = None
        if maintenance_interval:
            self._maintainer = threading.Thread(target=maintenance_loop,
                                                args=(self.maintain, maintenance_interval, self._stop),
                                                name="logstore-maintenance", daemon=True)
            self._maintainer.start()
        self._builder = None
        if index_builds and not readonly:
            self._builder = threading.Thread(target=self._build_loop, name="logstore-indexes", daemon=True)
            self._builder.start()

    def _policy(self, catalog: StreamCatalog, given: StreamPolicy | None) -> StreamPolicy:
        """The policy to run with: the one given, which a writer records in the store (so ``logstore check``
        judges retention by it), else the one the store recorded, else the default."""
        with self.env.begin_read() as txn:
            recorded = catalog.policy(txn)
        if given is None:
            return recorded or StreamPolicy()
        if given != recorded and not self.env.readonly:
            self.env.write(lambda txn: catalog.put_policy(txn, given))
        return given

    def _read_secret(self) -> bytes:
        try:
            return self.env.secret("iterators")
        except Exception:
            return os.urandom(32)  # a store never written to has no iterators to verify

    # -- AWS operations: one method per operation -----------------------------------------------------------------

    def call(self, operation: str, request: dict, *, from_json: bool = False) -> dict:
        """Run an operation by its AWS name (``PutItem``, ``GetRecords``...) with a request dict (the members as
        the operation's method takes them). Its member types are checked first against the service model
        (members.py, the same check the server makes: the same fault, the same SerializationException);
        ``from_json``: the request is the server's, already checked by ``members.checked(..., from_json=True)``."""
        handler = self._handlers.get(operation)
        if handler is None:
            raise ValidationException(f"Unknown operation {operation}")
        if not from_json:
            request = members.checked(operation, request)
        return handler(request)

    def submit(self, operation: str, request: dict, done: Callable[[dict | None, BaseException | None], None], *,
               from_json: bool = False) -> None:
        """``call`` without waiting for the commit, for the single-item writes (``SUBMITTABLE``: PutItem,
        DeleteItem, UpdateItem): the request's members and expressions are checked now (their errors raise here,
        nothing written, as does an unknown table), then the item is validated against the table and written by
        the store's committer thread together with whatever else is waiting, one fsync for the group
        (``Environment.submit``); ``done(response, None)`` or ``done(None, error)`` (an invalid item, a failed
        condition, an error of the write or of its commit; nothing of it written) is called on that thread once
        the commit returned, so a response means the write and its record are on disk. Keep ``done`` short; it
        must not call the store's write methods."""
        plan = self._plans.get(operation)
        if plan is None:
            raise ValidationException(f"Operation {operation} cannot be submitted; use call")
        if not from_json:
            request = members.checked(operation, request)
        self._items_api.submit(plan(request), done)

    def get_records_json(self, request: dict) -> bytes:
        """GetRecords' response body as JSON bytes: the same bytes as JSON-encoding ``call("GetRecords", request)``'s
        result, rendered from the stored records without a dict per record (what the server and the mock send).
        ``request`` as ``call(..., from_json=True)`` takes it."""
        return self._streams_api.get_records_json(request)

    # -- beyond AWS ----------------------------------------------------------------------------------------------

    def split_shard(self, StreamArn: str, ShardId: str) -> dict:  # AWS-style member names
        """Split an open shard's partition into two children now. Returns the children's descriptions."""
        from . import render

        def split(txn):
            info = self.streams.catalog.stream_by_arn(txn, StreamArn)
            if info is None:
                raise ValidationException(f"Stream {StreamArn} not found")
            shard = self.streams.shard_of(txn, info, ShardId)
            return self.streams.split(txn, info.stream_no, shard.shard_no)
        return {"Shards": [render.shard(s) for s in self.env.write(split)]}

    @property
    def item_requests(self) -> ItemsService:
        """The item-request service: validates PutItem/DeleteItem/UpdateItem requests into the write path's
        ``Mutation``s, for code that commits them in a transaction of its own (``batch``, the processors'
        transactional checkpoints)."""
        return self._items_api

    def maintain(self) -> MaintenanceReport:
        """Roll over due shards, trim records past retention, drop expired shards and streams, sweep TTL."""
        total, cursor = MaintenanceReport(), None
        while True:   # bounded steps: one write transaction per MAINTAIN_SHARDS shards visited
            report, cursor = self.env.write(lambda txn: self.streams.maintain(txn, cursor, MAINTAIN_SHARDS))
            total = MaintenanceReport(*(a + b for a, b in zip(astuple(total), astuple(report))))
            if cursor is None:
                break
        report = total
        self.tables.sweep_ttl(self.clock.now_ms())
        return report

    def build_indexes(self, max_steps: int | None = None) -> int:
        """Run queued index jobs (builds, drops) now, one bounded transaction per step, until none is left or
        ``max_steps`` ran; returns the steps run."""
        return self.tables.run_jobs(max_steps)

    def _build_loop(self) -> None:
        jobs = self.tables.jobs_queued
        while not self._stop.is_set():
            jobs.clear()
            try:
                while not self._stop.is_set() and self.tables.run_jobs(1):
                    pass
            except Exception:   # logged; the job stays queued and is tried again at the next wake
                log.exception("index job failed")
            jobs.wait(BUILDER_POLL_S)   # woken by this process's jobs; the timeout finds another process's

    @contextmanager
    def batch(self) -> Iterator["Batch"]:
        """Group writes into one LMDB transaction: ``with store.batch() as b: b.put_item(...)``. They commit
        together when the block ends (nothing is written if it raises). Items are validated as they are added,
        and once more if a table was replaced meanwhile."""
        b = Batch(self)
        yield b
        if len(b):
            revalidated(lambda fresh: self.env.write(b.committer(fresh)))

    def close(self) -> None:
        self._stop.set()
        self.tables.jobs_queued.set()
        for thread in (self._maintainer, self._builder):
            if thread is not None:
                thread.join()
        self.env.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def maintenance_loop(maintain: Callable[[], MaintenanceReport], interval: float, stop: threading.Event) -> None:
    """The background maintenance, the one loop of it (the store's ``maintenance_interval`` thread and the server's
    run it): ``maintain()`` every ``interval`` seconds until ``stop`` is set; a failing round is logged and the
    next one runs."""
    while not stop.wait(interval):
        try:
            report = maintain()
            maintenance_log.debug("maintenance: %s", report)
        except Exception:  # logged; the next round tries again
            maintenance_log.exception("maintenance failed")


def open(path: str | os.PathLike, *, upgrade: bool = False, **options) -> Store:  # the facade's verb
    """Open (creating if needed) the store in directory ``path``. See ``Store`` for the options. A store of an
    older format version is refused (FormatVersionError) unless ``upgrade=True``, which first converts it in
    place, as ``logstore upgrade`` does (tables/upgrade.py; resumes an interrupted upgrade)."""
    if upgrade and not options.get("readonly"):
        upgrade_store(path)
    return Store(path, **options)

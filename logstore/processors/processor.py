"""A stream processor: a handler run over every record of a stream, Lambda-style, with durable checkpoints.

Threads: one coordinator and one worker per shard being read. The coordinator lists the stream's shards
(every ``discovery_s``, and at once when a worker finishes a shard) and starts a worker for each shard that is
not done and whose parent is done, gone (trimmed and deleted) or absent: **parents fully before children**, so
every item's records reach the handler in commit order.

A worker resumes after its shard's checkpoint and loops:
1. gather up to ``batch_size × parallelization_factor`` records that pass the filters, reading again every
   ``poll_interval_s`` while the shard is idle, until that many are there, the batching window has passed since
   the first arrived (at once with a window of 0), or a closed shard ends;
2. deliver them: with a parallelization factor of 1, batch after batch in order; above 1, the records are
   partitioned into that many lanes by a hash of their ``Keys`` (an item always in the same lane, so its
   records stay in order) and the lanes run concurrently, each batch after batch;
3. move the checkpoint: after each invocation (factor 1), or once the whole gathered chunk is delivered
   (factor above 1). Filtered-out records are covered by the checkpoint like delivered ones.

Delivering a batch (``_deliver``): the handler gets ``{"Records": [...]}`` and a ``Context``. It succeeds by
returning; with ``report_batch_item_failures``, a returned ``batchItemFailures`` list moves the checkpoint to just
before the first failed record and retries from there (an unknown or empty identifier fails the whole batch, as
on Lambda). An exception retries the batch; with ``bisect_on_error`` a failing batch of more than one record is
split in two and each half delivered in turn (splitting does not count as a retry). Records are given up on
once the retries exceed ``max_retry_attempts`` or the oldest is older than ``max_record_age_s`` (-1: the
stream's retention): an on-failure record goes to the destination and the checkpoint moves past them.

``stop()`` lets every in-flight invocation finish and be checkpointed, then ends the threads; records gathered
but not yet handed to the handler are read again on the next start. At least once, in order per item; with
``context.batch`` writes exactly once (see context.py).

With leases (leases.py) several instances share the stream: a lease thread renews this instance's leases every
``failover_s / 3`` and, every ``failover_s / 2``, creates missing leases and takes free, expired or (for
balance) stolen ones; the coordinator starts workers only for shards whose lease it holds, and a worker stops
as soon as its lease is lost. Checkpoints then live in the leases (lease_checkpoints.py). Throttling and
transient endpoint failures are retried by one ``Retrier`` (retry.py) whose pauses end at ``stop()``.

The shard worker (reading, delivering, checkpointing) is worker.py; this module is the coordinator.

Thread-safety: start and stop from one thread; ``stats()`` and ``wait_idle()`` from any.
"""
from __future__ import annotations

import importlib
import logging
import threading
import time
from typing import Any, Callable

from logstore.api.store import Store
from logstore.clock import SYSTEM_CLOCK, Clock
from logstore.errors import InvalidProcessorConfig, ProcessorError

from .checkpoints import Checkpoint, Checkpoints
from .lease_checkpoints import LeaseCheckpoints
from .leases import Leases, LeaseSettings
from .retry import Backoff, Interrupted, Retrier, classify
from .config import LATEST, TRIM_HORIZON, ProcessorConfig
from .context import Context
from .destinations import destination
from .filters import compile_filters
from .sources import EmbeddedSource, RemoteSource
from .worker import ShardStats, ShardWorker

log = logging.getLogger("logstore.processors")
Handler = Callable[[dict, Context], Any]


def load_handler(spec: str) -> Handler:
    """``module:function`` (dots allowed in both parts) -> the callable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise InvalidProcessorConfig(f"handler must be 'module:function', not {spec!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise InvalidProcessorConfig(f"{spec} is not callable")
    return obj


class Processor:
    """Runs ``handler`` over the stream ``source`` gives, checkpointing in ``checkpoint_store``. Use
    ``Processor.embedded`` or ``Processor.remote`` to build one."""

    def __init__(self, handler: Handler, source, checkpoint_store: Store | None, config: ProcessorConfig,
                 *, name: str | None = None, clock: Clock | None = None, leases: LeaseSettings | None = None,
                 lease_client=None, retrier: Retrier | None = None):
        self.handler = handler
        self.source = source
        self.store = checkpoint_store
        self.config = config
        self.clock = clock or (checkpoint_store.clock if checkpoint_store is not None else SYSTEM_CLOCK)
        self.function_name = getattr(handler, "__qualname__", "handler")
        self.name = name or config.name or f"{getattr(handler, '__module__', '')}.{self.function_name}"
        self.filter = compile_filters(config.filters)
        if checkpoint_store is None and leases is None:
            raise InvalidProcessorConfig("a processor needs a checkpoint store or a lease table")
        if checkpoint_store is None and (config.on_failure or "").startswith("table:"):
            raise InvalidProcessorConfig("an on-failure table needs a checkpoint store; use file:PATH with leases")
        self.destination = destination(config.on_failure, checkpoint_store)
        # throttling and transient endpoint failures: retried, counted, and cut short by stop()
        self.retrier = retrier or Retrier(Backoff(), sleep=self._sleep, what=f"processor {self.name}")
        if hasattr(source, "retrier"):
            source.retrier = self.retrier
        self.leases: Leases | None = None
        if leases is not None:
            if lease_client is None:
                raise InvalidProcessorConfig("a lease table needs a DynamoDB client (or a store) to live in")
            self.leases = Leases(lease_client, leases, source.stream_arn, self.retrier)
            self.checkpoints = LeaseCheckpoints(self.leases, checkpoint_store)
        else:
            self.checkpoints = Checkpoints(checkpoint_store, self.name, source.stream_arn)
        self.poll_s = config.poll_interval_s if config.poll_interval_s is not None else (
            0.25 if source.remote else 0.01)
        self.discovery_s = max(self.poll_s * 5, 0.1)
        self.region = getattr(checkpoint_store, "region", "us-east-1")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._workers: dict[str, ShardWorker] = {}
        self._done: set[str] = set()
        self._coordinator: threading.Thread | None = None
        self._scan_found_nothing = 0.0
        self._last_finish = 0.0
        self._lease_thread: threading.Thread | None = None
        self._retired: dict[str, ShardStats] = {}   # counts of shard workers that ended, carried to the next
        self.errors: list[BaseException] = []

    def _sleep(self, seconds: float) -> bool:
        return self._stop.wait(seconds)

    # -- construction --------------------------------------------------------------------------------------------

    @classmethod
    def embedded(cls, store: Store, table: str, handler: Handler, config: ProcessorConfig = ProcessorConfig(),
                 *, checkpoint_store: Store | None = None, name: str | None = None,
                 leases: LeaseSettings | None = None, lease_client=None) -> "Processor":
        """A processor over the stream of ``table`` in the open ``store`` (checkpoints there too, unless
        ``checkpoint_store`` is another open store, which ``context.batch`` then writes to). With ``leases``,
        instances (here or in other processes) share the shards through a lease table in ``lease_client``
        (default: ``store``)."""
        return cls(handler, EmbeddedSource(store, table), checkpoint_store or store, config, name=name,
                   leases=leases, lease_client=lease_client if lease_client is not None else store)

    @classmethod
    def remote(cls, streams_client, table: str, handler: Handler, checkpoint_store: Store | None = None,
               config: ProcessorConfig = ProcessorConfig(), *, stream_arn: str | None = None,
               name: str | None = None, leases: LeaseSettings | None = None, lease_client=None,
               tables_client=None, retrier: Retrier | None = None) -> "Processor":
        """A processor over ``table``'s stream behind a boto3 ``dynamodbstreams`` client, checkpointing (and
        letting ``context.batch`` write) in the local ``checkpoint_store``, or, with ``leases``, sharing the
        stream's shards with other instances through a lease table that ``lease_client`` (a boto3 ``dynamodb``
        client or a Store) reaches; checkpoints are then kept in the leases. ``tables_client`` (a boto3
        ``dynamodb`` client of the stream's endpoint) lets a missing table be told from a table without a
        stream. ``retrier``: how throttling and transient failures are retried (default: 50 ms doubling to 5 s,
        full jitter, sleeping on the stop event)."""
        source = RemoteSource(streams_client, table, stream_arn, tables_client,
                              **({"retrier": retrier} if retrier is not None else {}))
        return cls(handler, source, checkpoint_store, config, name=name, leases=leases, lease_client=lease_client,
                   retrier=retrier)

    # -- running -------------------------------------------------------------------------------------------------

    def start(self) -> "Processor":
        if self._coordinator is not None:
            raise ProcessorError("processor already started")
        if self.leases is not None:
            self.leases.ensure_table()
            self._lease_round()
            self._lease_thread = threading.Thread(target=self._keep_leases, name=f"leases-{self.name}", daemon=True)
            self._lease_thread.start()
        else:
            self._initialise()
        self._coordinator = threading.Thread(target=self._coordinate, name=f"processor-{self.name}", daemon=True)
        self._coordinator.start()
        return self

    def stop(self, timeout: float | None = 60) -> None:
        """Finish and checkpoint in-flight invocations, then end every thread."""
        self._stop.set()
        self._wake.set()
        if self._coordinator is not None:
            self._coordinator.join(timeout)
        if self._lease_thread is not None:
            self._lease_thread.join(timeout)
        for worker in list(self._workers.values()):
            worker.join(timeout)
        if self.leases is not None:
            self.leases.release()

    def holds(self, shard_id: str) -> bool:
        """Whether this instance may work on the shard (always, without leases)."""
        return self.leases is None or self.leases.holds(shard_id)

    # -- leases --------------------------------------------------------------------------------------------------

    def _lease_round(self) -> None:
        """Create missing leases, then take expired, free or (for balance) stolen ones."""
        shards = self._list_shards()
        tail = self.source.tail if not self.source.remote else None
        leases = self.leases.sync(shards, self.config.starting_position, tail)
        for shard_id, lease in leases.items():
            if lease.done and shard_id in self.leases.held():
                self.leases.drop(shard_id)
        if self.leases.take(leases, {s.shard_id for s in shards}):
            self._wake.set()

    def _keep_leases(self) -> None:
        """The lease thread: renew every ``renew_s``, a taking round every ``failover_s / 2``."""
        settings = self.leases.settings
        next_take = time.monotonic() + settings.failover_s / 2
        while not self._stop.wait(settings.renew_s):
            try:
                self.leases.renew()
                if time.monotonic() >= next_take:
                    next_take = time.monotonic() + settings.failover_s / 2
                    self._lease_round()
            except Interrupted:
                return
            except Exception as e:  # the next round tries again
                log.warning("processor %s: lease round failed: %r", self.name, e)

    def _list_shards(self):
        return self.retrier.call(self.source.shards)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def __enter__(self) -> "Processor":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _initialise(self) -> None:
        """First start of this processor on this stream under LATEST: closed shards count as done, open ones
        start after their newest record (remote: at LATEST when first read)."""
        if self.config.starting_position != LATEST or self.checkpoints.load():
            return
        for shard in self.source.shards():
            if shard.closed:
                self.checkpoints.commit(Checkpoint(shard.shard_id, None, True))
            else:
                tail = self.source.tail(shard)
                self.checkpoints.commit(Checkpoint(shard.shard_id, tail, False, 0,
                                                   TRIM_HORIZON if tail is not None else LATEST))

    def _coordinate(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._scan(started)
            except Interrupted:
                return
            except Exception as e:  # a failed listing is retried at the next scan
                log.warning("processor %s: listing shards failed: %r", self.name, e)
                if classify(e) is None:
                    self.errors.append(e)
            self._wake.wait(self.discovery_s)
            self._wake.clear()

    def _scan(self, started: float) -> None:
        shards = self._list_shards()
        known = {s.shard_id for s in shards}
        stored = self.checkpoints.load()
        self._done |= {k for k, cp in stored.items() if cp.done}
        launched = False
        with self._lock:
            for shard_id, worker in list(self._workers.items()):
                if not worker.is_alive():
                    self._retired[shard_id] = worker.stats()
                    del self._workers[shard_id]
            for shard in shards:       # sorted by id: parents before children
                if shard.shard_id in self._done or shard.shard_id in self._workers:
                    continue
                if not self.holds(shard.shard_id):
                    continue
                parent = shard.parent_id
                if parent is not None and parent in known and parent not in self._done:
                    continue
                if self._stop.is_set():
                    return
                worker = ShardWorker(self, shard, stored.get(shard.shard_id), self._retired.pop(shard.shard_id, None))
                self._workers[shard.shard_id] = worker
                worker.start()
                launched = True
        if not launched:
            self._scan_found_nothing = started

    def _finished(self, worker: "ShardWorker", done: bool) -> None:
        if done:
            self._done.add(worker.shard.shard_id)
        self._last_finish = time.monotonic()
        self._wake.set()

    # -- observing -----------------------------------------------------------------------------------------------

    def stats(self) -> list[ShardStats]:
        """Each shard being worked on, and each whose worker ended before its shard did (its counts wait for
        the next worker there: a scan that retires a worker while the processor stops starts none)."""
        with self._lock:
            workers = list(self._workers.values())
            waiting = [s for k, s in self._retired.items() if k not in self._workers and not s.done]
        return [w.stats() for w in workers] + waiting

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every record written before this call has been handled: the coordinator has scanned with
        nothing left to start, and every running worker has since found its shard empty. Raises TimeoutError."""
        since = time.monotonic()
        deadline = since + timeout
        while time.monotonic() < deadline:
            if self.errors:
                raise ProcessorError(f"processor failed: {self.errors[0]!r}") from self.errors[0]
            with self._lock:
                workers = [w for w in self._workers.values() if w.is_alive()]
            # a scan that started nothing, begun after any shard finished (its children may start), and every
            # running worker has since found its shard empty
            if (self._scan_found_nothing > max(since, self._last_finish)
                    and all(w.empty_read_started > since for w in workers)):
                return
            self._wake.set()
            time.sleep(self.poll_s / 2)
        raise TimeoutError(f"processor {self.name} not idle after {timeout}s: {self.stats()}")

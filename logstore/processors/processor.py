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
from logstore.clock import Clock
from logstore.errors import InvalidProcessorConfig, ProcessorError

from .checkpoints import Checkpoint, Checkpoints
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

    def __init__(self, handler: Handler, source, checkpoint_store: Store, config: ProcessorConfig,
                 *, name: str | None = None, clock: Clock | None = None):
        self.handler = handler
        self.source = source
        self.store = checkpoint_store
        self.config = config
        self.clock = clock or checkpoint_store.clock
        self.function_name = getattr(handler, "__qualname__", "handler")
        self.name = name or config.name or f"{getattr(handler, '__module__', '')}.{self.function_name}"
        self.filter = compile_filters(config.filters)
        self.destination = destination(config.on_failure, checkpoint_store)
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
        self.errors: list[BaseException] = []

    # -- construction --------------------------------------------------------------------------------------------

    @classmethod
    def embedded(cls, store: Store, table: str, handler: Handler, config: ProcessorConfig = ProcessorConfig(),
                 *, checkpoint_store: Store | None = None, name: str | None = None) -> "Processor":
        """A processor over the stream of ``table`` in the open ``store`` (checkpoints there too, unless
        ``checkpoint_store`` is another open store, which ``context.batch`` then writes to)."""
        return cls(handler, EmbeddedSource(store, table), checkpoint_store or store, config, name=name)

    @classmethod
    def remote(cls, streams_client, table: str, handler: Handler, checkpoint_store: Store,
               config: ProcessorConfig = ProcessorConfig(), *, stream_arn: str | None = None,
               name: str | None = None) -> "Processor":
        """A processor over ``table``'s stream behind a boto3 ``dynamodbstreams`` client, checkpointing (and
        letting ``context.batch`` write) in the local ``checkpoint_store``."""
        return cls(handler, RemoteSource(streams_client, table, stream_arn), checkpoint_store, config, name=name)

    # -- running -------------------------------------------------------------------------------------------------

    def start(self) -> "Processor":
        if self._coordinator is not None:
            raise ProcessorError("processor already started")
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
        for worker in list(self._workers.values()):
            worker.join(timeout)

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
            except Exception as e:  # noqa: BLE001 - a failed listing is retried at the next scan
                log.warning("processor %s: listing shards failed: %r", self.name, e)
                self.errors.append(e)
            self._wake.wait(self.discovery_s)
            self._wake.clear()

    def _scan(self, started: float) -> None:
        shards = self.source.shards()
        known = {s.shard_id for s in shards}
        stored = self.checkpoints.load()
        self._done |= {k for k, cp in stored.items() if cp.done}
        launched = False
        with self._lock:
            for shard_id, worker in list(self._workers.items()):
                if not worker.is_alive():
                    del self._workers[shard_id]
            for shard in shards:       # sorted by id: parents before children
                if shard.shard_id in self._done or shard.shard_id in self._workers:
                    continue
                parent = shard.parent_id
                if parent is not None and parent in known and parent not in self._done:
                    continue
                if self._stop.is_set():
                    return
                worker = ShardWorker(self, shard, stored.get(shard.shard_id))
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
        with self._lock:
            workers = list(self._workers.values())
        return [w.stats() for w in workers]

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

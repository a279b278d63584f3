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

Thread-safety: start and stop from one thread; ``stats()`` and ``wait_idle()`` from any.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import msgpack

from logstore.api.store import Store
from logstore.clock import Clock
from logstore.errors import AwsError, InvalidProcessorConfig, ProcessorError
from logstore.tables.writes import StaleTable

from . import events
from .checkpoints import Checkpoint, Checkpoints
from .config import LATEST, TRIM_HORIZON, ProcessorConfig
from .context import Context, TransactionalBatch
from .destinations import destination
from .filters import compile_filters
from .sources import EmbeddedSource, RemoteSource, ShardView

log = logging.getLogger("logstore.processors")
Handler = Callable[[dict, Context], Any]
RETENTION_S = 24 * 3600
MAX_RETRY_DELAY_S = 5.0


class _Stopped(Exception):
    """Raised inside a worker when stop() was asked for before the work at hand could start."""


@dataclass(frozen=True, slots=True)
class ShardStats:
    shard_id: str
    records: int          # records delivered to the handler (successfully)
    filtered: int         # records skipped by the filters
    failed: int           # records given up on
    invocations: int
    errors: int           # handler invocations that raised or reported failures
    lag_ms: int | None    # store time now minus the time of the last record handled (None: none yet)
    done: bool
    idle: bool


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


def _seq(record: dict) -> str:
    return record["dynamodb"]["SequenceNumber"]


def _lane(record: dict, lanes: int) -> int:
    digest = hashlib.blake2b(msgpack.packb(record["dynamodb"]["Keys"]), digest_size=4).digest()
    return int.from_bytes(digest, "big") % lanes


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
        self._workers: dict[str, _ShardWorker] = {}
        self._done: set[str] = set()
        self._coordinator: threading.Thread | None = None
        self._scan_started = 0.0
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
        self._scan_started = started
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
                worker = _ShardWorker(self, shard, stored.get(shard.shard_id))
                self._workers[shard.shard_id] = worker
                worker.start()
                launched = True
        if not launched:
            self._scan_found_nothing = started

    def _finished(self, worker: "_ShardWorker", done: bool) -> None:
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


class _ShardWorker(threading.Thread):
    """Reads one shard and delivers its records (see the module docstring)."""

    def __init__(self, proc: Processor, shard: ShardView, checkpoint: Checkpoint | None):
        super().__init__(name=f"shard-{shard.shard_id}", daemon=True)
        self.proc = proc
        self.cfg = proc.config
        self.shard = shard
        after = checkpoint.after if checkpoint else None
        self.start_at = checkpoint.start if checkpoint else TRIM_HORIZON
        self.checkpointed = after
        self.records = self.filtered = self.failed = self.invocations = self.errors = 0
        self._counts_lock = threading.Lock()
        self.last_ts_ms: int | None = None
        self.done = False
        self.empty_read_started = 0.0
        self.after = after

    def stats(self) -> ShardStats:
        lag = None if self.last_ts_ms is None else max(0, self.proc.clock.now_ms() - self.last_ts_ms)
        return ShardStats(self.shard.shard_id, self.records, self.filtered, self.failed, self.invocations,
                          self.errors, lag, self.done, self.empty_read_started > 0)

    def run(self) -> None:
        try:
            self._run()
        except _Stopped:
            pass
        except BaseException as e:  # noqa: BLE001 - reported; the coordinator starts the shard again
            log.exception("processor %s: shard %s failed", self.proc.name, self.shard.shard_id)
            self.proc.errors.append(e)
        finally:
            self.proc._finished(self, self.done)

    # -- the loop ------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        reader = self.proc.source.reader(self.shard, self.after, self.start_at)
        while not self.proc.stopping:
            gathered = self._gather(reader)
            if gathered is None:
                return
            matched, last_seq, last_ts, ended = gathered
            if matched:
                if self.cfg.parallelization_factor == 1:
                    for i in range(0, len(matched), self.cfg.batch_size):
                        self._deliver(matched[i:i + self.cfg.batch_size], None)
                else:
                    self._deliver_lanes(matched)
            if last_ts is not None:
                self.last_ts_ms = last_ts
            if ended or (last_seq is not None and last_seq != self.checkpointed):
                self._commit(last_seq if last_seq is not None else self.checkpointed, done=ended)
            if ended:
                self.done = True
                return

    def _gather(self, reader):
        """(records passing the filters, wire seq of the last record read, its time, shard ended), or None when
        stopping."""
        cfg, proc = self.cfg, self.proc
        want = cfg.chunk_size
        matched: list[dict] = []
        last_seq = last_ts = None
        window_end = None
        while True:
            if proc.stopping:
                return None
            read_started = time.monotonic()
            page = reader.read(want - len(matched))
            if page.records:
                if proc.filter is None:
                    matched += page.records
                else:
                    passed = [r for r in page.records if proc.filter(r)]
                    self.filtered += len(page.records) - len(passed)
                    matched += passed
                last_seq, last_ts = _seq(page.records[-1]), page.ts_ms[-1]
            if page.ended or len(matched) >= want:
                return matched, last_seq, last_ts, page.ended
            if page.records:
                self.empty_read_started = 0.0
                if window_end is None:
                    window_end = time.monotonic() + cfg.batching_window_s
            elif last_seq is None:
                self.empty_read_started = read_started
            now = time.monotonic()
            if last_seq is not None and (window_end is None or now >= window_end):
                return matched, last_seq, last_ts, False
            if not page.records:
                pause = self.proc.poll_s if window_end is None else min(self.proc.poll_s, window_end - now)
                if proc._stop.wait(max(pause, 0)):
                    return None

    # -- delivering ----------------------------------------------------------------------------------------------

    def _deliver_lanes(self, matched: list[dict]) -> None:
        lanes: list[list[dict]] = [[] for _ in range(self.cfg.parallelization_factor)]
        for record in matched:
            lanes[_lane(record, len(lanes))].append(record)
        deferred: list = []
        with ThreadPoolExecutor(len(lanes), thread_name_prefix=f"lane-{self.shard.shard_id}") as pool:
            futures = [pool.submit(self._deliver_lane, lane, deferred) for lane in lanes if lane]
            results = [f.exception() for f in futures]
        stopped = any(isinstance(e, _Stopped) for e in results)
        for e in results:
            if e is not None and not isinstance(e, _Stopped):
                raise e
        if stopped:
            # some lane did not finish: checkpoint nothing of this chunk (at least once: it is delivered again)
            raise _Stopped()
        if deferred:
            self._commit(_seq(matched[-1]), also=deferred)

    def _deliver_lane(self, records: list[dict], deferred: list) -> None:
        for i in range(0, len(records), self.cfg.batch_size):
            self._deliver(records[i:i + self.cfg.batch_size], deferred)

    def _deliver(self, batch: list[dict], deferred: list | None, retries: int = 0) -> None:
        """Hand ``batch`` to the handler until it is handled (delivered or given up on). With ``deferred`` None
        (factor 1) each outcome is checkpointed at once; otherwise give-ups are appended to ``deferred`` for the
        chunk's checkpoint."""
        cfg = self.cfg
        while batch:
            expired = self._expired(batch)
            if expired:
                self._give_up(batch[:expired], "RecordAgeExceeded", retries + 1, "Unhandled", deferred)
                batch = batch[expired:]
                continue
            if self.proc.stopping:
                raise _Stopped()
            ctx = Context(self.proc.function_name, self.proc.source.stream_arn, self.shard.shard_id,
                          TransactionalBatch(self.proc.store) if deferred is None else None)
            self._count(invocations=1)
            error: str | None = "Unhandled"
            try:
                result = self.proc.handler({"Records": batch}, ctx)
                first_fail = self._first_failure(batch, result)
                error = None
            except Exception as e:  # noqa: BLE001 - the handler's failure: retried as Lambda does
                log.info("processor %s: shard %s: handler raised %r", self.proc.name, self.shard.shard_id, e)
                first_fail = 0
            if first_fail is None:
                if deferred is not None or self._commit_writes(_seq(batch[-1]), ctx):
                    self._count(records=len(batch))
                    return
                first_fail, error = 0, "Unhandled"
            self._count(errors=1)
            if first_fail > 0:   # a partial success: those before the first failure are done
                if deferred is None and not self._commit_writes(_seq(batch[first_fail - 1]), ctx):
                    first_fail, error = 0, "Unhandled"
                else:
                    self._count(records=first_fail)
                    batch = batch[first_fail:]
            if first_fail == 0 and error is not None and cfg.bisect_on_error and len(batch) > 1:
                mid = len(batch) // 2
                self._deliver(batch[:mid], deferred, retries)
                self._deliver(batch[mid:], deferred, retries)
                return
            retries += 1
            if cfg.max_retry_attempts != -1 and retries > cfg.max_retry_attempts:
                self._give_up(batch, "RetryAttemptsExhausted", retries, error, deferred)
                return
            delay = min(cfg.retry_delay_s * 2 ** (retries - 1), MAX_RETRY_DELAY_S)
            if self.proc._stop.wait(delay):
                raise _Stopped()

    def _commit_writes(self, after: str, ctx: Context) -> bool:
        """Checkpoint ``after`` with the invocation's ``context.batch`` writes. False when the writes themselves
        are refused (an invalid item, an ``update_item`` function that raised): that invocation failed."""
        try:
            self._commit(after, writes=ctx.batch)
            return True
        except (AwsError, ValueError, TypeError, KeyError) as e:
            log.info("processor %s: shard %s: the handler's writes were refused: %r", self.proc.name,
                     self.shard.shard_id, e)
            return False

    def _count(self, **deltas: int) -> None:
        with self._counts_lock:    # lanes of one shard count concurrently
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def _first_failure(self, batch: list[dict], result) -> int | None:
        """None when the invocation succeeded, else the index of the first record to retry from."""
        if not self.cfg.report_batch_item_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures")
        if not failures:
            return None
        index = {_seq(r): i for i, r in enumerate(batch)}
        firsts = []
        for failure in failures:
            ident = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if ident not in index:   # null, empty or unknown: the whole batch failed (as on Lambda)
                return 0
            firsts.append(index[ident])
        return min(firsts)

    def _expired(self, batch: list[dict]) -> int:
        """How many records at the start of ``batch`` are older than the maximum record age."""
        limit_s = self.cfg.max_record_age_s if self.cfg.max_record_age_s != -1 else RETENTION_S
        horizon = self.proc.clock.now_ms() // 1000 - limit_s
        n = 0
        for record in batch:
            if record["dynamodb"]["ApproximateCreationDateTime"] >= horizon:
                break
            n += 1
        return n

    def _give_up(self, batch: list[dict], condition: str, attempts: int, error: str | None,
                 deferred: list | None) -> None:
        self._count(failed=len(batch))
        also = None
        if self.proc.destination is not None:
            failure = events.failure_record(
                records=batch, shard_id=self.shard.shard_id, stream_arn=self.proc.source.stream_arn,
                condition=condition, attempts=attempts, function_name=self.proc.function_name, error=error,
                now_ms=self.proc.clock.now_ms(), region=self.proc.region)
            also = self.proc.destination.prepare(failure)
        log.warning("processor %s: shard %s: gave up on %d records %s..%s (%s)", self.proc.name,
                    self.shard.shard_id, len(batch), _seq(batch[0]), _seq(batch[-1]), condition)
        if deferred is None:
            self._commit(_seq(batch[-1]), also=[also] if also else None)
        elif also is not None:
            deferred.append(also)

    # -- checkpointing -------------------------------------------------------------------------------------------

    def _commit(self, after: str | None, *, done: bool = False, writes: TransactionalBatch | None = None,
                also: list | None = None) -> None:
        fresh = False
        while True:
            steps = list(also or ())
            applier = writes.applier(fresh) if writes is not None else None
            if applier is not None:
                steps.append(applier)

            def run(txn, steps=steps):
                for step in steps:
                    step(txn)
            try:
                self.proc.checkpoints.commit(Checkpoint(self.shard.shard_id, after, done), run if steps else None)
                break
            except StaleTable:
                if fresh:
                    raise
                fresh = True
        self.checkpointed = after

"""A shard worker: reads one shard, gathers records into batches, delivers them to the handler with Lambda's
failure handling (retries, record age, bisection, partial batch failures, on-failure destinations), and moves
the shard's checkpoint. The processor (processor.py) starts one per shard and says when to stop.

The loop, the delivery rules and the checkpointing are described in processor.py's docstring.

Thread-safety: a worker is one thread; with a parallelization factor above 1 its lanes run on a thread pool and
share only the counters (behind a lock) and the list of deferred on-failure writes (appends only).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import msgpack

from logstore.errors import AwsError
from logstore.tables.writes import revalidated

from . import events
from .checkpoints import Checkpoint
from .config import TRIM_HORIZON
from .context import Context, TransactionalBatch
from .leases import LeaseLost
from .retry import Interrupted
from .sources import ShardView



class Host(Protocol):
    """What a shard worker is handed by whoever runs it (processor.py's ``Processor``; the worker imports nothing
    of it): its settings and collaborators, and the calls it makes back."""

    name: str
    function_name: str
    region: str
    poll_s: float
    config: Any
    clock: Any
    store: Any
    source: Any
    handler: Any
    checkpoints: Any
    destination: Any
    leases: Any
    errors: list
    _stop: threading.Event

    @property
    def stopping(self) -> bool: ...

    def holds(self, shard_id: str) -> bool: ...

    def _finished(self, worker: "ShardWorker", done: bool) -> None: ...

log = logging.getLogger("logstore.processors")
RETENTION_S = 24 * 3600
MAX_RETRY_DELAY_S = 5.0


class Stopped(Exception):
    """Raised inside a worker when stop() was asked for before the work at hand could start."""


@dataclass(frozen=True, slots=True)
class ShardStats:
    shard_id: str
    records: int          # records delivered to the handler (successfully)
    filtered: int         # records skipped by the filters
    failed: int           # records given up on
    invocations: int
    errors: int           # handler invocations that raised or reported failures
    lag_ms: int | None    # age of the newest record read but not yet handled; 0 when caught up (None: unknown)
    done: bool
    idle: bool
    throttles: int = 0    # reads answered with throttling (retried)
    retries: int = 0      # reads that failed transiently: 5xx, connection trouble (retried)
    expired_iterators: int = 0   # iterators that expired and were resolved again from the position reached


def _seq(record: dict) -> str:
    return record["dynamodb"]["SequenceNumber"]


def _lane(record: dict, lanes: int) -> int:
    digest = hashlib.blake2b(msgpack.packb(record["dynamodb"]["Keys"]), digest_size=4).digest()
    return int.from_bytes(digest, "big") % lanes


class ShardWorker(threading.Thread):
    """Reads one shard and delivers its records (see the module docstring)."""

    def __init__(self, proc: Host, shard: ShardView, checkpoint: Checkpoint | None,
                 previous: ShardStats | None = None):
        super().__init__(name=f"shard-{shard.shard_id}", daemon=True)
        self.proc = proc
        self.cfg = proc.config
        self.shard = shard
        after = checkpoint.after if checkpoint else None
        self.start_at = checkpoint.start if checkpoint else TRIM_HORIZON
        self.checkpointed = after
        self.records = self.filtered = self.failed = self.invocations = self.errors = 0
        self._earlier = previous      # the counts of this shard's previous worker in this process, carried on
        self.reader = None
        self._counts_lock = threading.Lock()
        self.last_ts_ms: int | None = None
        self.pending_ts_ms: int | None = None   # the newest record gathered and not yet handled
        self.caught_up = False                   # the last read found nothing new
        self.done = False
        self.empty_read_started = 0.0
        self.after = after

    def stats(self) -> ShardStats:
        now = self.proc.clock.now_ms()
        pending = self.pending_ts_ms
        if pending is not None:
            lag = max(0, now - pending)
        elif self.caught_up:
            lag = 0
        else:
            lag = None if self.last_ts_ms is None else max(0, now - self.last_ts_ms)
        e, r = self._earlier, self.reader
        prev = (lambda name: getattr(e, name)) if e is not None else (lambda name: 0)
        return ShardStats(self.shard.shard_id, self.records + prev("records"), self.filtered + prev("filtered"),
                          self.failed + prev("failed"), self.invocations + prev("invocations"),
                          self.errors + prev("errors"), lag, self.done, self.empty_read_started > 0,
                          getattr(r, "throttles", 0) + prev("throttles"), getattr(r, "retries", 0) + prev("retries"),
                          getattr(r, "expired_iterators", 0) + prev("expired_iterators"))

    @property
    def halted(self) -> bool:
        """Stop asked for, or this instance no longer holds the shard's lease."""
        return self.proc.stopping or not self.proc.holds(self.shard.shard_id)

    def run(self) -> None:
        try:
            self._run()
        except (Stopped, Interrupted):
            pass
        except LeaseLost as e:
            log.warning("processor %s: %s; its records not yet checkpointed go to the new owner", self.proc.name, e)
        except BaseException as e:  # reported; the coordinator starts the shard again
            log.exception("processor %s: shard %s failed", self.proc.name, self.shard.shard_id)
            self.proc.errors.append(e)
        finally:
            self.proc._finished(self, self.done)

    # -- the loop ------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        reader = self.reader = self.proc.source.reader(self.shard, self.after, self.start_at)
        while not self.halted:
            gathered = self._gather(reader)
            if gathered is None:
                return
            matched, last_seq, last_ts, ended = gathered
            self.pending_ts_ms = last_ts
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
            self.pending_ts_ms = None
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
            if self.halted:
                return None
            read_started = time.monotonic()
            page = reader.read(want - len(matched))
            self.caught_up = not page.records and not matched
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
        stopped = any(isinstance(e, Stopped) for e in results)
        for e in results:
            if e is not None and not isinstance(e, Stopped):
                raise e
        if stopped:
            # some lane did not finish: checkpoint nothing of this chunk (at least once: it is delivered again)
            raise Stopped()
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
            if self.halted:
                raise Stopped()
            transactional = deferred is None and self.proc.leases is None
            ctx = Context(self.proc.function_name, self.proc.source.stream_arn, self.shard.shard_id,
                          TransactionalBatch(self.proc.store) if transactional else None)
            self._count(invocations=1)
            error: str | None = "Unhandled"
            try:
                result = self.proc.handler({"Records": batch}, ctx)
                first_fail = self._first_failure(batch, result)
                error = None
            except Exception as e:  # the handler's failure: retried as Lambda does
                # visible without flooding: the 1st, 2nd, 4th, 8th... consecutive failure of a batch
                level = logging.WARNING if (retries + 1) & retries == 0 else logging.DEBUG
                log.log(level, "processor %s: shard %s: handler raised %r on %d records from %s (attempt %d)",
                        self.proc.name, self.shard.shard_id, e, len(batch), _seq(batch[0]), retries + 1)
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
                raise Stopped()

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
        def attempt(fresh: bool) -> None:
            steps = list(also or ())
            applier = writes.applier(fresh) if writes is not None else None
            if applier is not None:
                steps.append(applier)

            def run(txn, steps=steps):
                for step in steps:
                    step(txn)
            self.proc.checkpoints.commit(Checkpoint(self.shard.shard_id, after, done), run if steps else None)
        revalidated(attempt)
        self.checkpointed = after

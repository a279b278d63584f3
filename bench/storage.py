"""Storage-core benchmarks: logstore's segment log against raw py-lmdb storing the same records.

Workloads (all durable: every commit is fsynced, on both sides):
* append_batched  -- append records of ~200 bytes in batches of 1,000, one write transaction per batch, one shard.
                     Baseline: the same batches put by ``cursor.putmulti`` (key = u64 BE shard || u64 BE seq,
                     value = u64 timestamp || payload), one transaction per batch.            Target: >= 0.7x raw
* append_single   -- one record per write transaction. Baseline: one ``put`` per transaction.  Target: >= 0.8x raw
* read_sequential -- read every record of a shard (written beforehand, untimed) by ``log.read`` 1,000 at a time,
                     touching each payload's length. Baseline: a cursor scan of the raw store.  Target: >= 0.7x raw
* trim            -- ``trim_all`` of that many expired records (written in batches of 1,000 beforehand) in one
                     ``env.write``. Baseline: deleting the raw store's per-record keys by cursor in one
                     transaction.                                                             Target: ours < 0.3 s

Sequence numbers are contiguous ranges and timestamps a fixed ms value; payloads come from a pool of 1,000
random byte strings of 150..250 bytes made before any timing. Each side builds its own keys and values inside
the timed section (that is the work it does). Run ``python bench/storage.py --help`` for the options.
"""
from __future__ import annotations

import os
import struct
from contextlib import contextmanager

from harness import (BATCH, PAYLOADS, RESULTS_DIR, TS, Stopwatch, Workload, main, open_raw, ratio_at_least,
                     temp_dir)

from logstore.storage import Environment, SegmentLog, trim_all

SHARD = 1
KEY = struct.Struct(">QQ")   # raw baseline key: shard, seq
TS_PREFIX = struct.Struct("<Q")


def batches(n: int):
    """(first seq, count) of each batch of ``n`` records, sequence numbers 1..n."""
    for first in range(1, n + 1, BATCH):
        yield first, min(BATCH, n + 1 - first)


# -- the two sides' primitives ---------------------------------------------------------------------------------

def append_ours(env: Environment, log: SegmentLog, n: int) -> None:
    timestamps = [TS] * BATCH
    for first, k in batches(n):
        env.write(lambda txn: log.append(txn, SHARD, range(first, first + k), timestamps[:k], PAYLOADS[:k]))


def append_raw(env, db, n: int) -> None:
    for first, k in batches(n):
        with env.begin(write=True, db=db) as txn, txn.cursor() as cur:
            cur.putmulti([(KEY.pack(SHARD, s), TS_PREFIX.pack(TS) + p)
                          for s, p in zip(range(first, first + k), PAYLOADS)])


# -- workloads -------------------------------------------------------------------------------------------------

@contextmanager
def append_batched(n: int, tmp: str):
    def ours():
        with temp_dir(tmp) as path, Environment(path) as env:
            log = SegmentLog(env)
            with Stopwatch() as sw:
                append_ours(env, log, n)
        return n, sw.seconds

    def raw():
        with temp_dir(tmp) as path:
            env, db = open_raw(path)
            with Stopwatch() as sw:
                append_raw(env, db, n)
            env.close()
        return n, sw.seconds

    yield ours, raw


@contextmanager
def append_single(n: int, tmp: str):
    def ours():
        with temp_dir(tmp) as path, Environment(path) as env:
            log = SegmentLog(env)
            with Stopwatch() as sw:
                for seq in range(1, n + 1):
                    env.write(lambda txn: log.append(txn, SHARD, (seq,), (TS,), (PAYLOADS[seq % BATCH],)))
        return n, sw.seconds

    def raw():
        with temp_dir(tmp) as path:
            env, db = open_raw(path)
            with Stopwatch() as sw:
                for seq in range(1, n + 1):
                    with env.begin(write=True, db=db) as txn:
                        txn.put(KEY.pack(SHARD, seq), TS_PREFIX.pack(TS) + PAYLOADS[seq % BATCH])
            env.close()
        return n, sw.seconds

    yield ours, raw


@contextmanager
def read_sequential(n: int, tmp: str):
    with temp_dir(tmp) as ours_path, temp_dir(tmp) as raw_path, Environment(ours_path) as env:
        log = SegmentLog(env)
        append_ours(env, log, n)
        raw_env, db = open_raw(raw_path)
        append_raw(raw_env, db, n)

        def ours():
            count = total = 0
            with env.begin_read() as txn, Stopwatch() as sw:
                pos = 0
                while True:
                    batch = log.read(txn, SHARD, pos, max_records=BATCH)
                    if not batch:
                        break
                    for _seq, _ts, payload in batch:
                        total += len(payload)
                    count += len(batch)
                    pos = batch.next_seq
            assert count == n, count
            return count, sw.seconds

        def raw():
            count = total = 0
            with raw_env.begin(db=db) as txn, Stopwatch() as sw:
                for _key, value in txn.cursor():
                    total += len(value)
                    count += 1
            assert count == n, count
            return count, sw.seconds

        try:
            yield ours, raw
        finally:
            raw_env.close()


@contextmanager
def trim(n: int, tmp: str):
    def ours():
        with temp_dir(tmp) as path, Environment(path) as env:
            log = SegmentLog(env)
            append_ours(env, log, n)
            with Stopwatch() as sw:
                results = env.write(lambda txn: trim_all(log, txn, TS + 1))
        assert sum(r.records_trimmed for r in results) == n, results
        return n, sw.seconds

    def raw():
        def delete_all(txn):
            deleted = 0
            with txn.cursor() as cur:
                if cur.first():
                    while cur.delete():
                        deleted += 1
            return deleted

        with temp_dir(tmp) as path:
            env, db = open_raw(path)
            append_raw(env, db, n)
            with Stopwatch() as sw, env.begin(write=True, db=db) as txn:
                deleted = delete_all(txn)
            env.close()
        assert deleted == n, deleted
        return n, sw.seconds

    yield ours, raw


WORKLOADS = [
    Workload("append_batched", 1_000_000, 50_000, "py-lmdb putmulti of 1,000 per txn", ">= 0.7x raw",
             ratio_at_least(0.7), append_batched),
    Workload("append_single", 10_000, 1_000, "py-lmdb one put per txn", ">= 0.8x raw",
             ratio_at_least(0.8), append_single),
    Workload("read_sequential", 1_000_000, 50_000, "py-lmdb cursor scan", ">= 0.7x raw",
             ratio_at_least(0.7), read_sequential),
    Workload("trim", 1_000_000, 50_000, "py-lmdb cursor delete of each key, one txn", "ours < 0.3 s",
             lambda _ratio, seconds, _per_s: seconds < 0.3, trim),
]

if __name__ == "__main__":
    main(__doc__.splitlines()[0], WORKLOADS, os.path.join(RESULTS_DIR, "storage.jsonl"))

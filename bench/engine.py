"""Embedded-engine benchmarks: tables with a NEW_AND_OLD_IMAGES stream, through ``logstore.open``.

Workloads (durable: every commit is fsynced, on both sides):
* put_batched    -- put 100,000 new items of ~200 bytes in transactions of 1,000 (``store.batch()``): validation,
                    the item, its INSERT record with images. Baseline: raw py-lmdb ``putmulti`` of the same items
                    (key = the item's key, value = the msgpack'd item), one transaction per 1,000.
                    Target: >= 0.5x raw.
* put_single     -- one ``put_item`` per transaction. Baseline: raw single-record commits of the same bytes.
                    Target: >= 0.85x raw.
* put_single_raw_ops -- raw py-lmdb doing, one durable transaction per put, what a put_item of the bench item does
                    to LMDB in this store (format 2): the table's and the stream's definitions read, the item got and
                    put (23-byte key, 202-byte value), four counters read and written, the shard's tail segment
                    found with a cursor, read, and deleted and put back ~220 bytes longer while under 1,536 bytes
                    (else a new segment put). Baseline: put_single's. Informational: row 2's ceiling for this data
                    layout, with no Python around LMDB at all.
* put_8_threads  -- eight threads each calling ``put_item`` (group commit shares fsyncs). Baseline: the same
                    number of puts from one thread. Target: >= 4x one thread.
* put_single_commits_only -- put_single's loop, timing only its LMDB commits (the seconds
                    ``Environment.write_stats`` counts in ``txn.commit()``): what put_single would take if every line
                    of Python around the commit took no time. Baseline: put_single's. Informational: the bound that
                    writing this store's three databases per put (item, record, counters) puts on row 2's ratio.
* drain          -- read 100,000 records (written beforehand, untimed) with GetRecords(Limit=1000), each record
                    rendered in the AWS shape. Baseline: a raw cursor scan of the same number of stored records.
                    Target: >= 1,000,000 records/s.
* drain_put_by_put -- the same drain of 30,000 records written one put_item per commit, as single writes leave a
                    stream: a segment per ~6 records (the tail is extended while it fits its leaf page), where
                    ``drain``'s batches of 1,000 make one segment per batch. Baseline: the same raw scan.
                    Informational (how a page's cost grows with its segments), beside row 4's target.
* drain_vs_parse_floor -- ``drain`` against orjson.loads of each of its pages' Records as JSON text (rendered
                    beforehand, untimed): the same dicts made by a parser in C with nothing read from storage, a
                    floor for any way of building them. Informational: how far row 4's target is from what
                    making the dicts alone costs.

Timed with the garbage collector on, as users run (harness.Stopwatch). Targets: issue 13's table, rows 1-4.
Run ``python bench/engine.py --help`` for the options.
"""
from __future__ import annotations

import struct
import threading
from contextlib import contextmanager

import lmdb
import msgpack
import orjson
from harness import RESULTS_DIR, Stopwatch, Workload, main, open_raw, ratio_at_least, temp_dir

import logstore
from logstore.storage import SegmentPolicy

PAD = "p" * 150


def item(i: int) -> dict:
    return {"pk": {"S": f"user-{i:08d}"}, "name": {"S": PAD}, "n": {"N": str(i)}, "ok": {"BOOL": True}}


def new_store(path: str, durable: bool = True):
    store = logstore.open(path, durable=durable)
    store.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return store


def raw_pairs(lo: int, hi: int) -> list[tuple[bytes, bytes]]:
    return [(f"user-{i:08d}".encode(), msgpack.packb(item(i))) for i in range(lo, hi)]


@contextmanager
def put_batched(n: int, tmp: str):
    def ours():
        with temp_dir(tmp) as path, new_store(path) as store:
            with Stopwatch() as sw:
                for first in range(0, n, 1000):
                    with store.batch() as b:
                        for i in range(first, min(n, first + 1000)):
                            b.put_item(TableName="bench", Item=item(i))
        return n, sw.seconds

    def raw():
        with temp_dir(tmp) as path:
            env, db = open_raw(path)
            with Stopwatch() as sw:
                for first in range(0, n, 1000):
                    with env.begin(write=True, db=db) as txn, txn.cursor() as cur:
                        cur.putmulti(raw_pairs(first, min(n, first + 1000)))
            env.close()
        return n, sw.seconds

    yield ours, raw


@contextmanager
def put_single(n: int, tmp: str):
    def ours():
        with temp_dir(tmp) as path, new_store(path) as store:
            with Stopwatch() as sw:
                for i in range(n):
                    store.put_item(TableName="bench", Item=item(i))
        return n, sw.seconds

    def raw():
        with temp_dir(tmp) as path:
            env, db = open_raw(path)
            with Stopwatch() as sw:
                for i in range(n):
                    with env.begin(write=True, db=db) as txn:
                        txn.put(f"user-{i:08d}".encode(), msgpack.packb(item(i)))
            env.close()
        return n, sw.seconds

    yield ours, raw


@contextmanager
def put_single_commits_only(n: int, tmp: str):
    def commits():
        with temp_dir(tmp) as path, new_store(path) as store:
            before = store.env.write_stats().commit_s
            for i in range(n):
                store.put_item(TableName="bench", Item=item(i))
            return n, store.env.write_stats().commit_s - before

    with put_single(n, tmp) as (_ours, raw):
        yield commits, raw


RAW_RECORD = b"r" * 220      # put_single_raw_ops: about one INSERT record of the bench item in its segment
EXTEND_BELOW = SegmentPolicy().extend_below   # the store's own default: a tail shorter than this is rewritten


@contextmanager
def put_single_raw_ops(n: int, tmp: str):
    def ops():
        with temp_dir(tmp) as path:
            env = lmdb.open(path, map_size=1 << 30, subdir=True, sync=True, metasync=True, max_dbs=8, lock=True)
            catalog, items, counters, segments = (env.open_db(name) for name in
                                                  (b"catalog", b"items", b"counters", b"segments"))
            names = [b"clock", b"seq", b"items:1", b"bytes:1"]
            with env.begin(write=True) as txn:
                txn.put(b"table:bench", b"t" * 432, db=catalog)
                txn.put(b"stream:1", b"s" * 180, db=catalog)
                txn.put(struct.pack(">QQ", 1, 1), RAW_RECORD, db=segments)
            with Stopwatch() as sw:
                for i in range(n):
                    with env.begin(write=True) as txn:
                        txn.get(b"table:bench", db=catalog)
                        txn.get(b"stream:1", db=catalog)
                        key = b"\x00" * 7 + b"\x01" + f"user-{i:08d}".encode() + b"\x00\x01"
                        txn.get(key, db=items)
                        txn.put(key, b"i" * 202, db=items)
                        for name in names:
                            value = txn.get(name, db=counters)
                            count = struct.unpack("<Q", value)[0] if value is not None else 0
                            txn.put(name, struct.pack("<Q", count + 1), db=counters)
                        with txn.cursor(db=segments) as cur:
                            cur.set_range(struct.pack(">QQ", 1, 1 << 63))
                            cur.prev()
                            tail = cur.value()
                            seq = struct.pack(">QQ", 1, i + 2)
                            if len(tail) < EXTEND_BELOW:
                                cur.delete()
                                txn.put(seq, tail + RAW_RECORD, db=segments)
                            else:
                                txn.put(seq, RAW_RECORD, db=segments)
            env.close()
        return n, sw.seconds

    with put_single(n, tmp) as (_ours, raw):
        yield ops, raw


def threaded_puts(store, threads: int, n: int) -> None:
    per = n // threads

    def run(t):
        for i in range(t * per, (t + 1) * per):
            store.put_item(TableName="bench", Item=item(i))

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


@contextmanager
def put_8_threads(n: int, tmp: str):
    def run(threads):
        def go():
            with temp_dir(tmp) as path, new_store(path) as store:
                with Stopwatch() as sw:
                    threaded_puts(store, threads, n)
            return n - n % threads, sw.seconds
        return go

    yield run(8), run(1)


def fill_batched(store, n: int) -> None:
    for first in range(0, n, 1000):
        with store.batch() as b:
            for i in range(first, min(n, first + 1000)):
                b.put_item(TableName="bench", Item=item(i))


def fill_put_by_put(store, n: int) -> None:
    for i in range(n):
        store.put_item(TableName="bench", Item=item(i))


@contextmanager
def drain(n: int, tmp: str, fill=fill_batched, parse_floor: bool = False):
    # the records are written untimed; put by put without fsyncs (what is drained is the same either way).
    # parse_floor: the baseline is orjson.loads of each page's own Records as JSON text (rendered untimed): the
    # same dicts, made by the fastest JSON parser in C we know, with nothing read from storage
    with temp_dir(tmp) as path, temp_dir(tmp) as raw_path, \
            new_store(path, durable=fill is fill_batched) as store:
        fill(store, n)
        arn = store.list_streams(TableName="bench")["Streams"][0]["StreamArn"]
        shards = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        env, db = open_raw(raw_path)
        for first in range(0, n, 1000):
            with env.begin(write=True, db=db) as txn, txn.cursor() as cur:
                cur.putmulti(raw_pairs(first, min(n, first + 1000)))

        def pages(each):
            for shard in shards:
                it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                while it:
                    page = store.get_records(ShardIterator=it, Limit=1000)
                    each(page["Records"])
                    if not page["Records"]:
                        break
                    it = page.get("NextShardIterator")

        def ours():
            sizes: list[int] = []
            with Stopwatch() as sw:
                pages(lambda records: sizes.append(len(records)))
            return sum(sizes), sw.seconds

        texts: list[bytes] = []
        if parse_floor:
            pages(lambda records: texts.append(orjson.dumps(records)) if records else None)

        def floor():
            got = 0
            with Stopwatch() as sw:
                for text in texts:
                    got += len(orjson.loads(text))
            return got, sw.seconds

        def raw():
            got = 0
            with Stopwatch() as sw, env.begin(db=db) as txn:
                for _key, value in txn.cursor():
                    got += len(value) > 0
            return got, sw.seconds

        try:
            yield ours, (floor if parse_floor else raw)
        finally:
            env.close()


WORKLOADS = [
    Workload("put_batched", 100_000, 5_000, "py-lmdb putmulti of the msgpack'd items, 1,000 per txn",
             ">= 0.5x raw", ratio_at_least(0.5), put_batched),
    Workload("put_single", 3_000, 300, "py-lmdb one put per txn", ">= 0.85x raw",
             ratio_at_least(0.85), put_single),
    Workload("put_single_commits_only", 3_000, 300, "py-lmdb one put per txn (put_single's)", None, None,
             put_single_commits_only),
    Workload("put_single_raw_ops", 3_000, 300, "py-lmdb one put per txn (put_single's)", None, None,
             put_single_raw_ops),
    Workload("put_8_threads", 4_000, 400, "the same puts from 1 thread", ">= 4x one thread",
             ratio_at_least(4), put_8_threads),
    Workload("drain", 100_000, 5_000, "py-lmdb cursor scan of as many records", ">= 1M records/s",
             lambda ratio, s, per_s: per_s >= 1_000_000, drain),
    Workload("drain_put_by_put", 30_000, 3_000, "py-lmdb cursor scan of as many records", None, None,
             lambda n, tmp: drain(n, tmp, fill_put_by_put)),
    Workload("drain_vs_parse_floor", 100_000, 5_000, "orjson.loads of each page's Records as JSON text", None,
             None, lambda n, tmp: drain(n, tmp, parse_floor=True)),
]

if __name__ == "__main__":
    main("Embedded-engine benchmarks (tables + streams) against raw py-lmdb.", WORKLOADS,
         f"{RESULTS_DIR}/engine.jsonl")

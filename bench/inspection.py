"""Inspection benchmarks: ``logstore check`` and ``logstore records`` over a store of 1,000,000 stream records,
against a raw py-lmdb cursor walk over the same stored bytes.

The store is built once per run, untimed, through the engine (``logstore.open``, ``store.batch()`` of 1,000 puts
per transaction, ``durable=False``): a table with a NEW_AND_OLD_IMAGES stream split into 4 shards, 50,000 items
each written 20 times (1 INSERT and 19 MODIFYs; items of ~100 bytes, records of ~230 bytes).

Workloads (the real click commands, run in-process with standard output to /dev/null):
* check          -- ``logstore check PATH --json``: every segment validated in C, lineage and metadata, and items
                    against their latest record (every record's payload decoded).      Target: >= 500k records/s
* check_no_items -- ``logstore check PATH --no-items --json``: the same without the item comparison.
                                                                                          Target: >= 500k records/s
* records_json   -- ``logstore records PATH --json``: every record as a JSON line in the Streams wire shape.
                                                                                          No target (informational)
Baseline of each: one read transaction walking the raw ``segments`` database with a py-lmdb cursor and computing
zlib's CRC-32 of every value (the least a checksum pass over the same bytes can cost in Python). Records/s of
the baseline are the store's records over its time. Run ``python bench/inspection.py --help`` for the options.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import zlib
from contextlib import contextmanager

import lmdb
from harness import RESULTS_DIR, Stopwatch, Workload, main

import logstore
from logstore.cli import main as cli

ITEM_WRITES = 20
SHARDS = 4
_built: dict[tuple[int, str], str] = {}


def build(n: int, tmp: str) -> str:
    """A store holding ``n`` stream records (see the module docstring); built once per size and reused."""
    key = (n, tmp)
    if key in _built:
        return _built[key]
    os.makedirs(tmp, exist_ok=True)
    root = tempfile.mkdtemp(prefix="bench-", suffix=".tmp", dir=tmp)
    atexit.register(shutil.rmtree, root, True)
    path = os.path.join(root, "store")
    items = max(1, n // ITEM_WRITES)
    with logstore.open(path, durable=False) as store:
        store.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        arn = store.list_streams(TableName="bench")["Streams"][0]["StreamArn"]
        while True:   # split to SHARDS open shards
            shards = [s for s in store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
                      if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
            if len(shards) >= SHARDS:
                break
            store.split_shard(StreamArn=arn, ShardId=shards[0]["ShardId"])
        done = 0
        while done < n:
            with store.batch() as batch:
                for i in range(done, min(done + 1000, n)):
                    batch.put_item(TableName="bench", Item={
                        "pk": {"S": f"item-{i % items:06d}"}, "version": {"N": str(i // items)},
                        "name": {"S": f"name of item {i % items}"}, "payload": {"S": "p" * 40}})
            done = min(done + 1000, n)
        store.env.sync()
    _built[key] = path
    return path


def run_cli(*args: str) -> None:
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        try:
            cli.main(list(args), standalone_mode=False)
        except SystemExit as e:  # pragma: no cover - check exits 1 only on problems
            raise AssertionError(f"logstore {args[0]} exited {e.code}") from None


def raw_walk(path: str, n: int):
    env = lmdb.open(path, readonly=True, lock=True, max_dbs=64, subdir=True)
    db = env.open_db(b"segments", create=False)
    crc = 0
    with Stopwatch() as sw, env.begin(db=db, buffers=True) as txn:
        for _key, value in txn.cursor():
            crc = zlib.crc32(value, crc)
    env.close()
    return n, sw.seconds


def command_workload(*args: str):
    @contextmanager
    def setup(n: int, tmp: str):
        path = build(n, tmp)

        def ours():
            with Stopwatch() as sw:
                run_cli(args[0], path, *args[1:])
            return n, sw.seconds

        yield ours, lambda: raw_walk(path, n)
    return setup


def at_least(per_s: float):
    return lambda _ratio, _seconds, ours_per_s: ours_per_s >= per_s


WORKLOADS = [
    Workload("check", 1_000_000, 50_000, "py-lmdb cursor walk of the segments db + zlib.crc32 of each value",
             ">= 500k records/s", at_least(500_000), command_workload("check", "--json")),
    Workload("check_no_items", 1_000_000, 50_000, "py-lmdb cursor walk of the segments db + zlib.crc32 of each value",
             ">= 500k records/s", at_least(500_000), command_workload("check", "--no-items", "--json")),
    Workload("records_json", 1_000_000, 50_000, "py-lmdb cursor walk of the segments db + zlib.crc32 of each value",
             None, None, command_workload("records", "--json")),
]

if __name__ == "__main__":
    main(__doc__.splitlines()[0], WORKLOADS, os.path.join(RESULTS_DIR, "inspection.jsonl"))

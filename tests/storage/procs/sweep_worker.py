"""A corruption-sweep worker (tests/storage/test_corruption_sweep.py): for each job of a JSON job file from a given
index on, copy the pristine store, damage the copy (flip one byte's bit, truncate, zero a page), then run
``logstore check``'s walk on it and read everything back through the embedded API, read-only, and print one JSON
result line. It prints ``start <i>`` before each job, so the parent, which bounds each job's time, knows which job
a crash (the process dies) or a hang (the parent kills it) belongs to, and restarts it after that job.

Usage: python sweep_worker.py JOBS.json FIRST_INDEX WORKDIR
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys


def damage(src: str, dst: str, job: dict) -> None:
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    shutil.copyfile(os.path.join(src, "data.mdb"), os.path.join(dst, "data.mdb"))
    path = os.path.join(dst, "data.mdb")
    kind = job["kind"]
    with open(path, "r+b") as f:
        if kind == "flip":
            f.seek(job["offset"])
            byte = f.read(1)[0]
            f.seek(job["offset"])
            f.write(bytes([byte ^ job["mask"]]))
        elif kind == "truncate":
            f.truncate(job["size"])
        elif kind == "zero":
            f.seek(job["page"] * job["page_size"])
            f.write(bytes(job["page_size"]))


def read_all(path: str) -> dict:
    """Digests of everything the store serves: items of every table, records of every shard (read to the end)."""
    import logstore
    with logstore.open(path, readonly=True) as db:
        items = []
        for name in db.list_tables()["TableNames"]:
            start = None
            while True:
                page = db.scan(TableName=name, **({"ExclusiveStartKey": start} if start else {}))
                items += [json.dumps(i, sort_keys=True, default=repr) for i in page["Items"]]
                start = page.get("LastEvaluatedKey")
                if not start:
                    break
        records = []
        for stream in db.list_streams()["Streams"]:
            desc = db.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]
            for shard in desc["Shards"]:
                it = db.get_shard_iterator(StreamArn=stream["StreamArn"], ShardId=shard["ShardId"],
                                           ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                for _ in range(10_000):
                    page = db.get_records(ShardIterator=it, Limit=1000)
                    records += [json.dumps(r["dynamodb"], sort_keys=True, default=repr) for r in page["Records"]]
                    it = page.get("NextShardIterator")
                    if not page["Records"] or not it:
                        break
    return {"items": hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest(),
            "records": hashlib.sha256("\n".join(records).encode()).hexdigest(), "n_items": len(items),
            "n_records": len(records)}


def check(path: str) -> dict:
    from logstore.cli.check import run_check
    from logstore.cli.common import ReadOnlyStore
    with ReadOnlyStore(path) as store:
        result = run_check(store)
    return {"problems": len(result["problems"]), "first": [str(p.message)[:120] for p in result["problems"][:2]]}


def outcome(fn, path: str) -> dict:
    from logstore.errors import LogstoreError
    try:
        return {"ok": True, **fn(path)}
    except LogstoreError as e:   # reported: what damage must become
        return {"ok": False, "error": type(e).__name__, "message": str(e)[:160]}
    except Exception as e:  # an unexpected exception type is a finding too
        return {"ok": False, "error": "UNEXPECTED " + type(e).__name__, "message": str(e)[:160]}


def main() -> None:
    jobs_path, first, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(jobs_path) as f:
        spec = json.load(f)
    for i in range(first, len(spec["jobs"])):
        job = spec["jobs"][i]
        print(f"start {i}", flush=True)
        dst = os.path.join(workdir, "copy")
        if job["kind"] == "pristine":
            dst = spec["store"]
        else:
            damage(spec["store"], dst, job)
        result = {"i": i, "check": outcome(check, dst), "read": outcome(read_all, dst)}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

"""Growth: how the cost of each request and maintenance round changes with the size of the store (issue 12).

Each operation is measured on stores of 10k, 100k and 1M items (``--sizes``) and, for the stream operations, on
a stream of 10, 100 and 1,000 shards (and as many streams for ListStreams); the program prints each operation's
median latency per size and its **growth exponent** (the least-squares slope of log time over log size: 0 is
flat, 1 linear). Beside it, in the same run:

* the **baseline**: a GSI Query done as before stored indexes (the whole table read and sorted per request, the
  v1 read path), at the sizes where that finishes in reasonable time (``--baseline-max``);
* the **GSI / base ratio**: a GSI Query page against a base-table Query page of the same size (target <= 2);
* **memory per request**: the peak of Python allocations during one request over what its response holds, both
  as tracemalloc counts (target <= 2x): what a request holds beyond its page;
* **open + RSS**: a fresh process opening the store and serving one GetItem: seconds and maximum RSS, against
  a process that only imports logstore and its API layer.

Stores are built through the engine's bulk path (``Writer.write`` with 5,000 puts per transaction, non-durable):
the table has a GSI (hash g, range r, ALL), an LSI (range l, KEYS_ONLY) and TTL on; every hash key of the table,
of the GSI and of the LSI holds 100 items, so a page of 100 is one hash key at every size; 1 % of the items
expire at a known time. GC stays on. Results: a table on stdout and JSON lines appended to ``--out``.

    .venv/bin/python bench/growth.py                        # 10k, 100k, 1M items; 10, 100, 1000 shards
    .venv/bin/python bench/growth.py --sizes 1000,10000 --shards 10,100 --reps 50   # a quick look
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import logstore
from harness import RESULTS_DIR, git_commit, machine
from logstore.clock import FakeClock
from logstore.stream import StreamPolicy
from logstore.tables import keycodec
from logstore.tables.writes import Mutation

T0_MS = 1_700_000_000_000
DUE_AT_MS = T0_MS + 3_600_000          # 1 % of the items expire before this; the rest a year later
PAGE = 100
BULK = 5000


def _item(i: int, n: int) -> dict:
    groups = max(1, n // PAGE)
    exp = (T0_MS + 1_000_000 + i) // 1000 if i % 100 == 0 else (T0_MS + 365 * 86400_000) // 1000
    return {"pk": {"S": f"p{i % groups:07}"}, "sk": {"N": str(i)},
            "g": {"S": f"g{(i * 7919) % groups:07}"}, "r": {"N": str(i % 1000)},
            "l": {"S": f"l{(i * 31) % 1000:04}"}, "exp": {"N": str(exp)},
            "payload": {"S": "x" * 60}}


def build_items(path: str, n: int) -> float:
    clock = FakeClock(T0_MS)
    started = time.perf_counter()
    with logstore.open(path, clock=clock, durable=False, index_builds=False) as store:
        store.create_table(
            TableName="tab", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in
                                  (("pk", "S"), ("sk", "N"), ("g", "S"), ("r", "N"), ("l", "S"))],
            GlobalSecondaryIndexes=[{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                   {"AttributeName": "r", "KeyType": "RANGE"}]}],
            LocalSecondaryIndexes=[{"IndexName": "by_l", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                  {"AttributeName": "l", "KeyType": "RANGE"}]}])
        store.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        writer = store.tables.writer
        for start in range(0, n, BULK):
            batch = []
            for i in range(start, min(n, start + BULK)):
                item = _item(i, n)
                batch.append(Mutation("tab", {"pk": item["pk"], "sk": item["sk"]}, lambda _old, it=item: it))
            writer.write(batch)
        store.env.sync()
    return time.perf_counter() - started


def median_ms(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def peak_ratio(fn) -> tuple[int, int]:
    """(peak bytes Python allocated during one call, bytes the response it returns holds), both as tracemalloc
    counts them: the second is the page as Python objects, so the ratio is what a request holds beyond its
    answer."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del out
    return peak - base, current - base


def brute_force_gsi_query(store, g: str) -> list[dict]:
    """The v1 read path of a GSI Query: read the whole table, keep the items with the index keys, sort."""
    tdef = store.tables.get("tab")
    ix = tdef.index("by_g")
    with store.env.begin_read() as txn:
        pool = [item for _, item in store.tables.items.scan(txn, tdef)
                if "g" in item and "r" in item and item["g"]["S"] == g]
    pool.sort(key=lambda i: keycodec.encode_key(list(ix.key_schema), i) + keycodec.encode_key(
        list(tdef.key_schema), i))
    return pool[:PAGE]


def measure_items(path: str, n: int, reps: int, baseline: bool) -> dict:
    rng = random.Random(n)
    groups = max(1, n // PAGE)
    clock = FakeClock(T0_MS)
    out = {}
    with logstore.open(path, clock=clock, durable=False, index_builds=False) as store:
        def get_item():
            i = rng.randrange(n)
            return store.get_item(TableName="tab", Key={"pk": {"S": f"p{i % groups:07}"}, "sk": {"N": str(i)}})

        def query_base():
            return store.query(TableName="tab", KeyConditionExpression="pk = :p", Limit=PAGE,
                               ExpressionAttributeValues={":p": {"S": f"p{rng.randrange(groups):07}"}})

        def query_gsi():
            return store.query(TableName="tab", IndexName="by_g", KeyConditionExpression="g = :g", Limit=PAGE,
                               ExpressionAttributeValues={":g": {"S": f"g{rng.randrange(groups):07}"}})

        def query_lsi():
            return store.query(TableName="tab", IndexName="by_l", KeyConditionExpression="pk = :p", Limit=PAGE,
                               ExpressionAttributeValues={":p": {"S": f"p{rng.randrange(groups):07}"}})

        def scan_gsi_page():   # a page of a paginated GSI Scan, from a random position
            item = _item(rng.randrange(n), n)
            start = {k: item[k] for k in ("pk", "sk", "g", "r")}
            return store.scan(TableName="tab", IndexName="by_g", Limit=PAGE, ExclusiveStartKey=start)

        def ttl_nothing_due():
            store.tables.sweep_ttl(T0_MS)
            return {}

        ops = {"GetItem": get_item, "Query base": query_base, "Query GSI": query_gsi, "Query LSI": query_lsi,
               "Scan GSI page": scan_gsi_page, "TTL round, nothing due": ttl_nothing_due}
        for name, fn in ops.items():
            fn()
            out[name] = {"ms": median_ms(fn, reps)}
            peak, page = peak_ratio(fn)
            out[name].update(peak_bytes=peak, page_bytes=page)
        out["Query GSI"]["items"] = len(query_gsi()["Items"])
        if baseline:
            g = f"g{rng.randrange(groups):07}"
            out["baseline: GSI Query, v1 read path"] = {"ms": median_ms(lambda: brute_force_gsi_query(store, g),
                                                                        max(3, reps // 50))}
        t = time.perf_counter()
        deleted = store.tables.sweep_ttl(DUE_AT_MS, max_batches=10**9)
        seconds = time.perf_counter() - t
        out["TTL round, 1 % due"] = {"ms": seconds * 1000, "deleted": deleted,
                                      "us_per_item": seconds * 1e6 / max(1, deleted)}
    out["open + GetItem (fresh process)"] = open_in_child(path)
    return out


# the child's peak RSS from /proc (VmHWM: of this process image only; getrusage's ru_maxrss would include the
# parent's, inherited through fork)
HWM = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
# ``import logstore`` loads the API layer on first use of ``logstore.open``: import it before the clock starts
OPEN_CHILD = f"""
import sys, time
import logstore, logstore.api
t = time.perf_counter()
s = logstore.open(sys.argv[1], durable=False, index_builds=False)
s.get_item(TableName="tab", Key={{"pk": {{"S": "p0000000"}}, "sk": {{"N": "0"}}}})
print(time.perf_counter() - t, {HWM})
"""
IMPORT_CHILD = f"import logstore, logstore.api; print(0, {HWM})"


def open_in_child(path: str) -> dict:
    def run(code: str, *args: str) -> tuple[float, int]:
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                              check=True)
        seconds, rss = done.stdout.split()
        return float(seconds), int(rss)
    seconds, rss = run(OPEN_CHILD, path)
    _, bare = run(IMPORT_CHILD)
    return {"ms": seconds * 1000, "rss_kib": rss, "rss_import_only_kib": bare, "rss_growth_kib": rss - bare}


def measure_streams(tmp: str, shards: int, reps: int) -> dict:
    """A stream of ``shards`` shards (10 partitions, rolled over), and ``shards`` streams (tables) for
    ListStreams."""
    rng = random.Random(shards)
    clock = FakeClock(T0_MS)
    policy = StreamPolicy(rollover_ms=60_000, initial_partitions=min(10, shards), split_rate=None,
                          retention_ms=10**12)
    path = os.path.join(tmp, f"streams-{shards}")
    out = {}
    with logstore.open(path, clock=clock, durable=False, stream_policy=policy, index_builds=False) as store:
        for t in range(shards):
            store.create_table(TableName=f"t{t:05}", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST",
                               StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        arn = store.describe_table(TableName="t00000")["Table"]["LatestStreamArn"]
        with store.env.begin_read() as txn:
            stream_no = store.streams.catalog.stream_by_arn(txn, arn).stream_no
        while True:
            with store.env.begin_read() as txn:
                count = len(store.streams.catalog.shards(txn, stream_no))
            if count >= shards:
                break
            clock.advance(60_000)
            store.env.write(lambda txn: store.streams.roll(txn, stream_no))
        with store.env.begin_read() as txn:
            ids = [s.shard_id for s in store.streams.catalog.shards(txn, stream_no)]
        arns = sorted(a["StreamArn"] for a in store.list_streams(Limit=100)["Streams"])

        def describe():   # a full page of 5 from a random position
            return store.describe_stream(StreamArn=arn, Limit=5, ExclusiveStartShardId=rng.choice(ids[:-5]))

        def iterator():
            return store.get_shard_iterator(StreamArn=arn, ShardId=rng.choice(ids), ShardIteratorType="TRIM_HORIZON")

        def list_page():  # a full page of 10 from a random position among the first 100
            return store.list_streams(Limit=10, ExclusiveStartStreamArn=rng.choice(arns[:-10] or arns))

        def list_table():
            return store.list_streams(TableName=f"t{rng.randrange(shards):05}")

        for name, fn in (("DescribeStream page", describe), ("GetShardIterator", iterator),
                         ("ListStreams page", list_page), ("ListStreams of a table", list_table)):
            fn()
            out[name] = {"ms": median_ms(fn, reps), "shards": len(ids)}
    return out


def exponent(sizes: list[int], values: list[float]) -> float | None:
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values) if v > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--shards", default="10,100,1000")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--baseline-max", type=int, default=100_000, help="largest size the v1 baseline runs at")
    ap.add_argument("--tmp", default=RESULTS_DIR)
    ap.add_argument("--keep", help="build the item stores in this directory and reuse them when they exist "
                    "(the TTL measurement deletes 1 %%: a reused store has expired none)")
    ap.add_argument("--out", default=os.path.join(RESULTS_DIR, "growth.jsonl"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shard_counts = [int(s) for s in args.shards.split(",")]
    context = {"machine": machine(), **git_commit(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds")}
    print(f"commit {context['commit']}{' (dirty)' if context['dirty'] else ''}, {context['machine']['cpu']} "
          f"x{context['machine']['nproc']}", flush=True)
    by_op: dict[str, dict[int, dict]] = {}
    builds = {}
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in sizes:
            path = os.path.join(args.keep or tmp, f"items-{n}")
            if args.keep and os.path.exists(path):
                shutil.rmtree(path + ".run", ignore_errors=True)
                shutil.copytree(path, path + ".run")
                path += ".run"
                builds[n] = None
            else:
                builds[n] = build_items(path, n)
                if args.keep:
                    shutil.copytree(path, path + ".run")
                    path += ".run"
            print(f"built {n:,} items in {builds[n]:.1f} s", flush=True)
            for op, row in measure_items(path, n, args.reps, n <= args.baseline_max).items():
                by_op.setdefault(op, {})[n] = row
            print(f"measured {n:,} items; RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} KiB", flush=True)
        stream_ops: dict[str, dict[int, dict]] = {}
        for s in shard_counts:
            for op, row in measure_streams(tmp, s, args.reps).items():
                stream_ops.setdefault(op, {})[s] = row
            print(f"measured {s} shards", flush=True)
    rows = []
    for table, axis in ((by_op, sizes), (stream_ops, shard_counts)):
        for op, per_size in table.items():
            have = [s for s in axis if s in per_size]
            exp = exponent(have, [per_size[s]["ms"] for s in have])
            rows.append({"operation": op, "sizes": have, "ms": [round(per_size[s]["ms"], 4) for s in have],
                         "exponent": None if exp is None else round(exp, 3),
                         "detail": {str(s): per_size[s] for s in have}})
    gsi, base = by_op.get("Query GSI", {}), by_op.get("Query base", {})
    ratios = {n: round(gsi[n]["ms"] / base[n]["ms"], 2) for n in sizes if n in gsi and n in base}
    memory = {op: {n: round(r["peak_bytes"] / r["page_bytes"], 2) for n, r in per.items() if r.get("page_bytes")}
              for op, per in by_op.items() if any(r.get("page_bytes") for r in per.values())}
    width = max(len(r["operation"]) for r in rows)
    print()
    print(f"{'operation':{width}}  " + "  ".join(f"{'size':>10} {'ms':>9}" for _ in range(3)) + "  exponent")
    for r in rows:
        cells = "  ".join(f"{s:>10,} {ms:>9.3f}" for s, ms in zip(r["sizes"], r["ms"]))
        print(f"{r['operation']:{width}}  {cells}  {r['exponent']}")
    print(f"\nGSI Query / base Query (page {PAGE}): {ratios}   (target <= 2)")
    print(f"peak Python allocation during a request / its response's allocation: {memory}   (target <= 2)")
    print(f"builds (s): {builds}")
    print("open + GetItem RSS (KiB, fresh process; import only: "
          f"{next(iter(by_op['open + GetItem (fresh process)'].values()))['rss_import_only_kib']}): "
          f"{ {n: r['rss_kib'] for n, r in by_op['open + GetItem (fresh process)'].items()} }")
    with open(args.out, "a") as f:
        f.write(json.dumps({"name": "growth", "rows": rows, "gsi_over_base": ratios, "memory_over_page": memory,
                            "build_s": builds, "page": PAGE, "reps": args.reps, **context}) + "\n")


if __name__ == "__main__":
    main()

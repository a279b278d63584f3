"""Benchmark: how long the console's pages take over a big store -- a table of 1,000,000 items and a stream of
1,008 shards (16 partitions rolled over 62 times) -- against the AWS API doing the same read on the same server.

Workloads (each page fetched over HTTP from a real ``logstore serve`` on 127.0.0.1, GC on, the best of
``--repeat`` alternating runs of ours and the baseline):
* ``items_page``: the Items page (Scan, 25 items, the readable table) vs. a Scan with Limit=25 through the API
  (boto3 ``dynamodb`` client).
* ``items_page_deep``: the Items page 200 pages in (an ExclusiveStartKey in the URL) vs. the same Scan page.
* ``stream_page``: the Stream page of the 1,008-shard stream (lineage graph of 100 shards, their log summaries)
  vs. DescribeStream with Limit=100 (boto3 ``dynamodbstreams``).
* ``stream_page_last``: the last page of shards vs. DescribeStream from the corresponding shard.
* ``tables_page``: the Tables page vs. DescribeTable.
* ``records_page``: the records page of the first shard (~1,000 records; a page of them shown with old/new diffs)
  vs. GetShardIterator + GetRecords Limit=100 of that shard.
* ``tail_poll``: one poll of the live tail's feed (every open shard read from its end) vs. DescribeStream Limit=100.
* ``store_page``: the Store page (counts and charts: every record's timestamp over the retention window, 1M
  records here) vs. walking all 1,008 shards with DescribeStream.
Target: every page under 1 s (the issue's "a page with 1M items and 1,000 shards loads in under a second").

The store is built once under --store-dir (default $TMPDIR/logstore-console-bench; reused when it exists):
~1-2 minutes for 1M items with durable=False batches.

Usage: python bench/console.py [--quick] [--repeat N] [--out bench/results/console.jsonl]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
from urllib.parse import quote

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

import harness  # noqa: E402

ITEMS = 1_000_000
QUICK_ITEMS = 100_000
PARTITIONS, ROLLS = 16, 62          # 16 + 16 * 62 = 1,008 shards


def build(path: str, items: int) -> None:
    import logstore
    from logstore.api import StreamPolicy
    from logstore.clock import FakeClock
    clock = FakeClock(int(time.time() * 1000) - 3_600_000)
    policy = StreamPolicy(initial_partitions=PARTITIONS, max_partitions=PARTITIONS, rollover_ms=1000,
                          split_rate=None)
    with logstore.open(path, clock=clock, durable=False, stream_policy=policy) as s:
        s.create_table(TableName="big", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        per_roll = items // (ROLLS + 1)
        written = 0
        for roll in range(ROLLS + 1):
            count = per_roll if roll < ROLLS else items - written
            for start in range(0, count, 5000):
                with s.batch() as b:
                    for i in range(written + start, written + min(count, start + 5000)):
                        b.put_item(TableName="big", Item={"pk": {"S": f"item-{i:08d}"}, "n": {"N": str(i)},
                                                          "note": {"S": "x" * 40}})
            written += count
            if roll < ROLLS:
                clock.advance(1000)
                s.maintain()


def serve(path: str, log_path: str):
    sys.path.insert(0, os.path.join(harness.REPO_DIR, "tests", "server"))
    from serverhelpers import ServerProcess
    return ServerProcess(path, log_path).start(timeout=120)


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return min(runs), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ITEMS:,} items instead of {ITEMS:,}")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store-dir", default=os.path.join(tempfile.gettempdir(), "logstore-console-bench"))
    parser.add_argument("--out", default=os.path.join(harness.RESULTS_DIR, "console.jsonl"))
    args = parser.parse_args()
    items = QUICK_ITEMS if args.quick else ITEMS
    path = os.path.join(args.store_dir, f"store-{items}")
    if not os.path.exists(os.path.join(path, "data.mdb")):
        os.makedirs(path, exist_ok=True)
        start = time.perf_counter()
        build(path, items)
        print(f"built {path} in {time.perf_counter() - start:.1f}s", flush=True)
    import requests
    context = {"machine": harness.machine(), **harness.git_commit(), "quick": args.quick, "items": items}
    print(f"commit {context['commit']}{' (dirty)' if context['dirty'] else ''}, {context['machine']['cpu']} "
          f"x{context['machine']['nproc']}", flush=True)
    proc = serve(path, os.path.join(args.store_dir, "server.log"))
    try:
        ddb, streams = proc.client("dynamodb"), proc.client("dynamodbstreams")
        http = requests.Session()
        arn = streams.list_streams(TableName="big")["Streams"][0]["StreamArn"]
        desc = streams.describe_stream(StreamArn=arn, Limit=100)["StreamDescription"]
        base = proc.url + "/console"
        first = http.get(base + f"/stream?arn={quote(arn, safe='')}").text
        pages = int(re.search(r"page 1 of (\d+)", first).group(1))
        shards_total = int(re.search(r'id="shard-count">(\d+)', first).group(1))
        # the start key 200 pages in (25 items a page), found through the API (untimed)
        key = None
        for _ in range(200):
            key = ddb.scan(TableName="big", Limit=25, **({"ExclusiveStartKey": key} if key else {}))[
                "LastEvaluatedKey"]
        deep_key = json.dumps({"pk": {"S": key["pk"]["S"]}})
        last_page_start = None
        for s in desc["Shards"]:   # the last page's first shard in lineage order is not the API's; any id works
            last_page_start = s["ShardId"]

        first_shard = desc["Shards"][0]["ShardId"]

        def read_shard_once(shard_id):
            it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            return streams.get_records(ShardIterator=it, Limit=100)

        def describe_all_shards():
            kw = {}
            while True:
                d = streams.describe_stream(StreamArn=arn, Limit=100, **kw)["StreamDescription"]
                if "LastEvaluatedShardId" not in d:
                    return
                kw = {"ExclusiveStartShardId": d["LastEvaluatedShardId"]}

        def get(url):
            r = http.get(url, timeout=60)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            return r

        workloads = [
            ("items_page", lambda: get(base + "/tables/big/items"),
             lambda: ddb.scan(TableName="big", Limit=25), "Scan Limit=25 (boto3)"),
            ("items_page_deep", lambda: get(base + f"/tables/big/items?start={quote(deep_key, safe='')}&n=201"),
             lambda: ddb.scan(TableName="big", Limit=25, ExclusiveStartKey=key), "Scan Limit=25 from the key"),
            ("stream_page", lambda: get(base + f"/stream?arn={quote(arn, safe='')}"),
             lambda: streams.describe_stream(StreamArn=arn, Limit=100), "DescribeStream Limit=100 (boto3)"),
            ("stream_page_last", lambda: get(base + f"/stream?arn={quote(arn, safe='')}&page={pages}"),
             lambda: streams.describe_stream(StreamArn=arn, Limit=100, ExclusiveStartShardId=last_page_start),
             "DescribeStream Limit=100 from a shard"),
            ("tables_page", lambda: get(base + "/"), lambda: ddb.describe_table(TableName="big"),
             "DescribeTable (boto3)"),
            ("records_page", lambda: get(base + f"/stream/records?arn={quote(arn, safe='')}&shard={first_shard}"),
             lambda: read_shard_once(first_shard), "GetShardIterator + GetRecords of the shard (boto3)"),
            ("tail_poll", lambda: get(base + f"/stream/tail.json?arn={quote(arn, safe='')}"),
             lambda: streams.describe_stream(StreamArn=arn, Limit=100), "DescribeStream Limit=100 (boto3)"),
            ("store_page", lambda: get(base + "/store"), describe_all_shards,
             "DescribeStream walk of every shard (boto3)"),
        ]
        rows = []
        for name, ours, baseline, what in workloads:
            ours(), baseline()   # warm
            best_o, runs_o, best_b, runs_b = None, [], None, []
            for _ in range(args.repeat):
                o, ro = timed(ours, 1)
                b, rb = timed(baseline, 1)
                runs_o += ro
                runs_b += rb
            best_o, best_b = min(runs_o), min(runs_b)
            row = {"name": name, "ours_s": round(best_o, 4), "baseline_s": round(best_b, 4),
                   "ratio": round(best_b / best_o, 3), "ours_runs_s": [round(x, 4) for x in runs_o],
                   "baseline_runs_s": [round(x, 4) for x in runs_b], "baseline": what,
                   "target": "page < 1 s", "met": max(runs_o) < 1.0, "shards": shards_total, **context}
            rows.append(row)
            print(f"{name:18} ours {best_o * 1000:8.1f} ms (worst {max(runs_o) * 1000:.1f})  baseline "
                  f"{best_b * 1000:7.1f} ms  ratio {row['ratio']:.3f}  target <1 s: "
                  f"{'met' if row['met'] else 'MISSED'}", flush=True)
        with open(args.out, "a") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    finally:
        proc.stop(signal.SIGTERM)


if __name__ == "__main__":
    main()

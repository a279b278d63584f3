"""Stream-processor benchmarks (logstore/processors): throughput through a no-op handler, and the lag from a
committed write to the handler's call, embedded and remote.

Workloads (stores durable, as by default):
* lambda_events     -- N records (written beforehand, untimed) read as Lambda event records through the embedded
                       processors' reader (1,000 per read), without a handler or checkpoints: issue 13's "Lambda
                       events at the drain's rate". Baseline: the GetRecords(Limit=1000) drain of the same records.
                       Target: >= 1,000,000 records/s.
* process_embedded  -- N records (written beforehand, untimed; the items of bench/engine.py) delivered to a
                       no-op handler by ``Processor.embedded`` (BatchSize 10,000), timed from ``start()`` to the
                       handler having seen all N; every batch checkpointed. Baseline: the same records read with
                       GetRecords(Limit=1000) in a loop (the AWS-shaped read path). Target: >= 200,000 records/s.
* process_remote    -- the same through ``Processor.remote`` and a boto3 ``dynamodbstreams`` client against a
                       ``logstore serve`` process when the server is installed (else a boto3 client answered
                       in-process by the store: tests/processors/remote_adapter.py, which still pays boto3's
                       serialising and parsing). Baseline: the same client's bare GetRecords loop. No target.
* lag_embedded      -- a writer puts one item every 5 ms (durable put_item: committed and fsynced when it returns)
                       while a processor runs; lag = handler call time - put_item's return (perf_counter, one
                       process), p50 and p99 over the run. Baseline: a hand-written loop polling GetRecords at the
                       processor's poll interval (10 ms). Target: p50 < 20 ms.
* lag_remote        -- the same through the remote processor (poll interval 50 ms) and the baseline loop over
                       the same client. No target.

The lag workloads report milliseconds (``ours_p50_ms`` ...); their "per second" columns are the inverse of the
p50 so that the harness's ratio column reads "how many times quicker than the baseline".
Run ``python bench/processors.py --help`` for the options.
"""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

from harness import RESULTS_DIR, REPO_DIR, Stopwatch, Workload, main, temp_dir

import logstore
from logstore.processors import Processor, ProcessorConfig

sys.path.insert(0, os.path.join(REPO_DIR, "tests", "processors"))
PAD = "p" * 150
TARGET_PER_S = 200_000


def item(i: int) -> dict:
    return {"pk": {"S": f"user-{i:08d}"}, "name": {"S": PAD}, "n": {"N": str(i)}, "ok": {"BOOL": True}}


def new_store(path: str, **options):
    store = logstore.open(path, **options)
    store.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return store


def fill(store, n: int) -> None:
    for first in range(0, n, 1000):
        with store.batch() as b:
            for i in range(first, min(n, first + 1000)):
                b.put_item(TableName="bench", Item=item(i))


class Counter:
    def __init__(self, n: int):
        self.n, self.seen, self.done = n, 0, threading.Event()

    def __call__(self, event, context):
        self.seen += len(event["Records"])
        if self.seen >= self.n:
            self.done.set()


def drain_get_records(client, arn: str) -> int:
    """Every record of the stream through GetRecords(Limit=1000), shard by shard."""
    n = 0
    for shard in client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = client.get_records(ShardIterator=it, Limit=1000)
            n += len(page["Records"])
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return n


# -- a logstore serve process, when the server is installed -----------------------------------------------------

class Server:
    def __init__(self, path: str):
        self.path = path
        self.proc = None
        self.url = None

    def __enter__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "logstore", "serve", self.path, "--port", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("logstore serve did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(30)


def server_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("logstore.server") is not None


@contextmanager
def remote_client(store, path: str):
    """(boto3 dynamodbstreams client, what it talks to). With a server: ``store`` is closed and served."""
    import boto3
    if server_available():
        store.close()
        with Server(path) as server:
            yield boto3.client("dynamodbstreams", endpoint_url=server.url, region_name="us-east-1",
                               aws_access_key_id="bench", aws_secret_access_key="bench"), "logstore serve"
    else:
        from remote_adapter import embedded_client
        yield embedded_client(store), "in-process boto3 adapter"


# -- throughput -------------------------------------------------------------------------------------------------

@contextmanager
def filled_store(n: int, tmp: str):
    """A store of n bench records, its stream's ARN, and the baseline both embedded workloads share: the same
    records drained with GetRecords(Limit=1000)."""
    with temp_dir(tmp) as path:
        store = new_store(os.path.join(path, "s"))
        fill(store, n)
        arn = store.list_streams(TableName="bench")["Streams"][0]["StreamArn"]

        def base():
            with Stopwatch() as sw:
                got = drain_get_records(store, arn)
            return got, sw.seconds
        try:
            yield store, base
        finally:
            store.close()


@contextmanager
def process_embedded(n: int, tmp: str):
    with filled_store(n, tmp) as (store, base):
        runs = [0]

        def ours():
            runs[0] += 1
            handler = Counter(n)
            proc = Processor.embedded(store, "bench", handler, ProcessorConfig(batch_size=10_000),
                                      name=f"bench-{runs[0]}")
            with Stopwatch() as sw:
                proc.start()
                handler.done.wait()
            proc.stop()
            return handler.seen, sw.seconds

        yield ours, base


@contextmanager
def lambda_events(n: int, tmp: str):
    """The processors' embedded read path alone: every record read as Lambda event records (EmbeddedSource's
    reader, 1,000 per read, what Processor.embedded hands a handler), against the GetRecords drain of the same
    records (dicts in GetRecords' shape)."""
    from logstore.processors.sources import EmbeddedSource
    with filled_store(n, tmp) as (store, base):
        source = EmbeddedSource(store, "bench")

        def ours():
            got = 0
            with Stopwatch() as sw:
                for shard in source.shards():
                    reader = source.reader(shard, None, "TRIM_HORIZON")
                    while True:
                        page = reader.read(1000)
                        got += len(page.records)
                        if page.ended or not page.records:
                            break
            return got, sw.seconds

        yield ours, base


@contextmanager
def process_remote(n: int, tmp: str):
    with temp_dir(tmp) as path:
        store = new_store(os.path.join(path, "s"))
        fill(store, n)
        arn = store.list_streams(TableName="bench")["Streams"][0]["StreamArn"]
        local = logstore.open(os.path.join(path, "checkpoints"))
        runs = [0]
        with remote_client(store, os.path.join(path, "s")) as (client, what):
            print(f" [{what}]", end="", flush=True)

            def ours():
                runs[0] += 1
                handler = Counter(n)
                proc = Processor.remote(client, "bench", handler, local, ProcessorConfig(
                    batch_size=10_000, poll_interval_s=0.05), name=f"bench-{runs[0]}")
                with Stopwatch() as sw:
                    proc.start()
                    handler.done.wait()
                proc.stop()
                return handler.seen, sw.seconds

            def base():
                with Stopwatch() as sw:
                    got = drain_get_records(client, arn)
                return got, sw.seconds
            try:
                yield ours, base
            finally:
                local.close()
        if what != "logstore serve":
            store.close()


# -- lag --------------------------------------------------------------------------------------------------------

def measure_lag(put, start_consumer, stop_consumer, n: int, interval_s: float = 0.005) -> list[float]:
    """Put ``n`` new items one every ``interval_s``; the consumer calls ``seen(pk)``. Returns lags in ms."""
    prefix = f"lag-{time.monotonic_ns()}-"   # new keys each time: re-putting an identical item writes no record
    returned: dict[str, float] = {}
    called: dict[str, float] = {}

    def seen(pk: str) -> None:
        called.setdefault(pk, time.perf_counter())
    start_consumer(seen)
    try:
        time.sleep(0.2)
        for i in range(n):
            pk = f"{prefix}{i:06d}"
            put(pk)
            returned[pk] = time.perf_counter()
            time.sleep(interval_s)
        deadline = time.monotonic() + 30
        while len(called) < n and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop_consumer()
    return [(called[pk] - returned[pk]) * 1000 for pk in returned if pk in called]


def polling_consumer(client, arn: str, interval_s: float):
    """The baseline: one thread per shard list, polling GetRecords every ``interval_s`` from LATEST."""
    stop = threading.Event()
    threads = []

    def start(seen):
        def loop():
            shard = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
            it = client.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
            while not stop.is_set():
                page = client.get_records(ShardIterator=it, Limit=1000)
                for r in page["Records"]:
                    seen(r["dynamodb"]["Keys"]["pk"]["S"])
                it = page["NextShardIterator"]
                if not page["Records"]:
                    stop.wait(interval_s)
        t = threading.Thread(target=loop, daemon=True)
        threads.append(t)
        t.start()

    def stop_():
        stop.set()
        for t in threads:
            t.join()
    return start, stop_


def lag_row(name: str, ours: list[float], base: list[float], target: str | None, met) -> dict:
    def pct(values, q):
        values = sorted(values)
        return round(values[min(len(values) - 1, int(q * len(values)))], 2)
    p50, b50 = statistics.median(ours), statistics.median(base)
    return {"name": name, "records": len(ours), "baseline_records": len(base),
            "ours_per_s": round(1000 / p50) if p50 > 0 else 0, "baseline_per_s": round(1000 / b50) if b50 > 0 else 0,
            "ratio": round(b50 / p50, 3) if p50 > 0 else 0, "ours_s": round(p50 / 1000, 4),
            "baseline_s": round(b50 / 1000, 4), "ours_p50_ms": round(p50, 2), "ours_p99_ms": pct(ours, 0.99),
            "baseline_p50_ms": round(b50, 2), "baseline_p99_ms": pct(base, 0.99),
            "baseline": "GetRecords polled at the same interval", "target": target,
            "met": None if met is None else bool(met(p50)), "repeat": 1}


@contextmanager
def lag_embedded(n: int, tmp: str):
    with temp_dir(tmp) as path:
        store = new_store(os.path.join(path, "s"))
        arn = store.list_streams(TableName="bench")["Streams"][0]["StreamArn"]
        put = lambda pk: store.put_item(TableName="bench", Item={"pk": {"S": pk}})  # noqa: E731
        holder = {}

        def start(seen):
            def handler(event, context):
                for r in event["Records"]:
                    seen(r["dynamodb"]["Keys"]["pk"]["S"])
            holder["p"] = Processor.embedded(store, "bench", handler, ProcessorConfig(starting_position="LATEST"),
                                             name=f"lag-{time.monotonic()}").start()
        ours = measure_lag(put, start, lambda: holder["p"].stop(), n)
        base = measure_lag(put, *polling_consumer(store, arn, 0.01), n)
        store.close()
        yield ours, base


@contextmanager
def lag_remote(n: int, tmp: str):
    with temp_dir(tmp) as path:
        store = new_store(os.path.join(path, "s"))
        arn = store.list_streams(TableName="bench")["Streams"][0]["StreamArn"]
        local = logstore.open(os.path.join(path, "checkpoints"))
        with remote_client(store, os.path.join(path, "s")) as (client, what):
            print(f" [{what}]", end="", flush=True)
            import boto3
            ddb = boto3.client("dynamodb", endpoint_url=client.meta.endpoint_url, region_name="us-east-1",
                               aws_access_key_id="bench", aws_secret_access_key="bench") \
                if what == "logstore serve" else None
            put = (lambda pk: ddb.put_item(TableName="bench", Item={"pk": {"S": pk}})) if ddb else (
                lambda pk: store.put_item(TableName="bench", Item={"pk": {"S": pk}}))
            holder = {}

            def start(seen):
                def handler(event, context):
                    for r in event["Records"]:
                        seen(r["dynamodb"]["Keys"]["pk"]["S"])
                holder["p"] = Processor.remote(client, "bench", handler, local, ProcessorConfig(
                    starting_position="LATEST", poll_interval_s=0.05), name=f"lag-{time.monotonic()}").start()
            ours = measure_lag(put, start, lambda: holder["p"].stop(), n)
            base = measure_lag(put, *polling_consumer(client, arn, 0.05), n)
        local.close()
        if what != "logstore serve":
            store.close()
        yield ours, base


LAG_WORKLOADS = {"lag_embedded": (lag_embedded, "p50 < 20 ms", lambda p50: p50 < 20),
                 "lag_remote": (lag_remote, None, None)}


def run_lag(argv: list[str]) -> None:
    """The lag workloads (not rates, so outside harness.measure), with the harness's context and output file."""
    import argparse
    import datetime
    import json

    from harness import git_commit, machine
    from logstore import codec
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--workload", action="append")
    p.add_argument("--out", default=os.path.join(RESULTS_DIR, "processors.jsonl"))
    p.add_argument("--tmp", default=RESULTS_DIR)
    args, _ = p.parse_known_args(argv)
    context = {"codec": codec.IMPLEMENTATION, "machine": machine(), **git_commit(), "quick": args.quick}
    for name, (setup, target, met) in LAG_WORKLOADS.items():
        if args.workload and name not in args.workload:
            continue
        n = 100 if args.quick else 600
        print(f"  {name}: {n} writes ...", end="", flush=True)
        with setup(n, args.tmp) as (ours, base):
            row = {**lag_row(name, ours, base, target, met), **context,
                   "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        print(f" p50 {row['ours_p50_ms']} ms p99 {row['ours_p99_ms']} ms (baseline p50 {row['baseline_p50_ms']} ms, "
              f"p99 {row['baseline_p99_ms']} ms)", flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")


WORKLOADS = [
    Workload("process_embedded", 200_000, 20_000, "GetRecords(Limit=1000) loop over the same records",
             f">= {TARGET_PER_S:,} records/s", lambda _r, _s, per_s: per_s >= TARGET_PER_S, process_embedded),
    Workload("lambda_events", 100_000, 5_000, "GetRecords(Limit=1000) drain of the same records (dicts)",
             ">= 1,000,000 records/s", lambda _r, _s, per_s: per_s >= 1_000_000, lambda_events),
    Workload("process_remote", 50_000, 5_000, "the same client's bare GetRecords loop", None, None,
             process_remote),
]

if __name__ == "__main__":
    argv = sys.argv[1:]
    rate_names = {w.name for w in WORKLOADS}
    chosen = [a for i, a in enumerate(argv) if i and argv[i - 1] == "--workload"]
    if not chosen or set(chosen) & rate_names:
        rate_argv = [a for i, a in enumerate(argv)
                     if not (a in LAG_WORKLOADS or (a == "--workload" and i + 1 < len(argv)
                                                    and argv[i + 1] in LAG_WORKLOADS))]
        main(__doc__.splitlines()[0], WORKLOADS, os.path.join(RESULTS_DIR, "processors.jsonl"), rate_argv)
    if not chosen or set(chosen) & set(LAG_WORKLOADS):
        run_lag(argv)
    shutil.rmtree(os.path.join(RESULTS_DIR, "__pycache__"), ignore_errors=True)

"""Server benchmarks: ``logstore serve`` over HTTP, side by side in one run with moto's server (``moto[server]``,
the bench extra) and with a stub server that answers at once (bench/stub_server.py: the client's own floor).

(a) one boto3 client, as an application would use it (durable: every write fsynced before its answer):
* boto3_put_vs_stub    -- ``put_item`` of new ~200-byte items. Baseline: the same calls to the stub.
                          Target: >= 0.85x the stub (the client's floor).
* boto3_put_vs_durable_stub -- the same calls; baseline: the durable stub (one fsynced raw LMDB put per PutItem,
                          same HTTP stack). Target (issue 13 row 5): >= 0.9x.
* boto3_put_vs_moto    -- the same against moto's server. Informational.
* boto3_drain_vs_moto  -- ``get_records(Limit=1000)`` over records written beforehand (untimed), from TRIM_HORIZON,
                          until all are read. Baseline: moto's server. Target: >= 10x moto.
* boto3_drain_vs_stub  -- the same against the stub, which answers with a captured 1,000-record page (boto3's own
                          parsing floor), the two drained page by page in one loop, each page timed alone
                          (interleaved_drain_runs). Target (issue 13 row 8): >= 0.95x.

(b) several client processes (3 x 16 keep-alive connections, asyncio, requests pre-signed with SigV4 and
verified by the server, which runs with an access key):
* raw_put_durable      -- PutItem of distinct new items. Baseline: the stub. Target: >= 10,000 durable writes/s.
* raw_batch_durable    -- BatchWriteItem of 25 new items per request; counts items. Baseline: the stub. Informational
                          beside the target above.
* raw_get_records      -- GetRecords(Limit=1000) re-reading a 1,000-record page with one iterator per connection
                          (iterators are reusable position tokens). Baseline: the stub's canned page of the same
                          records. Target (issue 13 row 7): >= 400,000 records/s on one worker.
* raw_get_records_put_by_put -- raw_get_records over a page written with one PutItem per record (a segment per ~6
                          records, where BatchWriteItem's 25 make one per request). Informational: how a page's
                          cost grows with its segments.
* raw_put_durable_2w, raw_get_records_2w -- the same with ``logstore serve --workers 2``.

Run ``python bench/server.py --help`` for the options (those of bench/harness.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime
import importlib.util
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from harness import RESULTS_DIR, Stopwatch, Workload, main, temp_dir

BENCH = os.path.dirname(os.path.abspath(__file__))
AKID, SECRET = "AKIDBENCH", "bench-secret"
PAD = "p" * 150
PROCS, CONNS = 3, 16


# -- servers ---------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError("server did not start")


@contextmanager
def server(kind: str, tmp: str, page_file: str | None = None, signed: bool = False, workers: int = 1,
           log_path: str | None = None):
    """Start ``ours``, ``moto``, ``stub`` or ``durable-stub`` on a free port; yields its URL. ``log_path``: ours
    logs there at level info (else nowhere, at level warning)."""
    port = free_port()
    env = None
    if kind == "ours":
        cmd = [sys.executable, "-m", "logstore", "serve", os.path.join(tmp, "store"), "--port", str(port),
               "--log-level", "info" if log_path else "warning", "--maintenance-interval", "0"]
        if signed:
            cmd += ["--access-key", f"{AKID}:{SECRET}"]
        cmd += ["--workers", str(workers)]
        cmd += os.environ.get("BENCH_SERVER_ARGS", "").split()    # e.g. "--threads 8", for experiments
    elif kind == "moto":
        if importlib.util.find_spec("flask") is None:   # what moto_server needs beyond moto: moto[server]
            raise SystemExit("bench/server.py: the moto workloads need moto's server: pip install -e '.[bench]' "
                             "(or leave them out with --workload)")
        cmd = [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-p", str(port)]
    else:
        cmd = [sys.executable, os.path.join(BENCH, "stub_server.py"), str(port)] + ([page_file] if page_file else [])
        if kind == "durable-stub":
            env = dict(os.environ, STUB_DURABLE=os.path.join(tmp, "durable-stub"))
    log = open(log_path, "wb") if log_path and kind == "ours" else None
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log is not None:
            log.close()


def wait_answering(url: str, timeout: float = 60) -> None:
    """Until every worker can answer (with --workers, the port opens before the workers are ready)."""
    import urllib.request
    deadline = time.monotonic() + timeout
    ok = 0
    while ok < 20 and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                ok += 1
        except OSError:
            time.sleep(0.1)


def client(service: str, url: str, key: tuple[str, str] = ("bench", "bench")):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key[0],
                        aws_secret_access_key=key[1], config=Config(retries={"max_attempts": 1}))


def create_table(url: str, key=("bench", "bench")) -> str:
    out = client("dynamodb", url, key).create_table(
        TableName="bench", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return out["TableDescription"]["LatestStreamArn"]


def item(i: int) -> dict:
    return {"pk": {"S": f"user-{i:09d}"}, "name": {"S": PAD}, "n": {"N": str(i)}, "ok": {"BOOL": True}}


def fill(url: str, n: int, key=("bench", "bench")) -> None:
    ddb = client("dynamodb", url, key)
    for first in range(0, n, 25):
        ddb.batch_write_item(RequestItems={"bench": [{"PutRequest": {"Item": item(i)}}
                                                     for i in range(first, min(n, first + 25))]})


# -- (a) one boto3 client ---------------------------------------------------------------------------------------

class Counter:
    def __init__(self, start: int = 0):
        self.next = start

    def take(self, n: int) -> range:
        r = range(self.next, self.next + n)
        self.next += n
        return r


def put_run(url: str, n: int, counter: Counter):
    ddb = client("dynamodb", url)
    ddb.list_tables()                                     # connection and client set-up outside the timing

    def run():
        keys = counter.take(n)
        with Stopwatch() as sw:
            for i in keys:
                ddb.put_item(TableName="bench", Item=item(i))
        return n, sw.seconds
    return run


def drain_run(url: str, n: int, arn: str | None):
    streams = client("dynamodbstreams", url)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"] if arn else "x" * 40

    def run():
        with Stopwatch() as sw:
            it = streams.get_shard_iterator(StreamArn=arn or "arn:aws:dynamodb:us-east-1:0:table/x/stream/x",
                                            ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            got = 0
            while got < n:
                page = streams.get_records(ShardIterator=it or "x", Limit=1000)
                got += len(page["Records"])
                it = page.get("NextShardIterator")
                if not page["Records"]:
                    raise RuntimeError(f"stream ended after {got} of {n} records")
        return got, sw.seconds
    return run


def interleaved_drain_runs(ours_url: str, arn: str, stub_url: str, n: int):
    """drain_run against ours and the stub page by page in one loop (who goes first alternating by page), each
    page timed alone, each side's time its median page's times the pages. The client's own parsing is ~38 ms of a
    page here, and one page in four or five takes 25-40 ms more on either side alike (the client's collector
    walking what the pages left alive): two sequential drains, or sums of 20 pages, measured how those pauses fell
    (0.88-0.98 within one run), not the ~1-2 ms by which the servers' pages differ. Returns (ours' run, the stub's
    run): one loop serves both, whichever the harness calls first runs it and leaves the other side's figure for
    the other's call, so each pair of figures comes from the same minutes."""
    ours, stub = client("dynamodbstreams", ours_url), client("dynamodbstreams", stub_url)
    shard = ours.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def both() -> tuple[int, float, float]:
        seconds: list[list[float]] = [[], []]
        its = [ours.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
               ["ShardIterator"], "x"]
        got, page_no = 0, 0
        while got < n:
            counts = [0, 0]
            for side in ((0, 1) if page_no % 2 == 0 else (1, 0)):
                started = time.perf_counter()
                page = (ours, stub)[side].get_records(ShardIterator=its[side], Limit=1000)
                seconds[side].append(time.perf_counter() - started)
                counts[side] = len(page["Records"])
                its[side] = page.get("NextShardIterator") or its[side]
            if not counts[0]:
                raise RuntimeError(f"stream ended after {got} of {n} records")
            got += counts[0]
            page_no += 1
        return got, statistics.median(seconds[0]) * page_no, statistics.median(seconds[1]) * page_no

    left: list[tuple[int, float] | None] = [None, None]   # a side's figure from the other side's loop

    def run(side: int) -> tuple[int, float]:
        figure = left[side]
        if figure is None:
            got, ours_s, stub_s = both()
            figures = ((got, ours_s), (got, stub_s))
            figure, left[1 - side] = figures[side], figures[1 - side]
        left[side] = None
        return figure
    return (lambda: run(0)), (lambda: run(1))


@contextmanager
def boto3_put(n: int, tmp: str, baseline: str):
    with temp_dir(tmp) as d, server("ours", d) as ours, server(baseline, d) as base:
        create_table(ours)
        if baseline == "moto":
            create_table(base)
        yield put_run(ours, n, Counter()), put_run(base, n, Counter())


def capture_page(url: str, arn: str, path: str) -> None:
    """One GetRecords page of 1,000 records from logstore, as the raw response body (for the stub)."""
    streams = client("dynamodbstreams", url)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    body = json.dumps({"ShardIterator": it, "Limit": 1000}).encode()
    import urllib.request
    req = urllib.request.Request(url + "/", data=body, headers={"X-Amz-Target": "DynamoDBStreams_20120810.GetRecords",
                                                                "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req) as r, open(path, "wb") as f:
        f.write(r.read())


@contextmanager
def boto3_drain(n: int, tmp: str, baseline: str):
    with temp_dir(tmp) as d, server("ours", d) as ours:
        arn = create_table(ours)
        fill(ours, n)
        page = os.path.join(d, "page.json")
        capture_page(ours, arn, page)
        with server(baseline, d, page_file=page) as base:
            if baseline == "stub":
                yield interleaved_drain_runs(ours, arn, base, n)
                return
            base_arn = None
            if baseline == "moto":
                base_arn = create_table(base)
                fill(base, n)
            yield drain_run(ours, n, arn), drain_run(base, n, base_arn)


# -- (b) several processes, raw signed requests -------------------------------------------------------------------

def signed_request(url: str, target: str, body: bytes) -> bytes:
    host = url.split("//", 1)[1]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    req = AWSRequest(method="POST", url=url + "/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target,
                              "X-Amz-Date": stamp, "Host": host})
    req.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(AKID, SECRET), "dynamodb", "us-east-1")
    signer._inject_signature_to_request(req, signer.signature(signer.string_to_sign(
        req, signer.canonical_request(req)), req))
    head = "".join(f"{k}: {v}\r\n" for k, v in req.headers.items())
    return (f"POST / HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _connection(port: int, requests: list[bytes], index: list[int]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    while index[0] < len(requests):
        request = requests[index[0]]
        index[0] += 1
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace") + (await reader.read(2000)).decode(errors="replace"))
        length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        await reader.readexactly(length)
        done += 1
    writer.close()
    return done


def _client_process(port: int, requests: list[bytes], start, out) -> None:
    async def go():
        index = [0]
        return sum(await asyncio.gather(*(_connection(port, requests, index) for _ in range(CONNS))))
    start.wait()
    t0 = time.perf_counter()
    done = asyncio.run(go())
    out.put((done, t0, time.perf_counter()))


def run_clients(port: int, per_process: list[list[bytes]]) -> tuple[int, float]:
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_client_process, args=(port, reqs, start, out)) for reqs in per_process]
    for p in procs:
        p.start()
    time.sleep(0.3)
    start.set()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results), max(r[2] for r in results) - min(r[1] for r in results)


def raw_writes(url: str, n: int, counter: Counter, batch: int):
    """A run: ``n`` items written by PROCS processes, ``batch`` items per request (1: PutItem)."""
    port = int(url.rsplit(":", 1)[1])

    def run():
        keys = list(counter.take(n))
        per = [[] for _ in range(PROCS)]
        for j, first in enumerate(range(0, n, batch)):
            chunk = keys[first:first + batch]
            if batch == 1:
                body, target = {"TableName": "bench", "Item": item(chunk[0])}, "DynamoDB_20120810.PutItem"
            else:
                body = {"RequestItems": {"bench": [{"PutRequest": {"Item": item(i)}} for i in chunk]}}
                target = "DynamoDB_20120810.BatchWriteItem"
            per[j % PROCS].append(signed_request(url, target, json.dumps(body).encode()))
        requests, seconds = run_clients(port, per)
        return requests * batch, seconds
    return run


@contextmanager
def raw_write(n: int, tmp: str, batch: int, workers: int = 1):
    with temp_dir(tmp) as d, server("ours", d, signed=True, workers=workers) as ours, server("stub", d) as stub:
        wait_answering(ours)
        create_table(ours, (AKID, SECRET))
        yield raw_writes(ours, n, Counter(), batch), raw_writes(stub, n, Counter(), batch)


def raw_reads(url: str, n: int, arn: str | None):
    port = int(url.rsplit(":", 1)[1])

    def run():
        if arn:
            streams = client("dynamodbstreams", url, (AKID, SECRET))
            shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        else:
            it = "stub"
        request = signed_request(url, "DynamoDBStreams_20120810.GetRecords",
                                 json.dumps({"ShardIterator": it, "Limit": 1000}).encode())
        pages = max(PROCS, n // 1000)
        requests, seconds = run_clients(port, [[request] * (pages // PROCS) for _ in range(PROCS)])
        return requests * 1000, seconds
    return run


def fill_put_by_put(url: str, n: int, key=("bench", "bench")) -> None:
    """``fill``'s items with one PutItem each, as single writes leave a stream: a segment per ~6 records."""
    ddb = client("dynamodb", url, key)
    for i in range(n):
        ddb.put_item(TableName="bench", Item=item(i))


@contextmanager
def raw_get_records(n: int, tmp: str, workers: int = 1, filler=fill):
    with temp_dir(tmp) as d, server("ours", d, signed=True, workers=workers) as ours:
        wait_answering(ours)
        arn = create_table(ours, (AKID, SECRET))
        filler(ours, 1000, (AKID, SECRET))
        page = os.path.join(d, "page.json")
        streams = client("dynamodbstreams", ours, (AKID, SECRET))
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        got = streams.get_records(ShardIterator=it["ShardIterator"], Limit=1000)
        assert len(got["Records"]) == 1000, len(got["Records"])
        _capture_signed(ours, arn, page)
        with server("stub", d, page_file=page) as stub:
            yield raw_reads(ours, n, arn), raw_reads(stub, n, None)


def _capture_signed(url: str, arn: str, path: str) -> None:
    streams = client("dynamodbstreams", url, (AKID, SECRET))
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    raw = signed_request(url, "DynamoDBStreams_20120810.GetRecords", json.dumps({"ShardIterator": it,
                                                                                 "Limit": 1000}).encode())
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as s:
        s.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        while len(body) < length:
            body += s.recv(1 << 20)
    with open(path, "wb") as f:
        f.write(body)


def at_least_per_s(x: float):
    return lambda _ratio, _seconds, per_s: per_s >= x


WORKLOADS = [
    Workload("boto3_put_vs_stub", 2_000, 200, "the same put_item calls to a stub that answers at once",
             ">= 0.85x stub", lambda r, s, p: r >= 0.85, lambda n, tmp: boto3_put(n, tmp, "stub")),
    Workload("boto3_put_vs_durable_stub", 2_000, 200,
             "the same put_item calls to the durable stub (one fsynced raw LMDB put per request)",
             ">= 0.9x durable stub", lambda r, s, p: r >= 0.9, lambda n, tmp: boto3_put(n, tmp, "durable-stub")),
    Workload("boto3_put_vs_moto", 2_000, 200, "the same put_item calls to moto's server", None, None,
             lambda n, tmp: boto3_put(n, tmp, "moto")),
    Workload("boto3_drain_vs_moto", 20_000, 2_000, "the same get_records loop against moto's server",
             ">= 10x moto", lambda r, s, p: r >= 10, lambda n, tmp: boto3_drain(n, tmp, "moto")),
    Workload("boto3_drain_vs_stub", 20_000, 2_000, "the same loop against a stub answering a canned 1,000-record page",
             ">= 0.95x stub", lambda r, s, p: r >= 0.95, lambda n, tmp: boto3_drain(n, tmp, "stub")),
    Workload("raw_put_durable", 15_000, 1_500, f"the same signed PutItems ({PROCS}x{CONNS} connections) to the stub",
             ">= 10,000 writes/s", at_least_per_s(10_000), lambda n, tmp: raw_write(n, tmp, 1)),
    Workload("raw_batch_durable", 60_000, 6_000, "the same signed BatchWriteItems (25 items) to the stub",
             ">= 10,000 writes/s", at_least_per_s(10_000), lambda n, tmp: raw_write(n, tmp, 25)),
    Workload("raw_get_records", 600_000, 60_000, "the same signed GetRecords to the stub (canned page)",
             ">= 400,000 records/s", at_least_per_s(400_000), raw_get_records),
    Workload("raw_put_durable_2w", 15_000, 1_500, "raw_put_durable's stub; ours with --workers 2",
             ">= 10,000 writes/s", at_least_per_s(10_000), lambda n, tmp: raw_write(n, tmp, 1, workers=2)),
    Workload("raw_get_records_put_by_put", 600_000, 60_000, "the same signed GetRecords to the stub (canned page)",
             None, None, lambda n, tmp: raw_get_records(n, tmp, filler=fill_put_by_put)),
    Workload("raw_get_records_2w", 600_000, 60_000, "raw_get_records' stub; ours with --workers 2",
             ">= 300,000 records/s", at_least_per_s(300_000), lambda n, tmp: raw_get_records(n, tmp, workers=2)),
]

if __name__ == "__main__":
    main("Server benchmarks: logstore serve vs moto's server and a stub server, over HTTP.", WORKLOADS,
         os.path.join(RESULTS_DIR, "server.jsonl"))

"""Scale-out over HTTP (docs/processors.md "Scaling out"): ``logstore process --lease-table`` instances as separate
processes share one stream of a real ``logstore serve``, driven by real boto3. One instance is SIGKILLed mid-batch
and another added later, while writes and shard splits go on: every record is delivered at least once, per-key
order holds (no version before all earlier ones), no shard is worked on by two instances at once for longer than
a lease expiry, and every shard ends up leased by a live instance. Then the same with the lease table on another
endpoint than the stream."""
from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("logstore.server")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from serverhelpers import ServerProcess

import boto3

from liveproc import Proc
from prochelpers import assert_at_least_once_in_order

CREDS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
PROCS = Path(__file__).resolve().parent / "procs"
FAILOVER_S = 1.5
KEYS = 64


def make_table(ddb, name: str = "orders") -> str:
    return ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]


def read_deliveries(paths) -> list[dict]:
    out = []
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:       # the last line of a killed instance may be cut short
                pass
    return out


def reached(deliveries) -> dict[str, int]:
    top: dict[str, int] = {}
    for d in deliveries:
        top[d["pk"]] = max(top.get(d["pk"], 0), d["v"])
    return top


def assert_no_overlap_beyond_expiry(deliveries) -> None:
    """No two instances work on one shard at once for longer than a lease expiry. An instance's work on a shard
    is a run of sessions: its invocations there, split where it was silent for more than an expiry (an idle
    shard has no invocations, so this never joins two tenures into one). Sessions of different instances on one
    shard overlap by at most an expiry: the one that lost the lease notices at its next renewal or checkpoint."""
    by_shard: dict[str, dict[str, list[float]]] = {}
    for d in deliveries:
        by_shard.setdefault(d["s"], {}).setdefault(d["w"], []).append(d["t"])
    for shard, workers in by_shard.items():
        sessions = []
        for w, times in workers.items():
            times.sort()
            begin = prev = times[0]
            for t in times[1:] + [None]:
                if t is None or t - prev > FAILOVER_S:
                    sessions.append((begin, prev, w))
                    begin = t
                prev = t if t is not None else prev
        for a0, a1, aw in sessions:
            for b0, b1, bw in sessions:
                if aw != bw and a0 <= b0 <= a1:
                    overlap = min(a1, b1) - b0
                    assert overlap <= FAILOVER_S, f"{shard}: {aw} and {bw} both delivered for {overlap:.2f} s"


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(name):
        s = ServerProcess(tmp_path / name, tmp_path / f"{name}.log", "--enable-test-endpoints").start()
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def test_the_keys_reach_every_shard_four_splits_can_make():
    """The premise of the scale-out test: whichever shards four splits leave open (none narrower than a sixteenth
    of the hash space, aligned), each gets some of its keys, so every instance holding one has records to deliver."""
    from logstore.tables.keycodec import encode_value, hash_partition_value
    sixteenths = {hash_partition_value(encode_value("S", f"k{i}")) >> 28 for i in range(KEYS)}
    assert sixteenths == set(range(16))


@pytest.mark.slow
@pytest.mark.parametrize("lease_elsewhere", [False, True], ids=["lease-table-beside-stream", "lease-table-elsewhere"])
def test_instances_share_a_stream_over_http(servers, tmp_path, lease_elsewhere):
    seed = random.randrange(1 << 30)
    print("seed", seed)
    rng = random.Random(seed)
    server = servers("stream")
    lease_server = servers("leases") if lease_elsewhere else server
    ddb = boto3.client("dynamodb", endpoint_url=server.url, **CREDS)
    streams = boto3.client("dynamodbstreams", endpoint_url=server.url, **CREDS)
    arn = make_table(ddb)
    written: dict[str, int] = {}
    lock = threading.Lock()

    def write(n):
        for _ in range(n):
            # 64 keys: four splits can leave an open shard a sixteenth of the hash space, and an instance whose
            # shards get no key never delivers (16 keys left some open shard keyless in a quarter of the split
            # patterns; these 64 put a key in every sixteenth).
            pk = f"k{rng.randrange(KEYS)}"
            with lock:
                written[pk] = written.get(pk, 0) + 1
                v = written[pk]
            ddb.put_item(TableName="orders", Item={"pk": {"S": pk}, "v": {"N": str(v)}})

    def open_shards():
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        return [s["ShardId"] for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]

    def split():
        server.admin("/logstore-admin/split-shard", {"StreamArn": arn, "ShardId": rng.choice(open_shards())})

    write(60)
    for _ in range(2):
        split()
        write(40)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", PYTHONPATH=str(PROCS))
    outs = [tmp_path / f"w{i}.jsonl" for i in range(4)]

    def instance(i):
        argv = ["-m", "logstore", "process", "--endpoint-url", server.url, "--lease-table", "leases",
                "--table", "orders", "--handler", "lease_handler:handle", "--worker-id", f"w{i}",
                "--failover", str(FAILOVER_S), "--poll-interval", "0.05", "--batch-size", "5",
                "--stats-interval", "0", "--name", "shared"]
        if lease_elsewhere:
            argv += ["--lease-endpoint-url", lease_server.url]
        return Proc(argv, workdir=tmp_path, name=f"w{i}", env=dict(env, OUT=str(outs[i]), WORKER=f"w{i}"))

    def wait_until(predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:     # say where things stood: who holds what, and what was delivered
                held = {k: (i.get("leaseOwner", {}).get("S"), i.get("checkpoint", {}).get("S"))
                        for k, i in leases().items()}
                delivered = {w: sum(1 for d in read_deliveries(outs) if d["w"] == w) for w in ("w0", "w1", "w2", "w3")}
                pytest.fail(f"{what} within {timeout} s; open shards {open_shards()}, leases {held}, "
                            f"deliveries per instance {delivered}")
            time.sleep(0.1)

    lease_ddb = boto3.client("dynamodb", endpoint_url=lease_server.url, **CREDS)

    def leases() -> dict[str, dict]:
        try:
            items = lease_ddb.scan(TableName="leases", ConsistentRead=True)["Items"]
        except lease_ddb.exceptions.ResourceNotFoundException:     # no instance has created it yet
            return {}
        return {i["leaseKey"]["S"]: i for i in items}

    with instance(0) as w0, instance(1) as w1, instance(2) as w2:
        stop_writing = threading.Event()

        def writer():
            while not stop_writing.is_set():
                write(5)
                time.sleep(0.02)
        # Writes go on from the start, so whichever shards w0 ends up with (w1 and w2 may have drained the first
        # 200 records before w0 took or stole any) have records to deliver.
        t = threading.Thread(target=writer, daemon=True)
        t.start()
        try:
            # The kill must land while w0 works on a shard: wait until it holds a lease and has delivered on it
            # (under load, interpreter start-up alone can take many seconds, so no fixed sleep or count).
            def w0_working():
                held = {k for k, i in leases().items() if i.get("leaseOwner", {}).get("S") == "w0"}
                return bool(held) and any(d["s"] in held for d in read_deliveries(outs[:1]))
            wait_until(w0_working, 180, "w0 holds a lease and delivers on it")
            time.sleep(0.3)
            w0.kill()                            # SIGKILL, most likely inside a handler's sleep: mid-batch
            split()
            time.sleep(1.0)
            with instance(3) as w3:
                split()
                # Writes go on until the new instance delivers (it must start, take or steal a lease and read
                # it: seconds under load), so the shards it takes have records for it; a fixed wait let the
                # writes stop before a slow start-up took any, leaving it leases and nothing to deliver.
                wait_until(lambda: any(d["w"] == "w3" for d in read_deliveries(outs[3:])), 180,
                           "w3 holds a lease and delivers on it")
                stop_writing.set()
                t.join(30)
                wait_until(lambda: reached(read_deliveries(outs)) == written, 90, "every record delivered")
                live = {"w1", "w2", "w3"}

                def all_leased():
                    held = leases()
                    shard_ids = {s["ShardId"] for s in streams.describe_stream(StreamArn=arn)
                                 ["StreamDescription"]["Shards"]}
                    owners = {held[s].get("leaseOwner", {}).get("S") for s in open_shards() if s in held}
                    return shard_ids <= set(held) and owners == live   # balanced: each live instance has some
                wait_until(all_leased, 60, "every open shard leased by a live instance")
                for p in (w1, w2, w3):
                    assert p.proc.poll() is None, p.stderr()
                    p.proc.send_signal(15)
                for p in (w1, w2, w3):
                    assert p.wait(60) == 0, p.stderr()
        finally:
            stop_writing.set()
    deliveries = read_deliveries(outs)
    per_worker = {w: sum(1 for d in deliveries if d["w"] == w) for w in ("w0", "w1", "w2", "w3")}
    print("records written", sum(written.values()), "deliveries", len(deliveries), "per instance", per_worker)
    assert_at_least_once_in_order([(d["t"], d["pk"], d["v"]) for d in deliveries], written)
    assert_no_overlap_beyond_expiry(deliveries)
    assert {d["w"] for d in deliveries} >= {"w1", "w2", "w3"}, "every live instance got shards"

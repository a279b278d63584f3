"""The processor against an unreliable endpoint: the retry rules (logstore/processors/retry.py) with an injected
sleep and random source, and a processor driven to completion through a fault-injecting proxy (faultproxy.py:
throttles, 500s, expired iterators, dropped connections, slow answers) in front of a real ``logstore serve``,
with its lease table behind the same proxy: every record delivered at least once, in per-key order, and the
faults counted in the stats."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from logstore.errors import ConditionalCheckFailedException, LimitExceededException
from logstore.processors.retry import Backoff, Interrupted, Retrier, classify, error_code

pytest.importorskip("logstore.server")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from serverhelpers import ServerProcess

import boto3
import logstore
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from faultproxy import FaultProxy
from logstore.processors import Processor, ProcessorConfig
from logstore.processors.leases import LeaseSettings
from prochelpers import assert_at_least_once_in_order

CREDS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}


def client_error(code, status=400):
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "GetRecords")


def test_classify():
    assert classify(client_error("LimitExceededException")) == "throttle"
    assert classify(client_error("ProvisionedThroughputExceededException")) == "throttle"
    assert classify(client_error("ThrottlingException")) == "throttle"
    assert classify(LimitExceededException("x")) == "throttle"          # an embedded store's own error
    assert classify(client_error("InternalServerError", 500)) == "transient"
    assert classify(client_error("Whatever", 503)) == "transient"
    assert classify(EndpointConnectionError(endpoint_url="http://x")) == "transient"
    assert classify(ConnectionClosedError(endpoint_url="http://x")) == "transient"
    assert classify(client_error("ValidationException")) is None
    assert classify(client_error("ExpiredIteratorException")) is None   # the reader's to cure, not a retry
    assert classify(ConditionalCheckFailedException()) is None
    assert classify(ValueError("x")) is None


def test_backoff_is_capped_exponential_with_full_jitter():
    slept = []
    rng = random.Random(7)
    retrier = Retrier(Backoff(base_s=0.1, cap_s=1.0), sleep=lambda s: slept.append(s) or False, rng=rng)
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] <= 8:
            raise client_error("LimitExceededException") if calls["n"] % 2 else client_error("X", 500)
        return "ok"
    assert retrier.call(flaky) == "ok"
    assert (retrier.throttles, retrier.transient) == (4, 4)
    ceilings = [min(1.0, 0.1 * 2 ** n) for n in range(8)]
    assert all(0 <= s <= c for s, c in zip(slept, ceilings)), (slept, ceilings)
    check = random.Random(7)
    assert slept == [check.uniform(0, c) for c in ceilings]            # full jitter: uniform(0, ceiling)


def test_non_retryable_errors_pass_through_and_stop_interrupts():
    retrier = Retrier(sleep=lambda s: False)
    with pytest.raises(ClientError):
        retrier.call(lambda: (_ for _ in ()).throw(client_error("ValidationException")))
    assert retrier.throttles == retrier.transient == 0
    stopping = Retrier(sleep=lambda s: True)           # the stop event is set: the pause ends the call
    with pytest.raises(Interrupted):
        stopping.call(lambda: (_ for _ in ()).throw(client_error("ThrottlingException")))
    bounded = Retrier(sleep=lambda s: False, max_attempts=3)
    with pytest.raises(ClientError):
        bounded.call(lambda: (_ for _ in ()).throw(client_error("ThrottlingException")))
    assert bounded.throttles == 2
    # a first contact: few attempts at an endpoint that is down, many more at one that throttles
    startup = Retrier(sleep=lambda s: False, max_attempts=3, throttle_attempts=6)
    answers = iter([client_error("ThrottlingException")] * 5 + [client_error("InternalServerError", 500)] * 2
                   + [client_error("LimitExceededException")])

    def answer():
        raise next(answers)
    with pytest.raises(ClientError) as raised:
        startup.call(answer)
    assert error_code(raised.value) == "LimitExceededException"     # the 6th throttle; the two 500s were allowed
    assert (startup.throttles, startup.transient) == (5, 2)
    with pytest.raises(ClientError) as raised:
        startup.call(lambda: (_ for _ in ()).throw(client_error("ServiceUnavailable", 503)))
    assert startup.transient == 4                                   # 3 attempts: 2 retries


def orders_table(url: str, view_type: str, items: int = 0):
    """A client of the server at ``url`` and its table "orders" (key pk, a stream of ``view_type``) holding items
    k0..k<items-1>."""
    ddb = boto3.client("dynamodb", endpoint_url=url, **CREDS)
    ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type})
    for i in range(items):
        ddb.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}})
    return ddb

@pytest.mark.slow
def test_processor_completes_through_a_faulty_endpoint(tmp_path):
    seed = random.randrange(1 << 30)
    print("seed", seed)
    rng = random.Random(seed)
    server = ServerProcess(tmp_path / "served", tmp_path / "server.log", "--enable-test-endpoints").start()
    try:
        ddb = orders_table(server.url, "NEW_AND_OLD_IMAGES")
        arn = ddb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
        written: dict[str, int] = {}

        def write(n):
            for _ in range(n):
                pk = f"k{rng.randrange(10)}"
                written[pk] = written.get(pk, 0) + 1
                ddb.put_item(TableName="orders", Item={"pk": {"S": pk}, "v": {"N": str(written[pk])}})
        write(80)
        streams_direct = boto3.client("dynamodbstreams", endpoint_url=server.url, **CREDS)
        first = streams_direct.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        server.admin("/logstore-admin/split-shard", {"StreamArn": arn, "ShardId": first})
        write(80)
        deliveries, lock = [], threading.Lock()

        def handler(event, context):
            with lock:
                for r in event["Records"]:
                    image = r["dynamodb"]["NewImage"]
                    deliveries.append((time.monotonic_ns(), image["pk"]["S"], int(image["v"]["N"])))

        with FaultProxy(server.url, seed, rate=0.25, slow_s=0.2) as proxy:
            config = Config(retries={"total_max_attempts": 1}, read_timeout=10, connect_timeout=2)
            streams = boto3.client("dynamodbstreams", endpoint_url=proxy.url, config=config, **CREDS)
            leases_ddb = boto3.client("dynamodb", endpoint_url=proxy.url, config=config, **CREDS)
            tables = boto3.client("dynamodb", endpoint_url=proxy.url, config=config, **CREDS)
            retrier = Retrier(Backoff(base_s=0.01, cap_s=0.2), rng=random.Random(seed))
            p = Processor.remote(streams, "orders", handler, None, ProcessorConfig(batch_size=7, poll_interval_s=0.02),
                                 name="faulty", leases=LeaseSettings("leases", worker_id="solo", failover_s=3),
                                 lease_client=leases_ddb, tables_client=tables, retrier=retrier).start()
            try:
                write(60)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    with lock:
                        top = {}
                        for _, pk, v in deliveries:
                            top[pk] = max(top.get(pk, 0), v)
                    if top == written:
                        break
                    time.sleep(0.1)
                stats = p.stats()
                assert not p.errors, p.errors
            finally:
                p.stop()
            print("faults injected", proxy.counts, "retrier", retrier.throttles, retrier.transient)
        with lock:
            assert_at_least_once_in_order(list(deliveries), written)
        assert sum(s.throttles for s in stats) + sum(s.retries for s in stats) > 0
        assert retrier.throttles > 0 and retrier.transient > 0
        assert proxy.counts.get("drop_after", 0) > 0 and proxy.counts.get("throttle", 0) > 0
    finally:
        server.stop()


@pytest.mark.slow
def test_at_most_two_readers_of_a_shard_in_a_process(tmp_path):
    """DynamoDB Streams allows two concurrent readers of a shard; four processors of one shard in one process,
    through a proxy that answers every call slowly, never have more than two GetRecords calls in flight, and
    each still delivers every record."""
    server = ServerProcess(tmp_path / "served", tmp_path / "server.log").start()
    try:
        orders_table(server.url, "NEW_AND_OLD_IMAGES", items=20)
        got: dict[str, int] = {}
        lock = threading.Lock()

        def handler_of(name):
            def handle(event, context):
                with lock:
                    got[name] = got.get(name, 0) + len(event["Records"])
            return handle
        with FaultProxy(server.url, 0, rate=1.0, slow_s=0.2, kinds=("slow",)) as proxy:
            streams = boto3.client("dynamodbstreams", endpoint_url=proxy.url, **CREDS)
            stores = [logstore.open(tmp_path / f"cp{i}") for i in range(4)]
            procs = [Processor.remote(streams, "orders", handler_of(f"p{i}"), stores[i],
                                      ProcessorConfig(batch_size=3, poll_interval_s=0.01), name=f"p{i}").start()
                     for i in range(4)]
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    with lock:
                        if len(got) == 4 and all(n >= 20 for n in got.values()):
                            break
                    time.sleep(0.1)
                for p in procs:
                    assert not p.errors, p.errors
            finally:
                for p in procs:
                    p.stop()
                for s in stores:
                    s.close()
        print("deliveries", got, "most GetRecords in flight", proxy.max_get_records_in_flight)
        assert got == {f"p{i}": 20 for i in range(4)}
        assert 1 <= proxy.max_get_records_in_flight <= 2
    finally:
        server.stop()


@pytest.mark.slow
def test_the_cli_until_idle_rides_out_throttling(tmp_path):
    """Issue 17's first defect: ``logstore process --until-idle`` exited 1 on the first LimitExceededException
    (boto3's default retry mode does not retry it). Through a proxy that throttles 40% of the calls, it finishes
    with status 0, every record handled, the throttles counted in
    the stats and logged as warnings, no traceback."""
    server = ServerProcess(tmp_path / "served", tmp_path / "server.log").start()
    try:
        orders_table(server.url, "NEW_IMAGE", items=40)
        (tmp_path / "counting.py").write_text(
            "import os\ndef handle(event, context):\n    with open(os.environ['OUT'], 'a') as f:\n"
            "        f.writelines(r['dynamodb']['Keys']['pk']['S'] + '\\n' for r in event['Records'])\n")
        seed = random.randrange(1 << 30)
        print("seed", seed)
        with FaultProxy(server.url, seed, rate=0.4, kinds=("throttle",)) as proxy:
            env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", PYTHONPATH=str(tmp_path),
                       OUT=str(tmp_path / "out"))
            result = subprocess.run(
                [sys.executable, "-m", "logstore", "process", "--endpoint-url", proxy.url, "--checkpoints",
                 str(tmp_path / "cp"), "--table", "orders", "--handler", "counting:handle", "--until-idle",
                 "--json", "--batch-size", "3", "--poll-interval", "0.02"],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        print("faults injected", proxy.counts)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        assert sorted(set((tmp_path / "out").read_text().split())) == sorted(f"k{i}" for i in range(40))
        stats = [json.loads(line) for line in result.stdout.splitlines() if '"shard"' in line]
        assert sum(s["throttles"] for s in stats) > 0 and sum(s["records"] for s in stats) >= 40, (result.stdout, result.stderr)
        assert "throttl" in result.stderr.lower(), result.stderr
    finally:
        server.stop()

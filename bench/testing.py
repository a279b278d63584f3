"""In-process testing benchmarks: ``logstore.testing.mock`` against ``moto.mock_aws``, side by side in one run.

* suite_200_vs_moto     -- the same 200 small tests, each under a fresh mock: create a table with a stream, four
                           writes (three puts, one update), a query, then read the stream (DescribeStream,
                           GetShardIterator, GetRecords). boto3 clients made once, before the run (as a test module
                           would hold them). Counts tests. Baseline: the same tests under moto.mock_aws.
                           Target: logstore's whole run >= 2x faster (ratio >= 2).
* suite_200_new_clients -- the same with new boto3 clients in every test (each mock replaces boto3's default
                           session, so every test pays for building a session and two clients). Informational.
* mock_setup_teardown   -- a fresh mock entered and left (with logstore, its store opened, which a test's first
                           request would do), nothing else. Counts mocks. Baseline: moto.mock_aws entered and left.
                           Target: logstore < 5 ms per mock.

Run ``python bench/testing.py --help`` for the options (those of bench/harness.py); ``--quick`` runs 20 tests.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# moto 5.2.1 does not know the account-based endpoints current botocore uses for DynamoDB Streams calls that name a
# stream (https://<account>.streams-ddb.<region>.amazonaws.com: "404 Not yet implemented"); both sides run without.
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"

import boto3
from harness import RESULTS_DIR, Stopwatch, Workload, main
from moto import mock_aws  # imported before any session is made: its hook is in every one

import logstore.testing  # likewise

KEY = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
       "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                {"AttributeName": "sk", "AttributeType": "N"}],
       "BillingMode": "PAY_PER_REQUEST",
       "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def one_test(ddb, streams, i: int) -> None:
    """A small test of the kind the suite holds; asserts what it reads, so both mocks do the real work."""
    arn = ddb.create_table(TableName=f"orders-{i}", **KEY)["TableDescription"]["LatestStreamArn"]
    for sk in range(3):
        ddb.put_item(TableName=f"orders-{i}", Item={"pk": {"S": "u1"}, "sk": {"N": str(sk)}, "v": {"S": "x" * 40}})
    ddb.update_item(TableName=f"orders-{i}", Key={"pk": {"S": "u1"}, "sk": {"N": "0"}},
                    UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "changed"}})
    got = ddb.query(TableName=f"orders-{i}", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "u1"}})
    assert got["Count"] == 3, got
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"] * 3 + ["MODIFY"], records


def suite(make_mock, n: int, new_clients: bool):
    session = boto3.session.Session()
    shared = (session.client("dynamodb"), session.client("dynamodbstreams"))

    def run() -> tuple[int, float]:
        with Stopwatch() as sw:
            for i in range(n):
                with make_mock():
                    if new_clients:
                        one_test(boto3.client("dynamodb"), boto3.client("dynamodbstreams"), i)
                    else:
                        one_test(*shared, i)
        return n, sw.seconds
    return run


def setup_teardown(make_mock, n: int, open_store: bool):
    def run() -> tuple[int, float]:
        with Stopwatch() as sw:
            for _ in range(n):
                with make_mock() as m:
                    if open_store:
                        m.store  # opens the default region's store
        return n, sw.seconds
    return run


def _warm() -> None:
    """Both mocks once, untimed: module imports and botocore's models are loaded before anything is measured."""
    session = boto3.session.Session()
    for make in (mock_aws, logstore.testing.mock):
        with make():
            one_test(session.client("dynamodb"), session.client("dynamodbstreams"), 0)


@contextmanager
def _suite(n, _tmp, new_clients=False):
    _warm()
    yield suite(logstore.testing.mock, n, new_clients), suite(mock_aws, n, new_clients)


@contextmanager
def _setup(n, _tmp):
    _warm()
    yield setup_teardown(logstore.testing.mock, n, True), setup_teardown(mock_aws, n, False)


WORKLOADS = [
    Workload("suite_200_vs_moto", 200, 20, "the same tests under moto.mock_aws", ">= 2x moto",
             lambda ratio, _s, _per_s: ratio >= 2, _suite),
    Workload("suite_200_new_clients", 200, 20, "the same tests under moto.mock_aws", None, None,
             lambda n, tmp: _suite(n, tmp, new_clients=True)),
    Workload("mock_setup_teardown", 500, 50, "moto.mock_aws entered and left", "< 5 ms per mock",
             lambda _ratio, seconds, per_s: per_s > 200, _setup),
]

if __name__ == "__main__":
    main(__doc__.splitlines()[0], WORKLOADS, os.path.join(RESULTS_DIR, "testing.jsonl"))

"""Never a crash for a client mistake on the embedded API either (issue 18): well-formed requests of every
operation (the HTTP fuzz test's templates), mutated at random with JSON values and the Python values an embedded
caller can pass (integers of 2^64 and more, 1e300, inf and NaN, bytes, sets, tuples, lone surrogates, Decimals,
arbitrary objects), thousands of them: each call returns, or raises an AWS error (AwsError: ValidationException,
SerializationException, ResourceNotFoundException...), never TypeError, AttributeError, OverflowError,
UnicodeEncodeError or any other exception. Randomised: the seed is printed."""
from __future__ import annotations

import copy
import decimal
import importlib.util
import random
from pathlib import Path

import pytest

import logstore
from logstore.api.store import OPERATIONS, STREAMS_OPERATIONS
from logstore.errors import AwsError, SerializationException

_spec = importlib.util.spec_from_file_location(
    "http_fuzz_templates", Path(__file__).parent.parent / "server" / "test_http_fuzz.py")
_http = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_http)
VALID = _http.VALID


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


PYTHON_ODD = [2 ** 64, 2 ** 64 + 1, -(2 ** 63) - 1, 10 ** 30, 1e300, -1e300, float("inf"), float("nan"), b"\x00\xff",
              bytearray(b"ab"), {"a", "b"}, frozenset(), ("t", 1), "\udc80", "a\udfffb", decimal.Decimal("1e400"),
              decimal.Decimal("NaN"), _Opaque(), 3 + 4j, {1: "int key"}, {("t",): 1}, [2 ** 64], {"N": 2 ** 64},
              {"S": b"bytes"}, {"N": 1.5}, {"B": "not base64 but text"}, {"B": 7}, {"SS": ["a", 1]},
              {"M": {"a": {"S": "\udc80"}}}, {"L": ({"S": "tuple"},)}, {"BOOL": "yes"}]
ODD = _http.ODD + PYTHON_ODD


def mutate(value, rng: random.Random, depth: int = 0):
    if isinstance(value, dict) and value and rng.random() < 0.7:
        out = dict(value)
        key = rng.choice(list(out))
        roll = rng.random()
        if roll < 0.2:
            del out[key]
        elif roll < 0.6 and depth < 6:
            out[key] = mutate(out[key], rng, depth + 1)
        else:
            out[key] = copy.deepcopy(rng.choice(ODD))
        if rng.random() < 0.1:
            out[rng.choice(["Extra", "ReturnValues", "Limit", "ExpressionAttributeValues"])] = copy.deepcopy(
                rng.choice(ODD))
        return out
    if isinstance(value, list) and value and rng.random() < 0.7:
        out = list(value)
        i = rng.randrange(len(out))
        out[i] = mutate(out[i], rng, depth + 1) if rng.random() < 0.6 else copy.deepcopy(rng.choice(ODD))
        return out
    return copy.deepcopy(rng.choice(ODD))


CALLS = 4000


def test_mutated_embedded_calls_raise_only_aws_errors(store_path, seed):
    assert set(VALID) == set(OPERATIONS) | set(STREAMS_OPERATIONS), "an operation has no fuzz template"
    with logstore.open(store_path) as db:
        db.create_table(TableName="fuzzed", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        arn = db.list_streams(TableName="fuzzed")["Streams"][0]["StreamArn"]
        shard = db.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = db.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        fill = {"STREAM": arn, "SHARD": shard, "S": shard, "ITERATOR": iterator}
        rng = random.Random(seed)
        outcomes: dict[str, int] = {}
        findings = []
        for _ in range(CALLS):
            op = rng.choice(sorted(VALID))
            body = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in VALID[op].items()}
            if isinstance(body.get("ShardFilter"), dict):
                body["ShardFilter"] = dict(body["ShardFilter"], ShardId=shard)
            for _ in range(rng.randint(1, 3)):
                body = mutate(body, rng)
            if not isinstance(body, dict):
                body = {"x": body}
            try:
                db.call(op, body)
                outcome = "ok"
            except AwsError as e:
                outcome = type(e).__name__
            except Exception as e:  # what this test hunts
                outcome = "UNEXPECTED " + type(e).__name__
                findings.append(f"{op}: {type(e).__name__}: {str(e)[:150]} <- {repr(body)[:300]}")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        print(f"{CALLS} mutated embedded calls: {dict(sorted(outcomes.items()))}")
        for f in findings[:200]:
            print("  ", f)
        assert not findings, f"{len(findings)} calls raised something other than an AWS error (seed {seed})"


@pytest.mark.parametrize("member,value", [("ReadCapacityUnits", 2 ** 64), ("ReadCapacityUnits", 2 ** 63),
                                          ("WriteCapacityUnits", 10 ** 30), ("ReadCapacityUnits", -(2 ** 63) - 1)])
def test_capacity_beyond_a_long_is_a_serialization_error(store_path, member, value):
    """Was: OverflowError from msgpack (HTTP 500) for 2^64, and 2^63 stored."""
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1, member: value}
    with logstore.open(store_path) as db:
        with pytest.raises(SerializationException, match="out of range of long"):
            db.create_table(TableName="cap", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            ProvisionedThroughput=throughput)
        assert db.list_tables()["TableNames"] == []


@pytest.mark.parametrize("value", [1e300, 2 ** 31, 2 ** 64, 10 ** 30, float("inf")])
def test_limit_beyond_an_int_or_not_an_integer_is_refused(store_path, value):
    """Was: a Scan Limit of 1e300 accepted."""
    with logstore.open(store_path) as db:
        db.create_table(TableName="lim", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
        with pytest.raises(SerializationException):
            db.scan(TableName="lim", Limit=value)


def test_nesting_too_deep_is_the_same_error_embedded_as_over_http(store_path):
    """Was: SerializationException over HTTP, ValidationException embedded."""
    value = {"S": "leaf"}
    for _ in range(40):
        value = {"M": {"a": value}}
    with logstore.open(store_path) as db:
        db.create_table(TableName="deep", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
        with pytest.raises(SerializationException, match="Nesting too deep"):
            db.put_item(TableName="deep", Item={"pk": {"S": "a"}, "deep": value})

"""stream/ids.py, the one builder and parser of identifiers: each parser takes back exactly what its builder
makes and refuses what logstore could not have issued."""
from __future__ import annotations

import random

import pytest

from logstore.stream import ids


def test_sequence_numbers_round_trip_and_sort_as_text(seed):
    rng = random.Random(seed)
    seqs = sorted({rng.randrange(1 << 64) for _ in range(500)} | {0, (1 << 64) - 1})
    wire = [ids.seq_to_wire(s) for s in seqs]
    assert all(len(w) == ids.SEQ_WIRE_LEN for w in wire)
    assert sorted(wire) == wire
    assert [ids.seq_from_wire(w) for w in wire] == seqs


@pytest.mark.parametrize("text", ["", "1", "0" * 21, "9" * 21, "1" + "0" * 19 + "x", "１" * 21,
                                  ids.seq_to_wire(5) + "0", " " + ids.seq_to_wire(5)[1:]])
def test_sequence_numbers_logstore_never_issued_are_refused(text):
    assert ids.seq_from_wire(text) is None


def test_stream_arns_round_trip():
    label = ids.stream_label(1_700_000_000_123)
    assert label == "2023-11-14T22:13:20.123"
    arn = ids.stream_arn("eu-west-1", "123456789012", "orders.v2", label)
    assert arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/orders.v2/stream/2023-11-14T22:13:20.123"
    assert ids.parse_stream_arn(arn) == ("eu-west-1", "123456789012", "orders.v2", label)
    assert ids.parse_table_arn(ids.table_arn("eu-west-1", "123456789012", "orders")) == \
        ("aws", "eu-west-1", "123456789012", "orders")


@pytest.mark.parametrize("arn", [
    "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",                                  # a table ARN
    "arn:aws:dynamodb:eu-west-1:12345678901:table/orders/stream/2023-11-14T22:13:20.123",    # 11-digit account
    "arn:aws:dynamodb:eu-west-1:123456789012:table/ab/stream/2023-11-14T22:13:20.123",       # name too short
    "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2023-11-14T22:13:20",       # no milliseconds
    "arn:aws:s3:eu-west-1:123456789012:table/orders/stream/2023-11-14T22:13:20.123",
])
def test_malformed_stream_arns_are_refused(arn):
    assert ids.parse_stream_arn(arn) is None


def test_shard_ids_round_trip_and_sort_by_creation(seed):
    rng = random.Random(seed)
    made = sorted((rng.randrange(10 ** 13), rng.randrange(1 << 40)) for _ in range(200))
    shard_ids = [ids.shard_id(ms, salt) for ms, salt in made]
    assert all(len(s) == 37 and ids.is_shard_id(s) for s in shard_ids)
    assert sorted(shard_ids) == shard_ids
    assert [ids.shard_salt(s) for s in shard_ids] == [salt & 0xFFFFFFFF for _, salt in made]
    for bad in ("shardId-1-0000000a", "shardId-%020d-%08X" % (5, 0xAB), "shard-%020d-%08x" % (5, 1), ""):
        assert not ids.is_shard_id(bad) and ids.shard_salt(bad) is None


def test_event_ids_are_stable_per_key_and_differ_across_keys():
    a, b = b"a" * 32, b"b" * 32
    assert ids.event_id(a, 1, 42) == ids.event_id(a, 1, 42)
    assert len(ids.event_id(a, 1, 42)) == 32 and int(ids.event_id(a, 1, 42), 16) >= 0
    assert len({ids.event_id(a, 1, 42), ids.event_id(b, 1, 42), ids.event_id(a, 2, 42), ids.event_id(a, 1, 43)}) == 4


def test_function_arns():
    assert ids.function_arn("us-east-1", "000000000000", "f") == "arn:aws:lambda:us-east-1:000000000000:function:f"

"""GetShardIterator (spec §3.3): the four iterator types, request validation, closed shards, trimming, freshness."""
from __future__ import annotations

import pytest

from apihelpers import DAY_MS, HOUR_MS, ITERATOR_TYPE_ENUM, MINUTE_MS, item, stream_arn
from logstore.errors import (ExpiredIteratorException, ResourceNotFoundException, TrimmedDataAccessException,
                             ValidationException)


@pytest.fixture
def orders(api, store):
    """A stream with three records (pk a, b, c); returns (arn, shard id, [seq1, seq2, seq3])."""
    arn = api.create_table("orders")
    for pk in "abc":
        store.put_item(TableName="orders", Item=item(pk, v=1))
    sid = api.only_shard(arn)
    seqs = [r["dynamodb"]["SequenceNumber"] for r in api.records(arn, sid)]
    assert len(seqs) == 3
    return arn, sid, seqs


def _pks(records):
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


@pytest.mark.parametrize("kind, seq_index", [("TRIM_HORIZON", None), ("LATEST", None),
                                             ("AT_SEQUENCE_NUMBER", 0), ("AFTER_SEQUENCE_NUMBER", 0)])
def test_each_type_returns_just_an_iterator(store, orders, kind, seq_index):
    arn, sid, seqs = orders
    request = {"StreamArn": arn, "ShardId": sid, "ShardIteratorType": kind}
    if seq_index is not None:
        request["SequenceNumber"] = seqs[seq_index]
    out = store.get_shard_iterator(**request)
    assert list(out) == ["ShardIterator"]
    assert isinstance(out["ShardIterator"], str) and 1 <= len(out["ShardIterator"]) <= 2048


def test_trim_horizon_reads_from_the_oldest_record(api, orders):
    arn, sid, _ = orders
    assert _pks(api.records(arn, sid, "TRIM_HORIZON")) == ["a", "b", "c"]


def test_latest_reads_only_later_records(api, store, orders):
    arn, sid, _ = orders
    it = api.iterator(arn, sid, "LATEST")
    page = api.read(it)
    assert page["Records"] == []
    store.put_item(TableName="orders", Item=item("d", v=1))
    page = api.read(page["NextShardIterator"])
    assert _pks(page["Records"]) == ["d"]


def test_latest_on_a_brand_new_table_then_a_write_returns_the_write(api, store):
    """aws-sdk-java#2923: DynamoDB Local threw TrimmedDataAccessException here."""
    arn = api.create_table("orders")
    it = api.iterator(arn, kind="LATEST")
    store.put_item(TableName="orders", Item=item("a", v=1))
    page = api.read(it)
    assert _pks(page["Records"]) == ["a"]
    assert "NextShardIterator" in page


def test_at_sequence_number(api, orders):
    arn, sid, seqs = orders
    assert _pks(api.drain(api.iterator(arn, sid, "AT_SEQUENCE_NUMBER", seqs[1]))[0]) == ["b", "c"]


def test_after_sequence_number_returns_the_next_record_only(api, orders):
    arn, sid, seqs = orders
    page = api.read(api.iterator(arn, sid, "AFTER_SEQUENCE_NUMBER", seqs[0]), limit=1)
    assert [r["dynamodb"]["SequenceNumber"] for r in page["Records"]] == [seqs[1]]
    assert _pks(api.drain(api.iterator(arn, sid, "AFTER_SEQUENCE_NUMBER", seqs[0]))[0]) == ["b", "c"]
    assert api.drain(api.iterator(arn, sid, "AFTER_SEQUENCE_NUMBER", seqs[2]))[0] == []


def test_at_starting_sequence_number_starts_at_the_start_of_the_shard(api, orders):
    """Spec §3.3 [obs]: AT the shard's StartingSequenceNumber works even if no record carries that number."""
    arn, sid, _ = orders
    [shard] = api.shards(arn)
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert _pks(api.drain(api.iterator(arn, sid, "AT_SEQUENCE_NUMBER", start))[0]) == ["a", "b", "c"]


@pytest.mark.parametrize("kind", ["AT_TIMESTAMP", "BOGUS", "trim_horizon"])
def test_invalid_iterator_type_is_a_validation_error_naming_the_enum(store, orders, kind):
    """amazon-kinesis-connector-flink#9: AT_TIMESTAMP is not a DynamoDB Streams iterator type."""
    arn, sid, _ = orders
    with pytest.raises(ValidationException) as e:
        store.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType=kind)
    assert e.value.message == (f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to "
                               f"satisfy constraint: Member must satisfy enum value set: {ITERATOR_TYPE_ENUM}")


@pytest.mark.parametrize("kind", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_sequence_number_required_for_at_and_after(store, orders, kind):
    arn, sid, _ = orders
    with pytest.raises(ValidationException):
        store.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType=kind)


@pytest.mark.parametrize("kind", ["TRIM_HORIZON", "LATEST"])
def test_sequence_number_forbidden_for_trim_horizon_and_latest(store, orders, kind):
    arn, sid, seqs = orders
    with pytest.raises(ValidationException):
        store.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType=kind, SequenceNumber=seqs[0])


@pytest.mark.parametrize("bad", [
    "12345678901234567890x",        # 21 chars, not all digits
    "abcdefghijklmnopqrstu",
    "-10000000000000000002",
    "1000000000000000000.5",
    "12345678901234567890",         # 20 digits: too short
    "1" * 41,                       # too long
    "",
])
@pytest.mark.parametrize("kind", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_malformed_sequence_number_is_a_validation_error(store, orders, bad, kind):
    arn, sid, _ = orders
    with pytest.raises(ValidationException):
        store.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType=kind, SequenceNumber=bad)


def test_short_sequence_number_gets_the_coral_length_message(store, orders):
    arn, sid, _ = orders
    with pytest.raises(ValidationException) as e:
        store.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                 SequenceNumber="12345678901234567890")
    assert e.value.message == ("1 validation error detected: Value '12345678901234567890' at 'sequenceNumber' "
                               "failed to satisfy constraint: Member must have length greater than or equal to 21")


def test_sequence_number_beyond_the_shard_range_is_a_validation_error(api, store, orders, clock):
    """Spec §3.3 [rec]: a sequence number not belonging to this shard / beyond its range -> ValidationException."""
    arn, root, seqs = orders
    clock.advance(1000)
    child = store.split_shard(StreamArn=arn, ShardId=root)["Shards"][0]["ShardId"]
    with pytest.raises(ValidationException):   # a parent's record asked of the child
        store.get_shard_iterator(StreamArn=arn, ShardId=child, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                 SequenceNumber=seqs[0])
    store.put_item(TableName="orders", Item=item("a", v=2))
    later = [r["dynamodb"]["SequenceNumber"] for r in api.all_records(arn)][-1]
    with pytest.raises(ValidationException):   # the closed root does not go that far
        store.get_shard_iterator(StreamArn=arn, ShardId=root, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                 SequenceNumber=later)


def test_missing_members_get_coral_null_messages(store, orders):
    arn, sid, _ = orders
    with pytest.raises(ValidationException) as e:
        store.get_shard_iterator(StreamArn=arn, ShardIteratorType="LATEST")
    assert e.value.message == ("1 validation error detected: Value null at 'shardId' failed to satisfy "
                               "constraint: Member must not be null")
    with pytest.raises(ValidationException) as e:
        store.get_shard_iterator(StreamArn=arn, ShardId=sid)
    assert e.value.message == ("1 validation error detected: Value null at 'shardIteratorType' failed to satisfy "
                               "constraint: Member must not be null")


def test_unknown_shard_is_resource_not_found(store, orders):
    arn, _, _ = orders
    with pytest.raises(ResourceNotFoundException):
        store.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000001700000000000-deadbeef",
                                 ShardIteratorType="TRIM_HORIZON")


def test_unknown_stream_is_resource_not_found(store, orders):
    _, sid, _ = orders
    unknown = stream_arn("nosuchtable")
    with pytest.raises(ResourceNotFoundException) as e:
        store.get_shard_iterator(StreamArn=unknown, ShardId=sid, ShardIteratorType="TRIM_HORIZON")
    assert e.value.message == f"Requested resource not found: Stream: {unknown} not found"


def test_shard_of_another_stream_is_resource_not_found(api, store, orders):
    _, sid, _ = orders
    other = api.create_table("others")
    with pytest.raises(ResourceNotFoundException):
        store.get_shard_iterator(StreamArn=other, ShardId=sid, ShardIteratorType="TRIM_HORIZON")


def test_malformed_stream_arn_is_a_validation_error(store, orders):
    _, sid, _ = orders
    with pytest.raises(ValidationException):
        store.get_shard_iterator(StreamArn="arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/nope",
                                 ShardId=sid, ShardIteratorType="TRIM_HORIZON")


def test_all_types_work_on_a_closed_shard(api, store, orders, clock):
    arn, root, seqs = orders
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=root)
    assert _pks(api.drain(api.iterator(arn, root, "TRIM_HORIZON"))[0]) == ["a", "b", "c"]
    assert _pks(api.drain(api.iterator(arn, root, "AT_SEQUENCE_NUMBER", seqs[1]))[0]) == ["b", "c"]
    assert _pks(api.drain(api.iterator(arn, root, "AFTER_SEQUENCE_NUMBER", seqs[1]))[0]) == ["c"]
    assert isinstance(api.iterator(arn, root, "LATEST"), str)


def test_latest_on_a_closed_shard_reads_nothing_and_ends(api, store, orders, clock):
    """CoorpAcademy/serverless-plugins#36: [] and no NextShardIterator key."""
    arn, root, _ = orders
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=root)
    page = api.read(api.iterator(arn, root, "LATEST"))
    assert page == {"Records": []}


def test_sequence_number_before_the_trim_horizon_is_trimmed(api, store, orders, clock):
    arn, sid, seqs = orders
    clock.advance(DAY_MS + MINUTE_MS)
    store.put_item(TableName="orders", Item=item("young", v=1))
    store.maintain()
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        with pytest.raises(TrimmedDataAccessException) as e:
            store.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType=kind, SequenceNumber=seqs[0])
        assert e.value.message == "The data you are trying to access has been trimmed."


def test_trim_horizon_after_trimming_starts_at_the_oldest_untrimmed_record(api, store, orders, clock):
    arn, root, _ = orders
    clock.advance(3 * HOUR_MS)
    store.put_item(TableName="orders", Item=item("young", v=1))   # same shard: no rollover before 4 h
    clock.advance(21 * HOUR_MS + 30 * MINUTE_MS)
    store.maintain()   # trims a, b, c (24.5 h old), keeps young (21.5 h old)
    assert _pks(api.drain(api.iterator(arn, root, "TRIM_HORIZON"))[0]) == ["young"]


def test_every_call_returns_a_fresh_iterator(api, orders, clock):
    """Spec §3.3: every call returns a fresh iterator, valid 15 min from that call."""
    arn, sid, seqs = orders
    first = api.iterator(arn, sid, "AT_SEQUENCE_NUMBER", seqs[0])
    clock.advance(10 * MINUTE_MS)
    second = api.iterator(arn, sid, "AT_SEQUENCE_NUMBER", seqs[0])
    clock.advance(10 * MINUTE_MS)
    with pytest.raises(ExpiredIteratorException):
        api.read(first)
    assert _pks(api.read(second)["Records"]) == ["a", "b", "c"]


def test_malformed_shard_id_is_a_validation_error(store, orders):
    arn, _, _ = orders
    with pytest.raises(ValidationException) as e:
        store.get_shard_iterator(StreamArn=arn, ShardId="abc", ShardIteratorType="LATEST")
    assert e.value.message == ("1 validation error detected: Value 'abc' at 'shardId' failed to satisfy "
                               "constraint: Member must have length greater than or equal to 28")


def test_at_ending_sequence_number_of_a_closed_shard_reads_the_last_record_and_ends(api, store, orders, clock):
    arn, root, seqs = orders
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=root)
    [shard] = [s for s in api.shards(arn) if s["ShardId"] == root]
    end = shard["SequenceNumberRange"]["EndingSequenceNumber"]
    assert end == seqs[-1]
    page = api.read(api.iterator(arn, root, "AT_SEQUENCE_NUMBER", end))
    assert _pks(page["Records"]) == ["c"]
    assert "NextShardIterator" not in page
    assert api.read(api.iterator(arn, root, "AFTER_SEQUENCE_NUMBER", end)) == {"Records": []}


@pytest.mark.parametrize("kind", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_sequence_number_not_yet_issued_is_a_validation_error(api, store, orders, kind):
    """Spec §3.3 [rec]: a sequence number not belonging to the shard / beyond its range -> ValidationException."""
    arn, sid, seqs = orders
    future = str(int(seqs[-1]) + 5)
    try:
        it = api.iterator(arn, sid, kind, future)
    except ValidationException:
        return
    for pk in "defgh":
        store.put_item(TableName="orders", Item=item(pk, v=1))
    assert _pks(api.drain(it)[0]) == ["d", "e", "f", "g", "h"], "records skipped"

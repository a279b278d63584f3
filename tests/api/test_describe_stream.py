"""DescribeStream (spec §3.2) and the identifier formats it shows (spec §5)."""
from __future__ import annotations

import pytest

from apihelpers import (HOUR_MS, LABEL_RE, SHARD_ID_RE, START_LABEL, START_MS, item, stream_arn)
from logstore.errors import ResourceNotFoundException, ValidationException

UNKNOWN_ARN = stream_arn("nosuchtable")


def _fan_out(api, store, clock, arn):
    """Give the stream a lineage of 5 shards (root split into a and b, then a split into two); return them all."""
    root = api.only_shard(arn)
    clock.advance(1000)
    a = store.split_shard(StreamArn=arn, ShardId=root)["Shards"][0]["ShardId"]
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=a)
    return api.shards(arn)


def test_new_stream_description_shape(api, store):
    arn = api.create_table("orders", "NEW_IMAGE")
    desc = store.describe_stream(StreamArn=arn)
    assert list(desc) == ["StreamDescription"]
    d = desc["StreamDescription"]
    [shard] = d.pop("Shards")
    assert d == {
        "StreamArn": arn,
        "StreamLabel": START_LABEL,
        "StreamStatus": "ENABLED",
        "StreamViewType": "NEW_IMAGE",
        "CreationRequestDateTime": START_MS / 1000,
        "TableName": "orders",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    }   # no LastEvaluatedShardId: one page
    assert set(shard) == {"ShardId", "SequenceNumberRange"}   # root shard: no ParentShardId; open: no ending
    assert set(shard["SequenceNumberRange"]) == {"StartingSequenceNumber"}


def test_key_schema_with_range_key(api, store):
    arn = api.create_table("forum", key_schema=(("ForumName", "S"), ("Subject", "S")))
    assert api.describe(arn)["KeySchema"] == [{"AttributeName": "ForumName", "KeyType": "HASH"},
                                              {"AttributeName": "Subject", "KeyType": "RANGE"}]


def test_identifier_formats(api, store):
    """Spec §5: ARN, StreamLabel (UTC creation time to the ms), ShardId (shardId- + 20-digit creation ms + - + 8 hex,
    37 characters), sequence numbers (decimal, 21+ digits)."""
    arn = api.create_table("orders")
    d = api.describe(arn)
    assert LABEL_RE.fullmatch(d["StreamLabel"])
    assert arn == f"arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/{d['StreamLabel']}"
    [shard] = d["Shards"]
    sid = shard["ShardId"]
    assert len(sid) == 37
    assert SHARD_ID_RE.fullmatch(sid)
    assert sid.startswith("shardId-%020d-" % START_MS)
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert start.isdigit() and len(start) >= 21


def test_region_and_account_appear_in_the_arn(open_store, tmp_path):
    from apihelpers import Api
    s = open_store(tmp_path / "other", region="eu-west-2", account="123456789012")
    arn = Api(s, None).create_table("orders")
    assert arn == f"arn:aws:dynamodb:eu-west-2:123456789012:table/orders/stream/{START_LABEL}"
    assert s.describe_stream(StreamArn=arn)["StreamDescription"]["StreamArn"] == arn


@pytest.mark.parametrize("bad", [
    "arn:aws:dynamodb:us-east-1:000000000000:table/orders",
    "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/not-a-label-at-all",
    "x" * 40,
])
def test_malformed_arn_is_a_validation_error(api, store, bad):
    api.create_table("orders")
    with pytest.raises(ValidationException):
        store.describe_stream(StreamArn=bad)


def test_short_arn_gets_the_coral_length_message(store):
    with pytest.raises(ValidationException) as e:
        store.describe_stream(StreamArn="abc")
    assert e.value.message == ("1 validation error detected: Value 'abc' at 'streamArn' failed to satisfy "
                               "constraint: Member must have length greater than or equal to 37")


def test_missing_arn_gets_the_coral_null_message(store):
    with pytest.raises(ValidationException) as e:
        store.describe_stream()
    assert e.value.message == ("1 validation error detected: Value null at 'streamArn' failed to satisfy "
                               "constraint: Member must not be null")


def test_unknown_wellformed_arn_is_resource_not_found(api, store):
    api.create_table("orders")
    with pytest.raises(ResourceNotFoundException) as e:
        store.describe_stream(StreamArn=UNKNOWN_ARN)
    assert e.value.message == f"Requested resource not found: Stream: {UNKNOWN_ARN} not found"


def test_arn_with_other_label_of_existing_table_is_not_found(api, store):
    api.create_table("orders")
    other = stream_arn("orders", "2023-11-14T22:13:20.001")
    with pytest.raises(ResourceNotFoundException) as e:
        store.describe_stream(StreamArn=other)
    assert e.value.message == f"Requested resource not found: Stream: {other} not found"


def test_shards_sorted_by_id_and_parents_before_children(api, store, clock):
    arn = api.create_table("orders")
    shards = _fan_out(api, store, clock, arn)
    assert len(shards) == 5
    ids = [s["ShardId"] for s in shards]
    assert ids == sorted(ids)
    position = {sid: i for i, sid in enumerate(ids)}
    for s in shards:
        if "ParentShardId" in s:
            assert position[s["ParentShardId"]] < position[s["ShardId"]]
    assert sum("ParentShardId" not in s for s in shards) == 1


def test_shards_stay_sorted_when_created_in_the_same_millisecond(api, store):
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    a, _ = (s["ShardId"] for s in store.split_shard(StreamArn=arn, ShardId=root)["Shards"])
    store.split_shard(StreamArn=arn, ShardId=a)
    shards = api.shards(arn)
    ids = [s["ShardId"] for s in shards]
    assert ids == sorted(ids)
    position = {sid: i for i, sid in enumerate(ids)}
    assert all(position[s["ParentShardId"]] < position[s["ShardId"]] for s in shards if "ParentShardId" in s)


def test_limit_pages_with_last_evaluated_shard_id(api, store, clock):
    arn = api.create_table("orders")
    everything = _fan_out(api, store, clock, arn)
    pages, start = [], None
    while True:
        request = {"StreamArn": arn, "Limit": 2}
        if start:
            request["ExclusiveStartShardId"] = start
        d = store.describe_stream(**request)["StreamDescription"]
        assert len(d["Shards"]) <= 2
        pages.append(d["Shards"])
        start = d.get("LastEvaluatedShardId")
        if start is None:
            break
        assert start == d["Shards"][-1]["ShardId"]   # spec §3.2 [obs]
    assert [s for page in pages for s in page] == everything
    assert [len(p) for p in pages] == [2, 2, 1]


@pytest.mark.parametrize("limit, constraint", [
    (0, "Member must have value greater than or equal to 1"),
    (101, "Member must have value less than or equal to 100"),
])
def test_limit_out_of_range_is_a_validation_error(api, store, limit, constraint):
    arn = api.create_table("orders")
    with pytest.raises(ValidationException) as e:
        store.describe_stream(StreamArn=arn, Limit=limit)
    assert e.value.message == (f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                               f"constraint: {constraint}")


def test_exclusive_start_at_last_shard_gives_empty_page(api, store, clock):
    arn = api.create_table("orders")
    last = _fan_out(api, store, clock, arn)[-1]["ShardId"]
    d = api.store.describe_stream(StreamArn=arn, ExclusiveStartShardId=last)["StreamDescription"]
    assert d["Shards"] == []
    assert "LastEvaluatedShardId" not in d


def test_nonexistent_exclusive_start_shard_id_is_no_error(api, store):
    arn = api.create_table("orders")
    d = store.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-99999999999999999999-ffffffff")
    assert d["StreamDescription"]["Shards"] == []


def test_nonexistent_exclusive_start_shard_id_gives_empty_shards(api, store):
    """Spec §3.2: 'an id that doesn't exist -> empty Shards, no error on AWS [obs]'."""
    arn = api.create_table("orders")
    d = store.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-00000000000000000001-00000000")
    assert d["StreamDescription"]["Shards"] == []


def test_shard_filter_child_shards(api, store, clock):
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    clock.advance(1000)
    children = store.split_shard(StreamArn=arn, ShardId=root)["Shards"]
    d = store.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": root})
    got = d["StreamDescription"]["Shards"]
    assert [s["ShardId"] for s in got] == sorted(s["ShardId"] for s in children)
    assert all(s["ParentShardId"] == root for s in got)
    assert got == [s for s in api.shards(arn) if s.get("ParentShardId") == root]


def test_shard_filter_child_shards_empty_when_no_children_yet(api, store):
    """Spec §3.2: empty list when the children don't exist yet (the adapter retries)."""
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    d = store.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": root})
    assert d["StreamDescription"]["Shards"] == []


def test_shard_filter_child_shards_after_rollover(api, store, clock):
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    clock.advance(4 * HOUR_MS + 1)
    store.maintain()
    d = store.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": root})
    [child] = d["StreamDescription"]["Shards"]
    assert child["ParentShardId"] == root
    assert "EndingSequenceNumber" not in child["SequenceNumberRange"]


def test_shard_filter_with_bad_type_is_a_validation_error(api, store):
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    with pytest.raises(ValidationException) as e:
        store.describe_stream(StreamArn=arn, ShardFilter={"Type": "PARENT_SHARDS", "ShardId": root})
    assert "Member must satisfy enum value set: [CHILD_SHARDS]" in e.value.message


def test_closed_shards_carry_ending_sequence_number(api, store, clock):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1))
    root = api.only_shard(arn)
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=root)
    for s in api.shards(arn):
        rng = s["SequenceNumberRange"]
        if s["ShardId"] == root:
            assert set(rng) == {"StartingSequenceNumber", "EndingSequenceNumber"}
            assert int(rng["StartingSequenceNumber"]) <= int(rng["EndingSequenceNumber"])
        else:
            assert set(rng) == {"StartingSequenceNumber"}


def test_disabled_stream_all_shards_closed_and_view_type_reported(api, store, clock):
    arn = api.create_table("orders", "OLD_IMAGE")
    store.put_item(TableName="orders", Item=item("a", v=1))
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=api.only_shard(arn))
    clock.advance(1000)
    api.disable("orders")
    d = api.describe(arn)
    assert d["StreamStatus"] == "DISABLED"
    assert d["StreamViewType"] == "OLD_IMAGE"
    assert d["TableName"] == "orders"
    assert len(d["Shards"]) == 3
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in d["Shards"])


def test_disabled_stream_child_shard_filter_is_empty(api, store, clock):
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    clock.advance(1000)
    api.disable("orders")
    d = store.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": root})
    assert d["StreamDescription"]["Shards"] == []


def test_malformed_exclusive_start_shard_id_is_a_validation_error(api, store):
    arn = api.create_table("orders")
    with pytest.raises(ValidationException) as e:
        store.describe_stream(StreamArn=arn, ExclusiveStartShardId="abc")
    assert e.value.message == ("1 validation error detected: Value 'abc' at 'exclusiveStartShardId' failed to "
                               "satisfy constraint: Member must have length greater than or equal to 28")


def test_shard_filter_then_pagination(api, store, clock):
    """Spec §3.2 [rec]: ShardFilter combined with Limit / ExclusiveStartShardId: apply the filter, then paginate."""
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    clock.advance(1000)
    children = sorted(s["ShardId"] for s in store.split_shard(StreamArn=arn, ShardId=root)["Shards"])
    flt = {"Type": "CHILD_SHARDS", "ShardId": root}
    first = store.describe_stream(StreamArn=arn, ShardFilter=flt, Limit=1)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == children[:1]
    assert first["LastEvaluatedShardId"] == children[0]
    second = store.describe_stream(StreamArn=arn, ShardFilter=flt, Limit=1,
                                   ExclusiveStartShardId=children[0])["StreamDescription"]
    assert [s["ShardId"] for s in second["Shards"]] == children[1:]


def test_creation_request_date_time_of_a_reenabled_stream(api, store, clock):
    api.create_table("orders")
    clock.advance(90_500)
    api.disable("orders")
    new = api.enable("orders")
    assert api.describe(new)["CreationRequestDateTime"] == (START_MS + 90_500) / 1000

"""Stream lifecycle on tables (spec §6.1, §6.2): CreateTable / UpdateTable / DescribeTable stream members, enabling
and disabling, DeleteTable, rollover, split_shard, and the "always an open shard" rule."""
from __future__ import annotations

import pytest

from apihelpers import DAY_MS, HOUR_MS, MINUTE_MS, START_LABEL, item, stream_arn
from logstore.errors import CorruptionError, ResourceNotFoundException, ValidationException

STREAM_MEMBERS = ("StreamSpecification", "LatestStreamArn", "LatestStreamLabel")
KEY = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def _stream_members(desc: dict) -> dict:
    return {k: desc[k] for k in STREAM_MEMBERS if k in desc}


def _pks(records):
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


# -- table descriptions (scylla#7157 / #7162 / #7163) --------------------------------------------------------------


def test_create_table_with_stream_returns_stream_members(store):
    desc = store.create_table(TableName="orders", **KEY, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    expected = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                "LatestStreamArn": stream_arn("orders"), "LatestStreamLabel": START_LABEL}
    assert _stream_members(desc) == expected
    assert _stream_members(store.describe_table(TableName="orders")["Table"]) == expected


@pytest.mark.parametrize("spec", [None, {"StreamEnabled": False}])
def test_table_never_streamed_has_none_of_the_members(store, spec):
    request = dict(TableName="orders", **KEY)
    if spec is not None:
        request["StreamSpecification"] = spec
    assert _stream_members(store.create_table(**request)["TableDescription"]) == {}
    assert _stream_members(store.describe_table(TableName="orders")["Table"]) == {}
    assert store.list_streams() == {"Streams": []}


def test_update_table_enabling_returns_stream_members(api, store, clock):
    api.create_table("orders", view_type=None)
    clock.advance(1500)
    desc = store.update_table(TableName="orders", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    label = "2023-11-14T22:13:21.500"
    expected = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                "LatestStreamArn": stream_arn("orders", label), "LatestStreamLabel": label}
    assert _stream_members(desc) == expected
    assert _stream_members(store.describe_table(TableName="orders")["Table"]) == expected
    assert [s["StreamArn"] for s in store.list_streams()["Streams"]] == [expected["LatestStreamArn"]]


def test_after_disabling_specification_is_omitted_but_latest_stream_remains(api, store, clock):
    arn = api.create_table("orders")
    clock.advance(1000)
    desc = api.disable("orders")["TableDescription"]
    expected = {"LatestStreamArn": arn, "LatestStreamLabel": START_LABEL}
    assert _stream_members(desc) == expected
    assert _stream_members(store.describe_table(TableName="orders")["Table"]) == expected


# -- enabling and disabling ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("view_type", ["NEW_AND_OLD_IMAGES", "KEYS_ONLY"])
def test_enabling_an_enabled_stream_is_a_validation_error(api, store, view_type):
    """scylla#6939: the view type of an enabled stream cannot be changed; same type also fails."""
    arn = api.create_table("orders", "NEW_AND_OLD_IMAGES")
    with pytest.raises(ValidationException) as e:
        api.enable("orders", view_type)
    assert e.value.message == "Table already has an enabled stream: TableName: orders"
    assert api.describe(arn)["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert [s["StreamArn"] for s in store.list_streams()["Streams"]] == [arn]


def test_disabling_when_there_is_no_stream_is_a_validation_error(api, store, clock):
    api.create_table("plain", view_type=None)
    with pytest.raises(ValidationException) as e:
        api.disable("plain")
    assert e.value.message == "Table has no stream to disable: TableName: plain"
    api.create_table("orders")
    clock.advance(1000)
    api.disable("orders")
    with pytest.raises(ValidationException) as e:
        api.disable("orders")
    assert e.value.message == "Table has no stream to disable: TableName: orders"


@pytest.mark.parametrize("spec", [
    {"StreamEnabled": True},                                          # enabled needs a view type
    {"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},          # disabled must not carry one
    {"StreamEnabled": True, "StreamViewType": "ALL_IMAGES"},          # no such view type
    {"StreamViewType": "KEYS_ONLY"},                                  # StreamEnabled is required
])
@pytest.mark.parametrize("operation", ["create", "update"])
def test_invalid_stream_specification_is_a_validation_error(api, store, spec, operation):
    if operation == "create":
        with pytest.raises(ValidationException):
            store.create_table(TableName="orders", **KEY, StreamSpecification=spec)
        with pytest.raises(ResourceNotFoundException):
            store.describe_table(TableName="orders")
    else:
        api.create_table("orders", view_type=None)
        with pytest.raises(ValidationException):
            store.update_table(TableName="orders", StreamSpecification=spec)
        assert _stream_members(store.describe_table(TableName="orders")["Table"]) == {}
    assert store.list_streams() == {"Streams": []}


def test_invalid_view_type_names_the_enum(api, store):
    api.create_table("orders", view_type=None)
    with pytest.raises(ValidationException) as e:
        store.update_table(TableName="orders", StreamSpecification={"StreamEnabled": True,
                                                                    "StreamViewType": "ALL_IMAGES"})
    assert "'ALL_IMAGES'" in e.value.message
    assert "Member must satisfy enum value set" in e.value.message


def test_disable_then_reenable_gives_a_new_stream_and_keeps_the_old_one(api, store, clock):
    """scylla#7239: the old stream stays listed, DISABLED, closed and readable."""
    old = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("before"))
    clock.advance(1000)
    api.disable("orders")
    store.put_item(TableName="orders", Item=item("between"))
    clock.advance(1000)
    new = api.enable("orders", "KEYS_ONLY")
    store.put_item(TableName="orders", Item=item("after"))
    assert new != old
    assert store.describe_table(TableName="orders")["Table"]["LatestStreamArn"] == new
    listed = {s["StreamArn"] for s in store.list_streams(TableName="orders")["Streams"]}
    assert listed == {old, new}
    d_old, d_new = api.describe(old), api.describe(new)
    assert (d_old["StreamStatus"], d_old["StreamViewType"]) == ("DISABLED", "NEW_AND_OLD_IMAGES")
    assert (d_new["StreamStatus"], d_new["StreamViewType"]) == ("ENABLED", "KEYS_ONLY")
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in d_old["Shards"])
    assert _pks(api.all_records(old)) == ["before"]
    assert _pks(api.all_records(new)) == ["after"]
    assert not {s["ShardId"] for s in d_old["Shards"]} & {s["ShardId"] for s in d_new["Shards"]}


def test_disabled_stream_is_read_to_its_end(api, store, clock):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a"))
    it = api.iterator(arn)
    clock.advance(1000)
    api.disable("orders")
    page = api.read(it)
    assert _pks(page["Records"]) == ["a"]
    assert "NextShardIterator" not in page


def test_disabled_stream_expires_after_24_hours(api, store, clock):
    old = api.create_table("orders")
    clock.advance(1000)
    api.disable("orders")
    clock.advance(1000)
    new = api.enable("orders")
    clock.advance(DAY_MS)
    store.maintain()
    assert [s["StreamArn"] for s in store.list_streams()["Streams"]] == [new]
    with pytest.raises(ResourceNotFoundException):
        store.describe_stream(StreamArn=old)
    assert store.describe_table(TableName="orders")["Table"]["LatestStreamArn"] == new


# -- DeleteTable (spec §6.1) ---------------------------------------------------------------------------------------


def test_delete_table_disables_the_stream_which_stays_readable_for_24_hours(api, store, clock):
    arn = api.create_table("orders", "NEW_IMAGE")
    store.put_item(TableName="orders", Item=item("a", v=1))
    clock.advance(1000)
    store.delete_table(TableName="orders")
    with pytest.raises(ResourceNotFoundException):
        store.describe_table(TableName="orders")
    d = api.describe(arn)
    assert d["StreamStatus"] == "DISABLED"
    assert d["StreamViewType"] == "NEW_IMAGE"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in d["Shards"])
    first = api.all_records(arn)[0]
    assert (first["eventName"], _pks([first])) == ("INSERT", ["a"])
    clock.advance(DAY_MS - MINUTE_MS)
    store.maintain()
    assert api.all_records(arn)[0] == first
    clock.advance(2 * MINUTE_MS)
    store.maintain()
    with pytest.raises(ResourceNotFoundException) as e:
        store.describe_stream(StreamArn=arn)
    assert e.value.message == f"Requested resource not found: Stream: {arn} not found"
    assert store.list_streams() == {"Streams": []}


def test_recreated_table_gets_a_new_stream(api, store, clock):
    old = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a"))
    clock.advance(1000)
    store.delete_table(TableName="orders")
    clock.advance(1000)
    new = api.create_table("orders")
    assert new != old
    assert store.get_item(TableName="orders", Key={"pk": {"S": "a"}}) == {}
    store.put_item(TableName="orders", Item=item("b"))
    assert _pks(api.all_records(old)) == ["a"]
    assert _pks(api.all_records(new)) == ["b"]


# -- shards: always one open, rollover, split (spec §6.2; scylla#8012) ---------------------------------------------


def test_new_stream_has_one_open_shard(api):
    arn = api.create_table("orders")
    assert len(api.open_shards(arn)) == 1


def test_rollover_keeps_an_open_shard_and_names_the_parent(api, store, clock):
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a"))
    root = api.only_shard(arn)
    lineage = [root]
    for _ in range(3):
        clock.advance(4 * HOUR_MS + MINUTE_MS)
        store.maintain()
        shards = {s["ShardId"]: s for s in api.shards(arn)}
        [open_] = api.open_shards(arn)
        assert open_["ParentShardId"] == lineage[-1]
        parent = shards[lineage[-1]]["SequenceNumberRange"]
        assert "EndingSequenceNumber" in parent
        lineage.append(open_["ShardId"])
        store.put_item(TableName="orders", Item=item("a", v=len(lineage)))
    assert _pks(api.all_records(arn)) == ["a"] * 4
    assert [api.records(arn, sid)[0]["dynamodb"]["NewImage"].get("v") for sid in lineage] == [
        None, {"N": "2"}, {"N": "3"}, {"N": "4"}]


def test_rollover_on_write_keeps_records_in_the_lineage(api, store, clock):
    """A write to a shard past its rollover age (no maintain() in between) lands in the shard's child."""
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=1))
    clock.advance(4 * HOUR_MS + MINUTE_MS)
    store.put_item(TableName="orders", Item=item("a", v=2))
    shards = api.shards(arn)
    assert len(shards) == 2
    assert len(api.open_shards(arn)) == 1
    assert [len(api.records(arn, s["ShardId"])) for s in shards] == [1, 1]


def test_always_an_open_shard_after_maintenance_past_retention(api, store, clock):
    """scylla#8012; spec §6.2: closed shards whose records aged out drop out of DescribeStream."""
    arn = api.create_table("orders")
    root = api.only_shard(arn)
    store.put_item(TableName="orders", Item=item("a"))
    for _ in range(8):   # 2 days in 6-hour steps
        clock.advance(6 * HOUR_MS)
        store.maintain()
        assert len(api.open_shards(arn)) >= 1
    shards = api.shards(arn)
    assert root not in {s["ShardId"] for s in shards}
    ids = {s["ShardId"] for s in shards}
    assert len(api.open_shards(arn)) == 1
    store.put_item(TableName="orders", Item=item("b"))
    assert _pks(api.all_records(arn)) == ["b"]
    for s in shards[1:]:   # the oldest remaining shard's parent may be gone; every other's is listed
        assert s["ParentShardId"] in ids


def test_split_shard_closes_it_and_gives_two_children(api, store, clock):
    arn = api.create_table("orders")
    for pk in "abc":
        store.put_item(TableName="orders", Item=item(pk))
    root = api.only_shard(arn)
    clock.advance(1000)
    out = store.split_shard(StreamArn=arn, ShardId=root)
    assert list(out) == ["Shards"]
    children = out["Shards"]
    assert len(children) == 2
    assert all(c["ParentShardId"] == root for c in children)
    assert all(set(c["SequenceNumberRange"]) == {"StartingSequenceNumber"} for c in children)
    shards = {s["ShardId"]: s for s in api.shards(arn)}
    assert set(shards) == {root} | {c["ShardId"] for c in children}
    assert "EndingSequenceNumber" in shards[root]["SequenceNumberRange"]
    assert [s["ShardId"] for s in api.open_shards(arn)] == sorted(c["ShardId"] for c in children)
    for i in range(20):
        store.put_item(TableName="orders", Item=item(f"k{i}"))
    assert _pks(api.records(arn, root)) == ["a", "b", "c"]
    after = [r for c in children for r in api.records(arn, c["ShardId"])]
    assert sorted(_pks(after)) == sorted(f"k{i}" for i in range(20))
    assert api.describe(arn)["StreamStatus"] == "ENABLED"


def test_one_item_stays_in_one_lineage_after_a_split(api, store, clock):
    """Spec §4.2: records of one item land in the same shard lineage, so per-key order holds."""
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a", v=0))
    clock.advance(1000)
    store.split_shard(StreamArn=arn, ShardId=api.only_shard(arn))
    for v in range(1, 6):
        store.put_item(TableName="orders", Item=item("a", v=v))
    holding = [s["ShardId"] for s in api.open_shards(arn) if api.records(arn, s["ShardId"])]
    assert len(holding) == 1
    assert [r["dynamodb"]["NewImage"]["v"]["N"] for r in api.records(arn, holding[0])] == ["1", "2", "3", "4", "5"]


def test_records_are_not_trimmed_before_24_hours(api, store, clock):
    """Spec §6.3 [rec]: trim by record age >= 24 h, never earlier."""
    arn = api.create_table("orders")
    store.put_item(TableName="orders", Item=item("a"))
    clock.advance(DAY_MS - 1)
    store.maintain()
    assert _pks(api.all_records(arn)) == ["a"]


def test_disabling_a_stream_whose_open_shard_is_missing_reports_damage(api, store):
    """A stream entry lists its open shards; one whose shard record is gone (only damage parts them) is a
    CorruptionError naming the stream, and the disable changes nothing."""
    api.create_table("orders")
    engine, env = store.streams, store.env
    with env.begin_read() as txn:
        (info,) = engine.catalog.streams(txn)
    shard_no = info.partitions[0][1]
    env.write(lambda txn: txn.delete(shard_no.to_bytes(8, "big"), db=engine.catalog.shards_db))
    with pytest.raises(CorruptionError) as e:
        api.disable("orders")
    assert f"stream {info.stream_no} lists shard {shard_no}, which is missing" in str(e.value)
    with env.begin_read() as txn:
        assert engine.catalog.stream(txn, info.stream_no) == info

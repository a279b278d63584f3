"""DescribeTable's ProvisionedThroughput records the capacity's changes, as AWS's does: LastIncreaseDateTime when an
UpdateTable last raised the table's (or a GSI's) read or write capacity, LastDecreaseDateTime when one last lowered
it, and NumberOfDecreasesToday, the decreases of the current UTC day (0 again the next day). Kept across a
restart; a table never changed has neither time, and an on-demand table describes neither (nor decreases).
A switch of billing mode is not counted as a change of provisioned capacity (AWS's answer there is unrecorded)."""
from __future__ import annotations

import pytest

from apihelpers import START_MS

DAY_MS = 86_400_000


def _provisioned(store, gsi: bool = False):
    extra = {}
    if gsi:
        extra = dict(GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g",
                                                                                  "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "KEYS_ONLY"},
                                              "ProvisionedThroughput": {"ReadCapacityUnits": 5,
                                                                        "WriteCapacityUnits": 5}}])
    store.create_table(TableName="tab", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "g", "AttributeType": "S"}][:2 if gsi else 1],
                       ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}, **extra)


def _table_pt(store) -> dict:
    return store.describe_table(TableName="tab")["Table"]["ProvisionedThroughput"]


def _gsi_pt(store) -> dict:
    return store.describe_table(TableName="tab")["Table"]["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]


def _set(store, read: int, write: int):
    return store.update_table(TableName="tab", ProvisionedThroughput={"ReadCapacityUnits": read,
                                                                      "WriteCapacityUnits": write})


def _set_gsi(store, read: int, write: int):
    return store.update_table(TableName="tab", GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "by_g", "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write}}}])


def test_a_table_never_changed_has_no_times(store):
    _provisioned(store)
    assert _table_pt(store) == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def test_an_increase_and_decreases_are_recorded(store, clock):
    _provisioned(store)
    clock.advance(1000)
    _set(store, 10, 10)
    assert _table_pt(store) == {"LastIncreaseDateTime": (START_MS + 1000) / 1000, "NumberOfDecreasesToday": 0,
                                "ReadCapacityUnits": 10, "WriteCapacityUnits": 10}
    clock.advance(1000)
    _set(store, 8, 10)
    clock.advance(1000)
    _set(store, 8, 6)
    assert _table_pt(store) == {"LastIncreaseDateTime": (START_MS + 1000) / 1000,
                                "LastDecreaseDateTime": (START_MS + 3000) / 1000, "NumberOfDecreasesToday": 2,
                                "ReadCapacityUnits": 8, "WriteCapacityUnits": 6}


def test_one_member_up_and_the_other_down_is_both(store, clock):
    _provisioned(store)
    clock.advance(5000)
    _set(store, 9, 4)
    pt = _table_pt(store)
    assert pt["LastIncreaseDateTime"] == pt["LastDecreaseDateTime"] == (START_MS + 5000) / 1000
    assert pt["NumberOfDecreasesToday"] == 1


def test_decreases_are_counted_per_utc_day(store, clock):
    _provisioned(store)
    _set(store, 4, 4)
    _set(store, 3, 3)
    assert _table_pt(store)["NumberOfDecreasesToday"] == 2
    to_midnight = DAY_MS - clock.now_ms() % DAY_MS
    clock.advance(to_midnight)
    pt = _table_pt(store)
    assert pt["NumberOfDecreasesToday"] == 0 and pt["LastDecreaseDateTime"] == (START_MS / 1000)
    _set(store, 2, 2)
    assert _table_pt(store)["NumberOfDecreasesToday"] == 1


def test_the_record_survives_a_restart(open_store, clock):
    store = open_store()
    _provisioned(store)
    clock.advance(2000)
    _set(store, 3, 7)
    before = _table_pt(store)
    store.close()
    assert _table_pt(open_store()) == before


def test_a_gsi_records_its_own_changes(store, clock):
    _provisioned(store, gsi=True)
    clock.advance(1000)
    _set_gsi(store, 7, 3)
    assert _gsi_pt(store) == {"LastIncreaseDateTime": (START_MS + 1000) / 1000,
                              "LastDecreaseDateTime": (START_MS + 1000) / 1000, "NumberOfDecreasesToday": 1,
                              "ReadCapacityUnits": 7, "WriteCapacityUnits": 3}
    assert _table_pt(store) == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert "throughput_changes" not in repr(store.describe_table(TableName="tab"))


def test_the_update_answer_shows_a_gsi_as_it_was(store, clock):
    """UpdateTable answers a GSI's throughput change as under way, with the capacity (and record) it had."""
    _provisioned(store, gsi=True)
    clock.advance(1000)
    answer = _set_gsi(store, 9, 9)["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert answer["IndexStatus"] == "UPDATING"
    assert answer["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 5,
                                               "WriteCapacityUnits": 5}


@pytest.mark.parametrize("gsi", [False, True])
def test_an_on_demand_table_describes_no_times(store, clock, gsi):
    _provisioned(store, gsi=gsi)
    _set(store, 2, 2)
    store.update_table(TableName="tab", BillingMode="PAY_PER_REQUEST")
    pt = _gsi_pt(store) if gsi else _table_pt(store)
    assert pt["NumberOfDecreasesToday"] == 0 and "LastIncreaseDateTime" not in pt and "LastDecreaseDateTime" not in pt
    if gsi:   # a switch to on demand drops a GSI's throughput: described as zeros (the table keeps its last)
        assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (0, 0)

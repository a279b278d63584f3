"""A format-version-2 store written before table definitions kept encryption keys, on-demand maximums, warm
throughput and the time of a switch to on demand (docs/format.md, "Table definition": fields added within
version 2 read as nil when absent): ``tests/fixtures/v2_store.tar.gz``, written by the code at 6d94e48 with
``tests/fixtures/make_v2_store.py``, which recorded in ``v2_expected.json`` what that code read back. Today's code
opens it without an upgrade, reads every table and item as that code did (save the presentation changes named
below), and can set the new fields on the old definitions."""
from __future__ import annotations

import copy
import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import logstore
from logstore.cli import main as cli
from logstore.clock import FakeClock

FIXTURES = Path(__file__).parent.parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "v2_expected.json").read_text())
FLOOR = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}


@pytest.fixture
def v2_store(tmp_path) -> Path:
    with tarfile.open(FIXTURES / "v2_store.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "v2_store"


def described(store, name: str) -> dict:
    return json.loads(json.dumps(store.describe_table(TableName=name)["Table"], default=str))


def as_described_now(name: str) -> dict:
    """What that code described, with today's presentation: definitions and projected names in name order, a
    WarmThroughput on the table and each GSI (the floor: the code dropped the warm throughput it was given), no
    BillingModeSummary for a table created PROVISIONED that never was on demand."""
    want = copy.deepcopy(EXPECTED["describe"][name])
    want["AttributeDefinitions"].sort(key=lambda d: d["AttributeName"])
    provisioned = want["ProvisionedThroughput"]
    want["WarmThroughput"] = dict(FLOOR if want["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST" else {
        "ReadUnitsPerSecond": provisioned["ReadCapacityUnits"],
        "WriteUnitsPerSecond": provisioned["WriteCapacityUnits"]}, Status="ACTIVE")
    for gsi in want.get("GlobalSecondaryIndexes", ()):
        pt = gsi["ProvisionedThroughput"]
        gsi["WarmThroughput"] = dict(FLOOR if not pt["ReadCapacityUnits"] else {
            "ReadUnitsPerSecond": pt["ReadCapacityUnits"], "WriteUnitsPerSecond": pt["WriteCapacityUnits"]},
            Status="ACTIVE")
        if "NonKeyAttributes" in gsi["Projection"]:
            gsi["Projection"]["NonKeyAttributes"].sort()
    if want["BillingModeSummary"] == {"BillingMode": "PROVISIONED"}:
        del want["BillingModeSummary"]
    return want


def test_an_older_version_2_store_reads_as_it_was_written(v2_store):
    with logstore.open(v2_store, clock=FakeClock(EXPECTED["now_ms"]), durable=False) as store:
        assert sorted(store.list_tables()["TableNames"]) == sorted(EXPECTED["describe"])
        for name in EXPECTED["describe"]:
            got = described(store, name)
            assert got == as_described_now(name), name
            assert "SSEDescription" not in got and "OnDemandThroughput" not in got   # nothing the code dropped
            items = sorted(json.dumps(i, sort_keys=True, default=lambda b: b.hex())
                           for i in store.scan(TableName=name)["Items"])
            assert items == EXPECTED["items"][name], name
    result = CliRunner().invoke(cli, ["check", str(v2_store), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["ok"] is True, result.output


def test_the_new_fields_are_set_on_older_definitions_and_kept(v2_store):
    with logstore.open(v2_store, clock=FakeClock(EXPECTED["now_ms"] + 1000), durable=False) as store:
        store.update_table(TableName="ondemand", SSESpecification={"Enabled": True})
        store.update_table(TableName="ondemand", OnDemandThroughput={"MaxReadRequestUnits": 70})
        store.update_table(TableName="ondemand", WarmThroughput={"WriteUnitsPerSecond": 5000})
        store.update_table(TableName="provisioned", BillingMode="PAY_PER_REQUEST")
    with logstore.open(v2_store, durable=False) as store:
        table = described(store, "ondemand")
        assert table["SSEDescription"]["Status"] == "ENABLED"
        assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": 70}
        assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 5000,
                                           "Status": "ACTIVE"}
        summary = described(store, "provisioned")["BillingModeSummary"]
        assert summary["BillingMode"] == "PAY_PER_REQUEST"
        assert summary["LastUpdateToPayPerRequestDateTime"] == (EXPECTED["now_ms"] + 1000) / 1000

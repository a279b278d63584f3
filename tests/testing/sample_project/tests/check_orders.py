"""The plugin's fixtures as a user's project uses them (run by logstore's tests in a subprocess)."""
import subprocess
import sys

import boto3
import pytest

from orders_app import make_table, place_order, shard_ids


def test_mock_fixture(logstore_mock):
    make_table("orders")
    place_order("orders", "o1", 3)
    got = logstore_mock.store.get_item(TableName="orders", Key={"id": {"S": "o1"}})
    assert got["Item"]["qty"] == {"N": "3"}
    assert [r["eventName"] for r in logstore_mock.records("orders")] == ["INSERT"]


def test_mock_fixture_is_fresh_per_test(logstore_mock):
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []


def test_server_fixture_reaches_subprocesses(logstore_server):
    make_table("orders")
    place_order("orders", "o1", 3)
    code = "import boto3; print(boto3.client('dynamodb').list_tables()['TableNames'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "orders" in out.stdout
    assert logstore_server.endpoint_url.startswith("http://127.0.0.1:")


def test_server_fixture_is_wiped_per_test(logstore_server):
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []


@pytest.fixture(params=["logstore_mock", "logstore_server"])
def backend(request):
    """One fixture to switch: the same test in process and against a real server."""
    return request.getfixturevalue(request.param)


def test_same_test_on_both(backend):
    arn = make_table("orders")
    place_order("orders", "o1", 1)
    backend.advance(hours=5)                       # past the 4-hour rollover
    assert len(shard_ids(arn)) == 2
    place_order("orders", "o2", 2)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in backend.records("orders")] == ["o1", "o2"]
    backend.advance(hours=24)                      # past retention
    assert backend.records("orders") == []


def test_fails_on_purpose(logstore_mock):
    """Selected only with -k on_purpose: its store is kept with --logstore-keep-failed."""
    make_table("kept-table")
    assert False, "failing on purpose"

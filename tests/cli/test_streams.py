"""``logstore streams``: every stream with ARN, status, view type and shard count, DISABLED ones included."""
from __future__ import annotations

from clihelpers import run, run_json


def test_streams_json_includes_disabled_streams(built):
    rows = {s["arn"]: s for s in run_json("streams", built.path)["streams"]}
    assert set(rows) == {built.users_arn, built.orders_arn, built.old_arn}
    users, orders, old = rows[built.users_arn], rows[built.orders_arn], rows[built.old_arn]
    assert (users["status"], users["view_type"], users["shards"], users["open_shards"]) == (
        "ENABLED", "NEW_AND_OLD_IMAGES", 3, 2)
    assert (orders["view_type"], orders["shards"], orders["key_schema"]) == (
        "KEYS_ONLY", 1, [{"name": "pk", "role": "HASH"}, {"name": "sk", "role": "RANGE"}])
    assert (old["status"], old["shards"], old["open_shards"]) == ("DISABLED", 1, 0)
    assert old["disabled"] is not None and users["disabled"] is None


def test_streams_of_one_table(built):
    assert [s["arn"] for s in run_json("streams", built.path, "--table", "old")["streams"]] == [built.old_arn]
    assert run_json("streams", built.path, "--table", "nope") == {"streams": []}


def test_streams_for_people(built):
    out = run("streams", built.path).stdout
    assert "3 stream(s)" in out
    for text in (built.users_arn, built.old_arn, "DISABLED", "ENABLED", "KEYS_ONLY"):
        assert text in out, text

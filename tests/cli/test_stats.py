"""``logstore stats``: records and bytes per table, stream and shard agree with each other and with ``info``; the
record-age distribution counts every record in the right bucket; page figures add up."""
from __future__ import annotations

import logstore
from clihelpers import START_MS, build_store, run, run_json
from logstore.clock import FakeClock


def test_stats_add_up(built):
    data = run_json("stats", built.path)
    tables = {t["table"]: t for t in data["tables"]}
    assert (tables["users"]["records"], tables["orders"]["records"], tables["old"]["records"]) == (85, 7, 3)
    assert tables["users"]["items"] == 35 and tables["users"]["item_bytes"] > 0
    assert sum(s["records"] for s in data["streams"]) == sum(s["records"] for s in data["shards"]) == 95
    assert sum(s["bytes"] for s in data["streams"]) == sum(s["bytes"] for s in data["shards"]) > 0
    assert sum(b["records"] for b in data["record_ages"]) == 95
    pages = data["pages"]
    assert pages["pages"] >= pages["tree_pages"] + pages["free_pages"]
    dbs = {d["name"]: d for d in pages["databases"]}
    assert dbs["segments"]["entries"] >= 5 and dbs["items"]["entries"] == 35 + 5 + 4
    assert info_records(built.path) == 95


def info_records(path) -> int:
    return run_json("info", path)["records"]


def test_record_ages_fall_in_their_buckets(tmp_path):
    """Records written just now are younger than a minute; records from 2023 (the FakeClock) are over a day old."""
    clock = FakeClock(START_MS)
    built = build_store(tmp_path / "store", clock)
    with logstore.open(built.path, durable=False) as store:   # the system clock: these records are new
        for i in range(3):
            store.put_item(TableName="orders", Item={"pk": {"S": "now"}, "sk": {"N": str(i)}})
    ages = {b["age"]: b["records"] for b in run_json("stats", built.path)["record_ages"]}
    assert ages["< 1m"] == 3 and ages["> 24h"] == 95
    assert sum(ages.values()) == 98


def test_stats_for_people(built):
    out = run("stats", built.path).stdout
    for text in ("tables", "streams", "shards", "record ages", "> 24h", "pages of", "free", "segments",
                 built.parent_shard):
        assert text in out, text

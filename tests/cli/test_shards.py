"""``logstore shards``: each stream's lineage as a tree, with state, ranges, counts, bytes, age and trim point."""
from __future__ import annotations

import logstore
from clihelpers import START_MS, build_store, run, run_json
from logstore.clock import FakeClock


def test_shards_json_describes_the_lineage(built):
    streams = {s["stream_arn"]: s for s in run_json("shards", built.path)["streams"]}
    users = {s["shard_id"]: s for s in streams[built.users_arn]["shards"]}
    parent = users[built.parent_shard]
    assert parent["open"] is False and parent["parent_shard_id"] is None
    assert parent["records"] == 40 and parent["bytes"] > 0 and parent["segments"] >= 1
    assert parent["ending_sequence_number"] is not None
    children = [users[c] for c in built.child_shards]
    assert all(c["open"] and c["parent_shard_id"] == built.parent_shard for c in children)
    assert sum(c["records"] for c in children) == 45
    assert children[0]["hash_range"][1] == children[1]["hash_range"][0]
    assert int(children[0]["starting_sequence_number"]) > int(parent["ending_sequence_number"])
    assert parent["trim_sequence_number"] is None
    assert [s["records"] for s in streams[built.old_arn]["shards"]] == [3]


def test_shards_tree_for_people(built):
    out = run("shards", built.path, "--stream", built.users_arn).stdout
    lines = out.splitlines()
    assert lines[0].startswith(built.users_arn)
    parent_line = next(i for i, line in enumerate(lines) if built.parent_shard in line)
    child_lines = [i for i, line in enumerate(lines) if any(c in line for c in built.child_shards)]
    assert len(child_lines) == 2 and all(i > parent_line for i in child_lines)
    assert "closed" in lines[parent_line] and "40 records" in lines[parent_line]
    indent = lambda line: len(line) - len(line.lstrip(" │├└─"))  # noqa: E731
    assert all(indent(lines[i]) > indent(lines[parent_line]) for i in child_lines)
    assert built.orders_arn not in out


def test_shards_show_the_trim_point_and_age(tmp_path):
    clock = FakeClock(START_MS)
    built = build_store(tmp_path / "store", clock)
    clock.advance(25 * 3600 * 1000 - 40_000)   # the parent's records (the first 40 s) pass retention
    with logstore.open(built.path, clock=clock, durable=False) as store:
        store.maintain()
    streams = {s["stream_arn"]: s for s in run_json("shards", built.path)["streams"]}
    shards = streams[built.users_arn]["shards"]
    trimmed = [s for s in shards if s["trim_sequence_number"]]
    assert trimmed, shards
    assert any("trimmed below" in line for line in run("shards", built.path).stdout.splitlines())

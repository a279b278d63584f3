"""The recipes in docs/recipes run as documented and do what they say."""
from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logstore.processors import Processor
from remote_adapter import embedded_client

RECIPES = Path(__file__).resolve().parents[2] / "docs" / "recipes"


def recipe(name: str):
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", RECIPES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_materialized_aggregate(tmp_path):
    assert recipe("materialized_aggregate").main(str(tmp_path / "s")) == {"alice": (50, 2)}


def test_filter_trigger(tmp_path):
    assert recipe("filter_trigger").main(str(tmp_path / "s")) == ["o2"]


def test_audit_archive_survives_a_cut_tail_and_a_repeated_batch(tmp_path):
    mod = recipe("audit_archive")
    records = mod.main(str(tmp_path))
    assert len(records) == 1000 and len({r["eventID"] for r in records}) == 1000
    archive = tmp_path / "archive"
    [path] = archive.iterdir()
    with gzip.open(path, "rt") as f:                      # plain gzip tools read it
        assert len(f.read().splitlines()) == 1000
    data = path.read_bytes()
    first_member = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records[:10]))
    path.write_bytes(data + first_member + first_member[:len(first_member) // 2])  # a repeat, then a torn one
    again = mod.read_archive(str(archive))
    assert [r["eventID"] for r in again] == [r["eventID"] for r in records]


def test_replicate_embedded(tmp_path):
    want, got = recipe("replicate").main(str(tmp_path))
    assert got == want and len(got) == 66


def test_replicate_from_a_remote_stream(tmp_path, open_store, processors):
    mod = recipe("replicate")
    source, replica = open_store(tmp_path / "source"), open_store(tmp_path / "replica")
    source.create_table(TableName="users", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    mod.ensure_table(source.describe_table(TableName="users"), replica)
    for i in range(30):
        source.put_item(TableName="users", Item={"pk": {"S": f"u{i}"}, "blob": {"B": os.urandom(3)}})
    source.delete_item(TableName="users", Key={"pk": {"S": "u5"}})
    processors(Processor.remote(embedded_client(source), "users", mod.users, replica)).wait_idle()
    key = lambda i: i["pk"]["S"]  # noqa: E731
    assert sorted(replica.scan(TableName="users")["Items"], key=key) == sorted(
        source.scan(TableName="users")["Items"], key=key)


@pytest.mark.parametrize("name", ["materialized_aggregate", "filter_trigger", "audit_archive", "replicate"])
def test_recipes_run_as_scripts(name, tmp_path):
    result = subprocess.run([sys.executable, str(RECIPES / f"{name}.py"), str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

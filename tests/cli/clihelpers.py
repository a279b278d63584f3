"""Shared by the inspection-command tests (tests/cli): building stores through the engine (``logstore.open`` and
its boto3-style methods, with a FakeClock), running a command, and writing to LMDB directly to inject faults.
Test modules import from here (``from clihelpers import ...``); conftest.py turns parts into fixtures.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import lmdb
from click.testing import CliRunner

import logstore
from logstore.clock import FakeClock
from logstore.cli import main

START_MS = 1_700_000_000_000
_U64 = struct.Struct(">Q")


@dataclass
class Built:
    """What ``build_store`` made: the path and the facts the tests check output against."""

    path: str
    users_arn: str
    orders_arn: str
    old_arn: str
    users_records: int
    orders_records: int
    old_records: int
    users_items: int
    parent_shard: str
    child_shards: list


def create(store, name: str, view_type: str | None, range_key: bool = False) -> str | None:
    key_schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        key_schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
    request = dict(TableName=name, KeySchema=key_schema, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST")
    if view_type:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    return store.create_table(**request)["TableDescription"].get("LatestStreamArn")


def build_store(path, clock: FakeClock | None = None) -> Built:
    """Three tables: ``users`` (NEW_AND_OLD_IMAGES; 40 inserts, a split, 40 modifies, 5 removes, a binary
    attribute and a longer note, so each shard has several segments), ``orders`` (KEYS_ONLY, hash and range key; 6 inserts, 1 remove) and ``old`` (a stream that was
    disabled: DISABLED but retained; 3 inserts before, 1 after). The clock moves 1 s per write."""
    clock = clock or FakeClock(START_MS)
    with logstore.open(path, clock=clock, durable=False) as store:
        users = create(store, "users", "NEW_AND_OLD_IMAGES")
        orders = create(store, "orders", "KEYS_ONLY", range_key=True)
        old = create(store, "old", "NEW_IMAGE")
        for i in range(40):
            clock.advance(1000)
            store.put_item(TableName="users", Item={"pk": {"S": f"user-{i}"}, "n": {"N": str(i)}})
        parent = store.describe_stream(StreamArn=users)["StreamDescription"]["Shards"][0]["ShardId"]
        children = [s["ShardId"] for s in store.split_shard(StreamArn=users, ShardId=parent)["Shards"]]
        for i in range(40):
            clock.advance(1000)
            store.put_item(TableName="users", Item={"pk": {"S": f"user-{i}"}, "n": {"N": str(i + 100)},
                                                    "b": {"B": bytes([i, 0, 255])}, "note": {"S": "z" * 150}})
        for i in range(5):
            clock.advance(1000)
            store.delete_item(TableName="users", Key={"pk": {"S": f"user-{i}"}})
        for i in range(6):
            clock.advance(1000)
            store.put_item(TableName="orders", Item={"pk": {"S": f"cust-{i % 2}"}, "sk": {"N": str(i)}})
        store.delete_item(TableName="orders", Key={"pk": {"S": "cust-0"}, "sk": {"N": "0"}})
        for i in range(3):
            clock.advance(1000)
            store.put_item(TableName="old", Item={"pk": {"S": f"o{i}"}})
        store.update_table(TableName="old", StreamSpecification={"StreamEnabled": False})
        store.put_item(TableName="old", Item={"pk": {"S": "after"}})
    return Built(str(path), users, orders, old, 85, 7, 3, 35, parent, children)


def run(*args, ok_codes=(0,)):
    """Run ``logstore ARGS`` in-process; assert the exit code is one of ``ok_codes``; return the result."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in ok_codes, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    return result


def run_json(*args, ok_codes=(0,)):
    return json.loads(run(*args, "--json", ok_codes=ok_codes).stdout)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Raw:
    """The store's LMDB environment opened directly (not through logstore), to inject faults. Context manager."""

    def __init__(self, path):
        self.env = lmdb.open(str(path), subdir=True, max_dbs=64, map_size=1 << 30)

    def db(self, name: str):
        return self.env.open_db(name.encode(), create=False)

    def __enter__(self) -> "Raw":
        return self

    def __exit__(self, *exc) -> None:
        self.env.close()

    def items(self, name: str) -> list[tuple[bytes, bytes]]:
        with self.env.begin(db=self.db(name)) as txn:
            return [(bytes(k), bytes(v)) for k, v in txn.cursor()]

    def put(self, name: str, key: bytes, value: bytes) -> None:
        with self.env.begin(write=True, db=self.db(name)) as txn:
            txn.put(key, value)

    def delete(self, name: str, key: bytes) -> None:
        with self.env.begin(write=True, db=self.db(name)) as txn:
            assert txn.delete(key)


def u64(n: int) -> bytes:
    return _U64.pack(n)

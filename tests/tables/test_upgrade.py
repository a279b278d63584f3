"""The v1 -> v2 upgrade (tables/upgrade.py over storage/upgrade.py), on a store really written by the v1 code.

``tests/fixtures/v1_store.tar.gz`` was written by logstore at commit 0433f22 (format version 1) with
``tests/fixtures/make_v1_store.py``, which also recorded in ``v1_expected.json`` what the v1 code read back:
every table's items and description, queries in both directions (including long keys that change LMDB key in
v2), every stream's shards and records, and a processor's checkpoints. After the upgrade the new code must read
back exactly that, ``logstore check`` must be clean, and a SIGKILL at any point of an upgrade followed by a rerun
must end in the same store. Until upgraded, the store is refused by every open, unchanged.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import msgpack
import pytest
from click.testing import CliRunner

import logstore
from logstore.cli import main as cli
from logstore.clock import FakeClock
from logstore.errors import FormatVersionError
from logstore.storage import FORMAT_VERSION
from logstore.stream import StreamPolicy
from logstore.tables.upgrade import upgrade

FIXTURES = Path(__file__).parent.parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "v1_expected.json").read_text())
ROOT = Path(__file__).parent.parent.parent


def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return {"__b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def roundtrip(value):
    """``plain`` then through JSON, as the expectations were stored (datetimes as text, tuples as lists)."""
    return json.loads(json.dumps(plain(value), default=str))


@pytest.fixture
def v1_store(tmp_path) -> Path:
    with tarfile.open(FIXTURES / "v1_store.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "v1_store"


def digest(path: Path) -> str:
    return hashlib.sha256((path / "data.mdb").read_bytes()).hexdigest()


def open_upgraded(path: Path):
    return logstore.open(path, clock=FakeClock(EXPECTED["now_ms"]), durable=False,
                         stream_policy=StreamPolicy(split_rate=None, initial_partitions=2))


def all_records(store, arn: str) -> dict:
    out = {}
    desc = store.describe_stream(StreamArn=arn)["StreamDescription"]
    for shard in desc["Shards"]:
        it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = []
        for _ in range(1000):
            page = store.get_records(ShardIterator=it, Limit=1000)
            records += page["Records"]
            it = page.get("NextShardIterator")
            if not it or not page["Records"]:
                break
        out[shard["ShardId"]] = records
    return {"shards": desc["Shards"], "records": out, "status": desc["StreamStatus"]}


DESCRIBED = ("TableName", "KeySchema", "AttributeDefinitions", "ItemCount", "TableSizeBytes", "TableArn",
             "TableId", "CreationDateTime", "LatestStreamArn", "LatestStreamLabel", "StreamSpecification")


def assert_reads_back_as_v1(store) -> None:
    assert sorted(store.list_tables()["TableNames"]) == sorted(EXPECTED["tables"])
    for name, want in EXPECTED["tables"].items():
        desc = roundtrip(store.describe_table(TableName=name)["Table"])
        expected = dict(want["describe"])
        # AttributeDefinitions are described in AWS's name order (render.py); the v1 code gave request order
        expected["AttributeDefinitions"] = sorted(expected["AttributeDefinitions"], key=lambda d: d["AttributeName"])
        assert {k: desc.get(k) for k in DESCRIBED} == {k: expected.get(k) for k in DESCRIBED}, name
        items, start = [], None
        while True:
            page = store.scan(TableName=name, Limit=5, **({"ExclusiveStartKey": start} if start else {}))
            items += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        key = lambda i: json.dumps(i, sort_keys=True)  # noqa: E731
        assert sorted(roundtrip(items), key=key) == sorted(want["items"], key=key), name
    for label, want in EXPECTED["queries"].items():
        table, _, _, forward = label.split("|")
        if table == "indexed":
            continue    # index queries: test_upgrade_builds_the_indexes_v1_defined
        hash_name = "pk" if table == "events" else "h"
        value = next(i[hash_name] for i in want) if want else None
        page = store.query(TableName=table, KeyConditionExpression="#h = :h", ScanIndexForward=forward == "True",
                           ExpressionAttributeNames={"#h": hash_name}, ExpressionAttributeValues={":h": value})
        assert roundtrip(page["Items"]) == want, label      # exact order, long keys included
    streams = {s["StreamArn"] for s in store.list_streams()["Streams"]}
    assert streams == set(EXPECTED["streams"])
    for arn, want in EXPECTED["streams"].items():
        got, want = roundtrip(all_records(store, arn)), copy.deepcopy(want)
        # eventIDs are keyed by a per-store key since version 2 (stream/ids.py), which a v1 store did not have:
        # its records get new ids, stable from then on (docs/format.md, "Version 2 and the upgrade")
        for records in (got["records"], want["records"]):
            for shard in records.values():
                for record in shard:
                    record.pop("eventID")
        assert got == want, arn
    from logstore.processors.checkpoints import DB_NAME, decode
    db = store.env.db(DB_NAME)
    with store.env.begin_read() as txn:
        got = [[bytes(k).decode(), bytes(v)] for k, v in txn.cursor(db=db)]
    assert [k for k, _ in got] == [k for k, _ in EXPECTED["checkpoints"]]
    for (key, raw), (_, want) in zip(got, EXPECTED["checkpoints"]):
        shard_id = key.rsplit("\0", 1)[1]
        # v1 stored the checkpoint unsealed; v2 the same body sealed under its key
        v1 = base64.b64decode(want["__b64"])
        assert raw[4:] == v1
        cp = decode(key.encode(), shard_id, raw)
        assert [1, cp.after, cp.done, cp.updated_ms, cp.start] == msgpack.unpackb(v1)


def assert_check_is_clean(path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


def test_a_v1_store_is_refused_unchanged_and_names_the_upgrade(v1_store):
    before = digest(v1_store)
    for readonly in (False, True):
        with pytest.raises(FormatVersionError, match=r"format version 1.*`logstore upgrade .*v1_store`"):
            logstore.open(v1_store, readonly=readonly)
    result = CliRunner().invoke(cli, ["info", str(v1_store)])
    assert result.exit_code == 2 and "logstore upgrade" in result.output
    assert digest(v1_store) == before


def test_upgrade_reads_back_everything_the_v1_code_wrote(v1_store):
    report = upgrade(v1_store)
    assert (report.from_version, report.to_version) == (1, FORMAT_VERSION)
    assert set(report.batches) >= {"items: bounded keys, sealed values", "items: place moved items"}
    with open_upgraded(v1_store) as store:
        assert_reads_back_as_v1(store)
        # and the upgraded store is an ordinary v2 store: long keys beyond v1's limit now work
        store.put_item(TableName="longkeys", Item={"h": {"S": "h"}, "r": {"S": "r" * 1024}})
        page = store.query(TableName="longkeys", KeyConditionExpression="h = :h",
                           ExpressionAttributeValues={":h": {"S": "h"}})
        ranges = [i["r"]["S"] for i in page["Items"]]
        assert ranges == sorted(ranges) and "r" * 1024 in ranges
    assert_check_is_clean(v1_store)
    assert upgrade(v1_store).already_current


def test_upgrade_builds_the_indexes_v1_defined(v1_store):
    upgrade(v1_store)
    with open_upgraded(v1_store) as store:
        for label, want in EXPECTED["queries"].items():
            table, index, value, forward = label.split("|")
            if table != "indexed":
                continue
            name = "g" if index == "by_g" else "pk"
            page = store.query(TableName=table, IndexName=index, KeyConditionExpression="#h = :h",
                               ExpressionAttributeNames={"#h": name}, ExpressionAttributeValues={":h": {"S": value}},
                               ScanIndexForward=forward == "True")
            assert roundtrip(page["Items"]) == want, label
        # TTL set in v1 still expires items: those of "indexed" expire three days after the fixture's start
        store.clock.set(EXPECTED["start_ms"] + 4 * 24 * 3600 * 1000)
        store.maintain()
        left = store.scan(TableName="indexed")["Items"]
        assert len(left) == 30 - 5 and all("ttl" not in i for i in left)


def test_open_with_upgrade_true_upgrades_first(v1_store):
    with logstore.open(v1_store, upgrade=True, clock=FakeClock(EXPECTED["now_ms"]), durable=False) as store:
        assert_reads_back_as_v1(store)


def test_the_cli_command_upgrades_and_reports(v1_store, tmp_path):
    result = CliRunner().invoke(cli, ["upgrade", str(v1_store), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["from_version"], out["to_version"], out["already_current"]) == (1, FORMAT_VERSION, False)
    again = CliRunner().invoke(cli, ["upgrade", str(v1_store)])
    assert again.exit_code == 0 and "already at format version" in again.output
    missing = CliRunner().invoke(cli, ["upgrade", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "not a logstore store" in missing.output
    assert not (tmp_path / "nothing").exists()
    with open_upgraded(v1_store) as store:
        assert_reads_back_as_v1(store)


KILLER = """
import os, signal, sys
from logstore.tables.upgrade import upgrade
path, after = sys.argv[1], int(sys.argv[2])
count = 0
def on_batch(step, n):
    global count
    count += 1
    if count == after:
        os.kill(os.getpid(), signal.SIGKILL)
upgrade(path, batch=int(sys.argv[3]), on_batch=on_batch)
print("finished", count)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 9, 40, 79, 85])
def test_sigkill_in_the_middle_then_a_rerun_finishes_it(v1_store, kill_after):
    """With one entry per batch the upgrade takes ~90 transactions; a SIGKILL after the k-th commit leaves a store
    that every ordinary open still refuses and that a rerun finishes, reading back as v1 wrote it."""
    proc = subprocess.run([sys.executable, "-c", KILLER, str(v1_store), str(kill_after), "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, (proc.stdout, proc.stderr)   # it took more batches than that
    with pytest.raises(FormatVersionError, match="logstore upgrade"):
        logstore.open(v1_store)
    report = upgrade(v1_store, batch=3)
    assert not report.already_current and report.resumed_at is not None
    with open_upgraded(v1_store) as store:
        assert_reads_back_as_v1(store)
    assert_check_is_clean(v1_store)
    with logstore.open(v1_store, readonly=True) as store:   # no holding database left behind
        with store.env.begin_read() as txn:
            names = {bytes(k) for k, _ in txn.cursor()}
        assert b"upgrade_items" not in names

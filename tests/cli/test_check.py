"""``logstore check``: nothing found in healthy stores (also after retention trimmed and dropped things, and while
another real process writes); every injected fault found, with where it is, and exit status 1.

Faults are written into the store's LMDB directly (clihelpers.Raw; real LMDB, no mocks): a flipped byte in a
segment, a deleted segment, a shard whose parent is missing, a sequence regression (a segment rewritten, with
valid checksums, to start at the previous segment's last number), and an item that disagrees with its latest
record. Which segment and which byte are chosen at random; the seed is printed.
"""
from __future__ import annotations

import os
import random
import struct
from pathlib import Path

import msgpack
import pytest

import logstore
from clihelpers import START_MS, Raw, build_store, run, run_json, u64
from liveprocs import Proc
from logstore import codec
from logstore.clock import FakeClock
from logstore.storage.sealed import SEAL_BYTES, seal, unseal
from logstore.stream import StreamPolicy

U64_MAX = 0xFFFFFFFFFFFFFFFF
STORAGE_PROCS = Path(__file__).resolve().parents[1] / "storage" / "procs"


def shard_records(raw: Raw) -> dict[str, list]:
    """shard id -> the stored shard array (docs/format.md, "Shards"; the value is sealed)."""
    return {v[2]: v for v in (msgpack.unpackb(value[SEAL_BYTES:]) for _key, value in raw.items("shards"))}


def put_shard_record(raw: Raw, rec: list) -> None:
    """Store a (changed, well-formed) shard array sealed, as the catalogue writes it."""
    raw.put("shards", u64(rec[0]), seal(u64(rec[0]), msgpack.packb(rec)))


def segments_of(raw: Raw, shard_no: int) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in raw.items("segments") if struct.unpack(">Q", k[:8])[0] == shard_no]


def shard_with_segments(raw: Raw, built, n: int = 2, avoid: set = frozenset()) -> tuple[int, str]:
    """A shard with at least ``n`` segments, not in ``avoid`` (which it joins, so faults land apart)."""
    for shard_id, rec in sorted(shard_records(raw).items()):
        if rec[0] not in avoid and len(segments_of(raw, rec[0])) >= n:
            if isinstance(avoid, set):
                avoid.add(rec[0])
            return rec[0], shard_id
    raise AssertionError("no shard with enough segments")


# -- the faults: each returns what check must report (kind, location fields, text in the message) -------------

def flip_byte(raw: Raw, built, rng: random.Random, avoid: set = frozenset()) -> dict:
    shard_no, shard_id = shard_with_segments(raw, built, 1, avoid)
    key, value = rng.choice(segments_of(raw, shard_no))
    at = rng.randrange(len(value))
    damaged = bytearray(value)
    damaged[at] ^= 1 << rng.randrange(8)
    raw.put("segments", key, bytes(damaged))
    print(f"flipped a bit of byte {at} of shard {shard_no} segment {struct.unpack('>Q', key[8:])[0]}")
    return {"kind": "segment", "shard": shard_no, "segment": struct.unpack(">Q", key[8:])[0]}


def delete_segment(raw: Raw, built, rng: random.Random, avoid: set = frozenset()) -> dict:
    shard_no, shard_id = shard_with_segments(raw, built, 2, avoid)
    segs = segments_of(raw, shard_no)
    i = rng.randrange(len(segs) - 1)   # not the last: nothing but the sequence numbers can tell it is gone
    raw.delete("segments", segs[i][0])
    print(f"deleted segment {i} of {len(segs)} of shard {shard_no}")
    return {"kind": "order", "shard": shard_no, "text": "records are missing"}


def orphan_shard(raw: Raw, built, rng: random.Random) -> dict:
    rec = shard_records(raw)[built.child_shards[rng.randrange(2)]]
    rec[3], rec[4] = 999, "shardId-00000001700000000000-000003e7"   # parent_no, parent_id: no such shard
    put_shard_record(raw, rec)
    return {"kind": "lineage", "shard": rec[0], "text": "parent shard 999"}


def sequence_regression(raw: Raw, built, rng: random.Random, avoid: set = frozenset()) -> dict:
    shard_no, _ = shard_with_segments(raw, built, 2, avoid)
    segs = segments_of(raw, shard_no)
    i = rng.randrange(1, len(segs))
    prev_last = struct.unpack(">Q", segs[i - 1][0][8:])[0]
    records = codec.decode(segs[i][1])
    records[0] = (prev_last, records[0][1], records[0][2])   # valid segment, but it starts at an earlier number
    raw.put("segments", segs[i][0], codec.encode(*zip(*records)))
    return {"kind": "order", "shard": shard_no, "segment": struct.unpack(">Q", segs[i][0][8:])[0],
            "text": "sequence regression"}


def wrong_item(raw: Raw, built, rng: random.Random) -> dict:
    """An item changed and sealed again (its checksum is right): only the change log can tell."""
    key, value = next((k, v) for k, v in raw.items("items") if b"user-20" in k)
    item = msgpack.unpackb(unseal(key, value, "test"))
    item["n"] = {"N": "-1"}
    raw.put("items", key, seal(key, msgpack.packb(item, use_bin_type=True)))
    return {"kind": "items", "table": "users", "text": "differs from the NewImage"}


def damaged_item(raw: Raw, built, rng: random.Random) -> dict:
    """One bit of an item's stored value flipped: its checksum fails."""
    key, value = rng.choice([(k, v) for k, v in raw.items("items") if b"user-" in k])
    at = rng.randrange(len(value))
    raw.put("items", key, value[:at] + bytes([value[at] ^ (1 << rng.randrange(8))]) + value[at + 1:])
    return {"kind": "items", "table": "users", "text": "damaged item: checksum mismatch"}


FAULTS = [flip_byte, delete_segment, orphan_shard, sequence_regression, wrong_item, damaged_item]


def found(problems: list[dict], expected: dict) -> bool:
    return any(p["kind"] == expected["kind"]
               and all(p.get(k) == v for k, v in expected.items() if k not in ("kind", "text"))
               and expected.get("text", "") in p["message"] for p in problems)


def test_a_healthy_store_has_no_problems(built):
    data = run_json("check", built.path)
    assert data["ok"] is True and data["problems"] == []
    assert data["checked"]["records"] == 95 and data["checked"]["keys_compared"] == 40 + 6   # users and orders; old is DISABLED
    out = run("check", built.path).stdout
    assert "no problems" in out and "95 records" in out


def test_no_problems_after_retention_trimmed_and_dropped(tmp_path):
    clock = FakeClock(START_MS)
    built = build_store(tmp_path / "store", clock)
    with logstore.open(built.path, clock=clock, durable=False) as store:
        clock.advance(25 * 3600 * 1000 - 40_000)   # the users parent's records expire; others do not yet
        store.maintain()
        store.put_item(TableName="users", Item={"pk": {"S": "late"}})
        clock.advance(48 * 3600 * 1000)             # everything expires: shards and the disabled stream go
        store.maintain()
        store.put_item(TableName="users", Item={"pk": {"S": "later"}})
    data = run_json("check", built.path)
    assert data["problems"] == [], data["problems"]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__)
def test_each_fault_is_found_and_located(built, seed, fault):
    with Raw(built.path) as raw:
        expected = fault(raw, built, random.Random(seed))
    data = run_json("check", built.path, ok_codes=(1,))
    assert data["ok"] is False
    assert found(data["problems"], expected), (expected, data["problems"])
    out = run("check", built.path, ok_codes=(1,)).stdout
    assert "PROBLEM" in out and "problem(s)" in out


def test_every_fault_at_once_is_found(tmp_path, seed):
    built = build_store(tmp_path / "store")
    rng = random.Random(seed)
    with Raw(built.path) as raw:
        used: set[int] = set()   # each segment fault in a shard of its own, so none hides another
        expected = [wrong_item(raw, built, rng), orphan_shard(raw, built, rng),
                    sequence_regression(raw, built, rng, used), delete_segment(raw, built, rng, used),
                    flip_byte(raw, built, rng, used)]
    data = run_json("check", built.path, ok_codes=(1,))
    missing = [e for e in expected if not found(data["problems"], e)]
    assert not missing, (missing, data["problems"])
    lines = [line for line in run("check", built.path, ok_codes=(1,)).stdout.splitlines() if "PROBLEM" in line]
    assert len(lines) == len(data["problems"]) >= len(expected)


def test_metadata_faults(built):
    with Raw(built.path) as raw:
        recs = shard_records(raw)
        parent = recs[built.parent_shard]
        parent[9] = parent[9] + 1000          # the closed parent's end no longer matches its log
        put_shard_record(raw, parent)
        counters = dict(raw.items("counters"))
        raw.put("counters", b"seq", struct.pack("<Q", 5))   # the sequence counter below numbers in use
        assert counters
    problems = run_json("check", built.path, ok_codes=(1,))["problems"]
    messages = " | ".join(p["message"] for p in problems)
    assert "its log ends at" in messages or "not above its parent" in messages, messages
    assert "sequence counter hands out 5 next" in messages


def test_no_items_skips_only_the_item_comparison(built):
    with Raw(built.path) as raw:
        wrong_item(raw, built, random.Random(0))
    assert run_json("check", built.path, "--no-items")["ok"] is True
    assert run_json("check", built.path, ok_codes=(1,))["ok"] is False


def test_check_while_another_process_writes(tmp_path):
    """Each check sees one committed state: never a false problem while a writer splits shards and writes."""
    path = tmp_path / "store"
    seen = []   # records each check counted: checks must have run in the middle of the writing
    with Proc.writer(path, "--table", "live", "--items", 120, "--rounds", 3, "--split-at", 40, "--pause-ms", 2,
                     workdir=tmp_path) as writer:
        writer.expect("W 5")
        while writer.proc.poll() is None:
            data = run_json("check", path, ok_codes=(0, 1))
            assert data["problems"] == [], data["problems"]
            seen.append(data["checked"]["records"])
        writer.expect("DONE", timeout=120)
        assert writer.wait() == 0, writer.stderr()
    final = run_json("check", path)
    assert final["ok"] and final["checked"]["records"] == 3 * 120
    assert len({n for n in seen if 0 < n < 360}) >= 2, seen


def random_history(path, rng: random.Random) -> list[str]:
    """A random life of a store through the engine: writes, deletes, splits, rollovers (clock jumps past 4 h),
    stream disable/enable, table delete/recreate, maintenance with retention. Returns what it did."""
    from clihelpers import create
    clock = FakeClock(START_MS)
    did = []
    with logstore.open(path, clock=clock, durable=False) as store:
        create(store, "aaa", "NEW_AND_OLD_IMAGES")
        create(store, "bbb", "KEYS_ONLY", range_key=True)
        for _ in range(int(os.environ.get("LOGSTORE_HISTORY_OPS", 100))):
            op = rng.choices(["put", "delete", "split", "jump", "maintain", "toggle", "recreate"],
                             weights=[40, 10, 5, 8, 8, 4, 2])[0]
            did.append(op)
            if op == "put":
                with store.batch() as batch:
                    for _ in range(rng.randint(1, 20)):
                        k = rng.randrange(30)
                        batch.put_item(TableName="aaa", Item={"pk": {"S": f"k{k}"}, "v": {"N": str(rng.randrange(5))}})
                        batch.put_item(TableName="bbb", Item={"pk": {"S": f"k{k % 3}"}, "sk": {"N": str(k)}})
            elif op == "delete":
                store.delete_item(TableName="aaa", Key={"pk": {"S": f"k{rng.randrange(30)}"}})
            elif op == "split":
                for arn in [s["StreamArn"] for s in store.list_streams(TableName="aaa")["Streams"]]:
                    desc = store.describe_stream(StreamArn=arn)["StreamDescription"]
                    open_ = [s["ShardId"] for s in desc["Shards"]
                             if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
                    if desc["StreamStatus"] == "ENABLED" and open_:
                        store.split_shard(StreamArn=arn, ShardId=rng.choice(open_))
            elif op == "jump":
                clock.advance(rng.choice([60_000, 5 * 3600_000, 13 * 3600_000, 25 * 3600_000]))
            elif op == "maintain":
                store.maintain()
            elif op == "toggle":
                enabled = "StreamSpecification" in store.describe_table(TableName="aaa")["Table"]
                store.update_table(TableName="aaa", StreamSpecification={"StreamEnabled": not enabled,
                                                                       **({} if enabled else {"StreamViewType":
                                                                                              "NEW_IMAGE"})})
            elif op == "recreate":
                store.delete_table(TableName="bbb")
                create(store, "bbb", "KEYS_ONLY", range_key=True)
            clock.advance(rng.randint(0, 2000))
    return did


@pytest.mark.parametrize("run_no", range(4))
def test_random_healthy_stores_have_no_problems(tmp_path, seed, run_no):
    rng = random.Random(seed + run_no)
    did = random_history(tmp_path / "store", rng)
    data = run_json("check", tmp_path / "store", ok_codes=(0, 1))
    assert data["problems"] == [], (f"seed {seed} run {run_no}", did, data["problems"])


def test_check_and_info_while_a_writer_holds_the_write_lock(tmp_path):
    """Inspection never takes the writer lock: with a writer process stopped inside its write transaction (and
    holding the lock), check and info run to the end and see the last committed state. The writer here is the
    storage-core one of tests/storage/procs (a store without tables or streams: check judges its segments)."""
    path = tmp_path / "store"
    with Proc([STORAGE_PROCS / "batch_writer.py", path, "--batches", 3, "--batch-size", 10, "--pause-ms", 0,
            "--hang"], workdir=tmp_path, name="batch_writer") as writer:
        writer.expect("HANG")   # inside a write transaction that never commits
        data = run_json("check", path)
        assert data["ok"] and data["checked"]["records"] == 30 and data["checked"]["storage_only"]
        info = run_json("info", path)
        assert (info["tables"], info["shard_logs"], info["records"]) == (0, 1, 30)
        assert "a storage-core store" in run("check", path).stdout


@pytest.mark.parametrize("database", ["shards", "streams", "tables"])
@pytest.mark.parametrize("sealed", [True, False], ids=["sealed-garbage", "unsealed-garbage"])
def test_a_catalogue_entry_that_does_not_decode_is_a_finding(built, database, sealed):
    with Raw(built.path) as raw:
        key, _ = raw.items(database)[0]
        raw.put(database, key, seal(key, b"\xc1 not msgpack") if sealed else b"\xc1 not msgpack")
    data = run_json("check", built.path, ok_codes=(1,))
    want = "does not decode" if sealed else "checksum mismatch"
    assert any(want in p["message"] and f"{database} entry" in p["message"] for p in data["problems"]), \
        data["problems"]


def test_the_store_records_its_stream_policy_and_check_judges_by_it(tmp_path):
    clock = FakeClock(START_MS)
    path = tmp_path / "s"
    policy = StreamPolicy(retention_ms=10 * 60_000, rollover_ms=5 * 60_000)
    with logstore.open(path, clock=clock, durable=False, stream_policy=policy, index_builds=False) as store:
        _table(store, "tab")
        for i in range(8):   # shards roll every 5 minutes and expire after 10: old parents are dropped
            store.put_item(TableName="tab", Item={"pk": {"S": f"k{i}"}})
            clock.advance(3 * 60_000)
            store.maintain()
        store.put_item(TableName="tab", Item={"pk": {"S": "last"}})
    with logstore.open(path, clock=clock, durable=False, index_builds=False) as store:
        assert store.streams.policy == policy                      # opened without one: the recorded one
    data = run_json("check", path)
    assert data["problems"] == [], data["problems"]
    with logstore.open(path, clock=clock, durable=False, index_builds=False, stream_policy=StreamPolicy()) as store:
        pass                                                        # records the default (24 h) instead
    data = run_json("check", path, ok_codes=(1,))
    assert any(p["kind"] == "lineage" for p in data["problems"]), data["problems"]


def _table(store, name: str) -> None:
    store.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})

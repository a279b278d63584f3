"""Regressions (issue 18): damaged files are reported, never a crash or a hang. Each case runs the commands in a
child process with a time bound, so a SIGBUS, an abort or an endless loop fails the test instead of the run:
* a data.mdb truncated short of its pages in use (was: SIGBUS in check, info, records and a running server);
* a zeroed leaf page (was: LMDB's IS_LEAF assertion, SIGABRT);
* a segments branch page whose child pointer points back at itself (was: check and info looping at 100 % CPU),
  and one whose keys are out of order (was: GetRecords serving the shard as empty).
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys

import pytest

import logstore
from logstore.errors import CorruptionError
from logstore.storage import SegmentPolicy, pages

TIMEOUT = 60


def run(*argv: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """A child python process; a crash is a negative status, a hang a TimeoutExpired: both fail the test."""
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=timeout)


def cli(*args: str) -> subprocess.CompletedProcess:
    return run("-m", "logstore", *args)


READ = """
import sys, logstore
from logstore.errors import CorruptionError
try:
    with logstore.open(sys.argv[1], readonly=sys.argv[2] == "ro") as db:
        for s in db.list_streams()["Streams"]:
            for sh in db.describe_stream(StreamArn=s["StreamArn"])["StreamDescription"]["Shards"]:
                it = db.get_shard_iterator(StreamArn=s["StreamArn"], ShardId=sh["ShardId"],
                                           ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                print("records", len(db.get_records(ShardIterator=it)["Records"]))
except CorruptionError as e:
    print("CorruptionError", e)
"""


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A store with one segment per record (so the segments database has branch pages), closed."""
    path = tmp_path_factory.mktemp("damaged") / "store"
    with logstore.open(path, segment_policy=SegmentPolicy(extend_below=0, max_segment_records=1)) as db:
        db.create_table(TableName="dmg", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST",
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        for i in range(400):
            db.put_item(TableName="dmg", Item={"pk": {"S": f"k{i}"}, "v": {"S": "v" * 40}})
    os.remove(path / "lock.mdb")
    return path


def copy(pristine, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(pristine, dst)
    return dst


def assert_reported(path, expect: str) -> None:
    for mode in ("rw", "ro"):
        r = run("-c", READ, str(path), mode)
        assert r.returncode == 0, (mode, r.returncode, r.stderr[-2000:])
        assert r.stdout.startswith("CorruptionError") and expect in r.stdout, (mode, r.stdout)
    r = cli("check", str(path))
    assert r.returncode == 1 and "PROBLEM" in r.stdout and expect in r.stdout, (r.returncode, r.stdout, r.stderr)
    for command in ("info", "records"):
        r = cli(command, str(path)) if command == "info" else cli(command, str(path), "--table", "dmg")
        assert r.returncode == 2 and expect in r.stderr, (command, r.returncode, r.stdout, r.stderr[-2000:])


def test_truncated_data_file_is_refused_not_sigbus(pristine, tmp_path):
    path = copy(pristine, tmp_path)
    data = path / "data.mdb"
    size = os.path.getsize(data)
    with open(data, "r+b") as f:
        f.truncate(size - 4 * 4096)
    assert_reported(path, "truncated")


def _segments_root(path) -> tuple[int, int]:
    rec = pages.databases(str(path / "data.mdb"))["segments"]
    assert rec.depth >= 2, rec   # the fixture must give the segments database a branch level
    return rec.root, os.sysconf("SC_PAGE_SIZE")


def test_zeroed_leaf_page_is_reported_not_abort(pristine, tmp_path):
    path = copy(pristine, tmp_path)
    data = path / "data.mdb"
    root, psize = _segments_root(path)
    with open(data, "r+b") as f:
        f.seek(root * psize)
        raw = f.read(psize)
    first_child = _children(raw)[1]
    assert pages.page_kind(str(data), first_child) & pages.P_LEAF
    with open(data, "r+b") as f:
        f.seek(first_child * psize)
        f.write(bytes(psize))
    assert_reported(path, f"page {first_child}")


def _children(raw: bytes) -> list[int]:
    lower = struct.unpack_from("<H", raw, 12)[0]
    out = []
    for i in range((lower - 16) // 2):
        off = struct.unpack_from("<H", raw, 16 + 2 * i)[0]
        lo, hi, flags = struct.unpack_from("<HHH", raw, off)
        out.append(lo | hi << 16 | flags << 32)
    return [None] + out[1:] if False else out


def _node_offset(raw: bytes, i: int) -> int:
    return struct.unpack_from("<H", raw, 16 + 2 * i)[0]


def test_branch_pointer_cycle_is_reported_not_a_hang(pristine, tmp_path):
    path = copy(pristine, tmp_path)
    data = path / "data.mdb"
    root, psize = _segments_root(path)
    with open(data, "r+b") as f:
        f.seek(root * psize)
        raw = bytearray(f.read(psize))
        off = _node_offset(raw, 1)
        struct.pack_into("<HH", raw, off, root & 0xFFFF, root >> 16)   # child 1 -> the root itself
        f.seek(root * psize)
        f.write(raw)
    assert_reported(path, "reached twice")


def test_branch_keys_out_of_order_are_reported_not_an_empty_shard(pristine, tmp_path):
    path = copy(pristine, tmp_path)
    data = path / "data.mdb"
    root, psize = _segments_root(path)
    with open(data, "r+b") as f:
        f.seek(root * psize)
        raw = bytearray(f.read(psize))
        off = _node_offset(raw, 1)
        raw[off + 8] ^= 0x80      # the first byte of node 1's key (a segment key: u64 BE shard number first)
        f.seek(root * psize)
        f.write(raw)
    assert_reported(path, "out")


def test_the_pristine_store_reads_and_checks_clean(pristine, tmp_path):
    path = copy(pristine, tmp_path)
    r = run("-c", READ, str(path), "ro")
    assert r.stdout.strip() == "records 400", r.stdout + r.stderr
    assert not (path / "lock.mdb").exists()   # a read-only open creates nothing
    r = cli("check", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    with pytest.raises(CorruptionError):   # and the in-process form of the open-time refusal
        with open(path / "data.mdb", "r+b") as f:
            f.truncate(3 * 4096)
        logstore.open(path, readonly=True)

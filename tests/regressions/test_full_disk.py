"""Regressions (issue 18): full disks and read-only filesystems.
* Opening a store (new, or one whose lock.mdb is missing) on a full filesystem was a SIGBUS (LMDB extends the lock
  file with ftruncate and writes it through a mapping); now DiskFullError, as lock.mdb's blocks are allocated
  first.
* A commit that hits ENOSPC was ``lmdb.Error: mdb_txn_commit: Input/output error`` and over HTTP a bare 500; now
  DiskFullError (and AWS's InternalServerError saying the disk is full), nothing half-written, the store still
  readable, and writes succeed again once there is space.
* Opening for writing on a read-only filesystem says so; a read-only open there works and creates nothing.
Filesystems are small tmpfs mounts made by the test (skipped where mounting is not allowed); the commit case also
runs under a file-size limit (RLIMIT_FSIZE) in a child process, which needs no privileges. Every case that could
crash runs in a child process with a time bound. The server's answer is tests/server/test_http_full_disk.py.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from diskhelpers import fill, tmpfs

TIMEOUT = 120


def child(code: str, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr[-3000:])
    return r


OPEN = """
import sys, logstore
from logstore.errors import DiskFullError
try:
    logstore.open(sys.argv[1]).close()
    print("opened")
except DiskFullError as e:
    print("DiskFullError", e)
"""


def test_opening_on_a_full_filesystem_is_an_error_not_sigbus():
    with tmpfs("2m") as where:
        store = os.path.join(where, "old")
        logstore_open_and_close(store)
        filler = fill(where)
        out = child(OPEN, os.path.join(where, "new")).stdout
        assert out.startswith("DiskFullError") and "the disk is full" in out, out
        os.remove(os.path.join(store, "lock.mdb"))          # an existing store without its lock file
        more = fill(where, "filler-2")
        out = child(OPEN, store).stdout
        assert out.startswith("DiskFullError"), out
        os.remove(filler)
        os.remove(more)
        assert child(OPEN, store).stdout.strip() == "opened"


def logstore_open_and_close(path: str) -> None:
    child("import sys, logstore; logstore.open(sys.argv[1]).close()", path)


WRITE_UNTIL_FULL = """
import json, os, resource, signal, sys
import logstore
from logstore.errors import DiskFullError
path, mode = sys.argv[1], sys.argv[2]
db = logstore.open(path)
db.create_table(TableName="full", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
if mode == "rlimit":   # the file may grow 256 KiB more, then writes fail with EFBIG (SIGXFSZ ignored)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = os.path.getsize(os.path.join(path, "data.mdb")) + (256 << 10)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
acked, error = [], None
for i in range(20000):
    try:
        db.put_item(TableName="full", Item={"pk": {"S": f"k{i}"}, "v": {"S": "x" * 3000}})
        acked.append(i)
    except DiskFullError as e:
        error = str(e)
        break
failed = i
try:   # still readable, and the failed write is not in
    assert "Item" not in db.get_item(TableName="full", Key={"pk": {"S": f"k{failed}"}})
    count = db.scan(TableName="full", Select="COUNT")["Count"]
    retry = None
    try:
        db.put_item(TableName="full", Item={"pk": {"S": "again"}, "v": {"S": "x" * 3000}})
    except DiskFullError:
        retry = "DiskFullError"
    if mode == "rlimit":
        resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    else:
        os.remove(sys.argv[3])
    db.put_item(TableName="full", Item={"pk": {"S": "after"}, "v": {"S": "x" * 3000}})
    resumed = "Item" in db.get_item(TableName="full", Key={"pk": {"S": "after"}})
finally:
    db.close()
print(json.dumps({"acked": len(acked), "failed": failed, "error": error, "count": count, "retry": retry,
                  "resumed": resumed}))
"""


def _check_full_result(out: dict) -> None:
    assert out["error"] and "the disk is full" in out["error"] and "nothing of it was written" in out["error"], out
    assert 0 < out["acked"] == out["failed"] and out["count"] == out["acked"], out
    assert out["retry"] in ("DiskFullError", None) and out["resumed"], out   # None: the retry found room


def _reopen_and_check(path: str, expected: int) -> None:
    r = subprocess.run([sys.executable, "-m", "logstore", "check", path], capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    code = ("import sys, logstore\nwith logstore.open(sys.argv[1], readonly=True) as db:\n"
            "    print(db.scan(TableName='full', Select='COUNT')['Count'])")
    assert int(child(code, path).stdout) == expected


def test_commit_past_a_file_size_limit_is_disk_full_and_resumes(tmp_path):
    path = str(tmp_path / "store")
    out = json.loads(child(WRITE_UNTIL_FULL, path, "rlimit").stdout)
    print("\nrlimit:", out)
    _check_full_result(out)
    _reopen_and_check(path, out["acked"] + 1 + (out["retry"] is None))


def test_commit_on_a_full_filesystem_is_disk_full_and_resumes():
    with tmpfs("3m") as where:
        path = os.path.join(where, "store")
        logstore_open_and_close(path)
        filler = os.path.join(where, "filler")
        with open(filler, "wb") as f:      # leave about 1 MiB free
            free = os.statvfs(where).f_bavail * os.statvfs(where).f_frsize
            f.write(b"\0" * max(0, free - (1 << 20)))
        out = json.loads(child(WRITE_UNTIL_FULL, path, "tmpfs", filler).stdout)
        print("\ntmpfs:", out)
        _check_full_result(out)
        _reopen_and_check(path, out["acked"] + 1 + (out["retry"] is None))


def test_read_only_filesystem_is_named_and_a_read_only_open_creates_nothing():
    with tmpfs("4m") as where:
        path = os.path.join(where, "store")
        logstore_open_and_close(path)
        os.remove(os.path.join(path, "lock.mdb"))
        r = subprocess.run(["mount", "-o", "remount,ro", where], capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"cannot remount read-only: {r.stderr.decode().strip()}")
        code = """
import sys, logstore
from logstore.errors import ReadOnlyFilesystemError
try:
    logstore.open(sys.argv[1]).close()
except ReadOnlyFilesystemError as e:
    print("ReadOnlyFilesystemError", e)
with logstore.open(sys.argv[1], readonly=True) as db:
    print("tables", db.list_tables()["TableNames"])
"""
        out = child(code, path).stdout
        assert "ReadOnlyFilesystemError" in out and "read-only filesystem" in out, out
        assert "tables []" in out, out
        assert not os.path.exists(os.path.join(path, "lock.mdb"))

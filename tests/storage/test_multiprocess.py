"""Several processes on one store: a read-only reader process sees each writer transaction whole (never part of a
batch), in order, and all of it in the end -- also while the writer process grows the map under it; a read-only
session refuses every write and leaves data.mdb untouched, and works while another process holds the writer lock.

The helpers in procs/ are real processes (sys.executable): batch_writer.py, snapshot_reader.py, ro_session.py.
Payloads and timestamps derive from sequence numbers (procs/common.py), so the reader checks content too.
Randomised parts print their seed; replay with LOGSTORE_SEED=<seed>.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import sys
import time
from pathlib import Path

import liveproc
import pytest

from logstore.errors import ReadOnlyError
from logstore.storage import Counters, Environment, SegmentLog, SegmentPolicy

PROCS = Path(__file__).resolve().parent / "procs"
SHARD = 4
SMALL_MAP = 256 * 1024


def load_proc_module(name: str):
    """A module from procs/ (shared with the subprocess helpers), imported by path."""
    qualified = f"logstore_test_procs_{name}"
    if qualified not in sys.modules:
        spec = importlib.util.spec_from_file_location(qualified, PROCS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[qualified] = module
    return sys.modules[qualified]


common = load_proc_module("common")
ro_session = load_proc_module("ro_session")


def Proc(script: str, *args, workdir: Path) -> liveproc.Proc:  # stands for the class
    """A helper process running procs/<script>.py with ``args``."""
    return liveproc.Proc([PROCS / f"{script}.py", *args], workdir=workdir, name=script)


def new_store(path: Path, map_size: int = 1 << 30) -> None:
    """Create the store and its databases (the writer would do the same on its first append). LMDB records the
    map size in the store and never lets the recorded size shrink, so a small-map test creates it small."""
    with Environment(path, map_size=map_size) as env:
        SegmentLog(env), Counters(env)


def read_shard(path: Path, shard: int = SHARD) -> list[tuple[int, int, bytes]]:
    with Environment(path, readonly=True) as env:
        log = SegmentLog(env)
        with env.begin_read() as txn:
            return list(log.read(txn, shard, 0, 1 << 20, 1 << 40))


def run_reader_against_writer(tmp_path: Path, seed: int, *, batches: int, batch_size: int, writer_args=(),
                              reader_map_size: int = 1 << 30, profile: str = "mixed"):
    """Start the reader, wait until it is reading, run the writer to completion while the reader rereads the
    shard; return (writer DONE fields, reader RESULT)."""
    path = tmp_path / "store"
    new_store(path, reader_map_size)
    total = batches * batch_size
    with Proc("snapshot_reader", path, "--shard", SHARD, "--batch-size", batch_size, "--expect", total,
              "--timeout", 120, "--map-size", reader_map_size, "--profile", profile, workdir=tmp_path) as reader:
        reader.expect("ready")
        with Proc("batch_writer", path, "--shard", SHARD, "--batches", batches, "--batch-size", batch_size,
                  "--seed", seed, "--profile", profile, *writer_args, workdir=tmp_path) as writer:
            done = writer.expect("DONE", timeout=120)
            assert writer.wait() == 0, f"seed {seed}: writer failed:\n{writer.stderr()}"
        rc = reader.wait(timeout=150)
        result_line = next((line for line in reader.lines if line.startswith("RESULT ")), None)
        assert result_line is not None, f"seed {seed}: reader (status {rc}) reported nothing:\n{reader.stderr()}"
        result = json.loads(result_line[len("RESULT "):])
        assert rc == 0 and result["violation"] is None, (
            f"seed {seed}: reader status {rc}: {result['violation']}\n{reader.stderr()}")
    _, records, grows, first_map, last_map = done.split()
    assert int(records) == total
    # what the reader saw, checked again here: whole batches, never backwards, all of it in the end
    counts = result["counts"]
    assert all(c % batch_size == 0 for c in counts), f"seed {seed}: partial batches seen: {counts}"
    assert counts == sorted(counts) and counts[-1] == total, f"seed {seed}: counts seen {counts}"
    # and the store holds exactly what the writer committed
    got = read_shard(path)
    assert [r[0] for r in got] == list(range(1, total + 1)), f"seed {seed}"
    assert all(p == common.payload_for(s, profile) for s, _, p in got), f"seed {seed}"
    return {"grows": int(grows), "first_map": int(first_map), "last_map": int(last_map)}, result


@pytest.mark.parametrize("segments", ["default", "many-per-batch"])
def test_reader_sees_whole_batches_only(tmp_path, seed, segments):
    """Batches of 100 records, one transaction each. ``many-per-batch``: each batch is split into segments of 7
    records, so one transaction writes 15 segments (a torn view would show it)."""
    writer_args = ["--pause-ms", 4] + (["--segment-records", 7] if segments == "many-per-batch" else [])
    _, result = run_reader_against_writer(tmp_path, seed, batches=150, batch_size=100, writer_args=writer_args)
    counts = result["counts"]
    print(f"reader: {result['passes']} passes, {len(counts)} distinct counts, e.g. {counts[:8]}")
    # it read while the writer wrote: some snapshot fell strictly between the empty and the full shard
    assert any(0 < c < 150 * 100 for c in counts), f"seed {seed}: the reader saw no intermediate state: {counts}"


def test_reader_keeps_working_while_the_writer_grows_the_map(tmp_path, seed):
    """Store, writer and reader all start with a 256 KiB map; the writer's ~4.5 MB make it grow the map several
    times, and the reader (read-only) must adopt new sizes as it goes and keep reading whole batches."""
    writer, result = run_reader_against_writer(
        tmp_path, seed, batches=150, batch_size=20, profile="large", reader_map_size=SMALL_MAP,
        writer_args=["--pause-ms", 2, "--map-size", SMALL_MAP])
    print(f"writer: {writer}; reader: {result['passes']} passes, map sizes {result['map_sizes']}")
    assert writer["grows"] >= 3 and writer["last_map"] >= 8 * writer["first_map"], f"seed {seed}: {writer}"
    sizes = result["map_sizes"]
    assert len(sizes) >= 3 and sizes == sorted(sizes) and sizes[-1] <= writer["last_map"], (
        f"seed {seed}: the reader's map sizes: {sizes} (writer: {writer})")
    assert any(0 < c < 150 * 20 for c in result["counts"]), f"seed {seed}: no intermediate state: {result['counts']}"


def fill_store(path: Path, rng: random.Random) -> dict[int, list[tuple[int, int, bytes]]]:
    """A store with a few shards, several segments each; returns the records by shard."""
    expected: dict[int, list] = {}
    with Environment(path) as env:
        log, counters = SegmentLog(env, SegmentPolicy(max_segment_records=40)), Counters(env)
        for _ in range(30):
            shard, n = rng.choice([1, 4, 9]), rng.randint(1, 60)

            def append(txn, shard=shard, n=n):
                first = counters.allocate(txn, "seq", n)
                seqs = list(range(first, first + n))
                log.append(txn, shard, seqs, [common.ts_for(s) for s in seqs], [common.payload_for(s) for s in seqs])
                return seqs

            seqs = env.write(append)
            expected.setdefault(shard, []).extend((s, common.ts_for(s), common.payload_for(s)) for s in seqs)
    return expected


def file_state(path: Path) -> tuple[str, int, int]:
    data = path / "data.mdb"
    st = os.stat(data)
    return hashlib.sha256(data.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


EXPECTED_REFUSALS = {"write": "ReadOnlyError", "append": "ReadOnlyError", "trim_all": "ReadOnlyError",
                     "drop": "ReadOnlyError"}


def check_session(report: dict, expected: dict, what: str) -> None:
    assert report["records"] == {str(s): len(r) for s, r in expected.items()}, what
    assert report["digest"] == ro_session.session_digest(expected), f"{what}: read different records"
    assert report["counter"] == 1 + sum(len(r) for r in expected.values()), what
    refused = report["refused"]
    for attempt, error in EXPECTED_REFUSALS.items():
        assert refused[attempt] == error, f"{what}: {attempt} -> {refused[attempt]}"
    for attempt in ("put in a read transaction", "allocate in a read transaction"):
        assert refused[attempt] != "allowed", f"{what}: {attempt} was allowed"
    assert report["fn_called"] == [], f"{what}: write functions ran in a read-only store: {report['fn_called']}"


def test_read_only_sessions_refuse_writes_and_leave_the_data_file_alone(tmp_path, seed):
    path = tmp_path / "store"
    expected = fill_store(path, random.Random(seed))
    before = file_state(path)
    time.sleep(0.05)    # so that a write in the sessions below would show in the mtime even on coarse clocks

    with Environment(path, readonly=True) as env:    # in this process
        with pytest.raises(ReadOnlyError):
            env.write(lambda txn: pytest.fail("a write function ran in a read-only store"))
        check_session(ro_session.read_session(env), expected, f"seed {seed}: in-process session")
    with Proc("ro_session", path, workdir=tmp_path) as proc:   # and in another process
        line = proc.expect("RESULT ")
        assert proc.wait() == 0, proc.stderr()
    check_session(json.loads(line[len("RESULT "):]), expected, f"seed {seed}: session in another process")

    assert file_state(path) == before, f"seed {seed}: data.mdb changed (hash, size, mtime) in read-only sessions"
    with Environment(path, readonly=True) as env:     # and the store is still whole
        assert file_state(path) == before
        log = SegmentLog(env)
        with env.begin_read() as txn:
            for shard, recs in expected.items():
                assert list(log.read(txn, shard, 0, 10_000, 1 << 40)) == recs, f"seed {seed}: shard {shard}"


def test_read_only_session_runs_while_a_writer_holds_the_lock_and_after_it_is_killed(tmp_path, seed):
    """A writer process stops in the middle of a write transaction (holding LMDB's writer lock): a read-only
    session in another process still opens and reads, seeing only committed batches. After the writer is killed
    mid-transaction its batch is gone, and a new writer takes over the lock and continues the sequence."""
    path = tmp_path / "store"
    new_store(path)
    n = 25
    with Proc("batch_writer", path, "--shard", SHARD, "--batches", 4, "--batch-size", n, "--seed", seed,
              "--hang", workdir=tmp_path) as writer:
        hang = writer.expect("HANG")
        assert hang.split()[1:] == [str(4 * n + 1), str(5 * n)], hang
        with Proc("ro_session", path, workdir=tmp_path) as session:
            line = session.expect("RESULT ", timeout=30)
            assert session.wait(timeout=30) == 0, session.stderr()
        report = json.loads(line[len("RESULT "):])
        assert report["records"] == {str(SHARD): 4 * n}, f"seed {seed}: the session saw {report['records']}"
        assert report["counter"] == 4 * n + 1
        assert report["refused"]["write"] == "ReadOnlyError"
        writer.kill()     # SIGKILL in the middle of the transaction
    with Proc("batch_writer", path, "--shard", SHARD, "--batches", 2, "--batch-size", n, "--seed", seed,
              workdir=tmp_path) as second:
        second.expect("DONE", timeout=60)
        assert second.wait() == 0, second.stderr()
        assert [line.split()[1] for line in second.lines if line.startswith("B ")] == [str(4 * n + 1), str(5 * n + 1)]
    got = read_shard(path)
    assert [r[0] for r in got] == list(range(1, 6 * n + 1)), f"seed {seed}"
    assert all(p == common.payload_for(s) for s, _, p in got), f"seed {seed}"

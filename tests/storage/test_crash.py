"""Crash safety: a real writer process (procs/crash_writer.py) is killed with SIGKILL at random moments, and the
store must come back with every acknowledged record, nothing torn, nothing doubled, every segment valid, and keep
accepting appends.

The writer acknowledges a record (prints ``R <shard> <seq>``) only after the transaction that wrote it committed.
After each kill the test reopens the store and checks, against what the writer printed (a partial last line is
ignored) and against the content derivable from each sequence number (procs/common.py):

* every acknowledged record is there, in the shard it was written to, with its payload and timestamp;
* per shard, sequence numbers strictly increase (none twice, none in two shards), segments do not overlap, each
  segment's key names its last record, and every stored segment passes ``codec.validate``;
* the sequence counter and the records were committed together: the records present are exactly 1..counter-1,
  and the only unacknowledged ones are the tail of the last batch (committed, killed before printing);
* the store accepts further appends after reopening (the test appends a batch to each shard and reads it back).

One store is reused across many kills, restarting the writer each time, so recovery after repeated crashes is
exercised too. Randomised: the seed is printed and can be replayed with LOGSTORE_SEED=<seed>.
"""
from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from logstore import codec
from logstore.errors import CorruptionError
from logstore.storage import Counters, Environment, SegmentLog

PROCS = Path(__file__).resolve().parent / "procs"
SHARDS = (0, 3, 11)
MAX_BATCH = 50
SMALL_MAP = 256 * 1024


def load_common():
    """procs/common.py, the payload/timestamp derivation shared with the subprocess helpers."""
    name = "logstore_test_procs_common"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROCS / "common.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


common = load_common()


# ---------------------------------------------------------------------------------------------------------------
# running and killing the writer


@dataclass
class Killed:
    acked: dict[int, int]     # seq -> shard, from complete lines only
    map_sizes: list[int]      # the writer's M lines, in order
    partial: bytes            # the partial last line, if any (ignored)


def parse_output(data: bytes) -> Killed:
    lines = data.split(b"\n")
    partial = lines.pop()     # after the last newline: empty, or a line the kill cut short
    acked: dict[int, int] = {}
    map_sizes: list[int] = []
    for line in lines:
        kind, *fields = line.decode("ascii").split()
        if kind == "R" and len(fields) == 2:
            shard, seq = map(int, fields)
            assert seq not in acked, f"writer acknowledged seq {seq} twice"
            acked[seq] = shard
        elif kind == "M" and len(fields) == 1:
            map_sizes.append(int(fields[0]))
        else:
            raise AssertionError(f"unexpected line from the writer: {line!r}")
    return Killed(acked, map_sizes, partial)


def run_and_kill(path: Path, workdir: Path, writer_seed: int, delay: float, map_size: int) -> Killed:
    """Start the writer, wait until it has acknowledged something, let it run ``delay`` more seconds, SIGKILL it.
    Never leaves the process behind."""
    out_path, err_path = workdir / "writer.out", workdir / "writer.err"
    cmd = [sys.executable, str(PROCS / "crash_writer.py"), str(path), "--seed", str(writer_seed),
           "--shards", ",".join(map(str, SHARDS)), "--map-size", str(map_size), "--max-batch", str(MAX_BATCH)]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while b"\nR " not in out_path.read_bytes():   # the first R line follows the M line
            if proc.poll() is not None:
                raise AssertionError(f"writer exited by itself (status {proc.returncode}) before acknowledging "
                                     f"anything:\n{err_path.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"writer acknowledged nothing within 60 s:\n{err_path.read_text()}")
            time.sleep(0.002)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, (
        f"writer exited by itself (status {proc.returncode}) instead of being killed:\n{err_path.read_text()}")
    return parse_output(out_path.read_bytes())


def kill_delay(rng: random.Random) -> float:
    """Mostly somewhere in the first 150 ms of appending (the writer is in its steady loop within milliseconds, and
    longer runs only add data for the checks to reread); a quarter of the time almost at once, early in the
    writer's life (just after opening, during its first map growths)."""
    return rng.uniform(0, 0.005) if rng.random() < 0.25 else rng.uniform(0.005, 0.15)


# ---------------------------------------------------------------------------------------------------------------
# checking the store


@dataclass
class Model:
    """What the test knows must be in the store: every acknowledged record (seq -> shard). A record's payload is
    compared byte for byte with ``payload_for`` the first time it is seen, and to that payload's hash after."""

    acked: dict[int, int] = field(default_factory=dict)
    fingerprints: dict[int, int] = field(default_factory=dict)   # seq -> hash() of its payload, once verified
    next_seq: int = 1          # the counter's value when the last check ended


def check_store(path: Path, model: Model, killed: Killed | None, map_size: int, rng: random.Random) -> dict:
    """Reopen the store (read-write: the recovery path), check everything the module docstring lists, append a
    batch to every shard and read it back. Updates ``model``; returns a few numbers for the caller's summary."""
    round_start = model.next_seq
    if killed is not None:
        for seq, shard in killed.acked.items():
            assert seq >= round_start, f"writer acknowledged seq {seq}, below the counter at its start"
            model.acked[seq] = shard
    with Environment(path, map_size=map_size) as env:
        log, counters = SegmentLog(env), Counters(env)
        seen: dict[int, int] = {}
        segments = 0
        with env.begin_read() as txn:
            next_seq = counters.peek(txn, "seq")
            shards = list(log.shards(txn))
            assert set(shards) <= set(SHARDS), f"records in shards nobody wrote to: {shards}"
            for shard in shards:
                prev_last, in_segments = 0, 0
                for key_seq, raw in log.raw_segments(txn, shard):
                    try:
                        head = codec.validate(raw)
                    except CorruptionError as e:
                        raise AssertionError(f"shard {shard} segment {key_seq} fails validation: {e}") from e
                    assert head.last_seq == key_seq, f"shard {shard}: segment keyed {key_seq} ends at {head.last_seq}"
                    assert head.first_seq > prev_last, (
                        f"shard {shard}: segment {key_seq} starts at {head.first_seq}, overlapping the one before "
                        f"(ending at {prev_last})")
                    prev_last = head.last_seq
                    in_segments += head.count
                    segments += 1
                pos, prev, got = 0, 0, 0
                while True:
                    batch = log.read(txn, shard, pos, 1000, 1 << 40)
                    if not batch:
                        break
                    seqs = batch.seqs
                    assert seqs[0] > prev and all(a < b for a, b in zip(seqs, seqs[1:])), (
                        f"shard {shard}: sequence numbers not strictly increasing after {prev}: {seqs[:50]}")
                    for s in seqs:
                        assert s not in seen, f"seq {s} in shard {shard} and in shard {seen[s]}"
                        seen[s] = shard
                    assert batch.timestamps == [common.ts_for(s) for s in seqs], f"shard {shard}: wrong timestamps"
                    for s, payload in zip(seqs, batch.payloads):
                        expected = model.fingerprints.get(s)
                        if expected is None:   # first time this record is seen: compare the bytes themselves
                            assert payload == common.payload_for(s), (
                                f"shard {shard} seq {s}: wrong payload ({len(payload)} bytes, expected "
                                f"{len(common.payload_for(s))})")
                            model.fingerprints[s] = hash(payload)
                        else:
                            assert hash(payload) == expected, f"shard {shard} seq {s}: payload changed since last checked"
                    prev = seqs[-1]
                    got += len(seqs)
                    pos = batch.next_seq
                assert got == in_segments, f"shard {shard}: read {got} records, segments hold {in_segments}"

        # the counter and the records were committed together: exactly 1..next_seq-1 are present
        assert next_seq >= round_start, f"sequence counter went backwards: {next_seq} < {round_start}"
        assert len(seen) == next_seq - 1 and (not seen or (min(seen) == 1 and max(seen) == next_seq - 1)), (
            f"records present do not match the counter: {len(seen)} records, counter {next_seq}, "
            f"missing {sorted(set(range(1, next_seq)) - set(seen))[:20]}, beyond {sorted(s for s in seen if s >= next_seq)[:20]}")
        # every acknowledged record survived, in its shard (its content was checked above)
        missing = sorted(s for s in model.acked if s not in seen)
        assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:20]}"
        moved = sorted(s for s, shard in model.acked.items() if seen[s] != shard)
        assert not moved, f"acknowledged records in the wrong shard: {[(s, model.acked[s], seen[s]) for s in moved[:10]]}"
        # the only records nobody acknowledged are the tail of the last batch: committed, killed before printing
        unacked = sorted(s for s in range(round_start, next_seq) if s not in model.acked)
        if unacked:
            last_acked = max((s for s in killed.acked), default=round_start - 1) if killed else round_start - 1
            assert unacked[0] > last_acked and len(unacked) <= MAX_BATCH and unacked == list(
                range(unacked[0], next_seq)) and len({seen[s] for s in unacked}) == 1, (
                f"unacknowledged records are not one batch at the end: {unacked[:60]} (last acknowledged "
                f"{last_acked}, counter {next_seq})")
            for s in unacked:       # they are committed: from now on they must stay
                model.acked[s] = seen[s]

        # the reopened store accepts further appends
        plan = [(shard, rng.randint(1, 10)) for shard in SHARDS]

        def append(txn):
            firsts = []
            for shard, n in plan:
                first = counters.allocate(txn, "seq", n)
                seqs = list(range(first, first + n))
                log.append(txn, shard, seqs, [common.ts_for(s) for s in seqs], [common.payload_for(s) for s in seqs])
                firsts.append(first)
            return firsts

        firsts = env.write(append)
        assert firsts[0] == next_seq, f"append after reopening got seq {firsts[0]}, counter said {next_seq}"
        with env.begin_read() as txn:
            for (shard, n), first in zip(plan, firsts):
                batch = log.read(txn, shard, first, 1000, 1 << 40)
                assert batch.seqs == list(range(first, first + n)), f"shard {shard}: appended after reopening, read {batch.seqs}"
                assert batch.payloads == [common.payload_for(s) for s in batch.seqs]
                for s in batch.seqs:
                    model.acked[s] = shard
            model.next_seq = counters.peek(txn, "seq")
        return {"records": len(seen), "segments": segments, "file_size": env.info()["file_size"],
                "unacked": len(unacked)}


def crash_loop(tmp_path: Path, seed: int, kills: int, kills_per_store: int, map_size: int) -> None:
    rng = random.Random(seed)
    grows = 0
    done = 0
    store_no = 0
    while done < kills:
        path = tmp_path / f"store{store_no}"
        model = Model()
        check_store(path, model, None, map_size, rng)   # creates the store; the test's first append
        for _ in range(min(kills_per_store, kills - done)):
            writer_seed, delay = rng.randrange(1 << 32), kill_delay(rng)
            where = f"seed {seed}, store {store_no}, kill {done + 1}/{kills}, writer seed {writer_seed}, delay {delay:.3f}s"
            try:
                killed = run_and_kill(path, tmp_path, writer_seed, delay, map_size)
                grows += max(0, len(killed.map_sizes) - 1)
                stats = check_store(path, model, killed, map_size, rng)
            except AssertionError as e:
                raise AssertionError(f"{where}: {e}") from e
            done += 1
        print(f"store {store_no}: {stats}")
        store_no += 1
    print(f"{kills} kills, {grows} map growths seen by writers (seed {seed})")
    if map_size == SMALL_MAP:
        # each restarted writer reopens with the map just big enough for the data, so it grows again soon
        assert grows >= max(3, kills // 4), f"expected the map to grow during the crash loop, saw {grows} (seed {seed})"


# ---------------------------------------------------------------------------------------------------------------
# tests


def test_writer_killed_at_random_moments(tmp_path, seed):
    crash_loop(tmp_path, seed, kills=20, kills_per_store=20, map_size=1 << 30)


def test_writer_killed_while_the_map_grows(tmp_path, seed):
    """A 256 KiB map, so each restarted writer grows it (several times) while it runs: kills land before, during
    and after growth."""
    crash_loop(tmp_path, seed, kills=20, kills_per_store=20, map_size=SMALL_MAP)


@pytest.mark.slow
def test_writer_killed_at_random_moments_many_times(tmp_path, seed):
    # 200 kills, 20 per store: the checks reread the whole store after each kill, so stores are kept moderate
    crash_loop(tmp_path, seed, kills=200, kills_per_store=20, map_size=1 << 30)


@pytest.mark.slow
def test_writer_killed_while_the_map_grows_many_times(tmp_path, seed):
    crash_loop(tmp_path, seed, kills=60, kills_per_store=20, map_size=SMALL_MAP)


# ---------------------------------------------------------------------------------------------------------------
# reader slots of killed processes


def test_killed_processes_do_not_use_up_the_reader_table(tmp_path, seed):
    """BUG (open; failing on purpose until fixed): logstore never calls LMDB's ``reader_check()``, so the
    reader-table slot of a process killed while it had the store open is never reclaimed as long as any other
    process keeps the store open (py-lmdb keeps a reset "spare" read transaction per Environment, and with it a
    slot stamped with the dead pid). Here a long-lived process (this one, like a server) holds the store open with
    max_readers=8, and short-lived processes that wrote, read and then sat idle are SIGKILLed one after another:
    after a handful of kills the next process cannot even open the store (MDB_READERS_FULL from
    ``Environment.__init__`` -- as lmdb.ReadersFullError, or NotAStoreError when lmdb.open itself hits it). With
    the default max_readers=126 the same happens after ~125 kills. (A kill while the victim holds the writer lock
    happens to trigger LMDB's own stale-reader sweep, through the robust mutex; an idle victim does not.)

    Expected: crashed processes never lock others out, e.g. Environment calls ``self._env.reader_check()`` right
    after ``lmdb.open`` (and again, then retries, when beginning a transaction fails with MDB_READERS_FULL)."""
    rng = random.Random(seed)
    path = tmp_path / "store"
    max_readers = 8
    with Environment(path, max_readers=max_readers) as holder:
        log = SegmentLog(holder)
        expected = 0
        for kill in range(3 * max_readers):
            err_path = tmp_path / "idle.err"
            with open(err_path, "wb") as err:
                proc = subprocess.Popen([sys.executable, str(PROCS / "idle_holder.py"), str(path), "--shard", "1",
                                         "--records", str(rng.randint(1, 5))],
                                        stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
            try:
                line = proc.stdout.readline()   # "ready <records written>" once it wrote, read, and idles
                if not line.startswith(b"ready "):
                    proc.wait(timeout=30)
                    pytest.fail(f"seed {seed}: process {kill + 1} could not use the store after {kill} processes "
                                f"holding it were killed (status {proc.returncode}):\n{err_path.read_text()[-1500:]}"
                                f"\nreader table:\n{holder._env.readers()}")
                expected += int(line.split()[1])
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
            with holder.begin_read() as txn:    # the long-lived process keeps working, and sees every write
                assert len(log.read(txn, 1, 0, 10_000, 1 << 30)) == expected, f"seed {seed}"

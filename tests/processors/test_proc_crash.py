"""A processor killed with SIGKILL (procs/crash_processor.py, a real process) and started again, while more is
written between the kills (with shard splits): every record reaches the handler at least once and, per key,
in order (a restart delivers again from at or before the successor of the last delivered version, never skips);
with the handler's writes going through ``context.batch`` (committed with the checkpoint), the store's view is
exactly once: every record counted once, every key's versions applied in sequence.

Randomised: the seed is printed (replay with LOGSTORE_SEED=<seed>)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import logstore
from prochelpers import create_plain_table, create_table, open_shards, put

PROC = Path(__file__).resolve().parent / "procs" / "crash_processor.py"


def run(path: Path, out: Path, mode: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(PROC), str(path), str(out), mode, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def lines_of(out: Path) -> list[tuple[str, int, int]]:
    if not out.exists():
        return []
    text = out.read_text()
    complete = text[:text.rfind("\n") + 1]     # a line cut by the kill is ignored
    return [(pk, int(v), int(seq)) for pk, v, seq in (line.split() for line in complete.splitlines())]


def crash_loop(tmp_path: Path, seed: int, mode: str, kills: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "store"
    store = logstore.open(path, durable=False)
    try:
        arn = create_table(store)
        if mode == "exactly-once":
            create_plain_table(store, "seen")
            create_plain_table(store, "last")
        versions: dict[str, int] = {}

        def write(n: int) -> None:
            for _ in range(n):
                pk = f"key{rng.randrange(25)}"
                versions[pk] = versions.get(pk, 0) + 1
                put(store, pk, versions[pk])
            if rng.random() < 0.5 and len(open_shards(store, arn)) < 6:
                store.split_shard(StreamArn=arn, ShardId=rng.choice(open_shards(store, arn)))

        write(400)
        runs: list[Path] = []
        for kill in range(kills):
            out = tmp_path / f"out.{kill}"
            runs.append(out)
            proc = run(path, out, mode)
            try:
                deadline = time.monotonic() + 60
                while len(lines_of(out)) < 20:
                    assert proc.poll() is None, proc.stderr.read().decode()
                    assert time.monotonic() < deadline, "the processor delivered nothing within 60 s"
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.1))
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            write(rng.randint(20, 200))
        out = tmp_path / "out.final"
        runs.append(out)
        proc = run(path, out, mode, "--until-idle")
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr.decode()

        # at least once, in order per key, and a restart never skips
        delivered: dict[str, int] = {}      # key -> highest version delivered so far
        for i, out in enumerate(runs):
            seen_in_run: dict[str, int] = {}
            for pk, v, _ in lines_of(out):
                if pk in seen_in_run:
                    assert v == seen_in_run[pk] + 1, f"run {i}: {pk} version {v} after {seen_in_run[pk]}"
                else:
                    assert v <= delivered.get(pk, 0) + 1, (
                        f"run {i}: {pk} resumed at version {v}, but only {delivered.get(pk, 0)} had been delivered")
                seen_in_run[pk] = v
                delivered[pk] = max(delivered.get(pk, 0), v)
        assert delivered == versions
        redelivered = sum(len(lines_of(o)) for o in runs) - sum(versions.values())
        print(f"{kills} kills, {sum(versions.values())} records, {redelivered} delivered again, "
              f"{len(store.describe_stream(StreamArn=arn)['StreamDescription']['Shards'])} shards (seed {seed})")

        if mode == "exactly-once":
            counts = {}
            start = None
            while True:
                page = store.scan(TableName="seen", **({"ExclusiveStartKey": start} if start else {}))
                counts.update({i["pk"]["S"]: int(i["n"]["N"]) for i in page["Items"]})
                start = page.get("LastEvaluatedKey")
                if start is None:
                    break
            assert len(counts) == sum(versions.values())
            assert set(counts.values()) == {1}, {k: n for k, n in counts.items() if n != 1}
            last = {i["pk"]["S"]: i for i in store.scan(TableName="last")["Items"]}
            assert {pk: int(i["v"]["N"]) for pk, i in last.items()} == versions
            assert not [i for i in last.values() if "bad" in i], [i for i in last.values() if "bad" in i]
    finally:
        store.close()


def test_killed_processor_delivers_at_least_once_in_key_order(tmp_path, seed):
    crash_loop(tmp_path, seed, "at-least-once", kills=4)


def test_killed_processor_with_parallel_lanes_delivers_at_least_once_in_key_order(tmp_path, seed):
    crash_loop(tmp_path, seed, "at-least-once-lanes", kills=4)


def test_killed_processor_with_transactional_writes_is_exactly_once(tmp_path, seed):
    crash_loop(tmp_path, seed, "exactly-once", kills=4)


@pytest.mark.slow
def test_killed_processor_many_times(tmp_path, seed):
    crash_loop(tmp_path, seed, "exactly-once", kills=15)

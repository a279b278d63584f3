"""Leases (logstore/processors/leases.py) in one process: the lease rules against a real store's table with an
injected monotonic clock (expiry, taking, stealing for balance, parents before children, conditional
checkpoints), and processor instances on threads sharing a stream through a lease table."""
from __future__ import annotations

import random
import threading
import time

import pytest

from logstore.errors import InvalidProcessorConfig
from logstore.processors import Processor, ProcessorConfig
from logstore.processors.leases import SHARD_END, LeaseLost, Leases, LeaseSettings
from logstore.processors.retry import Retrier
from logstore.processors.sources import EmbeddedSource, ShardView
from prochelpers import assert_at_least_once_in_order, create_table, open_shards, put


class Tick:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def shard(shard_id, parent=None, closed=False):
    return ShardView(shard_id, parent, closed, "0")


@pytest.fixture
def tick():
    return Tick()


def make(store, tick, me, failover=10.0):
    leases = Leases(store, LeaseSettings("leases", worker_id=me, failover_s=failover), "arn:stream", Retrier(),
                    monotonic=tick)
    leases.ensure_table()
    return leases


def test_free_leases_are_taken_and_checkpoints_are_conditional(store, tick):
    a, b = make(store, tick, "a"), make(store, tick, "b")
    shards = [shard("s1"), shard("s2")]
    leases = a.sync(shards, "TRIM_HORIZON")
    assert {k: (v.owner, v.checkpoint) for k, v in leases.items()} == {"s1": (None, "TRIM_HORIZON"),
                                                                        "s2": (None, "TRIM_HORIZON")}
    assert sorted(a.take(leases, {"s1", "s2"})) == ["s1", "s2"]     # alone: takes everything free
    assert b.take(b.list(), {"s1", "s2"}) == ["s2"]                 # a holds 2 > its share of 1: b steals one
    assert a.renew() == ["s2"] and a.held() == {"s1"}               # a finds out at its next renewal
    assert b.take(b.list(), {"s1", "s2"}) == []                     # balanced: nothing more to take
    a.checkpoint("s1", "100")
    assert a.list()["s1"].checkpoint == "100"
    with pytest.raises(LeaseLost):
        b.checkpoint("s1", "200")                                   # not its lease: refused, nothing written
    assert a.list()["s1"].checkpoint == "100"


def test_expired_leases_move_and_the_old_owner_stops(store, tick):
    a, b = make(store, tick, "a"), make(store, tick, "b")
    a.take(a.sync([shard("s1")], "TRIM_HORIZON"), {"s1"})
    b.take(b.list(), {"s1"})                 # b first sees the counter
    tick.now += 5
    a.renew()                                # a is alive: the counter moves
    assert b.take(b.list(), {"s1"}) == []
    tick.now += 9                            # 9 s since b saw the new counter: not yet
    assert b.take(b.list(), {"s1"}) == []
    tick.now += 1.5                          # a stopped renewing more than failover_s ago
    assert not a.holds("s1")                 # a's own clock says so too: it stops before b takes
    assert b.take(b.list(), {"s1"}) == ["s1"]
    assert b.list()["s1"].owner == "b" and b.list()["s1"].owner_switches == 2   # nobody -> a -> b
    assert a.renew() == ["s1"] and not a.holds("s1")
    with pytest.raises(LeaseLost):
        a.checkpoint("s1", "5")


def test_stealing_balances_and_children_wait_for_parents(store, tick):
    a, b = make(store, tick, "a"), make(store, tick, "b")
    shards = [shard(f"s{i}") for i in range(4)] + [shard("c1", parent="s0")]
    known = {s.shard_id for s in shards}
    leases = a.sync(shards, "TRIM_HORIZON")
    assert sorted(a.take(leases, known)) == ["s0", "s1", "s2", "s3"]    # c1 waits for s0
    b.take(b.list(), known)        # b sees a (alive) with 4 of 4 workable: target 2 -> steals one per round
    b.take(b.list(), known)
    assert len(b.held()) == 2
    a.renew()
    assert len(a.held()) == 2
    assert b.take(b.list(), known) == []          # balanced: no more stealing
    parent_owner = a if "s0" in a.held() else b
    parent_owner.checkpoint("s0", SHARD_END)
    parent_owner.drop("s0")
    taken = a.take(a.list(), known) + b.take(b.list(), known)
    assert taken == ["c1"]


def test_latest_on_first_sync(store, tick):
    a = make(store, tick, "a")
    leases = a.sync([shard("old", closed=True), shard("open", parent="old")], "LATEST", tail=lambda s: "42")
    assert (leases["old"].checkpoint, leases["open"].checkpoint) == (SHARD_END, "42")
    leases = a.sync([shard("old", closed=True), shard("open", parent="old"), shard("new", parent="open")],
                    "LATEST")
    assert leases["new"].checkpoint == "TRIM_HORIZON"     # shards found later are read from their start


def test_settings_are_checked(store):
    with pytest.raises(InvalidProcessorConfig):
        LeaseSettings("leases", failover_s=0)
    create_table(store)
    with pytest.raises(InvalidProcessorConfig, match="on-failure table needs a checkpoint store"):
        Processor(lambda e, c: None, EmbeddedSource(store, "orders"), None, ProcessorConfig(on_failure="table:x"),
                  leases=LeaseSettings("leases"), lease_client=store)
    with pytest.raises(InvalidProcessorConfig, match="checkpoint store or a lease table"):
        Processor(lambda e, c: None, EmbeddedSource(store, "orders"), None, ProcessorConfig())


@pytest.mark.parametrize("seed", [random.randrange(1 << 30)])
def test_instances_on_threads_share_the_stream(store, seed):
    print("seed", seed)
    rng = random.Random(seed)
    arn = create_table(store)
    deliveries, lock = [], threading.Lock()
    written: dict[str, int] = {}
    by_worker: list[str] = []                    # the instance behind each of ``deliveries``, in step

    def handler_for(name):
        def handle(event, context):
            with lock:
                for r in event["Records"]:
                    image = r["dynamodb"]["NewImage"]
                    deliveries.append((time.monotonic_ns(), image["pk"]["S"], int(image["v"]["N"])))
                    by_worker.append(name)
        return handle

    def write(n):
        for _ in range(n):
            pk = f"k{rng.randrange(12)}"
            written[pk] = written.get(pk, 0) + 1
            put(store, pk, written[pk])

    write(50)
    for _ in range(3):
        store.split_shard(StreamArn=arn, ShardId=rng.choice(open_shards(store, arn)))
        write(30)
    cfg = ProcessorConfig(batch_size=7, poll_interval_s=0.01)
    procs = [Processor.embedded(store, "orders", handler_for(f"w{i}"), cfg, name="shared",
                                leases=LeaseSettings("leases", worker_id=f"w{i}", failover_s=0.6)).start()
             for i in range(3)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                reached = {}
                for _, pk, v in deliveries:
                    reached[pk] = max(reached.get(pk, 0), v)
            if reached == written:
                break
            time.sleep(0.05)
        deadline = time.monotonic() + 30      # 4 open shards, 3 instances: balancing gives out the leases
        while time.monotonic() < deadline:
            holders = {lease.owner for lease in procs[1].leases.list().values() if lease.owner}
            if len(holders) >= 2:
                break
            time.sleep(0.05)
        assert len(holders) >= 2, f"one instance holds every lease: {procs[1].leases.list()}"
        procs[0].stop()                       # a graceful stop releases its leases: the others take them
        with lock:
            stopped_at = len(by_worker)
        write(40)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                reached = {}
                for _, pk, v in deliveries:
                    reached[pk] = max(reached.get(pk, 0), v)
            if reached == written:
                break
            time.sleep(0.05)
        with lock:
            assert_at_least_once_in_order(list(deliveries), written)
            after_stop = set(by_worker[stopped_at:])
        assert after_stop and after_stop <= {"w1", "w2"}, after_stop   # a stopped instance hands nothing more on
        time.sleep(1.5)                        # a balancing round or two
        leases = procs[1].leases.list()
        open_ids = set(open_shards(store, arn))
        assert open_ids <= set(leases)
        assert {leases[s].owner for s in open_ids} <= {"w1", "w2"}
    finally:
        for p in procs:
            p.stop()

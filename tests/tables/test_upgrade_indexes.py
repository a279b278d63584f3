"""The indexes' upgrade steps (tables/upgrade_indexes.py) on definitions as version 1 stored them (index
descriptions without numbers, a TTL attribute without an expiry index): run batch by batch, with a reopen
between batches, they number and build every index, which then agrees with the brute-force reference."""
from __future__ import annotations

from dataclasses import replace

import logstore
from indexhelpers import create, expected, stored
from logstore.clock import FakeClock
from logstore.tables.upgrade_indexes import index_steps

START_MS = 1_700_000_000_000


def _as_v1(store, name: str) -> None:
    """Rewrite a table definition as v1 kept it and delete its entries and jobs."""
    def strip(txn):
        tdef = store.tables.catalog.get(txn, name)
        indexes = {k: [{f: v for f, v in ix.items() if f not in ("index_no", "status")} for ix in ixs]
                   for k, ixs in tdef.indexes.items() if k in ("gsi", "lsi")}
        store.tables.catalog.put(txn, replace(tdef, indexes=indexes))
        for db in ("index_entries", "index_jobs"):
            txn.drop(store.env.db(db), delete=False)
    store.env.write(strip)


def test_upgrade_steps_number_and_build_v1_indexes_resumably(tmp_path):
    path = tmp_path / "s"
    clock = FakeClock(START_MS)
    with logstore.open(path, clock=clock, durable=False, index_builds=False) as store:
        for name in ("one", "two", "three"):
            create(store, name=name, stream=None)
            with store.batch() as b:
                for i in range(300):
                    b.put_item(TableName=name, Item={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)},
                                                     "g": {"S": f"g{i % 3}"}, "r": {"N": str(i % 11)},
                                                     "l": {"S": f"l{i}"}, "v": {"N": "1"},
                                                     "exp": {"N": str(START_MS // 1000 + i)}})
        store.update_time_to_live(TableName="two", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        for name in ("one", "two", "three"):
            _as_v1(store, name)
        assert store.tables.get("one").index_defs == ()
    batches = 0
    state = b""
    step = 0
    while step < 2:
        with logstore.open(path, clock=clock, durable=False, index_builds=False) as store:   # a restart per batch
            run = index_steps(store.env, batch=2 if step == 0 else 50)[step][1]
            state = store.env.write(lambda txn: run(txn, state))
            batches += 1
        if state is None:
            step, state = step + 1, b""
    assert batches > 3 * 3 * 300 // 50 / 2
    with logstore.open(path, clock=clock, durable=False, index_builds=False) as store:
        for name in ("one", "two", "three"):
            tdef = store.tables.get(name)
            assert {ix.name for ix in tdef.index_defs} == ({"by_g_r", "by_g", "by_l", ""} if name == "two"
                                                          else {"by_g_r", "by_g", "by_l"})
            assert all(ix.status == "ACTIVE" for ix in tdef.index_defs)
            assert stored(store, name) == expected(store, name)
        assert not store.tables.jobs_pending()
        clock.advance(100_000)
        assert store.tables.sweep_ttl(clock.now_ms()) == 100          # the v1 TTL setting expires items again

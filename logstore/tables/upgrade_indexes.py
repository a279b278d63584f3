"""The indexes' part of the store format upgrade v1 -> v2 (docs/format.md, "Stored indexes").

Version 1 kept GSI/LSI definitions and TTL settings only; version 2 stores index and expiry entries. Two named
steps, in the upgrade mechanism's shape (``run(txn, state) -> next state or None``, one bounded batch per call,
resumable from the state the runner commits with each batch):

1. ``indexes: number and queue`` -- table by table (``batch`` tables a transaction; state ``"t" ‖ last table
   name``), every index definition without an ``index_no`` gets one (the ``index`` counter), status CREATING and
   a build job; a table with a TTL attribute (enabled or not) gets its expiry index the same way;
2. ``indexes: build`` -- runs the build jobs (tables/indexes.py ``IndexJobs.step``: ``batch`` items a
   transaction, each job's own ``after`` is its resume point), until none is left; the last batch of each build
   sets its index ACTIVE.

Runs after the item steps (items must be in their version 2 form before they are read). Handles are opened in
``index_steps``, outside any transaction. Thread-safety: as the upgrade (one at a time per store).
"""
from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any, Callable

from logstore.storage import Counters, Environment
from logstore.storage.txn import Txn

from .catalog import CREATING, GSI, LSI, TTL, TableCatalog
from .indexes import BUILD, IndexEntries, IndexJobs
from .items import ItemStore

Step = Callable[[Txn, bytes], "bytes | None"]   # run(txn, state) -> the next state, or None when done
StepSpec = tuple[str, Step, str]                # (name, run, what it does)


def index_steps(env: Environment, batch: int) -> list[StepSpec]:
    catalog = TableCatalog(env)
    counters = Counters(env)
    items = ItemStore(env)
    entries = IndexEntries(env, counters)
    jobs = IndexJobs(env, catalog, items, entries)

    def number(txn: Txn, state: bytes) -> bytes | None:
        after = state[1:].decode() if state else None
        names = list(itertools.islice(catalog.names(txn, after), batch))
        for name in names:
            tdef = catalog.get(txn, name)
            if tdef is None:   # listed in this transaction: never
                continue
            queued: list[int] = []
            indexes = dict(tdef.indexes)
            for kind in (GSI, LSI):
                numbered: list[dict[str, Any]] = []
                for ix in tdef.indexes.get(kind) or ():
                    if ix.get("index_no") is None:
                        ix = dict(ix, index_no=counters.allocate(txn, "index"), status=CREATING)
                        queued.append(ix["index_no"])
                    numbered.append(ix)
                if kind in indexes:
                    indexes[kind] = numbered
            if tdef.ttl_attribute and not indexes.get(TTL):
                indexes[TTL] = {"attribute": tdef.ttl_attribute, "index_no": counters.allocate(txn, "index"),
                                "status": CREATING}
                queued.append(indexes[TTL]["index_no"])
            if queued:
                tdef = replace(tdef, indexes=indexes)
                catalog.put(txn, tdef)
                for index_no in queued:
                    jobs.add(txn, BUILD, index_no, tdef)
        return b"t" + names[-1].encode() if len(names) == batch else None

    def build(txn: Txn, state: bytes) -> bytes | None:
        return b"more" if jobs.step(txn, batch) else None

    return [("indexes: number and queue", number,
             "give every v1 index a number, status CREATING and a build job; a table with a TTL attribute its "
             "expiry index"),
            ("indexes: build", build, "build each queued index's entries over its table's items")]

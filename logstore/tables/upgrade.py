"""The store format upgrade v1 -> v2: the named steps, in order, and ``upgrade(path)``, its one entry point
(``logstore upgrade STORE`` and ``logstore.open(path, upgrade=True)`` call it).

Version 2 gathers every on-disk change of its release (docs/format.md, "Upgrading from version 1"). Each change
that needs existing data converted adds a ``Step`` to ``steps_v2``, in the order they must run; the mechanism
(bounded transactions, resumable after a crash, the format record written last) is storage/upgrade.py. Steps
here:

1. ``items: bounded keys, sealed values`` -- every v1 item is sealed (storage/sealed.py) and, when its v2 LMDB key
   (keycodec.stored_key of its order key) differs from its v1 key (a hash value over 256 encoded bytes, or an
   order key over 495 bytes), moved: deleted from ``items`` and put, sealed, into the holding database
   ``upgrade_items``, so that the walk over ``items`` never meets an entry twice;
2. ``items: place moved items`` -- the held items go into ``items``; the holding database is dropped;
3. ``catalogue: sealed values`` -- every value of the catalogue databases (CATALOGUE_DBS) is sealed in place,
   database by database in key order (state: database index byte ‖ last key done);
4. and 5. the indexes' steps (tables/upgrade_indexes.py): number every v1 index and expiry index and queue its
   build, then build them.

Steps 1 and 2 read the table definitions as v1 stored them (unsealed), so they run before step 3; the indexes'
steps read and write them through TableCatalog (sealed), so they run after it.

Thread-safety: run one upgrade at a time per store (see storage/upgrade.py); it holds LMDB's writer lock only
per batch, but nothing else should use the store meanwhile: opening it fails until the upgrade has finished.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import msgpack

from logstore.errors import StorageError
from logstore.storage import FORMAT_VERSION, Environment
from logstore.storage import upgrade as mechanism
from logstore.storage.sealed import seal
from logstore.storage.txn import Db, Txn
from logstore.storage.upgrade import DEFAULT_BATCH, Step, UpgradeReport

from .catalog import TableDef
from .upgrade_indexes import index_steps
from .items import encoded_key
from .keycodec import stored_key

HOLDING_DB = "upgrade_items"
# every catalogue database version 1 wrote unsealed values to (stream_policy, index_jobs and the request tokens
# are new in version 2 and written sealed from the start)
CATALOGUE_DBS = ("tables", "streams", "stream_arns", "shards", "stream_shards", "processor_checkpoints")


def _table_schemas(txn: Txn, tables_db: Db | None) -> dict[bytes, Any]:
    """Table-number prefix -> key schema, from the v1 table definitions."""
    out: dict[bytes, Any] = {}
    if tables_db is None:
        return out
    for _, raw in txn.cursor(db=tables_db):
        tdef = TableDef.from_msgpack(bytes(raw))
        out[tdef.table_no.to_bytes(8, "big")] = tdef.key_schema
    return out


def _items_step(env: Environment, batch: int, holding: Db | None) -> Step:
    items, tables = env.db("items"), env.db("tables")

    def run(txn: Txn, state: bytes) -> bytes | None:
        if items is None:
            return None
        assert holding is not None, "steps_v2 opens the holding database while this step is still to run"
        schemas = _table_schemas(txn, tables)
        with txn.cursor(db=items) as cur:
            if state:
                ok = cur.set_range(state[1:])
                if ok and cur.key() == state[1:]:
                    ok = cur.next()
            else:
                ok = cur.first()
            todo: list[tuple[bytes, bytes]] = []
            while ok and len(todo) < batch:
                todo.append((bytes(cur.key()), bytes(cur.value())))
                ok = cur.next()
        for key, value in todo:
            schema = schemas.get(key[:8])
            new_key = key
            if schema is not None:   # an item of no table (none should exist) keeps its key
                new_key = stored_key(key[:8] + encoded_key(schema, msgpack.unpackb(value, raw=False))[0])
            if new_key == key:
                txn.put(key, seal(key, value), db=items)
            else:
                txn.delete(key, db=items)
                txn.put(new_key, seal(new_key, value), db=holding)
        if not todo or not ok:
            return None
        return b"k" + todo[-1][0]
    return Step("items: bounded keys, sealed values", run,
                "seal every item; move those whose LMDB key changes into the holding database")


def _place_step(env: Environment, batch: int, holding: Db | None) -> Step:
    items = env.db("items")

    def run(txn: Txn, state: bytes) -> bytes | None:
        assert holding is not None, "steps_v2 opens the holding database while this step is still to run"
        todo: list[tuple[bytes, bytes]] = []
        with txn.cursor(db=holding) as cur:
            ok = cur.first()
            while ok and len(todo) < batch:
                todo.append((bytes(cur.key()), bytes(cur.value())))
                ok = cur.next()
        for key, value in todo:
            if not txn.put(key, value, db=items, overwrite=False):
                raise StorageError(f"{env.path}: upgrade: two items share the v2 key {key.hex()[:64]}... "
                                   f"(a BLAKE2b digest collision); nothing of this batch was written")
            txn.delete(key, db=holding)
        if todo and ok:
            return b"more"
        txn.drop(holding, delete=True)    # empty now: remove the database itself
        return None
    return Step("items: place moved items", run, "move the held items into items")


def _catalogue_step(env: Environment, batch: int) -> Step:
    dbs = [env.db(name) for name in CATALOGUE_DBS]   # None where this store never made the database

    def run(txn: Txn, state: bytes) -> bytes | None:
        index, after = (state[0], state[1:]) if state else (0, None)
        while index < len(dbs):
            db = dbs[index]
            todo: list[tuple[bytes, bytes]] = []
            if db is not None:
                with txn.cursor(db=db) as cur:
                    ok = cur.set_range(after) if after is not None else cur.first()
                    if ok and after is not None and cur.key() == after:
                        ok = cur.next()
                    while ok and len(todo) < batch:
                        todo.append((bytes(cur.key()), bytes(cur.value())))
                        ok = cur.next()
                for key, value in todo:
                    txn.put(key, seal(key, value), db=db)
            if todo and ok:
                return bytes([index]) + todo[-1][0]
            index, after = index + 1, None
            if todo:   # this database is done; the next starts in the next batch
                return bytes([index]) if index < len(dbs) else None
        return None
    return Step("catalogue: sealed values", run,
                "seal every value of " + ", ".join(CATALOGUE_DBS))


def steps_v2(env: Environment, batch: int = DEFAULT_BATCH) -> list[Step]:
    """Every step of the v1 -> v2 upgrade, in order (database handles are opened here, outside transactions)."""
    done = mechanism.progress(env)
    # the holding database exists from the first step until the second's last batch removes it: do not create it
    # again when resuming past that point (steps already done never run, so they may hold None)
    holding = env.db(HOLDING_DB) if done is None or done[2] <= 1 else None
    return [
        _items_step(env, batch, holding),
        _place_step(env, batch, holding),
        _catalogue_step(env, batch),
        *[Step(*spec) for spec in index_steps(env, batch)],
    ]


def upgrade(path: str | os.PathLike[str], *, batch: int = DEFAULT_BATCH,
            on_batch: Callable[[str, int], None] | None = None) -> UpgradeReport:
    """Upgrade the store at ``path`` to the current format version (resuming an interrupted upgrade); a store
    already current is left alone (``already_current``). Raises NotAStoreError, FormatVersionError (a version
    this logstore cannot upgrade), StoreInUseError."""
    env = Environment(path, for_upgrade=True)
    try:
        if env.version == FORMAT_VERSION:
            return UpgradeReport(env.path, env.version, env.version, already_current=True)
        return mechanism.run(env, steps_v2(env, batch), on_batch=on_batch)
    finally:
        env.close()

"""Stored indexes: the entries of every GSI, LSI and expiry index, kept in the item's own write transaction, and
the jobs that build and drop them in bounded batches.

Format (normative copy in docs/format.md, "Index entries", "Index jobs"):
* ``index_entries``: one entry per (index, item that has the index's key attributes): sparse.
  - GSI / LSI: key ``entry_key(index_no, index key, table key)``: the bounded LMDB key (keycodec.stored_key) of
    the order key u64 BE index_no || bounded index hash value || encoded index range value || the item's order
    part (items.encoded_key); value the msgpack map of the projected item (IndexDef.project: ALL, KEYS_ONLY or
    INCLUDE), which holds every key attribute, so a long-form entry's order key comes from its value. Order is
    AWS's: the index key, then the table key (reads.py restores it inside groups of long keys: tables/ordered.py).
  - expiry index (kind ``ttl``): key ``entry_key(index_no, u64 BE expiry ms, encoded table key)``, value the
    msgpack map of the item's primary key. Only items whose TTL attribute is a number of epoch seconds in
    [0, 2**64 ms) have one.
* counters ``index_items:<index_no>`` / ``index_bytes:<index_no>``: an index's entry count and total projected
  item size (DescribeTable's ItemCount and IndexSizeBytes; always exact).
* ``index_jobs``: key one ASCII byte ‖ u64 BE number, value msgpack ``[table_no, table_name, after]`` (``after``:
  the last item key done, or nil). ``b`` + index_no: build (backfill) an index over its table's items; ``d`` +
  index_no: delete a dropped index's entries; ``t`` + table_no: delete a deleted table's items.

Invariants: for every index in a table definition, after every commit, the entries of index ``n`` are exactly
``entry(item)`` for each item the index covers, except that while its build job exists (status CREATING) items
after the job's ``after`` may still lack theirs. Writes maintain CREATING indexes too, so a backfill that puts an
entry only where none exists never loses a write made meanwhile. Entries of an index no longer in any definition
are garbage that a drop job removes; no reader looks at them (index numbers are never reused).

Called by the write path (``IndexEntries.apply`` inside its transaction), reads.py (cursors over entries), the TTL
sweep (``due``) and the table engine (jobs). Thread-safety: holds handles only.
"""
from __future__ import annotations

import math
import struct

import msgpack

from logstore.storage import Counters, Environment
from logstore.storage.sealed import open_sealed, seal

from . import attrs, keycodec
from .catalog import ACTIVE, TTL, IndexDef, TableCatalog, TableDef
from .items import ItemStore, encoded_key, table_prefix, unpack_item
from logstore.storage.txn import Txn

BUILD, DROP, DROP_TABLE = b"b", b"d", b"t"
JOB_BATCH = 256                      # items (or entries) per job transaction
JOB_BATCH_BYTES = 1 << 20

_U64 = struct.Struct(">Q")
_pack = msgpack.Packer(use_bin_type=True).pack
_MAX_MS = (1 << 64) - 1


def pack_entry(key: bytes, entry: dict) -> bytes:
    """The stored (sealed) value of index entry ``entry`` under ``index_entries`` key ``key``."""
    return seal(key, _pack(entry))


def unpack_entry(key: bytes, raw: bytes) -> dict:
    """The entry stored (sealed) under ``index_entries`` key ``key``; CorruptionError naming it if damaged."""
    key = bytes(key)
    return open_sealed(key, bytes(raw), lambda: f"index_entries entry {key.hex()[:64]}", unpack_item)


def index_prefix(index_no: int) -> bytes:
    return _U64.pack(index_no)


def entry_key(index_no: int, index_key: bytes, table_key: bytes) -> bytes:
    """The LMDB key of one index entry. The only place that builds one: keys too long for LMDB take the same
    bounded form as item keys (docs/format.md, "Bounded keys")."""
    return keycodec.stored_key(_U64.pack(index_no) + index_key + table_key)


def entry_order_key(tdef: TableDef, ix: IndexDef, item: dict) -> bytes:
    """The order key of a GSI/LSI entry of ``item`` (or of a key holding the index's and the table's key
    attributes, such as an ExclusiveStartKey)."""
    return _U64.pack(ix.index_no) + _index_key(ix, item) + table_key_of(tdef, item)


def expiry_ms(item: dict, attribute: str) -> int | None:
    """The item's expiry in whole ms (floor: ``floor(x) < now`` iff ``x < now`` for an integer ``now``), or None
    when its TTL attribute is absent, not a number, or outside what an entry can hold."""
    value = item.get(attribute)
    if not value or "N" not in value:
        return None
    try:
        ms = math.floor(float(value["N"]) * 1000)
    except (ValueError, OverflowError):
        return None
    return ms if 0 <= ms <= _MAX_MS else None


def _index_key(ix: IndexDef, item: dict) -> bytes | None:
    if ix.kind == TTL:
        ms = expiry_ms(item, ix.key_schema[0][0])
        return None if ms is None else _U64.pack(ms)
    for name, typ in ix.key_schema:
        av = item.get(name)
        if av is None or typ not in av:
            return None
    (hash_name, hash_type), *rest = ix.key_schema
    out = keycodec.bound_hash(keycodec.encode_value(hash_type, item[hash_name][hash_type]))
    for name, typ in rest:
        out += keycodec.encode_value(typ, item[name][typ])
    return out


class IndexEntries:
    """The ``index_entries`` database and its counters."""

    def __init__(self, env: Environment, counters: Counters):
        self.db = env.db("index_entries")
        self.counters = counters

    def entry(self, tdef: TableDef, ix: IndexDef, item: dict, table_key: bytes) -> tuple[bytes, dict] | None:
        """(key, value) of ``item``'s entry in ``ix``, or None if the index does not cover it."""
        index_key = _index_key(ix, item)
        if index_key is None:
            return None
        value = {k: item[k] for k in tdef.key_names} if ix.kind == TTL else ix.project(item, tdef.key_names)
        return entry_key(ix.index_no, index_key, table_key), value

    def apply(self, txn: Txn, tdef: TableDef, table_key: bytes, old: dict | None, new: dict | None,
              deltas: dict[int, list[int]], old_size: int | None = None, new_size: int | None = None) -> None:
        """Move every index of the table from ``old``'s entries to ``new``'s (either may be None), accumulating
        each index's [count, bytes] change in ``deltas`` (flushed by ``count``). ``old_size``/``new_size``: the
        items' sizes when the caller has them (an ALL entry's size is its item's)."""
        db = self.db
        for ix in tdef.index_defs:
            before = self.entry(tdef, ix, old, table_key) if old is not None else None
            after = self.entry(tdef, ix, new, table_key) if new is not None else None
            if before == after:
                continue
            delta = deltas.setdefault(ix.index_no, [0, 0])
            if before is not None and txn.delete(before[0], db=db):  # absent: not backfilled yet
                delta[0] -= 1
                delta[1] -= old_size if old_size is not None and before[1] is old else attrs.item_size(before[1])
            if after is not None:
                txn.put(after[0], pack_entry(after[0], after[1]), db=db)
                delta[0] += 1
                delta[1] += new_size if new_size is not None and after[1] is new else attrs.item_size(after[1])

    def count(self, txn: Txn, deltas: dict[int, list[int]]) -> None:
        for index_no, (count, size) in deltas.items():
            if count:
                self.counters.add(txn, f"index_items:{index_no}", count)
            if size:
                self.counters.add(txn, f"index_bytes:{index_no}", size)

    def stats(self, txn: Txn, index_no: int) -> tuple[int, int]:
        """(entries, total projected bytes) of an index."""
        return (self.counters.peek(txn, f"index_items:{index_no}", 0),
                self.counters.peek(txn, f"index_bytes:{index_no}", 0))

    def due(self, txn: Txn, ix: IndexDef, not_before_ms: int, now_ms: int, after: bytes | None,
            limit: int) -> list[tuple[bytes, dict]]:
        """Up to ``limit`` (entry key, item key) of an expiry index whose expiry lies in [not_before_ms, now_ms),
        in expiry order, strictly after the entry key ``after``. One seek, then one step per entry returned."""
        prefix = index_prefix(ix.index_no)
        end = prefix + _U64.pack(max(0, now_ms))
        out = []
        with txn.cursor(db=self.db) as cur:
            ok = cur.set_range(after if after is not None else prefix + _U64.pack(max(0, not_before_ms)))
            if ok and after is not None and cur.key() == after:
                ok = cur.next()
            while ok and len(out) < limit:
                key = bytes(cur.key())
                if key >= end:   # prefix and big-endian ms: every later key expires at now or later
                    break
                out.append((key, unpack_entry(key, cur.value())))
                ok = cur.next()
        return out


def _job(body: bytes) -> tuple[int, str, bytes | None]:
    table_no, table_name, after = msgpack.unpackb(body)
    if not (isinstance(table_no, int) and isinstance(table_name, str) and (after is None or isinstance(after, bytes))):
        raise ValueError("not a job record")
    return table_no, table_name, after


class IndexJobs:
    """Builds and drops in bounded batches (``index_jobs``): each ``step`` is one bounded piece of one job, in the
    caller's write transaction, resumable from what it stored."""

    def __init__(self, env: Environment, catalog: TableCatalog, items: ItemStore, entries: IndexEntries):
        self.db = env.db("index_jobs")
        self.catalog = catalog
        self.items = items
        self.entries = entries

    def add(self, txn: Txn, kind: bytes, number: int, table: TableDef) -> None:
        key = kind + _U64.pack(number)
        txn.put(key, seal(key, msgpack.packb([table.table_no, table.name, None])), db=self.db)

    def cancel(self, txn: Txn, kind: bytes, number: int) -> None:
        txn.delete(kind + _U64.pack(number), db=self.db)

    def pending(self, txn: Txn) -> bool:
        if self.db is None:
            return False
        with txn.cursor(db=self.db) as cur:
            return cur.first()

    def step(self, txn: Txn, batch: int = JOB_BATCH) -> bool:
        """Do one bounded piece of the first job; False if there was none."""
        with txn.cursor(db=self.db) as cur:
            if not cur.first():
                return False
            job_key, raw = bytes(cur.key()), bytes(cur.value())
        kind, number = job_key[:1], _U64.unpack(job_key[1:])[0]
        table_no, table_name, after = open_sealed(job_key, raw, lambda: f"index_jobs entry {job_key.hex()}",
                                                  _job)
        if kind == BUILD:
            done, after = self._build(txn, number, table_no, table_name, after, batch)
        else:
            done, after = self._delete_range(txn, kind, number, after, batch)
        if done:
            txn.delete(job_key, db=self.db)
        else:
            txn.put(job_key, seal(job_key, msgpack.packb([table_no, table_name, after])), db=self.db)
        return True

    def _build(self, txn, index_no: int, table_no: int, table_name: str, after: bytes | None, batch: int):
        tdef = self.catalog.get(txn, table_name)
        ix = None
        if tdef is not None and tdef.table_no == table_no:
            ix = next((i for i in tdef.index_defs if i.index_no == index_no), None)
        if ix is None:   # the table or index went away meanwhile: whoever removed it queued the drop
            return True, after
        db = self.entries.db
        count = size = 0
        scanned = read = 0
        last = after
        for key, item in self.items.scan(txn, tdef, after):
            last = key
            scanned += 1
            read += len(key)
            entry = self.entries.entry(tdef, ix, item, table_key_of(tdef, item))
            if entry is not None and txn.get(entry[0], db=db) is None:  # present: a write since put it
                value = pack_entry(entry[0], entry[1])
                txn.put(entry[0], value, db=db)
                count += 1
                size += attrs.item_size(entry[1])
                read += len(value)
            if scanned >= batch or read >= JOB_BATCH_BYTES:
                break
        else:
            self.entries.count(txn, {index_no: [count, size]})
            self.catalog.put(txn, tdef.with_index_status(index_no, ACTIVE))
            return True, last
        self.entries.count(txn, {index_no: [count, size]})
        return False, last

    def _delete_range(self, txn, kind: bytes, number: int, after, batch: int):
        """Delete up to ``batch`` entries of a dropped index (or items of a deleted table)."""
        if kind == DROP:
            db, prefix = self.entries.db, index_prefix(number)
        else:
            db, prefix = self.items.db, table_prefix(number)
        deleted = 0
        with txn.cursor(db=db) as cur:
            ok = cur.set_range(prefix)
            while ok and cur.key()[:8] == prefix:
                if deleted >= batch:
                    return False, None
                ok = cur.delete()
                deleted += 1
        if kind == DROP:
            for name in (f"index_items:{number}", f"index_bytes:{number}"):
                self.entries.counters.delete(txn, name)
        return True, None


def table_key_of(tdef: TableDef, item: dict) -> bytes:
    """The encoded table key (without the table prefix) of an item or entry."""
    return encoded_key(tdef.key_schema, item)[0]

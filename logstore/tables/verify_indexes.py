"""Stored indexes against their tables, for ``logstore check``.

For every index of every table (docs/indexes.md): each item the index covers has its entry, equal to the item's
projection (a CREATING index may lack entries of items its build has not reached, but holds no wrong one); the
index holds no other entry; and its counters (``index_items:<n>``, ``index_bytes:<n>``) equal what it holds. An
entry is found by key from its item (one get per item), and an index whose entry count exceeds the found ones is
walked once to name each entry that belongs to no item. Memory stays bounded by one item and one entry.

Read-only, inside the caller's read transaction; returns ``Problem``s (kind "index"), never raises for bad data.
Stateless functions.
"""
from __future__ import annotations


from logstore.errors import CorruptionError, LogstoreError
from logstore.storage import Counters
from logstore.storage.txn import Txn
from logstore.storage.verify import Problem
from logstore.stream.records import Image

from . import attrs
from .catalog import ACTIVE, IndexDef, TableCatalog, TableDef
from .indexes import IndexEntries, index_prefix, table_key_of, unpack_entry
from .items import ItemStore, table_prefix
from .keycodec import stored_key


def _describe(tdef: TableDef, item: Image) -> str:
    return ", ".join(f"{n}={next(iter(item[n].values()))!r}" for n in tdef.key_names if n in item)


def check(catalog: TableCatalog, items: ItemStore, entries: IndexEntries, counters: Counters,
          txn: Txn) -> tuple[list[Problem], int]:
    """(problems, entries checked) over every index of every table."""
    problems: list[Problem] = []
    checked = 0
    if entries.db is None:
        return problems, 0
    for name in list(catalog.names(txn)):
        try:
            tdef = catalog.get(txn, name)
        except Exception:  # reported by tables/verify.py
            continue
        if tdef is None:   # the name was just listed, in this transaction
            continue
        for ix in tdef.index_defs:
            found, n = _index(tdef, ix, items, entries, counters, txn)
            problems += found
            checked += n
    return problems, checked


def _index(tdef: TableDef, ix: IndexDef, items: ItemStore, entries: IndexEntries, counters: Counters, txn: Txn
           ) -> tuple[list[Problem], int]:
    label = f"index {ix.name}" if ix.name else "expiry index"
    out: list[Problem] = []

    def bad(message: str, key: str | None = None) -> None:
        out.append(Problem("index", f"{label}: {message}", table=tdef.name, key=key))

    present = 0
    damaged: set[bytes] = set()   # entries found damaged through their item: not reported again below
    for key, item in items.scan(txn, tdef, skip_damaged=True):   # damaged items: reported by tables/verify.py
        entry = entries.entry(tdef, ix, item, table_key_of(tdef, item))
        if entry is None:
            continue
        raw = txn.get(entry[0], db=entries.db)
        if raw is None:
            if ix.status == ACTIVE:
                bad("the item has no entry", _describe(tdef, item))
            continue
        present += 1
        try:
            stored_entry = unpack_entry(entry[0], raw)
        except CorruptionError as e:
            bad(str(e), _describe(tdef, item))
            damaged.add(entry[0])
            continue
        if stored_entry != entry[1]:
            bad("the entry differs from the item's projection", _describe(tdef, item))
    stored = size = 0
    prefix = index_prefix(ix.index_no)
    strays: list[tuple[bytes, Image]] = []
    with txn.cursor(db=entries.db) as cur:
        ok = cur.set_range(prefix)
        while ok and cur.key()[:8] == prefix:
            try:
                value = unpack_entry(cur.key(), cur.value())
            except CorruptionError as e:   # a damaged entry is a finding, not the end
                if bytes(cur.key()) not in damaged:
                    bad(str(e), bytes(cur.key()).hex()[:64])
                ok = cur.next()
                continue
            stored += 1
            size += attrs.item_size(value)
            if len(strays) < 100:
                strays.append((bytes(cur.key()), value))
            ok = cur.next()
    if stored != present:   # entries that belong to no item: find them (the first 100)
        orphans = 0
        for key, value in strays:
            owner: Image | None
            try:
                order = table_prefix(tdef.table_no) + table_key_of(tdef, value)
                owner = items.get(txn, tdef, stored_key(order), order)
            except (KeyError, TypeError, ValueError, LogstoreError):
                owner = None
            entry = entries.entry(tdef, ix, owner, table_key_of(tdef, owner)) if owner is not None else None
            if entry is None or entry[0] != key:
                bad("an entry belongs to no item", _describe(tdef, value))
                orphans += 1
        if stored > present and not orphans:
            bad(f"holds {stored} entries, {stored - present} more than its items have")
    count, counted_bytes = entries.stats(txn, ix.index_no)
    if count != stored or counted_bytes != size:
        bad(f"its counters say {count} entries and {counted_bytes} bytes; it holds {stored} and {size}")
    return out, stored

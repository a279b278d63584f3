"""Query and Scan: reading a page of a table's (or one of its secondary indexes') items, DynamoDB's way.

A page reads items in order and stops after ``limit`` items have been *evaluated* or once the items read reach
1 MB (``PAGE_BYTES``); the filter applies afterwards, so a page may hold fewer items than it evaluated (``Count``
vs ``ScannedCount``) and may be empty while more remain. ``last_key`` (LastEvaluatedKey) is the key of the last
item evaluated whenever the read stopped early, even if nothing follows it, as DynamoDB does.

Orders: a Query returns one hash key's items by range key (descending when not ``forward``) — one LMDB range
read, seeking to the key condition's lower bound; a Scan walks the table in stored key order and ``segment`` /
``total_segments`` keep the items whose partition hash falls in the segment's share of the 32-bit hash space.

Secondary indexes are stored (indexes.py): a Query or Scan of an index is the same range read over the index's
entries, which sort by (index hash, index range, table key) and hold the projected item, so a page costs one seek
and a step per entry, O(log n + page). A global index returns and filters its entries; a local index reads through
to the table for an entry whose projection is not ALL (the filter sees whole items; the caller projects), as
DynamoDB fetches non-projected attributes of a local index from the table. Both are exact and strongly consistent:
the entries commit with the item (docs/streams-compat.md).

Thread-safety: reads in one read transaction each; no state.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from logstore.storage.txn import Db, Txn
from logstore.stream.records import Image

from . import attrs, keycodec
from .catalog import IndexDef, TableDef
from .expr import conditions
from .expr.keycond import KeyCondition
from . import ordered
from .indexes import IndexEntries, entry_order_key, index_prefix, table_key_of, unpack_entry
from .items import ItemStore, decode_item, encoded_key, order_key, table_prefix

Index = IndexDef   # the name reads and their callers use
Keep = Callable[[Image], bool] | None                # a filter: whether a page returns the item it evaluated
Read = tuple[Image, int]   # an item (or entry) read, and the length of the stored value it came from
Decode = Callable[[bytes, bytes], Image]   # (stored key, value) -> the item or entry it holds
OrderKey = Callable[[Image], bytes]       # an item or entry -> its order key

PAGE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Image]
    scanned: int
    last_key: Image | None
    read_bytes: int | None = 0   # DynamoDB's size of everything evaluated (items, or index entries): read
                                 # capacity; None when the page was read without ``sized`` and it was not needed


def _key_of(tdef: TableDef, index: Index | None, item: Image) -> Image:
    names = list(tdef.key_names) + ([n for n, _ in index.key_schema] if index else [])
    return {n: item[n] for n in names}


class Reader:
    def __init__(self, items: ItemStore, entries: IndexEntries) -> None:
        self.items = items
        self.entries = entries

    def _page(self, candidates: Iterable[Read], tdef: TableDef, index: Index | None, limit: int | None,
              keep: Keep, sized: bool) -> Page:
        """Evaluate candidates up to ``limit`` or 1 MB of what is read: items, or for an index its entries. A
        global index holds only its entries, so they are what the filter sees and what the page returns; a local
        index reads through to the table (the filter sees whole items, the caller projects).

        ``sized``: the page's ``read_bytes`` is wanted (for ConsumedCapacity), so every evaluated item is
        measured. Otherwise items are measured only once the 1 MB limit may be near: a stored value is never
        shorter than DynamoDB's size of what it holds (its msgpack spends at least a byte on every name, value
        and type tag that the size counts, docs/format.md), so while the stored lengths add up to less than
        1 MB the items' sizes do too; when they reach it, what was evaluated so far is measured and every item
        after it."""
        out: list[Image] = []
        scanned = size = stored = 0
        unmeasured: list[Image] | None = None if sized else []
        last = None
        for item, length in candidates:
            scanned += 1
            measured = item
            if index is not None:
                measured = index.project(item, tdef.key_names)
                if index.is_global:
                    item = measured
            if unmeasured is None:
                size += attrs.item_size(measured)
            else:
                stored += length
                unmeasured.append(measured)
                if stored >= PAGE_BYTES:   # the limit may be near: measure from here on
                    size = sum(map(attrs.item_size, unmeasured))
                    unmeasured = None
            if keep is None or keep(item):
                out.append(item)
            if (limit is not None and scanned >= limit) or size >= PAGE_BYTES:
                last = item
                break
        return Page(out, scanned, _key_of(tdef, index, last) if last is not None else None,
                    size if unmeasured is None else None)

    # -- Query -----------------------------------------------------------------------------------------------------

    def query(self, txn: Txn, tdef: TableDef, cond: KeyCondition, *, index: Index | None = None,
              forward: bool = True, start_key: Image | None = None, limit: int | None = None, keep: Keep = None,
              fetch: bool = True, sized: bool = True) -> Page:
        """A page of one hash key's items (of the table, or of ``index``) in range order. ``fetch``: a local
        index reads whole items from the table (the caller says when its entries are not enough); ``sized``:
        the page's ``read_bytes`` is wanted (``_page``)."""
        if index is not None:
            hash_type = index.key_schema[0][1]
            prefix = index_prefix(index.index_no) + keycodec.bound_hash(
                keycodec.encode_value(hash_type, cond.hash_value[hash_type]))
            after = entry_order_key(tdef, index, start_key) if start_key else None

            rows = self._range(txn, self.entries.db, prefix, index.key_schema, cond, forward, after, unpack_entry,
                               lambda entry: entry_order_key(tdef, index, entry))
            return self._page(self._through(txn, tdef, index, rows) if fetch else rows, tdef, index, limit, keep,
                              sized)
        hash_type = tdef.key_schema[0][1]
        prefix = table_prefix(tdef.table_no) + keycodec.bound_hash(
            keycodec.encode_value(hash_type, cond.hash_value[hash_type]))
        after = order_key(tdef, start_key) if start_key else None

        rows = self._range(txn, self.items.db, prefix, tdef.key_schema, cond, forward, after,
                           lambda stored, value: decode_item(tdef, stored, value), lambda item: order_key(tdef, item))
        return self._page(rows, tdef, None, limit, keep, sized)

    def _through(self, txn: Txn, tdef: TableDef, index: Index, entries: Iterable[Read]) -> Iterator[Read]:
        """A local index's entries as whole items (read from the table when the projection is not ALL), each with
        its entry's stored length (what the page measures is the entry: ``_page``)."""
        if index.is_global or index.projection == "ALL":
            yield from entries
            return
        for entry, length in entries:
            order = table_prefix(tdef.table_no) + table_key_of(tdef, entry)
            item = self.items.get(txn, tdef, keycodec.stored_key(order), order)
            if item is not None:   # always, inside one snapshot; but never serve an entry without its item
                yield item, length

    def _in_range(self, cond: KeyCondition, item: Image) -> bool:
        return cond.range_condition is None or conditions.evaluate(cond.range_condition, item)

    def _range(self, txn: Txn, db: Db | None, prefix: bytes, schema: Sequence[tuple[str, str]], cond: KeyCondition,
               forward: bool, after: bytes | None, decode: Decode, order: OrderKey) -> Iterator[Read]:
        """The values (items or entries) under ``prefix`` (a table's or index's bounded hash key) that satisfy
        the range condition, in exact order, strictly after (before, backwards) the order key ``after``: one seek
        to the condition's lower bound, then a step per value, stopping at the first miss after a match.
        ``decode(stored key, value)`` gives the decoded value and ``order(decoded)`` its order key, which the walk
        needs only for long-form keys (a short stored key is its order key): ordered.walk seeks by the bounds'
        stored form and restores the order inside groups of long keys (docs/format.md, "Bounded keys")."""
        if db is None:
            return
        end = ordered.successor(prefix)
        if forward:
            low = prefix
            bound, _ = cond.range_bounds()
            if bound is not None and len(schema) > 1:
                rtype = schema[1][1]
                low = prefix + keycodec.encode_value(rtype, bound[rtype])
            if after is not None and after >= low:
                low = after + b"\0"      # the least order key above ``after``
            high = end
        else:
            low, high = prefix, after if after is not None else end
        decoded: dict[bytes, Image] = {}

        def order_of(stored: bytes, value: bytes) -> bytes:   # only for long-form keys: keep what was decoded
            item = decoded[stored] = decode(stored, value)
            return order(item)

        matched = False
        with txn.cursor(db=db) as cur:
            for _order, stored, value in ordered.walk(cur, low, high, order_of, forward=forward):
                item = decoded.pop(stored, None)
                if item is None:
                    item = decode(stored, value)
                if self._in_range(cond, item):
                    matched = True
                    yield item, len(value)
                elif matched:
                    break

    # -- Scan ------------------------------------------------------------------------------------------------------

    def scan(self, txn: Txn, tdef: TableDef, *, index: Index | None = None, start_key: Image | None = None,
             limit: int | None = None, keep: Keep = None, segment: int = 0, total_segments: int = 1,
             fetch: bool = True, sized: bool = True) -> Page:
        if index is not None:
            after = keycodec.stored_key(entry_order_key(tdef, index, start_key)) if start_key else None
            entries = (e for e in self._entries(txn, index, after)
                       if self._in_segment(tdef, e[0], segment, total_segments))
            return self._page(self._through(txn, tdef, index, entries) if fetch else entries, tdef, index, limit,
                              keep, sized)
        after = self.items.key(tdef.table_no, encoded_key(tdef.key_schema, start_key)[0]) if start_key else None
        source = ((decode_item(tdef, key, value), len(value)) for key, value in self.items.stored(txn, tdef, after))
        if total_segments > 1:
            source = (read for read in source if self._in_segment(tdef, read[0], segment, total_segments))
        return self._page(source, tdef, None, limit, keep, sized)

    def _entries(self, txn: Txn, index: Index, after: bytes | None) -> Iterator[Read]:
        """An index's entries in stored key order, strictly after the stored entry key ``after``, each with its
        stored length."""
        db = self.entries.db
        if db is None:
            return
        prefix = index_prefix(index.index_no)
        with txn.cursor(db=db) as cur:
            ok = cur.set_range(after if after is not None else prefix)
            if ok and after is not None and cur.key() == after:
                ok = cur.next()
            while ok:
                if cur.key()[:8] != prefix:
                    break
                value = cur.value()
                yield unpack_entry(cur.key(), value), len(value)
                ok = cur.next()

    @staticmethod
    def _in_segment(tdef: TableDef, item: Image, segment: int, total: int) -> bool:
        if total == 1:
            return True
        _, partition_hash = encoded_key(tdef.key_schema, item)
        return (partition_hash * total) >> 32 == segment


def key_in_segment(tdef: TableDef, key: Image, segment: int, total_segments: int) -> bool:
    """Whether the item with ``key`` belongs to parallel-Scan segment ``segment`` of ``total_segments``."""
    return Reader._in_segment(tdef, key, segment, total_segments)

"""Query and Scan: reading a page of a table's (or one of its secondary indexes') items, DynamoDB's way.

A page reads items in order and stops after ``limit`` items have been *evaluated* or once the items read reach
1 MB (``PAGE_BYTES``); the filter applies afterwards, so a page may hold fewer items than it evaluated (``Count``
vs ``ScannedCount``) and may be empty while more remain. ``last_key`` (LastEvaluatedKey) is the key of the last
item evaluated whenever the read stopped early, even if nothing follows it, as DynamoDB does.

Orders: a Query returns one hash key's items by range key (descending when not ``forward``) — one LMDB range
read, seeking to the key condition's lower bound; a Scan walks the table in stored key order and ``segment`` /
``total_segments`` keep the items whose partition hash falls in the segment's share of the 32-bit hash space.

Secondary indexes are not stored: a Query or Scan of an index reads the table, keeps the items that carry the
index's key attributes (with the defined types), sorts them by (index hash, index range, table key) and projects
them as the index's Projection says. That is exact and strongly consistent, and costs a read of the table per page
(docs/expressions.md).

Thread-safety: reads in one read transaction each; no state.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from . import attrs, keycodec
from .catalog import TableDef
from .expr import conditions
from .expr.keycond import KeyCondition
from . import ordered
from .items import ItemStore, decode_item, encoded_key, order_key, table_prefix

PAGE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Index:
    """A secondary index as a read sees it."""

    name: str
    key_schema: tuple[tuple[str, str], ...]     # (name, type), HASH first
    projection: str                             # ALL, KEYS_ONLY or INCLUDE
    non_key: tuple[str, ...] = ()
    is_global: bool = True

    def project(self, item: dict, table_keys) -> dict:
        """The index entry of ``item``: the attributes the index's Projection keeps."""
        if self.projection == "ALL":
            return item
        keep = set(table_keys) | {n for n, _ in self.key_schema} | set(self.non_key)
        return {k: v for k, v in item.items() if k in keep}


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict]
    scanned: int
    last_key: dict | None


def _has_key(item: dict, key_schema) -> bool:
    for name, typ in key_schema:
        av = item.get(name)
        if av is None or typ not in av:
            return False
    return True


def _index_sort_key(tdef: TableDef, index: Index, item: dict) -> bytes:
    return keycodec.encode_key(list(index.key_schema), item) + keycodec.encode_key(list(tdef.key_schema), item)


def _key_of(tdef: TableDef, index: Index | None, item: dict) -> dict:
    names = list(tdef.key_names) + ([n for n, _ in index.key_schema] if index else [])
    return {n: item[n] for n in names}


class Reader:
    def __init__(self, items: ItemStore):
        self.items = items

    def _page(self, candidates: Iterator[dict], tdef: TableDef, index: Index | None, limit: int | None,
              keep) -> Page:
        """Evaluate candidates up to ``limit`` or 1 MB of what is read: items, or for an index its entries. A
        global index holds only its entries, so they are what the filter sees and what the page returns; a local
        index reads through to the table (the filter sees whole items, the caller projects)."""
        out, scanned, size = [], 0, 0
        last = None
        for item in candidates:
            scanned += 1
            if index is not None:
                entry = index.project(item, tdef.key_names)
                size += attrs.item_size(entry)
                if index.is_global:
                    item = entry
            else:
                size += attrs.item_size(item)
            if keep is None or keep(item):
                out.append(item)
            if (limit is not None and scanned >= limit) or size >= PAGE_BYTES:
                last = item
                break
        return Page(out, scanned, _key_of(tdef, index, last) if last is not None else None)

    # -- Query -----------------------------------------------------------------------------------------------------

    def query(self, txn, tdef: TableDef, cond: KeyCondition, *, index: Index | None = None, forward: bool = True,
              start_key: dict | None = None, limit: int | None = None, keep=None) -> Page:
        if index is not None:
            schema = index.key_schema
            pool = [i for i in self._index_items(txn, tdef, index)
                    if conditions.equal(i[schema[0][0]], cond.hash_value)]
            return self._page(self._ranged(pool, tdef, index, cond, forward, start_key), tdef, index, limit, keep)
        return self._page(self._table_range(txn, tdef, cond, forward, start_key), tdef, None, limit, keep)

    def _in_range(self, cond: KeyCondition, item: dict) -> bool:
        return cond.range_condition is None or conditions.evaluate(cond.range_condition, item)

    def _table_range(self, txn, tdef: TableDef, cond: KeyCondition, forward: bool, start_key: dict | None):
        """The items of the condition's hash key in exact range-key order from the condition's lower bound (or
        after ``start_key``), while they satisfy the range condition. Bounds are order keys (items.py);
        ordered.walk seeks by their stored form and restores the order inside groups of long keys."""
        hash_name, hash_type = tdef.key_schema[0]
        prefix = table_prefix(tdef.table_no) + keycodec.bound_hash(
            keycodec.encode_value(hash_type, cond.hash_value[hash_type]))
        after = order_key(tdef, start_key) if start_key else None
        db = self.items.db
        if db is None:
            return
        end = ordered.successor(prefix)
        if forward:
            low = prefix
            bound, _ = cond.range_bounds()
            if bound is not None and len(tdef.key_schema) > 1:
                rtype = tdef.key_schema[1][1]
                low = prefix + keycodec.encode_value(rtype, bound[rtype])
            if after is not None and after >= low:
                low = after + b"\0"      # the least order key above ``after``
            high = end
        else:
            low, high = prefix, after if after is not None else end

        def order_of(stored: bytes, value: bytes) -> bytes:
            return order_key(tdef, decode_item(tdef, stored, value))

        matched = False
        with txn.cursor(db=db) as cur:
            for _order, stored, value in ordered.walk(cur, low, high, order_of, forward=forward):
                item = decode_item(tdef, stored, value)
                if self._in_range(cond, item):
                    matched = True
                    yield item
                elif matched:
                    break

    def _index_items(self, txn, tdef: TableDef, index: Index) -> list[dict]:
        found = [item for _, item in self.items.scan(txn, tdef) if _has_key(item, index.key_schema)]
        found.sort(key=lambda i: _index_sort_key(tdef, index, i))
        return found

    def _ranged(self, pool: list[dict], tdef, index, cond, forward, start_key):
        ordered = pool if forward else pool[::-1]
        if start_key is not None:
            marker = _index_sort_key(tdef, index, start_key)
            ordered = [i for i in ordered if (_index_sort_key(tdef, index, i) > marker) == forward
                       and _index_sort_key(tdef, index, i) != marker]
        for item in ordered:
            if self._in_range(cond, item):
                yield item

    # -- Scan ------------------------------------------------------------------------------------------------------

    def scan(self, txn, tdef: TableDef, *, index: Index | None = None, start_key: dict | None = None,
             limit: int | None = None, keep=None, segment: int = 0, total_segments: int = 1) -> Page:
        if index is not None:
            pool = self._index_items(txn, tdef, index)
            if start_key is not None:
                marker = _index_sort_key(tdef, index, start_key)
                pool = [i for i in pool if _index_sort_key(tdef, index, i) > marker]
            source = (i for i in pool if self._in_segment(tdef, i, segment, total_segments))
            return self._page(source, tdef, index, limit, keep)
        after = self.items.key(tdef.table_no, encoded_key(tdef.key_schema, start_key)[0]) if start_key else None
        source = (item for _, item in self.items.scan(txn, tdef, after)
                  if self._in_segment(tdef, item, segment, total_segments))
        return self._page(source, tdef, None, limit, keep)

    @staticmethod
    def _in_segment(tdef: TableDef, item: dict, segment: int, total: int) -> bool:
        if total == 1:
            return True
        _, partition_hash = encoded_key(tdef.key_schema, item)
        return (partition_hash * total) >> 32 == segment

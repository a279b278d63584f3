"""ReturnConsumedCapacity: the capacity units one request consumed, by DynamoDB's rules (docs/capacity.md).

* A read unit is 4 KB of item read, a write unit 1 KB written, each item rounded up on its own and at least one
  unit (a missing item costs one too). Eventually consistent reads cost half. Query and Scan round the sum of
  every item they evaluate (filtered out or not) once per page.
* A write costs the larger of the item before and after it (a put over a bigger item, a delete of a big item cost
  that item's size); an index whose entry the write changes costs the same rule over the entries (an entry that
  moves to another index key is a delete and a put: both count).
* Transactions cost double: TransactGetItems 2 read units per 4 KB, TransactWriteItems 2 write units per 1 KB for
  each item, a ConditionCheck included.
* PAY_PER_REQUEST tables report the same units (request units are counted the same way).

``Consumed`` collects one request's units per table (and per index) and renders AWS's ConsumedCapacity: under
``TOTAL`` the table name and CapacityUnits; under ``INDEXES`` also ``Table`` and the indexes' own units;
``NONE`` (or absent) nothing. One per request, on one thread; the functions are pure.
"""
from __future__ import annotations

import math

from logstore.tables import attrs

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
MODES = ["INDEXES", "TOTAL", "NONE"]


def read_units(size: int, consistent: bool = True) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / WRITE_UNIT_BYTES)))


def size_of(item: dict | None) -> int:
    return attrs.item_size(item) if item else 0


def _entry(tdef, ix: dict, item: dict | None) -> dict | None:
    """The entry ``item`` has in index ``ix`` (a stored index definition), or None if it has none."""
    if item is None:
        return None
    keys = [e["AttributeName"] for e in ix["KeySchema"]]
    if any(k not in item for k in keys):
        return None
    projection = ix.get("Projection") or {}
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return item
    names = set(tdef.key_names) | set(keys) | set(projection.get("NonKeyAttributes") or () if kind == "INCLUDE"
                                                   else ())
    return {k: v for k, v in item.items() if k in names}


class Consumed:
    """The units of one request, per table; nothing is computed when the request did not ask."""

    def __init__(self, mode: str | None):
        self.mode = mode or "NONE"
        self.tables: dict[str, list] = {}      # name -> [table units, {gsi: units}, {lsi: units}]

    @property
    def wanted(self) -> bool:
        return self.mode != "NONE"

    def _slot(self, table: str) -> list:
        return self.tables.setdefault(table, [0.0, {}, {}])

    def add(self, table: str, units: float, index: str | None = None, is_global: bool = False) -> None:
        slot = self._slot(table)
        if index is None:
            slot[0] += units
        else:
            bucket = slot[1] if is_global else slot[2]
            bucket[index] = bucket.get(index, 0.0) + units

    def read(self, table: str, item: dict | None, consistent: bool, factor: int = 1) -> None:
        """A single-item read (GetItem, BatchGetItem, TransactGetItems)."""
        if self.wanted:
            self.add(table, factor * read_units(size_of(item), consistent))

    def page(self, table: str, read_bytes: int, consistent: bool, index=None) -> None:
        """A Query or Scan page that read ``read_bytes`` (of the table, or of ``index``: a reads.Index)."""
        if not self.wanted:
            return
        units = read_units(read_bytes, consistent)
        if index is None:
            self.add(table, units)
        else:
            self._slot(table)
            self.add(table, units, index.name, index.is_global)

    def wrote(self, tdef, outcome, factor: int = 1, table: str | None = None) -> None:
        """``write`` of a committed write's Outcome (tables/writes.py), whose images are read only when capacity
        is wanted (a prepared put's new item is decoded from its stored bytes when read)."""
        if self.wanted:
            self.write(tdef, outcome.old, outcome.new, factor, table)

    def write(self, tdef, old: dict | None, new: dict | None, factor: int = 1, table: str | None = None) -> None:
        """One item written (put, update, delete; a condition check is a write of the item onto itself), counted
        for ``table`` (the table as the request named it: its name or ARN; ``tdef.name`` if not given)."""
        if not self.wanted:
            return
        table = table or tdef.name
        self.add(table, factor * write_units(max(size_of(old), size_of(new))))
        for kind in ("gsi", "lsi"):
            for ix in (tdef.indexes or {}).get(kind) or ():
                before, after = _entry(tdef, ix, old), _entry(tdef, ix, new)
                if before == after:
                    continue   # no entry, or one the write leaves as it was
                keys = [e["AttributeName"] for e in ix["KeySchema"]]
                if before is not None and after is not None and any(before[k] != after[k] for k in keys):
                    units = write_units(size_of(before)) + write_units(size_of(after))
                else:
                    units = write_units(max(size_of(before), size_of(after)))
                self.add(table, factor * units, ix["IndexName"], kind == "gsi")

    def _render(self, table: str) -> dict:
        table_units, gsi, lsi = self.tables.get(table, (0.0, {}, {}))
        out = {"TableName": table,
               "CapacityUnits": table_units + sum(gsi.values()) + sum(lsi.values())}
        if self.mode == "INDEXES":
            out["Table"] = {"CapacityUnits": table_units}
            if lsi:
                out["LocalSecondaryIndexes"] = {k: {"CapacityUnits": v} for k, v in lsi.items()}
            if gsi:
                out["GlobalSecondaryIndexes"] = {k: {"CapacityUnits": v} for k, v in gsi.items()}
        return out

    def one(self, response: dict, table: str, shown: str | None = None) -> dict:
        """``response`` with the ConsumedCapacity of a single-table operation, if asked for; its TableName
        ``shown``, the TableName as given (AWS echoes a table ARN given for a name)."""
        if self.wanted:
            response["ConsumedCapacity"] = self._render(table)
            if shown is not None:
                response["ConsumedCapacity"]["TableName"] = shown
        return response

    def many(self, response: dict) -> dict:
        """``response`` with the ConsumedCapacity list of a multi-table operation (batches, transactions)."""
        if self.wanted:
            response["ConsumedCapacity"] = [self._render(t) for t in self.tables]
        return response

"""Items against the change log, for ``logstore check``.

While a table's stream is ENABLED every change of an item commits together with its record, so the newest record
of each key in that stream says what the item is now (docs/streams.md):
* REMOVE: the item does not exist;
* INSERT or MODIFY: the item exists and, when the stream's view type carries new images (NEW_IMAGE,
  NEW_AND_OLD_IMAGES), equals the record's NewImage. KEYS_ONLY and OLD_IMAGE streams allow only the existence check.
Keys without a record in the stream (written before it was enabled, or trimmed) are not judged. Also checked:
every table definition decodes, an enabled stream exists and is ENABLED, and the table's item counter equals its
items.

``LatestRecords`` collects the newest record per key while the storage walk visits the stream's segments (the
one place the check decodes record payloads); ``check`` then compares. Read-only, inside the caller's read
transaction. ``LatestRecords`` belongs to one check run; the functions are stateless.
"""
from __future__ import annotations

import lmdb
import msgpack

from logstore import codec
from logstore.storage import Counters
from logstore.storage.verify import Problem
from logstore.stream import StreamInfo
from logstore.stream.catalog import ENABLED

from .catalog import TableCatalog, TableDef
from .items import ItemStore, encoded_key, table_prefix

NEW_IMAGE_VIEWS = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
REMOVE = 3
_unpackb = msgpack.unpackb


class LatestRecords:
    """The newest (seq, kind, new image) of each key of one table's stream, fed segment by segment."""

    def __init__(self, tdef: TableDef, stream: StreamInfo):
        self.tdef = tdef
        self.stream = stream
        self.latest: dict[bytes, tuple[int, int, dict | None, dict]] = {}
        self.problems: list[Problem] = []

    def visit(self, shard: int, segment: bytes, r: codec.SegmentRead) -> None:
        latest, schema = self.latest, self.tdef.key_schema
        view = memoryview(segment)
        for seq, off, n in zip(r.seqs, r.offsets, r.lengths):
            try:
                kind, _size, keys, new, _old, _flags = _unpackb(view[off:off + n], raw=False)
                key = encoded_key(schema, keys)[0]
            except Exception as e:  # noqa: BLE001 - a payload that does not decode is a finding
                self.problems.append(Problem("items", f"record {seq} does not decode as a change record: {e}",
                                             shard=shard, stream=self.stream.arn, table=self.tdef.name))
                continue
            seen = latest.get(key)
            if seen is None or seen[0] < seq:
                latest[key] = (seq, kind, new, keys)


def check(catalog: TableCatalog, items: ItemStore, counters: Counters, txn: lmdb.Transaction,
          streams: dict[int, StreamInfo], latest: dict[str, LatestRecords]) -> list[Problem]:
    """Every problem with tables and items (see the module docstring). ``streams``: every stream by number;
    ``latest``: by table name, what the walk collected for tables whose stream is ENABLED."""
    problems: list[Problem] = []
    for name in list(catalog.names(txn)):
        try:
            tdef = catalog.get(txn, name)
        except Exception as e:  # noqa: BLE001
            problems.append(Problem("metadata", f"table definition does not decode: {e}", table=name))
            continue
        if tdef.stream_enabled:
            info = streams.get(tdef.stream_no)
            if info is None or info.status != ENABLED:
                problems.append(Problem("metadata", f"stream enabled, but its stream (number {tdef.stream_no}) is "
                                        + ("missing" if info is None else info.status), table=name))
        count = 0
        if items.db is not None:
            prefix = table_prefix(tdef.table_no)
            with txn.cursor(db=items.db) as cur:
                ok = cur.set_range(prefix)
                while ok and cur.key()[:8] == prefix:
                    count += 1
                    ok = cur.next()
        counted = counters.peek(txn, f"items:{tdef.table_no}", 0)
        if counted != count:
            problems.append(Problem("metadata", f"item counter says {counted}, the table holds {count} items",
                                    table=name))
        seen = latest.get(name)
        if seen is not None:
            problems += seen.problems
            problems += _items_against_records(tdef, seen, items, txn)
    return problems


def _items_against_records(tdef: TableDef, seen: LatestRecords, items: ItemStore, txn) -> list[Problem]:
    out = []
    with_image = seen.stream.view_type in NEW_IMAGE_VIEWS
    prefix = table_prefix(tdef.table_no)
    for key, (seq, kind, new, keys) in seen.latest.items():
        item = items.get(txn, prefix + key)
        where = dict(table=tdef.name, stream=seen.stream.arn, key=_key_text(keys, tdef))
        if kind == REMOVE:
            if item is not None:
                out.append(Problem("items", f"the item exists, but its latest record ({seq}) is a REMOVE", **where))
        elif item is None:
            out.append(Problem("items", f"the item is missing, but its latest record ({seq}) is not a REMOVE",
                               **where))
        elif with_image and new is not None and item != new:
            out.append(Problem("items", f"the item differs from the NewImage of its latest record ({seq})",
                               **where))
    return out


def _key_text(keys: dict, tdef: TableDef) -> str:
    return ", ".join(f"{n}={next(iter(keys[n].values()))!r}" for n in tdef.key_names if n in keys)

"""The table catalogue: table definitions as stored, read inside the caller's transaction.

Format (docs/format.md, "tables"): database ``tables``, key = table name (UTF-8), value = msgpack map of a
``TableDef``. A table's items live under its ``table_no`` (see items.py), which is never reused, so a table
deleted and created again under the same name never sees the old items.

Values are immutable; ``TableCatalog`` holds handles and a decode cache keyed by the exact stored bytes (so a
cached value is only ever used for the bytes it was decoded from). Thread-safe.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterator

import lmdb
import msgpack

from logstore.storage import Environment


@dataclass(frozen=True, slots=True)
class TableDef:
    name: str
    table_no: int
    key_schema: tuple[tuple[str, str], ...]          # (attribute name, "S" | "N" | "B"): hash, then range
    attribute_definitions: tuple[tuple[str, str], ...]
    created_ms: int
    table_id: str
    billing_mode: str = "PAY_PER_REQUEST"
    read_capacity: int = 0
    write_capacity: int = 0
    stream_no: int | None = None                      # the latest stream, enabled or not
    stream_enabled: bool = False
    ttl_attribute: str | None = None
    ttl_enabled: bool = False
    indexes: dict = field(default_factory=dict)       # accepted as metadata: {"lsi": [...], "gsi": [...]}
    tags: dict = field(default_factory=dict)
    deletion_protection: bool = False

    key_names: tuple[str, ...] = field(init=False, default=())  # derived from key_schema; not stored

    def __post_init__(self) -> None:
        if not 1 <= len(self.key_schema) <= 2:
            raise ValueError("a key schema has a hash key and at most one range key")
        object.__setattr__(self, "key_names", tuple(name for name, _ in self.key_schema))

    @property
    def hash_key(self) -> tuple[str, str]:
        return self.key_schema[0]

    def to_msgpack(self) -> bytes:
        fields = asdict(self)
        del fields["key_names"]
        return msgpack.packb(fields, use_bin_type=True)

    @classmethod
    def from_msgpack(cls, raw: bytes) -> "TableDef":
        d = msgpack.unpackb(raw, raw=False)
        d["key_schema"] = tuple(tuple(k) for k in d["key_schema"])
        d["attribute_definitions"] = tuple(tuple(a) for a in d["attribute_definitions"])
        return cls(**d)


class TableCatalog:
    def __init__(self, env: Environment):
        self.db = env.db("tables")
        self._cache: dict[bytes, TableDef] = {}

    def get(self, txn: lmdb.Transaction, name: str) -> TableDef | None:
        if self.db is None:
            return None
        raw = txn.get(name.encode(), db=self.db)
        if raw is None:
            return None
        tdef = self._cache.get(raw)
        if tdef is None:
            if len(self._cache) > 1024:
                self._cache.clear()
            tdef = self._cache[raw] = TableDef.from_msgpack(raw)
        return tdef

    def put(self, txn: lmdb.Transaction, tdef: TableDef) -> None:
        txn.put(tdef.name.encode(), tdef.to_msgpack(), db=self.db)

    def delete(self, txn: lmdb.Transaction, name: str) -> None:
        txn.delete(name.encode(), db=self.db)

    def names(self, txn: lmdb.Transaction, after: str | None = None) -> Iterator[str]:
        """Table names in byte order, strictly after ``after`` when given."""
        if self.db is None:
            return
        with txn.cursor(db=self.db) as cur:
            start = after.encode() + b"\0" if after is not None else b""
            ok = cur.set_range(start)
            while ok:
                yield bytes(cur.key()).decode()
                ok = cur.next()

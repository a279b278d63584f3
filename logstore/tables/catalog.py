"""The table catalogue: table definitions as stored, read inside the caller's transaction.

Format (docs/format.md, "tables"): database ``tables``, key = table name (UTF-8), value = msgpack map of a
``TableDef``, sealed (storage/sealed.py; a damaged one is CorruptionError naming the table). A table's items live
under its ``table_no`` (see items.py), which is never reused, so a table deleted and created again under the same
name never sees the old items.

Values are immutable; ``TableCatalog`` holds handles and a decode cache keyed by the exact stored bytes (so a
cached value is only ever used for the bytes it was decoded from). Thread-safe.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Iterator

import msgpack

from logstore.storage import Environment
from logstore.storage.sealed import open_sealed, seal
from logstore.storage.txn import Txn
from logstore.tables.keycodec import KEY_LIMIT
from logstore.stream.records import Image


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
    indexes: dict[str, Any] = field(default_factory=dict)   # {"lsi": [...], "gsi": [...], "ttl": {...}}: IndexDef
    tags: dict[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    table_class: str | None = None                    # as CreateTable or UpdateTable set it; None: never set
    table_class_updated_ms: int | None = None         # when an UpdateTable last changed table_class
    sse_kms_key: str | None = None                    # the KMS key ARN of SSEType KMS; None: AWS's own key
    on_demand_throughput: dict[str, int] | None = None  # OnDemandThroughput's maximums set; None: none
    warm_throughput: dict[str, int] | None = None     # the highest warm throughput reached; None: the floor (warm)
    pay_per_request_ms: int | None = None             # when an UpdateTable last made it PAY_PER_REQUEST, or, once
    #                                                   a table created so is PROVISIONED, its creation; None: neither
    throughput_changes: dict[str, int] | None = None  # its provisioned capacity's increases and decreases
    #                                                   (throughput_changed); None: never changed

    key_names: tuple[str, ...] = field(init=False, default=())  # derived from key_schema; not stored
    index_defs: tuple["IndexDef", ...] = field(init=False, default=())  # derived from indexes; not stored

    def __post_init__(self) -> None:
        if not 1 <= len(self.key_schema) <= 2:
            raise ValueError("a key schema has a hash key and at most one range key")
        object.__setattr__(self, "key_names", tuple(name for name, _ in self.key_schema))
        object.__setattr__(self, "index_defs", _index_defs(self.indexes, dict(self.attribute_definitions)))

    def index(self, name: str) -> "IndexDef | None":
        """The secondary index (GSI or LSI) called ``name``, or None."""
        for ix in self.index_defs:
            if ix.name == name and ix.kind != TTL:
                return ix
        return None

    def with_index_status(self, index_no: int, status: str) -> "TableDef":
        """This definition with index ``index_no``'s status replaced."""
        indexes = {}
        for kind, value in self.indexes.items():
            if isinstance(value, list):
                value = [dict(ix, status=status) if ix.get("index_no") == index_no else ix for ix in value]
            elif isinstance(value, dict) and value.get("index_no") == index_no:
                value = dict(value, status=status)
            indexes[kind] = value
        return replace(self, indexes=indexes)

    @property
    def warm(self) -> dict[str, int]:
        """The table's warm throughput: the highest it reached (``warm_throughput``), and never below what its
        billing mode gives (``warm_floor``)."""
        return warmest(self.warm_throughput, warm_floor(self.billing_mode, self.read_capacity, self.write_capacity))

    def index_warm(self, ix: dict[str, Any]) -> dict[str, int]:
        """The warm throughput of GSI ``ix`` (a stored description), as ``warm`` is the table's."""
        pt = ix.get("ProvisionedThroughput") or {}
        return warmest(ix.get("WarmThroughput"), warm_floor(self.billing_mode, pt.get("ReadCapacityUnits", 0),
                                                            pt.get("WriteCapacityUnits", 0)))

    @property
    def ttl_index(self) -> "IndexDef | None":
        return next((ix for ix in self.index_defs if ix.kind == TTL), None)

    @property
    def hash_key(self) -> tuple[str, str]:
        return self.key_schema[0]

    def to_msgpack(self) -> bytes:
        fields = asdict(self)
        del fields["key_names"], fields["index_defs"]
        return msgpack.packb(fields, use_bin_type=True)

    @classmethod
    def from_msgpack(cls, raw: bytes) -> "TableDef":
        d = msgpack.unpackb(raw, raw=False)
        d["key_schema"] = tuple(tuple(k) for k in d["key_schema"])
        d["attribute_definitions"] = tuple(tuple(a) for a in d["attribute_definitions"])
        return cls(**d)


GSI, LSI, TTL = "gsi", "lsi", "ttl"
MAX_LSI, MAX_GSI = 5, 20           # DynamoDB's per-table index limits
TABLE_MAX_CAPACITY, ACCOUNT_MAX_CAPACITY = 40000, 80000   # DynamoDB's default capacity quotas (DescribeLimits)
ON_DEMAND_MEMBERS = ("MaxReadRequestUnits", "MaxWriteRequestUnits")   # an OnDemandThroughput's, in AWS's order
WARM_MEMBERS = ("ReadUnitsPerSecond", "WriteUnitsPerSecond")          # a WarmThroughput's, in AWS's order
ON_DEMAND_WARM = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}   # what AWS gives an on-demand table
TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")   # DynamoDB's, in its model's order
STANDARD = TABLE_CLASSES[0]                                   # a table's class until one is set
ACTIVE, CREATING = "ACTIVE", "CREATING"


DAY_MS = 86_400_000


def throughput_changed(changes: dict[str, int] | None, before: tuple[int, int], after: tuple[int, int],
                       now_ms: int) -> dict[str, int] | None:
    """A table's (or GSI's) record of its provisioned capacity's changes, ``changes``, once its (read, write)
    capacity went from ``before`` to ``after`` at ``now_ms``: ``increased_ms`` (when either member last rose),
    ``decreased_ms`` (when either last fell), ``day`` and ``decreases`` (how many changes lowered a member during
    that UTC day, the day numbered from the epoch). A change that raises one member and lowers the other is both.
    Each key is present once it happened."""
    out = dict(changes or {})
    if after[0] > before[0] or after[1] > before[1]:
        out["increased_ms"] = now_ms
    if after[0] < before[0] or after[1] < before[1]:
        out["decreased_ms"] = now_ms
        day = now_ms // DAY_MS
        out["decreases"] = out.get("decreases", 0) + 1 if out.get("day") == day else 1
        out["day"] = day
    return out or None


def decreases_on(changes: dict[str, int] | None, now_ms: int) -> int:
    """How many decreases ``changes`` (``throughput_changed``'s) counts on the UTC day of ``now_ms``."""
    if not changes or changes.get("day") != now_ms // DAY_MS:
        return 0
    return changes.get("decreases", 0)


def warm_floor(billing_mode: str, read_capacity: int, write_capacity: int) -> dict[str, int]:
    """The warm throughput a table (or GSI) of this billing mode and capacity has at least, as AWS was seen to
    give it: 12000/4000 on demand, the capacity when provisioned."""
    if billing_mode == "PAY_PER_REQUEST":
        return dict(ON_DEMAND_WARM)
    return {"ReadUnitsPerSecond": read_capacity, "WriteUnitsPerSecond": write_capacity}


def warmest(*warms: dict[str, int] | None) -> dict[str, int]:
    """Each member's highest value among ``warms`` (None: nothing)."""
    return {m: max((w.get(m, 0) for w in warms if w), default=0) for m in WARM_MEMBERS}


@dataclass(frozen=True, slots=True)
class IndexDef:
    """A stored index of a table: a GSI, an LSI, or the table's expiry index (kind ``ttl``, keyed by the TTL
    attribute). Stored inside the table definition (``indexes``, docs/format.md): a GSI or LSI as its AWS-shaped
    description (IndexName, KeySchema, Projection[, ProvisionedThroughput]) plus ``index_no`` (store-wide, never
    reused: the prefix of its entries) and ``status`` (CREATING while a backfill runs, then ACTIVE); the expiry
    index as ``{"attribute", "index_no", "status"}``. An index without ``index_no`` (a definition written before
    indexes were stored) has no entries and is not maintained."""

    name: str
    kind: str
    index_no: int
    key_schema: tuple[tuple[str, str], ...]     # (name, type), HASH first
    projection: str = "ALL"                     # ALL, KEYS_ONLY or INCLUDE
    non_key: tuple[str, ...] = ()
    status: str = ACTIVE

    @property
    def is_global(self) -> bool:
        return self.kind == GSI

    def project(self, item: Image, table_keys: Iterable[str]) -> Image:
        """The index entry of ``item``: the attributes the index's Projection keeps."""
        if self.projection == "ALL":
            return item
        keep = set(table_keys) | {n for n, _ in self.key_schema} | set(self.non_key)
        return {k: v for k, v in item.items() if k in keep}


def _index_defs(indexes: dict[str, Any], types: dict[str, str]) -> tuple[IndexDef, ...]:
    out = []
    for kind in (GSI, LSI):
        for ix in indexes.get(kind) or ():
            if ix.get("index_no") is None:
                continue
            proj = ix.get("Projection") or {}
            out.append(IndexDef(ix["IndexName"], kind, ix["index_no"],
                                tuple((k["AttributeName"], types.get(k["AttributeName"], "S"))
                                      for k in ix["KeySchema"]),
                                proj.get("ProjectionType", "ALL"), tuple(proj.get("NonKeyAttributes") or ()),
                                ix.get("status", ACTIVE)))
    ttl = indexes.get(TTL)
    if ttl:
        out.append(IndexDef("", TTL, ttl["index_no"], ((ttl["attribute"], "N"),), "KEYS_ONLY", (),
                            ttl.get("status", ACTIVE)))
    return tuple(out)


def decode_table(key: bytes, raw: bytes) -> TableDef:
    """The TableDef stored (sealed) under ``tables`` key ``key``; CorruptionError naming the table if damaged."""
    return open_sealed(key, raw, lambda: f"tables entry {bytes(key).decode('utf-8', 'replace')!r}",
                       TableDef.from_msgpack)


class TableCatalog:
    def __init__(self, env: Environment):
        self.db = env.db("tables")
        self._cache: dict[bytes, TableDef] = {}

    def get(self, txn: Txn, name: str) -> TableDef | None:
        key = name.encode()
        if self.db is None or not 0 < len(key) <= KEY_LIMIT:   # LMDB refuses such keys; no table has one
            return None
        raw = txn.get(key, db=self.db)
        if raw is None:
            return None
        tdef = self._cache.get(raw)   # decoded values keyed by their exact stored bytes (seal included)
        if tdef is None:
            tdef = decode_table(name.encode(), raw)
            if len(self._cache) > 1024:
                self._cache.clear()
            self._cache[raw] = tdef
        return tdef

    def put(self, txn: Txn, tdef: TableDef) -> None:
        key = tdef.name.encode()
        txn.put(key, seal(key, tdef.to_msgpack()), db=self.db)

    def delete(self, txn: Txn, name: str) -> None:
        txn.delete(name.encode(), db=self.db)

    def names(self, txn: Txn, after: str | None = None) -> Iterator[str]:
        """Table names in byte order, strictly after ``after`` when given."""
        if self.db is None:
            return
        with txn.cursor(db=self.db) as cur:
            start = after.encode() + b"\0" if after is not None else b""
            ok = cur.set_range(start)
            while ok:
                yield bytes(cur.key()).decode()
                ok = cur.next()

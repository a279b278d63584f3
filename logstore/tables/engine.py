"""The tables engine: table lifecycle (create, update streams and TTL, delete), item reads, and the TTL sweep.
Item writes go through writes.Writer. Everything takes or opens one transaction per operation.

Rules owned here (docs/streams.md): enabling a stream creates a new stream (new ARN); disabling closes its shards
and leaves it DISABLED and readable; a table may have one enabled stream; deleting a table deletes its items
(no stream records) and leaves its stream DISABLED. The TTL sweep deletes expired items through the write path,
each as a service-made change (its REMOVE record carries the service identity).

Thread-safety: holds handles only; safe to share.
"""
from __future__ import annotations

import uuid
from dataclasses import replace

import lmdb

from logstore.errors import (LimitExceededException, ResourceInUseException, ResourceNotFoundException,
                             ValidationException)
from logstore.storage import Counters, Environment
from logstore.stream import StreamEngine, StreamInfo

from .catalog import TableCatalog, TableDef
from .items import ItemStore, encoded_key, table_prefix
from .keycodec import stored_key
from .writes import Mutation, Writer

TTL_BATCH = 100
TTL_MAX_PAST_MS = 5 * 365 * 24 * 3600 * 1000   # AWS ignores expiry times more than five years in the past


def _not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")


class TableEngine:
    def __init__(self, env: Environment, counters: Counters, streams: StreamEngine):
        self.env = env
        self.counters = counters
        self.streams = streams
        self.catalog = TableCatalog(env)
        self.items = ItemStore(env)
        self.writer = Writer(env, self.catalog, self.items, counters, streams)
        self._schemas: dict[str, TableDef] = {}

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def create(self, tdef_fields: dict, view_type: str | None) -> TableDef:
        """Create a table (``tdef_fields``: TableDef fields but table_no, created_ms, table_id) and, when
        ``view_type`` is given, its stream."""
        def create(txn):
            name = tdef_fields["name"]
            if self.catalog.get(txn, name) is not None:
                raise ResourceInUseException(f"Table already exists: {name}")
            now = self.streams.now(txn)
            tdef = TableDef(table_no=self.counters.allocate(txn, "table"), created_ms=now,
                            table_id=str(uuid.uuid4()), **tdef_fields)
            if view_type is not None:
                tdef = self._enable(txn, tdef, view_type)
            self.catalog.put(txn, tdef)
            return tdef
        self._schemas.pop(tdef_fields["name"], None)
        return self.env.write(create)

    def _enable(self, txn, tdef: TableDef, view_type: str) -> TableDef:
        roles = [(tdef.key_schema[0][0], "HASH")] + [(n, "RANGE") for n, _ in tdef.key_schema[1:]]
        info = self.streams.enable(txn, tdef.name, roles, view_type)
        return replace(tdef, stream_no=info.stream_no, stream_enabled=True)

    def get(self, name: str, item_level: bool = False) -> TableDef:
        """The table's definition; ResourceNotFoundException if there is none, worded as AWS words it for table
        operations (naming the table) or, with ``item_level``, for item operations (not naming it)."""
        with self.env.begin_read() as txn:
            tdef = self.catalog.get(txn, name)
        if tdef is None:
            raise ResourceNotFoundException("Requested resource not found") if item_level else _not_found(name)
        return tdef

    def schema(self, name: str, fresh: bool = False) -> TableDef:
        """A definition of the table, possibly cached, for validating requests: a table's key schema never
        changes, and a write validated against a table that was since replaced fails with StaleTable (see
        writes.Mutation.table_no), so callers re-validate with ``fresh=True``."""
        tdef = None if fresh else self._schemas.get(name)
        if tdef is None:
            tdef = self._schemas[name] = self.get(name, item_level=True)
        return tdef

    def names(self, after: str | None = None, limit: int | None = None) -> list[str]:
        with self.env.begin_read() as txn:
            out = []
            for name in self.catalog.names(txn, after):
                if limit is not None and len(out) == limit:
                    break
                out.append(name)
            return out

    def update(self, name: str, *, stream: bool | None = None, view_type: str | None = None,
               changes: dict | None = None) -> TableDef:
        """Enable (``stream=True`` with ``view_type``) or disable (``stream=False``) the stream, and/or replace
        plain fields (billing, capacity, deletion protection)."""
        def update(txn):
            tdef = self.catalog.get(txn, name)
            if tdef is None:
                raise _not_found(name)
            if changes:
                tdef = replace(tdef, **changes)
            if stream is True:
                if tdef.stream_enabled:
                    raise ValidationException(f"Table already has an enabled stream: TableName: {name}")
                tdef = self._enable(txn, tdef, view_type)
            elif stream is False:
                if not tdef.stream_enabled:
                    raise ValidationException(f"Table has no stream to disable: TableName: {name}")
                self.streams.disable(txn, tdef.stream_no)
                tdef = replace(tdef, stream_enabled=False)
            self.catalog.put(txn, tdef)
            return tdef
        return self.env.write(update)

    def set_ttl(self, name: str, attribute: str, enabled: bool) -> TableDef:
        def set_ttl(txn):
            tdef = self.catalog.get(txn, name)
            if tdef is None:
                raise _not_found(name)
            if enabled == tdef.ttl_enabled:
                raise ValidationException("TimeToLive is already enabled" if enabled
                                          else "TimeToLive is already disabled")
            if not enabled and tdef.ttl_attribute != attribute:
                raise ValidationException(f"TimeToLive attribute {attribute} does not match the table's "
                                          f"({tdef.ttl_attribute})")
            tdef = replace(tdef, ttl_attribute=attribute, ttl_enabled=enabled)
            self.catalog.put(txn, tdef)
            return tdef
        return self.env.write(set_ttl)

    def retag(self, name: str, add: dict[str, str] | None = None, remove: list[str] | None = None,
              max_tags: int | None = None) -> TableDef:
        """Add (or overwrite) and remove tags of a table in one transaction; with ``max_tags``, refuse a result
        holding more tags than that (LimitExceededException)."""
        def retag(txn):
            tdef = self.catalog.get(txn, name)
            if tdef is None:
                raise _not_found(name)
            tags = dict(tdef.tags)
            tags.update(add or {})
            for key in remove or ():
                tags.pop(key, None)
            if max_tags is not None and len(tags) > max_tags:
                raise LimitExceededException(f"The number of tags on the resource would exceed {max_tags}")
            tdef = replace(tdef, tags=tags)
            self.catalog.put(txn, tdef)
            return tdef
        return self.env.write(retag)

    def delete(self, name: str) -> TableDef:
        def delete(txn):
            tdef = self.catalog.get(txn, name)
            if tdef is None:
                raise _not_found(name)
            if tdef.deletion_protection:
                raise ValidationException("Resource cannot be deleted as it is currently protected against "
                                          "deletion. Disable deletion protection first.")
            if tdef.stream_enabled:
                self.streams.disable(txn, tdef.stream_no)
            self.items.drop_table(txn, tdef.table_no)
            for counter in (f"items:{tdef.table_no}", f"bytes:{tdef.table_no}"):
                self.counters.delete(txn, counter)
            self.catalog.delete(txn, name)
            return tdef
        self._schemas.pop(name, None)
        return self.env.write(delete)

    def stats(self, tdef: TableDef) -> tuple[int, int]:
        """(item count, total item bytes) of a table."""
        with self.env.begin_read() as txn:
            return (self.counters.peek(txn, f"items:{tdef.table_no}", 0),
                    self.counters.peek(txn, f"bytes:{tdef.table_no}", 0))

    def stream_of(self, tdef: TableDef) -> StreamInfo | None:
        if tdef.stream_no is None:
            return None
        with self.env.begin_read() as txn:
            return self.streams.catalog.stream(txn, tdef.stream_no)

    # -- items ---------------------------------------------------------------------------------------------------

    def get_item(self, name: str, key: dict, txn: lmdb.Transaction | None = None) -> dict | None:
        if txn is None:
            with self.env.begin_read() as txn:
                return self.get_item(name, key, txn)
        tdef = self.catalog.get(txn, name)
        if tdef is None:
            raise ResourceNotFoundException("Requested resource not found")
        order = table_prefix(tdef.table_no) + encoded_key(tdef.key_schema, key)[0]
        return self.items.get(txn, tdef, stored_key(order), order)

    def scan(self, name: str, start_after: bytes | None = None, limit: int | None = None):
        """Up to ``limit`` (stored key, item) of a table in key order, after ``start_after``."""
        with self.env.begin_read() as txn:
            tdef = self.catalog.get(txn, name)
            if tdef is None:
                raise ResourceNotFoundException("Requested resource not found")
            out = []
            for entry in self.items.scan(txn, tdef, start_after):
                if limit is not None and len(out) == limit:
                    break
                out.append(entry)
            return out

    # -- TTL -----------------------------------------------------------------------------------------------------

    def sweep_ttl(self, now_ms: int) -> int:
        """Delete every item whose TTL attribute (a number of epoch seconds) has passed, through the write path
        with the service identity. Returns the number deleted."""
        deleted = 0
        for name in self.names():
            try:
                tdef = self.get(name)
            except ResourceNotFoundException:
                continue
            if not tdef.ttl_enabled or not tdef.ttl_attribute:
                continue
            attr = tdef.ttl_attribute
            expired = [{k: item[k] for k in tdef.key_names} for _, item in self.scan(name)
                       if _expired(item, attr, now_ms)]
            for i in range(0, len(expired), TTL_BATCH):
                def expire(old, attr=attr):  # only if still expired when the delete runs
                    return None if old is not None and _expired(old, attr, now_ms) else old
                outcomes = self.writer.write([Mutation(name, key, expire, by_service=True)
                                              for key in expired[i:i + TTL_BATCH]])
                deleted += sum(o.changed for o in outcomes)
        return deleted


def _expired(item: dict, attr: str, now_ms: int) -> bool:
    """Whether the item's TTL attribute, a number of epoch seconds, has passed (and is not more than five years
    old: AWS ignores such values, which are usually milliseconds or a mistake)."""
    value = item.get(attr)
    if not value or "N" not in value:
        return False
    try:
        expires_ms = float(value["N"]) * 1000
    except ValueError:
        return False
    return now_ms - TTL_MAX_PAST_MS <= expires_ms < now_ms

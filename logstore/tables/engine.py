"""The tables engine: table lifecycle (create, update streams, indexes and TTL, delete), item reads, the TTL
sweep and the index jobs. Item writes go through writes.Writer. Everything takes or opens one transaction per
operation; the sweep and the jobs one bounded transaction per batch.

Rules owned here (docs/streams.md): enabling a stream creates a new stream (new ARN); disabling closes its shards
and leaves it DISABLED and readable; a table may have one enabled stream; deleting a table deletes its items
(no stream records) and leaves its stream DISABLED; its items and index entries are then deleted in bounded
batches by index jobs (indexes.py), unseen by anyone (table and index numbers are never reused). Creating a GSI on
a populated table stores it CREATING and queues its backfill; deleting one removes it from the definition at
once and queues the deletion of its entries. The TTL sweep reads the table's expiry index (only due items, one
seek per round when nothing is due) and deletes them through the write path, each as a service-made change (its
REMOVE record carries the service identity), in bounded batches.

Thread-safety: holds handles only; safe to share.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import replace


from logstore.errors import (LimitExceededException, ResourceInUseException,
                             ResourceNotFoundException, ValidationException)
from logstore.storage import Counters, Environment
from logstore.stream import StreamEngine, StreamInfo

from .catalog import (ACTIVE, CREATING, GSI, LSI, MAX_GSI, ON_DEMAND_MEMBERS, STANDARD, TTL, TableCatalog,
                      TableDef, throughput_changed, warmest)
from .indexes import BUILD, DROP, DROP_TABLE, JOB_BATCH, IndexEntries, IndexJobs, expiry_ms
from .items import ItemStore, encoded_key, table_prefix
from .keycodec import stored_key
from .writes import Mutation, StaleTable, Writer
from logstore.storage.txn import Txn

_INVALID = "One or more parameter values were invalid: "
# AWS's answer to a second GSI Create or Delete, in one request or while one is under way (live, DDB-TABLE-159)
ONE_INDEX_AT_A_TIME = ("Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per "
                       "table")
# AWS's answer to a GSI Create naming an index the table has
INDEX_EXISTS = "Attempting to create an index which already exists"
# UpdateTable's SSESpecification asking for AWS's own key on a table that has it, or naming by its ARN the KMS key
# a table has (AWS takes any other spelling of the same key as a new encryption)
SSE_DEFAULT = _INVALID + "Table is already encrypted by default"
SSE_SAME_KEY = (_INVALID + "Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you "
                "want to change Master Key")
# AWS's answer to a tag set over its limit (TagResource, UntagResource, CreateTable)
TOO_MANY_TAGS = "Number of Tags exceed the current limit for the provided ResourceArn"

TTL_BATCH = 100
TTL_MAX_BATCHES = 100                           # per table per round; the rest waits for the next round
TTL_MAX_PAST_MS = 5 * 365 * 24 * 3600 * 1000   # AWS ignores expiry times more than five years in the past


def _with_index_throughput(tdef: TableDef, throughput: dict[str, tuple[int, int]], now_ms: int) -> TableDef:
    """``tdef`` with its GSIs' stored capacity set from ``throughput`` ({name: (read, write)}); on an on-demand
    table, with none. A GSI whose provisioned capacity changes records it (``throughput_changes``, as the table's)."""
    gsis = []
    for ix in tdef.indexes.get(GSI) or ():
        ix = {k: v for k, v in ix.items() if k != "ProvisionedThroughput" or tdef.billing_mode != "PAY_PER_REQUEST"}
        if ix["IndexName"] in throughput and tdef.billing_mode != "PAY_PER_REQUEST":
            rcu, wcu = throughput[ix["IndexName"]]
            old = ix.get("ProvisionedThroughput")
            if old is not None and (old["ReadCapacityUnits"], old["WriteCapacityUnits"]) != (rcu, wcu):
                ix["throughput_changes"] = throughput_changed(
                    ix.get("throughput_changes"), (old["ReadCapacityUnits"], old["WriteCapacityUnits"]), (rcu, wcu),
                    now_ms)
            ix["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
        gsis.append(ix)
    return replace(tdef, indexes=dict(tdef.indexes, gsi=gsis)) if gsis else tdef


def _maximums(current: dict[str, int] | None, given: dict[str, int]) -> dict[str, int] | None:
    """OnDemandThroughput maximums ``current`` changed by an UpdateTable's ``given``: each member given set, -1
    taking it away (AWS merges them so); None when none is left."""
    out = dict(current or {})
    for member, value in given.items():
        if value == -1:
            out.pop(member, None)
        else:
            out[member] = value
    return {m: out[m] for m in ON_DEMAND_MEMBERS if m in out} or None


def _with_index_on_demand(tdef: TableDef, given: dict[str, dict[str, int]]) -> TableDef:
    """``tdef`` with its GSIs' OnDemandThroughput maximums changed by ``given`` ({name: maximums}); on a
    provisioned table, with none."""
    gsis = []
    for ix in tdef.indexes.get(GSI) or ():
        maximums = None if tdef.billing_mode == "PROVISIONED" else _maximums(
            ix.get("OnDemandThroughput"), given.get(ix["IndexName"], {}))
        ix = {k: v for k, v in ix.items() if k != "OnDemandThroughput"}
        if maximums is not None:
            ix["OnDemandThroughput"] = maximums
        gsis.append(ix)
    return replace(tdef, indexes=dict(tdef.indexes, gsi=gsis)) if gsis else tdef


def _with_warm(before: TableDef, after: TableDef, warm: dict[str, int] | None,
               index_warm: dict[str, dict[str, int]] | None) -> TableDef:
    """``after`` (``before`` changed by an UpdateTable) with its warm throughput, and its GSIs', kept as AWS keeps
    it: never below what it was, raised to what its billing mode and capacity give and to what the request asked
    (``warm``; ``index_warm``: {GSI name: warm}). Asking for less than a table or GSI has is refused in AWS's
    words."""
    for member, value in (warm or {}).items():
        if value < before.warm[member]:
            raise ValidationException(f"{_INVALID}Requested {member} for WarmThroughput for table is lower than "
                                      "current WarmThroughput, decreasing WarmThroughput is not supported")
    had = {ix["IndexName"]: before.index_warm(ix) for ix in before.indexes.get(GSI) or ()}
    gsis = []
    for ix in after.indexes.get(GSI) or ():
        name = ix["IndexName"]
        asked = (index_warm or {}).get(name) or {}
        for member, value in asked.items():
            if name in had and value < had[name][member]:
                raise ValidationException(f"{_INVALID}Requested {member} for WarmThroughput for index {name} is "
                                          "lower than current WarmThroughput, decreasing WarmThroughput is not "
                                          "supported")
        gsis.append(dict(ix, WarmThroughput=warmest(had.get(name), after.index_warm(ix), asked)))
    return replace(after, warm_throughput=warmest(before.warm, after.warm, warm),
                   indexes=dict(after.indexes, gsi=gsis) if gsis else after.indexes)


def index_not_found(index: str, table: str) -> str:
    """AWS's answer to an UpdateTable naming a GSI the table does not have (live, 2026-10)."""
    return f"Requested resource not found: Index {index} for table {table}"


def _not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")


class TableEngine:
    def __init__(self, env: Environment, counters: Counters, streams: StreamEngine):
        self.env = env
        self.counters = counters
        self.streams = streams
        self.catalog = TableCatalog(env)
        self.items = ItemStore(env)
        self.entries = IndexEntries(env, counters)
        self.jobs = IndexJobs(env, self.catalog, self.items, self.entries)
        self.writer = Writer(env, self.catalog, self.items, counters, streams, self.entries)
        self._schemas: dict[str, TableDef] = {}
        self.jobs_queued = threading.Event()   # set after a commit that queued index jobs (wakes the builder)

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def create(self, tdef_fields: dict, view_type: str | None) -> TableDef:
        """Create a table (``tdef_fields``: TableDef fields but table_no, created_ms, table_id) and, when
        ``view_type`` is given, its stream."""
        def create(txn):
            name = tdef_fields["name"]
            if self.catalog.get(txn, name) is not None:
                raise ResourceInUseException(f"Table already exists: {name}")
            now = self.streams.now(txn)
            fields = dict(tdef_fields)
            fields["indexes"] = {kind: [dict(ix, index_no=self.counters.allocate(txn, "index"), status=ACTIVE)
                                        for ix in ixs] for kind, ixs in (tdef_fields.get("indexes") or {}).items()}
            tdef = TableDef(table_no=self.counters.allocate(txn, "table"), created_ms=now,
                            table_id=str(uuid.uuid4()), **fields)
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
               changes: dict | None = None, create_gsi: dict | None = None, delete_gsi: str | None = None,
               attribute_definitions: tuple | None = None,
               index_throughput: dict[str, tuple[int, int]] | None = None,
               on_demand: dict[str, int] | None = None, index_on_demand: dict[str, dict[str, int]] | None = None,
               warm: dict[str, int] | None = None, index_warm: dict[str, dict[str, int]] | None = None,
               sse_named: str | None = None) -> TableDef:
        """Enable (``stream=True`` with ``view_type``) or disable (``stream=False``) the stream, replace plain
        fields (billing, capacity, deletion protection, table class: the time of a change of class kept; the SSE key:
        AWS's own (None) refused on a table that has it, and ``sse_named``, the KMSMasterKeyId as the request gave
        it, refused when it is the ARN of the key the table has), change the table's OnDemandThroughput maximums
        (``on_demand``, merged into them) or GSIs' (``index_on_demand``: {name: maximums}; a provisioned table and
        its GSIs keep none), set GSIs' capacity (``index_throughput``: {name: (read, write)}; an on-demand table's
        GSIs keep none), create a GSI (``create_gsi``: its stored description, validated; with the table's new
        ``attribute_definitions``) or delete one (``delete_gsi``: its name), raise the table's or GSIs' warm
        throughput (``warm``, ``index_warm``: {name: warm}; ``_with_warm``)."""
        def update(txn):
            tdef = before = self.catalog.get(txn, name)
            if tdef is None:
                raise _not_found(name)
            if changes:
                if "sse_kms_key" in changes and changes["sse_kms_key"] is None and tdef.sse_kms_key is None:
                    raise ValidationException(SSE_DEFAULT)
                if sse_named is not None and sse_named == tdef.sse_kms_key:
                    raise ValidationException(SSE_SAME_KEY)
                moved = "table_class" in changes and changes["table_class"] != (tdef.table_class or STANDARD)
                tdef = replace(tdef, **changes)
                capacity = (before.read_capacity, before.write_capacity), (tdef.read_capacity, tdef.write_capacity)
                if before.billing_mode == tdef.billing_mode == "PROVISIONED" and capacity[0] != capacity[1]:
                    tdef = replace(tdef, throughput_changes=throughput_changed(
                        before.throughput_changes, *capacity, self.streams.now(txn)))
                if tdef.billing_mode != before.billing_mode:   # when it last became on-demand (BillingModeSummary)
                    tdef = replace(tdef, pay_per_request_ms=self.streams.now(txn)
                                   if tdef.billing_mode == "PAY_PER_REQUEST" else
                                   before.pay_per_request_ms or before.created_ms)
                if moved:
                    tdef = replace(tdef, table_class_updated_ms=self.streams.now(txn))
            if index_throughput or (changes and tdef.billing_mode == "PAY_PER_REQUEST"):
                tdef = _with_index_throughput(tdef, index_throughput or {}, self.streams.now(txn))
            if on_demand is not None or (changes and tdef.billing_mode == "PROVISIONED"):
                tdef = replace(tdef, on_demand_throughput=None if tdef.billing_mode == "PROVISIONED" else
                               _maximums(tdef.on_demand_throughput, on_demand or {}))
            if index_on_demand or (changes and tdef.billing_mode == "PROVISIONED"):
                tdef = _with_index_on_demand(tdef, index_on_demand or {})
            if create_gsi is not None or delete_gsi is not None:
                tdef = self._change_gsi(txn, tdef, create_gsi, delete_gsi, attribute_definitions)
            if changes or index_throughput or warm or index_warm or create_gsi is not None:
                tdef = _with_warm(before, tdef, warm, index_warm)
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
        tdef = self.env.write(update)
        if create_gsi is not None or delete_gsi is not None:
            self.jobs_queued.set()
        return tdef

    def _change_gsi(self, txn, tdef: TableDef, create: dict | None, delete: str | None,
                    definitions: tuple | None) -> TableDef:
        if any(ix.status == CREATING for ix in tdef.index_defs if ix.kind == GSI):
            raise LimitExceededException(ONE_INDEX_AT_A_TIME)
        gsis = list(tdef.indexes.get(GSI) or [])
        if create is not None:
            index_name = create["IndexName"]
            if tdef.index(index_name) is not None or any(ix["IndexName"] == index_name for ix in gsis):
                raise ValidationException(INDEX_EXISTS)
            if len(gsis) >= MAX_GSI:   # AWS's answer (live, DDB-TABLE-169); CreateTable's is a ValidationException
                raise LimitExceededException("Subscriber limit exceeded: Number of global secondary indexes exceeds "
                                             f"per-table limit of {MAX_GSI}")
            index_no = self.counters.allocate(txn, "index")
            gsis.append(dict(create, index_no=index_no, status=CREATING))
            tdef = replace(tdef, indexes=dict(tdef.indexes, gsi=gsis),
                           attribute_definitions=definitions or tdef.attribute_definitions)
            self.jobs.add(txn, BUILD, index_no, tdef)
        if delete is not None:
            kept = [ix for ix in gsis if ix["IndexName"] != delete]
            if len(kept) == len(gsis):
                raise ResourceNotFoundException(index_not_found(delete, tdef.name))
            for ix in gsis:
                if ix["IndexName"] == delete and ix.get("index_no") is not None:
                    self.jobs.cancel(txn, BUILD, ix["index_no"])
                    self.jobs.add(txn, DROP, ix["index_no"], tdef)
            used = {n for n, _ in tdef.key_schema}
            for kind in (GSI, LSI):
                for ix in (kept if kind == GSI else tdef.indexes.get(LSI) or []):
                    used.update(k["AttributeName"] for k in ix["KeySchema"])
            tdef = replace(tdef, indexes=dict(tdef.indexes, gsi=kept), attribute_definitions=tuple(
                (n, t) for n, t in tdef.attribute_definitions if n in used))
        return tdef

    def set_ttl(self, name: str, attribute: str, enabled: bool) -> TableDef:
        def set_ttl(txn):
            tdef = self.catalog.get(txn, name)
            if tdef is None:
                raise _not_found(name)
            if tdef.ttl_enabled and tdef.ttl_attribute != attribute:   # to enable or disable another: AWS's words
                raise ValidationException("TimeToLive is active on a different AttributeName: current "
                                          f"AttributeName is {tdef.ttl_attribute}")
            if enabled == tdef.ttl_enabled:
                raise ValidationException("TimeToLive is already enabled" if enabled
                                          else "TimeToLive is already disabled")
            tdef = replace(tdef, ttl_attribute=attribute, ttl_enabled=enabled)
            current = tdef.ttl_index
            if enabled and (current is None or current.key_schema[0][0] != attribute):
                # a new expiry index for the new attribute, built over the items; the old one's entries go
                indexes = dict(tdef.indexes)
                if current is not None:
                    self.jobs.cancel(txn, BUILD, current.index_no)
                    self.jobs.add(txn, DROP, current.index_no, tdef)
                index_no = self.counters.allocate(txn, "index")
                empty = self.counters.peek(txn, f"items:{tdef.table_no}", 0) == 0
                indexes[TTL] = {"attribute": attribute, "index_no": index_no, "status": ACTIVE if empty else CREATING}
                tdef = replace(tdef, indexes=indexes)
                if not empty:
                    self.jobs.add(txn, BUILD, index_no, tdef)
            self.catalog.put(txn, tdef)
            return tdef
        tdef = self.env.write(set_ttl)
        self.jobs_queued.set()
        return tdef

    def retag(self, name: str, add: dict[str, str] | None = None, remove: list[str] | None = None,
              max_tags: int | None = None) -> TableDef:
        """Add (or overwrite) and remove tags of a table in one transaction; with ``max_tags``, refuse a result
        holding more tags than that (ValidationException, as AWS)."""
        def retag(txn):
            tdef = self.catalog.get(txn, name)
            if tdef is None:
                raise _not_found(name)
            tags = dict(tdef.tags)
            tags.update(add or {})
            for key in remove or ():
                tags.pop(key, None)
            if max_tags is not None and len(tags) > max_tags:
                raise ValidationException(TOO_MANY_TAGS)
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
            self.jobs.add(txn, DROP_TABLE, tdef.table_no, tdef)   # the items go in bounded batches
            for ix in tdef.index_defs:
                self.jobs.cancel(txn, BUILD, ix.index_no)
                self.jobs.add(txn, DROP, ix.index_no, tdef)
            for counter in (f"items:{tdef.table_no}", f"bytes:{tdef.table_no}"):
                self.counters.delete(txn, counter)
            self.catalog.delete(txn, name)
            return tdef
        self._schemas.pop(name, None)
        tdef = self.env.write(delete)
        self.jobs_queued.set()
        return tdef

    def stats(self, tdef: TableDef) -> tuple[int, int]:
        """(item count, total item bytes) of a table."""
        with self.env.begin_read() as txn:
            return (self.counters.peek(txn, f"items:{tdef.table_no}", 0),
                    self.counters.peek(txn, f"bytes:{tdef.table_no}", 0))

    def index_stats(self, tdef: TableDef) -> dict[int, tuple[int, int]]:
        """index_no -> (entries, projected bytes) of each of the table's indexes."""
        with self.env.begin_read() as txn:
            return {ix.index_no: self.entries.stats(txn, ix.index_no) for ix in tdef.index_defs}

    def stream_of(self, tdef: TableDef) -> StreamInfo | None:
        if tdef.stream_no is None:
            return None
        with self.env.begin_read() as txn:
            return self.streams.catalog.stream(txn, tdef.stream_no)

    # -- items ---------------------------------------------------------------------------------------------------

    def get_item(self, name: str, key: dict, txn: Txn | None = None) -> dict | None:
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

    def sweep_ttl(self, now_ms: int, batch: int = TTL_BATCH, max_batches: int = TTL_MAX_BATCHES) -> int:
        """Delete items whose TTL attribute (a number of epoch seconds) has passed, through the write path with
        the service identity, reading each TTL-enabled table's expiry index: one seek per table when nothing is
        due, one write transaction per ``batch`` due items, at most ``max_batches`` per table per round (the rest
        is due in the next). Returns the number deleted."""
        deleted = 0
        for name in self.names():
            with self.env.begin_read() as txn:
                tdef = self.catalog.get(txn, name)
                ix = tdef.ttl_index if tdef is not None and tdef.ttl_enabled else None
                if ix is None:
                    continue
                due = self.entries.due(txn, ix, now_ms - TTL_MAX_PAST_MS, now_ms, None, batch)
            attr = ix.key_schema[0][0]

            def expire(old, attr=attr):  # only if still expired when the delete runs
                return None if old is not None and _expired(old, attr, now_ms) else old
            for _ in range(max_batches):
                if not due:
                    break
                try:
                    outcomes = self.writer.write([Mutation(name, key, expire, by_service=True, table_no=tdef.table_no)
                                                  for _, key in due])
                except (ResourceNotFoundException, StaleTable):   # the table went away or was replaced
                    break
                deleted += sum(o.changed for o in outcomes)
                if len(due) < batch:
                    break
                with self.env.begin_read() as txn:
                    due = self.entries.due(txn, ix, now_ms - TTL_MAX_PAST_MS, now_ms, due[-1][0], batch)
        return deleted

    # -- index jobs ----------------------------------------------------------------------------------------------

    def jobs_pending(self) -> bool:
        with self.env.begin_read() as txn:
            return self.jobs.pending(txn)

    def run_jobs(self, max_steps: int | None = None, batch: int = JOB_BATCH) -> int:
        """Run index jobs (builds, drops), one bounded write transaction per step, until none is left or
        ``max_steps`` steps ran. Returns the steps run."""
        steps = 0
        while (max_steps is None or steps < max_steps) and self.jobs_pending():  # no write when idle
            if not self.env.write(lambda txn: self.jobs.step(txn, batch)):
                break
            steps += 1
        return steps


def _expired(item: dict, attr: str, now_ms: int) -> bool:
    """Whether the item's TTL attribute, a number of epoch seconds, has passed (and is not more than five years
    old: AWS ignores such values, which are usually milliseconds or a mistake). Judged on the expiry index's
    whole-ms value, so the sweep and this check agree exactly."""
    expires_ms = expiry_ms(item, attr)
    return expires_ms is not None and now_ms - TTL_MAX_PAST_MS <= expires_ms < now_ms

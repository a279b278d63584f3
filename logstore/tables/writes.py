"""The write path: every item change and its stream record, in one LMDB write transaction.

A write is a list of ``Mutation``s. Each names a table and a canonical key and carries ``apply``: a pure function
from the stored item (or None) to the item that should be stored (or None to delete it). Puts, deletes, updates
(attribute-level today, expressions later: they are just other ``apply`` functions) and conditions (``apply``
raises to refuse) all take this one path:

1. read the table definition and the old item inside the transaction;
2. ``new = apply(old)``; if ``new == old`` nothing happens (no write, no record). A prepared put's ``apply``
   returns its ``ItemParts`` (items.prepared_put: the stored body, sizes, key and record parts of the common
   case, made in one C call), and the item is decoded from its body only where a dict is needed;
3. store or delete the item, adjust the table's item counters, and move the item's entries in every stored
   index of the table (indexes.py: GSIs, LSIs, the expiry index) with their counters;
4. if the table's stream is enabled, build the change record with the images its view type asks for, and hand
   the records of the whole transaction to the stream engine, which appends them to their shards.

Steps 1-4 up to the counters and the append are ``stage``; ``finish`` adds the counters and appends the records.
``write`` and ``submit`` hand the environment both parts, so a group commit of many callers' writes (env.py)
stages each in its own nested transaction and finishes them together: one append per stream and one update per
counter for the group, in the callers' order, instead of one per caller.

All of it commits together or not at all, so a record exists if and only if its change committed. ``apply`` may run
more than once (the transaction is re-run if the map has to grow), so it must be pure.

Thread-safety: holds handles only; transactions are the caller's (``Writer.write`` owns one per call; ``submit``
hands one to the committer thread).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, TypeVar


from logstore.codec import RECORDS_KEYS, RECORDS_NEW, RECORDS_NONE, ItemParts
from logstore.errors import AwsError, LogstoreError, ResourceNotFoundException, ValidationException
from logstore.storage import Counters, Environment
from logstore.stream import ChangeRecord, EventKind, StreamEngine
from logstore.stream import records as record_codec

from . import attrs
from .catalog import TableCatalog, TableDef
from .indexes import IndexEntries
from .items import ItemStore, encoded_key, pack_item, prepared_batch, table_prefix, unpack_item
from .keycodec import stored_key as stored_form
from .tokens import RequestTokens
from logstore.storage.txn import Txn


ITEM_TOO_BIG_FOR_UPDATE = "Item size to update has exceeded the maximum allowed size"


class Cancelled(LogstoreError):
    """A transaction refused as a whole: ``reasons`` has one entry per mutation, None for those that would have
    succeeded, else the AWS-visible error its ``apply`` raised (a failed condition, an invalid update)."""

    def __init__(self, reasons: list[AwsError | None]):
        self.reasons = reasons
        super().__init__("transaction cancelled")


T = TypeVar("T")


def revalidated(attempt: Callable[[bool], T], *, outdated: Callable[[], bool] | None = None) -> T:
    """The one "validate, write, re-validate if a table was replaced" step. ``attempt(fresh)`` validates a write
    against table definitions (cached ones, or with ``fresh`` the catalogue's current ones) and commits it. If the
    commit finds a table replaced since validation (StaleTable), or validation or the commit failed and
    ``outdated()`` says the cached definition is no longer the table's, it runs once more with ``fresh``."""
    try:
        return attempt(False)
    except (StaleTable, ResourceNotFoundException, ValidationException) as e:
        if not _again(e, outdated):
            raise
        return attempt(True)


Finished = Callable[[T | None, BaseException | None], None]   # (result, None) or (None, error)


def revalidated_later(attempt: Callable[[bool, Finished[T]], None], done: Finished[T], *,
                      outdated: Callable[[], bool] | None = None) -> None:
    """``revalidated`` for a write committed later (``Writer.submit``): ``attempt(fresh, finished)`` validates and
    submits the write, which calls ``finished(result, error)`` once committed; ``done(result, error)`` gets the
    outcome, after the one attempt with ``fresh`` more wherever ``revalidated`` would make it. What the first
    attempt's validation raises is raised here, on the caller's thread; later failures go to ``done``."""
    def first(result: T | None, error: BaseException | None) -> None:   # (no closure refers to itself: no cycle)
        if error is None or not _again(error, outdated):
            return done(result, error)
        try:
            attempt(True, done)
        except BaseException as e:
            done(None, e)
    try:
        attempt(False, first)
    except (StaleTable, ResourceNotFoundException, ValidationException) as e:
        if not _again(e, outdated):
            raise
        attempt(True, done)


def _again(error: BaseException, outdated: Callable[[], bool] | None) -> bool:
    """Whether a write that failed with ``error`` is attempted once more against fresh table definitions."""
    return isinstance(error, StaleTable) or (isinstance(error, (ResourceNotFoundException, ValidationException))
                                             and outdated is not None and outdated())


class StaleTable(LogstoreError):
    """A mutation was validated against a table definition that is no longer the table's (the table was
    deleted and created again): validate again and retry."""


class Mutation(NamedTuple):
    """One item change (immutable). ``table_no``, when given, is the table the caller validated against; the write
    path refuses (StaleTable) if the name now belongs to another table. A NamedTuple rather than a frozen
    dataclass: one is built per item written, and a frozen dataclass's __init__ costs ~1 us for these fields."""

    table: str
    key: dict
    apply: Callable[[dict | None], dict | None]
    by_service: bool = False
    table_no: int | None = None
    check_size: bool = False     # an update: refuse a result over the item size limit (a put checked before)
    refused: AwsError | None = None  # all-or-nothing writes: refused before reaching storage, for this reason
    sized: tuple[dict, int] | None = None  # a put: (its validated item, attrs.item_size of it), so the write path
                                           # does not measure it again when ``apply`` returns that very object
    parts: ItemParts | None = None  # a prepared put (items.prepared_put): its key, stored body, sizes and record
                                    # parts; its ``apply`` returns these parts in place of the item


class Outcome:
    """What one mutation did: the item before (``old``) and after (``new``), None where there is none. Immutable.
    After a prepared put (``Outcome.prepared``) ``new`` is decoded from the stored body when first read: the
    batch path never reads it."""

    __slots__ = ("old", "_new", "_body")
    old: dict | None

    def __init__(self, old: dict | None, new: dict | None):
        object.__setattr__(self, "old", old)
        object.__setattr__(self, "_new", new)
        object.__setattr__(self, "_body", None)

    @classmethod
    def prepared(cls, old: dict | None, body: bytes) -> Outcome:
        out = cls(old, None)
        object.__setattr__(out, "_body", body)
        return out

    @property
    def new(self) -> dict | None:
        if self._body is not None:   # decoded once, then kept
            object.__setattr__(self, "_new", unpack_item(self._body))
            object.__setattr__(self, "_body", None)
        return self._new

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Outcome is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Outcome) and (self.old, self.new) == (other.old, other.new)

    def __repr__(self) -> str:
        return f"Outcome(old={self.old!r}, new={self.new!r})"


def images(view_type: str, kind: EventKind, old: dict | None, new: dict | None):
    """(NewImage, OldImage) a record of ``kind`` carries under ``view_type`` (None where absent)."""
    new_image = new if kind != EventKind.REMOVE and view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") else None
    old_image = old if kind != EventKind.INSERT and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") else None
    return new_image, old_image


def change_record(view_type: str, key_names, old: dict | None, new: dict | None, by_service: bool,
                  old_size: int = 0, new_size: int = 0) -> ChangeRecord:
    """The record of a change from ``old`` to ``new`` (their item sizes given, as the caller has them)."""
    kind = EventKind.INSERT if old is None else EventKind.REMOVE if new is None else EventKind.MODIFY
    item = new if new is not None else old
    keys = {name: item[name] for name in key_names}
    new_image, old_image = images(view_type, kind, old, new)
    size = attrs.item_size(keys)
    if new_image is not None:
        size += new_size
    if old_image is not None:
        size += old_size
    return ChangeRecord(kind, size, keys, new_image, old_image, by_service)


def packed_record(view_type: str, old: dict | None, parts: ItemParts, by_service: bool, old_size: int,
                  new_size: int) -> bytes:
    """The payload of ``change_record``'s record of a put whose new item is given as its packed parts
    (items.prepared_put): the same bytes, without building the new item's record dicts."""
    kind = EventKind.INSERT if old is None else EventKind.MODIFY
    size = parts.keys_size
    new_image = old_image = None
    if view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        new_image = parts.body
        size += new_size
    if old is not None and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        old_image = pack_item(old)
        size += old_size
    return record_codec.encode_packed(kind, size, parts.keys, new_image, old_image, by_service)


_PREPARED: dict = {"": {}}   # stands for a prepared put's item nobody reads (never stored, never compared equal)


class Staged(NamedTuple):
    """What ``Writer.stage`` did in a transaction and ``Writer.finish`` completes: the outcomes, each table's
    [item count, bytes] change, each index's, and each stream's records (partition hashes, payloads) in order."""

    outcomes: list[Outcome]
    deltas: dict[int, list[int]]
    index_deltas: dict[int, list[int]]
    pending: dict[int, tuple[list[int], list[bytes]]]


class Writer:
    def __init__(self, env: Environment, catalog: TableCatalog, items: ItemStore, counters: Counters,
                 streams: StreamEngine, entries: IndexEntries):
        self.env = env
        self.catalog = catalog
        self.items = items
        self.counters = counters
        self.streams = streams
        self.entries = entries
        self.tokens = RequestTokens(env)

    def write(self, mutations: list[Mutation], *, all_or_nothing: bool = False,
              token: tuple[str, bytes] | None = None) -> list[Outcome] | None:
        """Apply the mutations, in order, in one write transaction; return each one's outcome. With
        ``all_or_nothing`` (TransactWriteItems), an ``apply`` that raises an AWS-visible error does not stop the
        others from being evaluated: all of them are, then ``Cancelled`` says which failed and nothing is written.
        (The mutations of one transaction name distinct items, so each sees the stored item either way.)

        ``token``, (client request token, request digest): checked and recorded in the same transaction
        (tokens.py), so the mutations are applied once per token; a request already applied under it returns None
        and changes nothing (IdempotentParameterMismatchException if the token came with another request)."""
        if token is None:
            return self.env.write(lambda txn: self.stage(txn, mutations, all_or_nothing), self.finish)

        def once(txn):
            now = self.streams.now(txn)
            if self.tokens.seen(txn, token[0], token[1], now):
                return None
            outcomes = self.apply(txn, mutations, all_or_nothing)
            self.tokens.record(txn, token[0], token[1], now)
            return outcomes
        return self.env.write(once)

    def submit(self, build: Callable[[], list[Mutation]], done: Finished[list[Outcome]]) -> None:
        """``write`` committed by the environment's committer thread (``Environment.submit``): returns at once;
        ``build()`` (validating the mutations, so what it raises is also a failure of the write) and the write
        run on that thread, ``build`` before the group's transaction begins (outside LMDB's write lock), and
        ``done(outcomes, None)`` or ``done(None, error)`` is called there once the commit returned."""
        self.env.submit(self.stage, done, self.finish, prepare=build)

    def put_new(self, txn: Txn, table: str, table_no: int, packed: list[bytes]) -> bool:
        """The common case of a batch (Store.batch): unconditional puts of items into one table, each item as
        items.packed_request made it and validated (items.prepared_put took it), none of them stored yet, no two
        with one key, the table without indexes. Does inside ``txn`` what ``apply`` does with their mutations,
        the same bytes, with a few calls for the whole batch: one C call (items.prepared_batch) for every stored
        key, sealed value and INSERT record, one putmulti, one stream append. Returns False having changed
        nothing when the case does not hold (the table was replaced too): then ``apply`` must do the writes."""
        tdef = self.catalog.get(txn, table)
        if tdef is None or tdef.table_no != table_no or tdef.index_defs or self.items.db is None or not packed:
            return False
        stream_no = tdef.stream_no if tdef.stream_enabled else None
        records = RECORDS_NONE
        if stream_no is not None:
            info = self.streams.catalog.stream(txn, stream_no)
            if info is None:
                return False
            records = RECORDS_NEW if info.view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") else RECORDS_KEYS
        puts = prepared_batch(tdef, packed, records)
        if puts is None or len({key for key, _ in puts.items}) != len(packed):
            return False
        child = self.env.nested(txn)   # none stored yet: putmulti without overwriting says so, or is undone
        try:
            with child.cursor(db=self.items.db) as cur:
                added = cur.putmulti(puts.items, overwrite=False)[1]
        except BaseException:
            child.abort()
            raise
        if added != len(packed):
            child.abort()
            return False
        child.commit()
        self.counters.add(txn, f"items:{table_no}", len(packed))
        self.counters.add(txn, f"bytes:{table_no}", puts.size)
        if stream_no is not None:
            self.streams.append(txn, stream_no, puts.partitions, puts.records)
        return True

    def apply(self, txn: Txn, mutations: list[Mutation], all_or_nothing: bool = False
              ) -> list[Outcome]:
        """The same, inside the caller's write transaction."""
        return self.finish(txn, [self.stage(txn, mutations, all_or_nothing)])[0]

    def stage(self, txn: Txn, mutations: list[Mutation], all_or_nothing: bool = False) -> Staged:
        """``apply`` but for its counters and stream append, which ``finish`` does: the items and index entries
        written, the records built, what is left to do returned."""
        reasons: list[AwsError | None] = []
        outcomes = []
        pending: dict[int, tuple[list[int], list[bytes]]] = {}
        deltas: dict[int, list[int]] = {}
        index_deltas: dict[int, list[int]] = {}
        tables: dict[str, tuple[TableDef, bytes]] = {}   # name -> (definition, its key prefix)
        view_types: dict[int, str] = {}
        for m in mutations:
            if m.refused is not None:
                if not all_or_nothing:
                    raise m.refused
                reasons.append(m.refused)
                continue
            known = tables.get(m.table)
            if known is None:
                tdef = self.catalog.get(txn, m.table)
                if tdef is None:
                    raise ResourceNotFoundException("Requested resource not found")
                known = tables[m.table] = (tdef, table_prefix(tdef.table_no))
            tdef, prefix = known
            if m.table_no is not None and m.table_no != tdef.table_no:
                raise StaleTable(m.table)
            parts = m.parts
            if parts is not None:
                key, partition_hash = parts.key, parts.partition
            else:
                key, partition_hash = encoded_key(tdef.key_schema, m.key)
            order = prefix + key
            stored_key = stored_form(order)
            old = self.items.get(txn, tdef, stored_key, order)
            if all_or_nothing:
                try:
                    new = m.apply(old)
                    reasons.append(None)
                except AwsError as e:
                    reasons.append(e)
                    continue
            else:
                new = m.apply(old)
            packed = None    # a prepared put: ``apply`` returned its ItemParts (items.prepared_put)
            if type(new) is ItemParts:
                packed = new
                if old is None and not tdef.index_defs:   # nothing needs the item as a dict: decode it lazily
                    outcomes.append(Outcome.prepared(old, packed.body))
                    new = _PREPARED
                else:
                    new = unpack_item(packed.body)
                    outcomes.append(Outcome(old, new))
            else:
                outcomes.append(Outcome(old, new))
            if new == old or (all_or_nothing and any(reasons)):
                continue
            delta = deltas.setdefault(tdef.table_no, [0, 0])
            old_size = attrs.item_size(old) if old is not None else 0
            if new is None:
                new_size = 0
            elif packed is not None:
                new_size = packed.size
            elif m.sized is not None and m.sized[0] is new:
                new_size = m.sized[1]
            else:
                new_size = attrs.item_size(new)
            if m.check_size and new_size > attrs.MAX_ITEM_SIZE:
                raise ValidationException(ITEM_TOO_BIG_FOR_UPDATE)
            if new is None:
                self.items.delete(txn, stored_key)
                delta[0] -= 1
            else:
                self.items.put(txn, stored_key, new, None if packed is None else packed.body)
                delta[0] += old is None
            delta[1] += new_size - old_size
            if tdef.index_defs:
                self.entries.apply(txn, tdef, key, old, new, index_deltas, old_size, new_size)
            if tdef.stream_enabled and tdef.stream_no is not None:
                view_type = view_types.get(tdef.stream_no)
                if view_type is None:
                    view_type = view_types[tdef.stream_no] = self.streams.catalog.stream(txn, tdef.stream_no).view_type
                if packed is not None:
                    payload = packed_record(view_type, old, packed, m.by_service, old_size, new_size)
                else:
                    payload = record_codec.encode(change_record(view_type, tdef.key_names, old, new, m.by_service,
                                                                old_size, new_size))
                hashes, payloads = pending.setdefault(tdef.stream_no, ([], []))
                hashes.append(partition_hash)
                payloads.append(payload)
        if any(reasons):
            raise Cancelled(reasons)
        return Staged(outcomes, deltas, index_deltas, pending)

    def finish(self, txn: Txn, staged: list[Staged]) -> list[list[Outcome]]:
        """End what ``stage`` did, for one write or, in a group commit, several in order: each table's counters
        changed once, each stream's records appended with one call. Returns each write's outcomes."""
        if len(staged) == 1:
            deltas, index_deltas, pending = staged[0].deltas, staged[0].index_deltas, staged[0].pending
        else:
            deltas, index_deltas, pending = {}, {}, {}
            for s in staged:
                for merged, part in ((deltas, s.deltas), (index_deltas, s.index_deltas)):
                    for no, (count, size) in part.items():
                        total = merged.setdefault(no, [0, 0])
                        total[0] += count
                        total[1] += size
                for stream_no, (hashes, payloads) in s.pending.items():
                    into = pending.setdefault(stream_no, ([], []))
                    into[0].extend(hashes)
                    into[1].extend(payloads)
        for table_no, (count, size) in deltas.items():
            if count:
                self.counters.add(txn, f"items:{table_no}", count)
            if size:
                self.counters.add(txn, f"bytes:{table_no}", size)
        if index_deltas:
            self.entries.count(txn, index_deltas)
        for stream_no, (hashes, payloads) in pending.items():
            self.streams.append(txn, stream_no, hashes, payloads)
        return [s.outcomes for s in staged]

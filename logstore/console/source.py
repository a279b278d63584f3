"""What the console shows, read from a store: tables, item pages, streams, shard pages with their log summaries,
record pages, the live tail's next batch, and the Store page's charts. Plain Python values (dicts and frozen
dataclasses); the pages (pages.py) turn them into HTML.

Item pages go through the store's own Scan and Query (``Store.scan``/``Store.query``), so the console's reads have
DynamoDB's semantics and errors. Streams, shards and records are read from the stream layer's catalogue and log
inside one read snapshot per call, a page at a time: a stream's shard list is sliced before any shard's log is
looked at, so a stream of thousands of shards costs one catalogue walk and the log summaries of one page.

``Source`` works over a writable store (``logstore serve``) and over one opened with ``readonly=True``
(``logstore console``: no writer lock; another process may be writing). Writes are ``Source.put_item`` and
``Source.delete_item``, through the store's write path; the read-only console never calls them.

Thread-safety: stateless between calls; the store provider hands out the store per call (the server's reset
may replace it).
"""
from __future__ import annotations

import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable

from logstore import codec
from logstore.api import render
from logstore.errors import CorruptionError, ResourceNotFoundException, ValidationException
from logstore.stream import ShardInfo, StreamInfo, ids
from logstore.stream.catalog import ENABLED

U64_MAX = 0xFFFFFFFFFFFFFFFF
MINUTE_MS = 60_000
RECORDS_SCAN_BUDGET = 20_000   # records one records page looks at, at most, while filtering
CHECK_TIMEOUT_S = 300.0

StoreProvider = Callable[[], AbstractContextManager]   # ``with provider() as store:``


@dataclass(frozen=True, slots=True)
class ShardRow:
    """One shard with its log summary and its place in the lineage drawing (depth in its tree)."""
    shard: ShardInfo
    depth: int
    records: int
    first_seq: int | None
    last_seq: int | None
    oldest_ms: int | None
    newest_ms: int | None
    children: tuple[str, ...]
    damaged: str | None = None    # the CorruptionError met reading its log summary; never served as data


@dataclass(frozen=True, slots=True)
class RecordRow:
    shard_id: str
    seq: int
    ts_ms: int
    record: dict          # GetRecords' shape (render.record)


def _lineage_order(shards: list[ShardInfo]) -> list[tuple[ShardInfo, int]]:
    """Shards in depth-first lineage order (a parent, then its children's subtrees, oldest first), with depths.
    A shard whose parent is gone (trimmed) starts a tree of its own."""
    by_id = {s.shard_id: s for s in shards}
    children: dict[str, list[ShardInfo]] = {}
    roots = []
    for s in shards:   # shards come sorted by id: creation order
        if s.parent_id is not None and s.parent_id in by_id:
            children.setdefault(s.parent_id, []).append(s)
        else:
            roots.append(s)
    out: list[tuple[ShardInfo, int]] = []
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        s, depth = stack.pop()
        out.append((s, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(s.shard_id, ())))
    return out


class Source:
    def __init__(self, provider: StoreProvider, path: str, readonly: bool):
        self.provider = provider
        self.path = path
        self.readonly = readonly

    # -- tables and items ----------------------------------------------------------------------------------------

    def tables(self) -> list[dict]:
        with self.provider() as store:
            out = []
            for name in store.tables.names():
                try:
                    desc = store.describe_table(TableName=name)["Table"]
                except ResourceNotFoundException:   # deleted between the listing and now
                    continue
                ttl = store.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
                out.append({"desc": desc, "ttl": ttl})
            return out

    def table(self, name: str) -> dict:
        with self.provider() as store:
            desc = store.describe_table(TableName=name)["Table"]
            ttl = store.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            return {"desc": desc, "ttl": ttl}

    def items(self, name: str, request: dict, query: bool) -> dict:
        """One page of Scan or Query: the request is Scan's or Query's members (validated by the store)."""
        with self.provider() as store:
            return (store.query if query else store.scan)(TableName=name, **request)

    def get_item(self, name: str, key: dict) -> dict | None:
        with self.provider() as store:
            return store.get_item(TableName=name, Key=key, ConsistentRead=True).get("Item")

    def put_item(self, name: str, item: dict, expect_new: bool, key_names: list[str]) -> None:
        """A create (``expect_new``: fails if an item with the key exists) or an edit, through the write path."""
        if self.readonly:
            raise ValidationException("the console is read-only")
        extra = {}
        if expect_new:
            extra = {"ConditionExpression": " AND ".join(f"attribute_not_exists(#k{i})" for i in
                                                         range(len(key_names))),
                     "ExpressionAttributeNames": {f"#k{i}": n for i, n in enumerate(key_names)}}
        with self.provider() as store:
            store.put_item(TableName=name, Item=item, **extra)

    def delete_item(self, name: str, key: dict) -> None:
        if self.readonly:
            raise ValidationException("the console is read-only")
        with self.provider() as store:
            store.delete_item(TableName=name, Key=key)

    # -- streams and shards --------------------------------------------------------------------------------------

    def streams(self) -> list[StreamInfo]:
        with self.provider() as store, store.env.begin_read() as txn:
            return list(store.streams.catalog.streams(txn))

    def stream(self, store, txn, ref: str) -> StreamInfo:
        """A stream by ARN or label."""
        catalog = store.streams.catalog
        info = catalog.stream_by_arn(txn, ref)
        if info is None:
            info = next((s for s in catalog.streams(txn) if s.label == ref), None)
        if info is None:
            raise ResourceNotFoundException(f"Requested resource not found: Stream: {ref} not found")
        return info

    def shard_page(self, ref: str, page: int, per_page: int) -> dict:
        """The stream, its shard count, and one page of its shards in lineage order with their log summaries."""
        with self.provider() as store, store.env.begin_read() as txn:
            info = self.stream(store, txn, ref)
            shards = store.streams.catalog.shards(txn, info.stream_no)
            ordered = _lineage_order(shards)
            pages = max(1, -(-len(ordered) // per_page))
            page = min(max(page, 1), pages)
            window = ordered[(page - 1) * per_page: page * per_page]
            kids: dict[str, list[str]] = {}
            for s in shards:
                if s.parent_id is not None:
                    kids.setdefault(s.parent_id, []).append(s.shard_id)
            log = store.streams.log
            rows = []
            for s, depth in window:
                children = tuple(kids.get(s.shard_id, ()))
                try:
                    summary = log.info(txn, s.shard_no)
                except CorruptionError as e:   # shown as damaged, the rest of the page still drawn
                    rows.append(ShardRow(s, depth, 0, None, None, None, None, children, str(e)))
                    continue
                rows.append(ShardRow(s, depth, summary.records, summary.first_seq, summary.last_seq,
                                     summary.oldest_ts, summary.newest_ts, children))
            return {"stream": info, "total": len(shards), "open": sum(1 for s in shards if s.is_open),
                    "page": page, "pages": pages, "rows": rows, "now_ms": store.clock.now_ms(),
                    "first_ms": min((s.created_ms for s in shards), default=None)}

    def records(self, ref: str, shard_id: str, from_seq: int | None, limit: int, lineage: bool,
                match: Callable[[dict, int], bool]) -> dict:
        """Up to ``limit`` records matching ``match(record, ts_ms)`` from one shard (or, with ``lineage``, from the
        shard's ancestors, oldest first, then the shard), starting at ``from_seq``; looks at no more than
        RECORDS_SCAN_BUDGET records. Returns the rows, the shards read and where to continue."""
        with self.provider() as store, store.env.begin_read() as txn:
            info = self.stream(store, txn, ref)
            engine = store.streams
            shard = engine.shard_of(txn, info, shard_id)
            chain = [shard]
            if lineage:
                catalog = engine.catalog
                while chain[0].parent_no is not None:
                    parent = catalog.shard(txn, chain[0].parent_no)
                    if parent is None:
                        break
                    chain.insert(0, parent)
            rows: list[RecordRow] = []
            scanned = 0
            next_at: tuple[str, int] | None = None
            start = from_seq
            for s in chain:
                if start is not None and s.end_seq is not None and start > s.end_seq:
                    continue   # this shard is before the continuation point
                trim = engine.log.trim_seq(txn, s.shard_no)
                position = max(s.start_seq + 1, trim, start or 0)
                start = None
                while True:
                    if len(rows) >= limit or scanned >= RECORDS_SCAN_BUDGET:
                        next_at = (s.shard_id, position)
                        break
                    batch, following = engine.read(txn, s, position, min(1000, RECORDS_SCAN_BUDGET - scanned))
                    for seq, ts, payload in zip(batch.seqs, batch.timestamps, batch.payloads):
                        scanned += 1
                        if len(rows) >= limit:
                            following = seq
                            break
                        rec = render.record(info, store.region, seq, ts, payload, event_key=store.event_key)
                        if match(rec, ts):
                            rows.append(RecordRow(s.shard_id, seq, ts, rec))
                    if following is None or not batch:
                        break
                    position = following
                if next_at is not None:
                    break
            return {"stream": info, "shard": shard, "chain": chain, "rows": rows, "scanned": scanned,
                    "next": next_at}

    def tail_start(self, ref: str) -> dict:
        """The live tail's starting cursor: every open shard at its end (LATEST)."""
        with self.provider() as store, store.env.begin_read() as txn:
            info = self.stream(store, txn, ref)
            engine = store.streams
            cursor = {}
            for s in engine.catalog.shards(txn, info.stream_no):
                if s.is_open:
                    cursor[s.shard_id] = engine.position(txn, s, "LATEST", None)
            return {"stream": info, "cursor": cursor}

    def tail(self, ref: str, cursor: dict[str, int], limit: int = 500) -> dict:
        """Records after ``cursor`` ({shard id: next sequence number}); a shard read to its closed end is replaced
        by its children from their start, so the tail follows rollovers and splits."""
        with self.provider() as store, store.env.begin_read() as txn:
            info = self.stream(store, txn, ref)
            engine = store.streams
            shards = {s.shard_id: s for s in engine.catalog.shards(txn, info.stream_no)}
            children: dict[str, list[ShardInfo]] = {}
            for s in shards.values():
                if s.parent_id is not None:
                    children.setdefault(s.parent_id, []).append(s)
            rows: list[RecordRow] = []
            todo = list(cursor.items())
            out: dict[str, int] = {}
            steps = 0
            while todo and steps < 10_000:
                steps += 1
                shard_id, position = todo.pop(0)
                s = shards.get(shard_id)
                if s is None:   # trimmed away meanwhile
                    continue
                position = max(position, engine.log.trim_seq(txn, s.shard_no), s.start_seq + 1)
                batch, following = engine.read(txn, s, position, max(1, limit - len(rows)))
                for seq, ts, payload in zip(batch.seqs, batch.timestamps, batch.payloads):
                    rec = render.record(info, store.region, seq, ts, payload, event_key=store.event_key)
                    rows.append(RecordRow(s.shard_id, seq, ts, rec))
                if following is None:   # closed and read to its end: go on in the children
                    todo.extend((c.shard_id, c.start_seq + 1) for c in children.get(shard_id, ())
                                if c.shard_id not in out and c.shard_id not in dict(todo))
                else:
                    out[shard_id] = following
            for shard_id, position in todo:
                out.setdefault(shard_id, position)
            rows.sort(key=lambda r: (r.ts_ms, r.seq))
            return {"rows": rows, "cursor": out}

    # -- the Store page ------------------------------------------------------------------------------------------

    def store_stats(self) -> dict:
        """Charts' data: records per minute over the retention window (every record's timestamp, one C call per
        segment, no payload decoded), items and bytes per table, and shards open over time."""
        with self.provider() as store, store.env.begin_read() as txn:
            now = store.clock.now_ms()
            retention = store.streams.policy.retention_ms
            start = (now - retention) // MINUTE_MS * MINUTE_MS
            minutes = [0] * (retention // MINUTE_MS + 1)
            log = store.streams.log
            catalog = store.streams.catalog
            streams = list(catalog.streams(txn))
            shard_events: list[tuple[int, int]] = []
            total_records = total_shards = damaged = 0
            for info in streams:
                for s in catalog.shards(txn, info.stream_no):
                    total_shards += 1
                    shard_events.append((s.created_ms, 1))
                    if s.closed_ms is not None:
                        shard_events.append((s.closed_ms, -1))
                    trim = log.trim_seq(txn, s.shard_no)
                    for _key, value in log.raw_segments(txn, s.shard_no):
                        try:
                            r = codec.read(value, trim, U64_MAX, U64_MAX, False)
                        except CorruptionError:   # left out of the charts, counted; the check says where
                            damaged += 1
                            continue
                        total_records += len(r.timestamps)
                        for ts in r.timestamps:
                            i = (ts - start) // MINUTE_MS
                            if 0 <= i < len(minutes):
                                minutes[i] += 1
            shard_events.sort()
            open_now, series = 0, []
            for t, delta in shard_events:
                open_now += delta
                series.append((t, open_now))
            # cumulative shards created, as a second series
            created = sorted(t for t, d in shard_events if d > 0)
            tables = []
            for name in store.tables.names():
                try:
                    tdef = store.tables.get(name)
                except ResourceNotFoundException:
                    continue
                count, size = store.tables.stats(tdef)
                tables.append({"name": name, "items": count, "bytes": size})
            first = next((i for i, n in enumerate(minutes) if n), len(minutes))
            return {"now_ms": now, "start_ms": start, "minutes": minutes, "first_busy_minute": first,
                    "tables": tables, "open_shards": series, "created_shards": created,
                    "streams": len(streams), "shards": total_shards, "records": total_records,
                    "enabled_streams": sum(1 for s in streams if s.status == ENABLED), "damaged_segments": damaged,
                    "space": store.env.space()}

    def check(self, timeout: float = CHECK_TIMEOUT_S) -> dict:
        """``logstore check --json`` over the store, in a child process (the check is the CLI's; it opens the
        store read-only and walks every segment, which may take a while; a time bound keeps the page
        answering). Returns the command's JSON, or {"error": ...}."""
        import json
        try:
            done = subprocess.run([sys.executable, "-m", "logstore", "check", "--json", self.path],
                                  capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"error": f"the check took longer than {timeout:.0f} s and was stopped"}
        if done.returncode not in (0, 1):
            return {"error": (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"}
        try:
            return json.loads(done.stdout)
        except ValueError:
            return {"error": "the check printed no JSON"}


def seq_of(text: str | None) -> int | None:
    """A sequence number from a URL: the wire form or an integer; None if absent. ValidationException if bad."""
    if text is None or text == "":
        return None
    value = ids.seq_from_wire(text) if len(text) == ids.SEQ_WIRE_LEN else None
    if value is None:
        try:
            value = int(text)
        except ValueError:
            raise ValidationException(f"not a sequence number: {text!r}") from None
    if value < 0:
        raise ValidationException(f"not a sequence number: {text!r}")
    return value


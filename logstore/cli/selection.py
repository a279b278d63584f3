"""Choosing and reading records for ``records`` and ``export``: the filter options (table, stream, shard,
sequence range, time range, event name, key), a snapshot read of every matching record in commit order, and a
follower that keeps reading as new records are committed, into new shards too.

Commit order: sequence numbers come from one store-wide counter in commit order, so merging the shards' logs by
sequence number gives the order in which the changes were committed (per key, the order a consumer sees).

Records are rendered in the DynamoDB Streams wire shape (GetRecords) or the Lambda event shape by
logstore.api.render. Read-only. A ``RecordFilter`` is a value; the readers hold no state beyond one call (the
follower: its shard positions).
"""
from __future__ import annotations

import base64
import functools
import heapq
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterator

import click

from logstore.api import render
from logstore.stream import ShardInfo, StreamInfo
from logstore.stream import ids
from logstore.stream.records import decode_fields

from .common import CommandError, ReadOnlyStore, parse_seq, parse_time, select_streams

EVENTS = ("INSERT", "MODIFY", "REMOVE")
PAGE = 1000
PAGE_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records to read. Sequence bounds and times are inclusive; None means unbounded."""

    table: str | None = None
    stream: str | None = None
    shards: tuple[str, ...] = ()
    from_seq: int | None = None
    to_seq: int | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    events: tuple[str, ...] = ()
    keys: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, d: dict) -> "RecordFilter":
        return cls(d["table"], d["stream"], tuple(d["shards"]), d["from_seq"], d["to_seq"], d["since_ms"],
                   d["until_ms"], tuple(d["events"]), tuple(tuple(k) for k in d["keys"]))

    def to_dict(self) -> dict:
        return {"table": self.table, "stream": self.stream, "shards": list(self.shards), "from_seq": self.from_seq,
                "to_seq": self.to_seq, "since_ms": self.since_ms, "until_ms": self.until_ms,
                "events": list(self.events), "keys": [list(k) for k in self.keys]}

    @property
    def decodes(self) -> bool:
        """Whether matching needs the payload (event name or key filters)."""
        return bool(self.events or self.keys)

    def matches_payload(self, fields: list) -> bool:
        kind, keys = fields[0], fields[2]
        if self.events and render.EVENT_NAMES[kind] not in self.events:
            return False
        return all(_key_matches(keys.get(name), value) for name, value in self.keys)


def _key_matches(attr: dict | None, wanted: str) -> bool:
    if not attr:
        return False
    (typ, value), = attr.items()
    if typ == "S":
        return value == wanted
    if typ == "N":
        try:
            return Decimal(value) == Decimal(wanted)
        except InvalidOperation:
            return False
    if typ == "B":
        return base64.b64encode(value).decode() == wanted or value == wanted.encode()
    return False


filter_options = [
    click.option("--table", help="only streams of this table"),
    click.option("--stream", help="only this stream (ARN or label)"),
    click.option("--shard", "shards", multiple=True, help="only this shard id (repeatable)"),
    click.option("--from-seq", help="first sequence number (wire form or integer)"),
    click.option("--to-seq", help="last sequence number (wire form or integer)"),
    click.option("--since", help="records at or after this time (ISO 8601, epoch ms, or an age: 15m, 2h, 1d)"),
    click.option("--until", help="records at or before this time (same forms)"),
    click.option("--event", "events", multiple=True, type=click.Choice(EVENTS, case_sensitive=False),
                 help="only this event name (repeatable)"),
    click.option("--key", "keys", multiple=True, metavar="NAME=VALUE",
                 help="only records whose key attribute NAME equals VALUE (repeatable: all must match)"),
]


def with_filter_options(fn: Callable) -> Callable:
    for option in reversed(filter_options):
        fn = option(fn)
    return fn


def make_filter(table, stream, shards, from_seq, to_seq, since, until, events, keys) -> RecordFilter:
    pairs = []
    for k in keys:
        name, sep, value = k.partition("=")
        if not sep or not name:
            raise CommandError(f"--key wants NAME=VALUE, got {k!r}")
        pairs.append((name, value))
    return RecordFilter(table, stream, tuple(shards), parse_seq(from_seq) if from_seq else None,
                        parse_seq(to_seq) if to_seq else None, parse_time(since) if since else None,
                        parse_time(until) if until else None, tuple(e.upper() for e in events), tuple(pairs))


@dataclass(frozen=True, slots=True)
class Found:
    """One record read: where it is and its bytes."""

    seq: int
    ts_ms: int
    payload: bytes
    stream: StreamInfo
    shard: ShardInfo
    event_key: bytes

    def render(self, shape: str) -> dict:
        fn = render.lambda_record if shape == "lambda" else render.record
        return fn(self.stream, _region(self.stream.arn), self.seq, self.ts_ms, self.payload,
                  event_key=self.event_key)


@functools.lru_cache(maxsize=256)
def _region(arn: str) -> str:
    """The region named in a stream ARN (the store's region when the stream was made)."""
    return (ids.parse_stream_arn(arn) or ("us-east-1",))[0]


def selected_shards(store: ReadOnlyStore, txn, f: RecordFilter) -> list[tuple[StreamInfo, ShardInfo]]:
    out = []
    for info in select_streams(store, txn, f.table, f.stream):
        for shard in store.streams.shards(txn, info.stream_no):
            if not f.shards or shard.shard_id in f.shards:
                out.append((info, shard))
    return out


def _start(store: ReadOnlyStore, txn, shard: ShardInfo, f: RecordFilter, after: int | None) -> int:
    pos = max(shard.start_seq + 1, store.log.trim_seq(txn, shard.shard_no))
    if f.from_seq is not None:
        pos = max(pos, f.from_seq)
    if after is not None:
        pos = max(pos, after + 1)
    return pos


def _shard_records(store: ReadOnlyStore, txn, info: StreamInfo, shard: ShardInfo, f: RecordFilter,
                   pos: int, positions: dict[int, int] | None = None) -> Iterator[Found]:
    """Records of one shard from ``pos`` within the filter's bounds; ``positions[shard_no]`` follows along."""
    while True:
        batch = store.log.read(txn, shard.shard_no, pos, PAGE, PAGE_BYTES)
        if not batch:
            return
        for seq, ts, payload in batch:
            if f.to_seq is not None and seq > f.to_seq:
                return
            if f.until_ms is not None and ts > f.until_ms:   # timestamps never decrease along a shard
                return
            if positions is not None:
                positions[shard.shard_no] = seq + 1
            if f.since_ms is not None and ts < f.since_ms:
                continue
            if f.decodes and not f.matches_payload(decode_fields(payload)):
                continue
            yield Found(seq, ts, payload, info, shard, store.event_key)
        pos = batch.next_seq


def read_records(store: ReadOnlyStore, txn, f: RecordFilter, after: int | None = None) -> Iterator[Found]:
    """Every record matching ``f`` in this snapshot, in commit order; only those above ``after`` if given."""
    chosen = selected_shards(store, txn, f)
    if f.shards:
        missing = set(f.shards) - {s.shard_id for _, s in chosen}
        if missing:
            raise CommandError(f"no such shard in the chosen streams: {', '.join(sorted(missing))}")
    sources = [_shard_records(store, txn, info, shard, f, _start(store, txn, shard, f, after))
               for info, shard in chosen]
    return heapq.merge(*sources, key=lambda r: r.seq)


@dataclass
class Follower:
    """Reads what was committed since the last poll, shard by shard, and finds new shards (children of split or
    rolled shards, shards of newly enabled streams) as they appear. Not thread-safe."""

    store: ReadOnlyStore
    f: RecordFilter
    latest: bool = False
    positions: dict[int, int] = field(default_factory=dict)
    _first: bool = True

    def poll(self) -> list[Found]:
        out: list[Found] = []
        with self.store.read() as txn:
            try:
                chosen = selected_shards(self.store, txn, self.f)
            except CommandError:
                if self.f.table is None and self.f.stream is None:
                    raise
                chosen = []   # the stream may not exist yet: keep waiting for it
            for info, shard in chosen:
                pos = self.positions.get(shard.shard_no)
                trim = self.store.log.trim_seq(txn, shard.shard_no)
                if pos is None:
                    pos = _start(self.store, txn, shard, self.f, None)
                    if self.latest and self._first:   # start at the end of what is there now
                        last = self.store.log.last_seq(txn, shard.shard_no)
                        pos = max(pos, (last or 0) + 1)
                elif pos < trim:
                    pos = trim   # trimmed meanwhile: what is left starts here
                self.positions[shard.shard_no] = pos
                out += _shard_records(self.store, txn, info, shard, self.f, pos, self.positions)
        self._first = False
        out.sort(key=lambda r: r.seq)
        return out

    def run(self, emit: Callable[[Found], bool], interval: float) -> None:
        """Poll until ``emit`` returns False (enough) or the process is interrupted."""
        while True:
            for r in self.poll():
                if not emit(r):
                    return
            time.sleep(interval)

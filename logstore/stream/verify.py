"""Consistency of streams, shards and lineage with each other and with the segment log, for ``logstore check``.

Given the per-shard walks of the log (storage/verify.py), checks (docs/format.md "Streams", "Shards";
docs/streams.md):
* every stored stream and shard decodes; ``stream_arns`` and ``streams`` agree both ways; every shard is listed
  under its stream in ``stream_shards`` and every listing names an existing shard of that stream;
* an ENABLED stream's partitions are sorted, cover [0, 2^32), and each names an open shard of the stream over
  exactly that range; no other shard of the stream is open; a DISABLED stream has no open shard;
* lineage: a parent exists (unless it may have expired: a closed shard is deleted only once it has been closed
  for the retention period, and its children were created when it closed), belongs to the same stream, is
  closed, ranks before the child, its range holds the child's, and the child's numbers start above its end;
* each shard's records lie in (start_seq, end_seq]; a closed shard's log ends exactly at end_seq;
* every log belongs to a shard; the store's counters are above every number handed out;
* nothing of the above in a store used only through the storage core (no stream databases): its logs are its own;
* accounting, while nothing was ever trimmed or deleted (no trim record; every shard and stream number ever handed
  out still exists): every sequence number ever handed out is a shard's starting number or a stored record, so a
  lost record or segment (deleted, or overwritten by a wrong one) shows as numbers missing; each run of them is
  placed in the shard whose segments bracket it most tightly (a best guess where shards interleave their
  numbers), unless a damaged segment, reported already, brackets it as tightly.

Read-only, inside the caller's read transaction. Stateless functions; thread-safe.
"""
from __future__ import annotations

import struct
from typing import cast


from logstore.errors import CorruptionError
from logstore.storage import Counters, SegmentLog
from logstore.storage.txn import Txn
from logstore.storage.verify import Problem, ShardScan, Where, segment_seqs

from .catalog import (DISABLED, ENABLED, HASH_SPACE, ShardInfo, StreamCatalog, StreamInfo, decode_arn,
                      decode_listed, decode_shard, decode_stream)

MAX_LOCATE = 50_000_000   # sequence numbers; above this, missing records are counted but not located
_U64 = struct.Struct(">Q")
_PAIR = struct.Struct(">QQ")


def load(catalog: StreamCatalog, txn: Txn, problems: list[Problem]
         ) -> tuple[dict[int, StreamInfo], dict[int, ShardInfo]]:
    """Every stream and shard that decodes, by number; what does not decode is reported."""
    streams: dict[int, StreamInfo] = {}
    shards: dict[int, ShardInfo] = {}
    if catalog.streams_db is not None:
        for key, raw in txn.cursor(db=catalog.streams_db):
            try:
                info = decode_stream(bytes(key), bytes(raw))
                streams[info.stream_no] = info
                if info.stream_no != _U64.unpack(key)[0]:
                    problems.append(Problem("metadata", f"stream stored under number {_U64.unpack(key)[0]} "
                                            f"says it is number {info.stream_no}", stream=info.arn))
            except CorruptionError as e:   # a damaged record is a finding, not the end
                problems.append(Problem("metadata", str(e)))
    if catalog.shards_db is not None:
        for key, raw in txn.cursor(db=catalog.shards_db):
            try:
                shard = decode_shard(bytes(key), bytes(raw))
                shards[shard.shard_no] = shard
            except CorruptionError as e:
                problems.append(Problem("metadata", str(e),
                                        shard=_U64.unpack(key)[0] if len(key) == 8 else None))
    return streams, shards


def has_streams(catalog: StreamCatalog) -> bool:
    """Whether the store has the stream layer's databases (a store used only through logstore.storage has not)."""
    return any(db is not None for db in (catalog.streams_db, catalog.shards_db, catalog.stream_shards_db))


def check(catalog: StreamCatalog, log: SegmentLog, counters: Counters, txn: Txn,
          scans: dict[int, ShardScan], retention_ms: int) -> list[Problem]:
    """Every problem with streams, shards and lineage (see the module docstring). ``scans``: the walk of every
    shard log in the store, by shard number. ``retention_ms``: the streams' retention period (decides whether a
    missing parent may have expired)."""
    if not has_streams(catalog):
        return []   # a store used through the storage core alone: its logs belong to no shard record
    problems: list[Problem] = []
    streams, shards = load(catalog, txn, problems)
    now = counters.peek(txn, "clock", 0)   # the newest time the store has used; maintenance judges by it
    horizon = now - retention_ms

    # stream_arns <-> streams
    arns: dict[str, int] = {}
    if catalog.arns_db is not None:
        for key, raw in txn.cursor(db=catalog.arns_db):
            arn = bytes(key).decode("utf-8", "replace")
            try:
                no = decode_arn(bytes(key), bytes(raw))
            except CorruptionError as e:
                problems.append(Problem("metadata", str(e), stream=arn))
                continue
            arns[arn] = no
            if no not in streams:
                problems.append(Problem("metadata", f"ARN index names stream number {no}, which does not exist",
                                        stream=arn))
            elif streams[no].arn != arn:
                problems.append(Problem("metadata", f"ARN index names stream number {no}, whose ARN is "
                                        f"{streams[no].arn}", stream=arn))
    for info in streams.values():
        if arns.get(info.arn) != info.stream_no:
            problems.append(Problem("metadata", "stream missing from the ARN index", stream=info.arn))

    # stream_shards <-> shards
    listed: dict[int, set[int]] = {}
    if catalog.stream_shards_db is not None:
        for key, raw in txn.cursor(db=catalog.stream_shards_db):
            try:
                stream_no, shard_no = decode_listed(bytes(key), bytes(raw))
            except (CorruptionError, struct.error) as e:
                problems.append(Problem("metadata", f"{e}"))
                continue
            listed.setdefault(stream_no, set()).add(shard_no)
            shard = shards.get(shard_no)
            if shard is None:
                problems.append(Problem("metadata", f"listed under stream number {stream_no} but has no shard "
                                        f"record", shard=shard_no, stream=_arn(streams, stream_no)))
            elif shard.stream_no != stream_no:
                problems.append(Problem("metadata", f"listed under stream number {stream_no} but belongs to "
                                        f"stream number {shard.stream_no}", shard=shard_no, shard_id=shard.shard_id))
    for shard in shards.values():
        where = Where(shard=shard.shard_no, shard_id=shard.shard_id, stream=_arn(streams, shard.stream_no))
        if shard.shard_no not in listed.get(shard.stream_no, ()):
            problems.append(Problem("metadata", "shard not listed under its stream", **where))
        if shard.stream_no not in streams:
            problems.append(Problem("metadata", f"shard of stream number {shard.stream_no}, which does not exist",
                                    **where))
        problems += _lineage(shard, shards, horizon, where)
        problems += _against_log(shard, scans.get(shard.shard_no), where)

    # partitions and open shards
    for info in streams.values():
        problems += _partitions(info, [s for s in shards.values() if s.stream_no == info.stream_no], shards)

    # logs without a shard; counters above everything handed out
    for shard_no in sorted(set(scans) - set(shards)):
        scan = scans[shard_no]
        problems.append(Problem("metadata", f"the log holds {scan.segments} segment(s) of a shard that has no "
                                "shard record", shard=shard_no))
    next_seq = counters.peek(txn, "seq")
    top_seq = max([s.last_key_seq or 0 for s in scans.values()] + [s.start_seq for s in shards.values()]
                  + [s.trim_seq - 1 for s in scans.values()] + [0])
    if top_seq >= next_seq:
        problems.append(Problem("metadata", f"sequence counter hands out {next_seq} next, but sequence number "
                                f"{top_seq} is already in use"))
    problems += _accounting(log, txn, scans, shards, streams, next_seq, counters)
    for name, numbers in (("shard", shards), ("stream", streams)):
        if numbers and max(numbers) >= counters.peek(txn, name):
            problems.append(Problem("metadata", f"{name} counter hands out {counters.peek(txn, name)} next, but "
                                    f"{name} number {max(numbers)} exists"))
    return problems


def _arn(streams: dict[int, StreamInfo], stream_no: int) -> str | None:
    info = streams.get(stream_no)
    return info.arn if info is not None else None


def _lineage(shard: ShardInfo, shards: dict[int, ShardInfo], horizon: int, where: Where) -> list[Problem]:
    if shard.parent_no is None:
        return []
    parent = shards.get(shard.parent_no)
    if parent is None:
        if shard.created_ms >= horizon:  # its parent closed when it was created, less than retention ago
            return [Problem("lineage", f"parent shard {shard.parent_no} ({shard.parent_id}) is missing, but it "
                            f"cannot have expired yet (closed at {shard.created_ms} ms, within the retention "
                            "period)", **where)]
        return []
    out: list[Problem] = []

    def bad(message: str) -> None:
        out.append(Problem("lineage", message, **where))

    if parent.shard_id != shard.parent_id:
        bad(f"parent shard {parent.shard_no} is {parent.shard_id}, but the shard names {shard.parent_id}")
    if parent.stream_no != shard.stream_no:
        bad(f"parent shard {parent.shard_no} belongs to another stream (number {parent.stream_no})")
    if parent.end_seq is None:
        bad(f"parent shard {parent.shard_id} is still open")
    elif shard.start_seq <= parent.end_seq:
        bad(f"sequence regression: starts at {shard.start_seq}, not above its parent's end {parent.end_seq}")
    if not parent.lo <= shard.lo < shard.hi <= parent.hi:
        bad(f"hash range [{shard.lo}, {shard.hi}) is not within its parent's [{parent.lo}, {parent.hi})")
    if parent.shard_id >= shard.shard_id:
        bad(f"parent {parent.shard_id} does not sort before it (created later?)")
    return out


def _against_log(shard: ShardInfo, scan: ShardScan | None, where: Where) -> list[Problem]:
    out: list[Problem] = []
    if scan is None or scan.segments == 0:
        return out
    if scan.first_seq is not None and scan.first_seq <= shard.start_seq:
        out.append(Problem("order", f"sequence regression: a record has sequence number {scan.first_seq}, not "
                           f"above the shard's starting number {shard.start_seq}", **where))
    if shard.end_seq is not None and scan.last_key_seq is not None:
        if scan.last_key_seq > shard.end_seq:
            out.append(Problem("order", f"the log holds sequence number {scan.last_key_seq}, past the closed "
                               f"shard's end {shard.end_seq}", **where))
        elif scan.last_key_seq < shard.end_seq:
            out.append(Problem("metadata", f"the closed shard ends at {shard.end_seq}, but its log ends at "
                               f"{scan.last_key_seq}", **where))
    return out


def _partitions(info: StreamInfo, own: list[ShardInfo], shards: dict[int, ShardInfo]) -> list[Problem]:
    out = []

    def bad(message: str, shard: int | None = None, shard_id: str | None = None) -> None:
        out.append(Problem("lineage", message, stream=info.arn, shard=shard, shard_id=shard_id))

    open_shards = {s.shard_no for s in own if s.is_open}
    if info.status == DISABLED:
        if info.partitions:
            bad("DISABLED stream still has partitions")
        for no in sorted(open_shards):
            bad("shard of a DISABLED stream is open", shard=no, shard_id=shards[no].shard_id)
        return out
    if info.status != ENABLED:
        bad(f"unknown stream status {info.status!r}")
        return out
    los = [p[0] for p in info.partitions]
    if not info.partitions or los[0] != 0 or los != sorted(set(los)):
        bad(f"partitions do not cover the hash space in order (starts {los[:8]})")
    in_partitions = set()
    for i, (lo, shard_no, _created) in enumerate(info.partitions):
        hi = info.partitions[i + 1][0] if i + 1 < len(info.partitions) else HASH_SPACE
        in_partitions.add(shard_no)
        shard = shards.get(shard_no)
        if shard is None:
            bad(f"partition [{lo}, {hi}) names shard {shard_no}, which does not exist")
        elif shard.stream_no != info.stream_no or not shard.is_open:
            bad(f"partition [{lo}, {hi}) names a shard that is " + ("closed" if not shard.is_open else
                                                                    "of another stream"),
                shard=shard_no, shard_id=shard.shard_id)
        elif (shard.lo, shard.hi) != (lo, hi):
            bad(f"partition [{lo}, {hi}) names a shard over [{shard.lo}, {shard.hi})", shard=shard_no,
                shard_id=shard.shard_id)
    for no in sorted(open_shards - in_partitions):
        bad("open shard that no partition routes to", shard=no, shard_id=shards[no].shard_id)
    return out


def _accounting(log: SegmentLog, txn: Txn, scans: dict[int, ShardScan], shards: dict[int, ShardInfo],
                streams: dict[int, StreamInfo], next_seq: int, counters: Counters) -> list[Problem]:
    """Every sequence number handed out is accounted for (see the module docstring); [] when it cannot be judged."""
    trimmed = log.trims_db is not None and txn.stat(log.trims_db)["entries"] > 0
    if trimmed or set(shards) != set(range(1, counters.peek(txn, "shard"))) \
            or set(streams) != set(range(1, counters.peek(txn, "stream"))):
        return []
    damaged = any(scan.damaged for scan in scans.values())
    accounted = sum(scan.stored for scan in scans.values()) + len(shards)
    if accounted == next_seq - 1 and not damaged:
        return []
    if next_seq > MAX_LOCATE:
        return [Problem("order", f"{next_seq - 1 - accounted} sequence number(s) handed out are neither a record "
                        "nor a shard's start: records are missing")] if accounted < next_seq - 1 else []
    present = bytearray(next_seq)
    present[0] = 1
    for shard in shards.values():
        if shard.start_seq < next_seq:
            present[shard.start_seq] = 1
    for shard_no in scans:
        for seq in segment_seqs(log, txn, shard_no):
            if seq < next_seq:
                present[seq] = 1
    # where -> [first, last, count, others]: gaps in one place reported once
    groups: dict[tuple[tuple[str, object], ...], list[int]] = {}
    pos = present.find(0)
    while pos != -1:
        end = present.find(1, pos)
        end = next_seq if end == -1 else end
        where = _bracketing(pos, end - 1, scans, shards, streams)
        if where is None:   # only damaged segments (reported already) can have held these numbers
            pos = present.find(0, end)
            continue
        others = where.pop("others", 0)
        group = groups.setdefault(tuple(sorted(where.items(), key=lambda kv: kv[0])), [pos, end - 1, 0, 0])
        group[1] = end - 1
        group[2] += end - pos
        group[3] = max(group[3], others)
        pos = present.find(0, end)
    return [Problem("order", f"{n} sequence number(s) between {a} and {b} were handed out but are neither a record "
                    "nor a shard's start: records are missing (a deleted segment?)"
                    + (f"; placed in the shard whose segments bracket them most tightly, of {others + 1} that could "
                       "have held them" if others else ""), **cast(Where, dict(where)))
            for where, (a, b, n, others) in groups.items()]


class _Gap(Where, total=False):
    others: int   # how many other shards could have held the numbers


def _bracketing(a: int, b: int, scans: dict[int, ShardScan], shards: dict[int, ShardInfo],
                streams: dict[int, StreamInfo]) -> _Gap | None:
    """Where missing numbers a..b most likely were: of the shards that could have held them (started before, not
    closed before, no valid segment of theirs overlapping them), the one whose neighbouring segments bracket them
    most tightly -- a hole between two of its segments is where a deleted segment was. A damaged segment that
    could hold them (from the segment before it, or its own header's first number, to its key) explains them
    when it brackets them at least as tightly as any such shard: then None (the damage is reported already).
    {} if no shard fits."""
    best = None
    damaged_best = None
    fits = 0
    for shard_no, scan in sorted(scans.items()):
        shard = shards.get(shard_no)
        if shard is None or shard.start_seq >= a or (shard.end_seq is not None and shard.end_seq < b):
            continue
        before = [last for _first, last in scan.spans if last < a]
        after = [first for first, _last in scan.spans if first > b]
        if len(before) + len(after) != len(scan.spans):   # a valid segment of this shard overlaps the gap
            continue
        covering = [hi - lo for lo, hi in scan.damaged if lo < a and b <= hi]
        if covering:   # a damaged segment of this shard could have held them
            if damaged_best is None or min(covering) < damaged_best:
                damaged_best = min(covering)
            continue
        fits += 1
        low = max(before, default=shard.start_seq)
        high = min(after, default=shard.end_seq + 1 if shard.end_seq is not None else 1 << 64)
        if best is None or high - low < best[0]:
            best = (high - low, Where(shard=shard_no, shard_id=shard.shard_id, stream=_arn(streams, shard.stream_no),
                                     segment=min(after) if after else None))
    if damaged_best is not None and (best is None or damaged_best <= best[0]):
        return None
    if best is not None:
        return _Gap(**best[1], others=fits - 1 + (damaged_best is not None))
    return _Gap()

"""Exact order over bounded LMDB keys: the cursor walk every ordered read of items (and index entries) uses.

Entries are stored under ``keycodec.stored_key(order key)`` (docs/format.md, "Bounded keys"): short order keys as
they are, longer ones as a group prefix (their first ``INLINE`` bytes) and a digest. LMDB's order is therefore the
order keys' order except inside a group, whose members are contiguous but in digest order. ``walk`` restores the
exact order: it seeks by the bounds' stored form, and whenever it meets a long-form key it reads that key's whole
group, gets each member's order key from its value (``order_of``) and sorts them. Short entries cost nothing
extra; a group costs one read of the group each time a walk enters it, so a page inside a group of n entries
that share their first 495 bytes reads n entries (docs/format.md says when that happens: only keys that share a
prefix of about 480 bytes).

Requires the order keys of one database to be prefix-free (no order key a proper prefix of another); item and
index order keys are, being concatenations of self-delimiting encoded values behind fixed-length prefixes.

Pure over the cursor it is given: reads only, no state; the caller owns the transaction and its thread.
"""
from __future__ import annotations

from typing import Callable, Iterator, Sequence

from logstore.storage.txn import Cursor

from .keycodec import INLINE, is_long

OrderOf = Callable[[bytes, bytes], bytes]     # (stored key, value) of a long-form entry -> its order key


def successor(prefix: bytes) -> bytes | None:
    """The least byte string greater than every string that starts with ``prefix`` (None if there is none)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def _group(cur: Cursor, first_key: bytes, forward: bool, order_of: OrderOf
           ) -> tuple[list[tuple[bytes, bytes, bytes]], bool]:
    """Read the group of long-form key ``first_key`` (the cursor is on it) moving ``forward`` or back; return its
    members (order key, stored key, value) sorted in the walk's direction, and whether the cursor is on an entry
    after the group."""
    group = first_key[:INLINE]
    members: list[tuple[bytes, bytes, bytes]] = []
    ok = True
    while ok:
        key = bytes(cur.key())
        if not (is_long(key) and key.startswith(group)):
            break
        value = bytes(cur.value())
        members.append((order_of(key, value), key, value))
        ok = cur.next() if forward else cur.prev()
    members.sort(reverse=not forward)
    return members, ok


def walk(cur: Cursor, low: bytes, high: bytes | None, order_of: OrderOf, *, forward: bool = True
         ) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(order key, stored key, value) of every entry whose order key ``o`` has ``low <= o < high`` (``high``
    None: no upper bound), ascending, or descending when not ``forward``. Bounds are order keys of any length."""
    ok: bool | None   # None: the entry was not a group's, the cursor is still on it
    if forward:
        ok = cur.set_range(low[:INLINE])
    else:
        if high is None:
            ok = cur.last()
        else:
            end = high if len(high) <= INLINE else successor(high[:INLINE])
            if end is None:
                ok = cur.last()
            else:
                ok = cur.prev() if cur.set_range(end) else cur.last()
    while ok:
        key = bytes(cur.key())
        if is_long(key):
            group: Sequence[tuple[bytes, bytes, bytes]]
            group, ok = _group(cur, key, forward, order_of)
        else:
            group, ok = ((key, key, bytes(cur.value())),), None
        for entry in group:
            o = entry[0]
            if forward:
                if high is not None and o >= high:
                    return
                if o < low:
                    continue
            else:
                if o < low:
                    return
                if high is not None and o >= high:
                    continue
            yield entry
        if ok is None:
            ok = cur.next() if forward else cur.prev()

"""LMDB's file layout, read by us: the meta pages and the B-tree pages of ``data.mdb``, so that damage LMDB itself
would crash or loop on (SIGBUS past the end of a truncated file, an assertion on a zeroed page, a cycle through a
flipped branch pointer) is found and reported as CorruptionError before LMDB touches it.

Layout (LMDB 0.9, 64-bit; ``mdb.c``): page 0 and page 1 are meta pages; each page starts with a 16-byte header
(u64 page number, u16 pad, u16 flags, u16 lower, u16 upper; an overflow page has u32 page count in place of
lower/upper) followed by u16 node offsets. A meta page holds, at offset 16: u32 magic 0xBEEFC0DE, u32 version 1,
u64 address, u64 map size, two 48-byte database records (free list, main), u64 last page number, u64 txn id; the
free-list record's first u32 is the page size. A database record: u32 pad, u16 flags, u16 depth, u64 branch, leaf
and overflow page counts, u64 entries, u64 root page (all ones: empty). A node: u16 lo, u16 hi, u16 flags, u16 key
size, then the key, then the data (a leaf's data size is lo | hi << 16; a branch's child page is
lo | hi << 16 | flags << 32); leaf node flags: 1 big data (an overflow page number as data), 2 a named database
(its 48-byte record as data), 4 duplicates.

* ``read_meta`` / ``check_file``: the newest valid meta page, and the file's size against it: cheap, run at every
  open.
* ``walk``: every page of every database reachable from the newest meta, each visited at most once, checked for
  its number, kind, bounds, node offsets, child pointers in range, key order and depth; a bound on every loop.
  For ``logstore check`` and before risky reads; O(pages).

Pure reading of a file (no LMDB calls); thread-safe.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, overload

MAGIC = 0xBEEFC0DE
DATA_VERSION = 1
P_INVALID = (1 << 64) - 1
HEADER = 16
P_BRANCH, P_LEAF, P_OVERFLOW, P_META, P_LEAF2 = 0x01, 0x02, 0x04, 0x08, 0x20
F_BIGDATA, F_SUBDATA, F_DUPDATA = 0x01, 0x02, 0x04
MDB_INTEGERKEY, MDB_DUPSORT = 0x08, 0x04
MAX_DEPTH = 64                       # LMDB's own cursor stack is 32 deep (CURSOR_STACK)
_PAGE = struct.Struct("<QHHHH")
_META = struct.Struct("<IIQQ")
_DB = struct.Struct("<IHHQQQQQ")
_NODE = struct.Struct("<HHHH")
_TAIL = struct.Struct("<QQ")


@dataclass(frozen=True, slots=True)
class DbRecord:
    flags: int
    depth: int
    branch_pages: int
    leaf_pages: int
    overflow_pages: int
    entries: int
    root: int


@dataclass(frozen=True, slots=True)
class Meta:
    page: int            # 0 or 1
    page_size: int
    map_size: int
    last_page: int
    txn_id: int
    free: DbRecord
    main: DbRecord


@dataclass(frozen=True, slots=True)
class PageProblem:
    db: str
    page: int | None
    message: str

    def __str__(self) -> str:
        where = f"page {self.page} of " if self.page is not None else ""
        return f"data.mdb: {where}database {self.db}: {self.message}"


class Damaged(Exception):
    """The file is not an LMDB environment LMDB could safely map (message says why)."""


def _db(raw: bytes, offset: int) -> DbRecord:
    pad, flags, depth, branch, leaf, overflow, entries, root = _DB.unpack_from(raw, offset)
    return DbRecord(flags, depth, branch, leaf, overflow, entries, root)


def _meta_at(raw: bytes, offset: int, which: int) -> Meta | None:
    if len(raw) < offset + HEADER + _META.size + 2 * _DB.size + _TAIL.size:
        return None
    pgno, _, flags, _, _ = _PAGE.unpack_from(raw, offset)
    magic, version, _, map_size = _META.unpack_from(raw, offset + HEADER)
    if magic != MAGIC or version != DATA_VERSION or not flags & P_META or pgno != which:
        return None
    base = offset + HEADER + _META.size
    free, main = _db(raw, base), _db(raw, base + _DB.size)
    last, txn = _TAIL.unpack_from(raw, base + 2 * _DB.size)
    return Meta(which, _DB.unpack_from(raw, base)[0], map_size, last, txn, free, main)


@overload
def read_meta(path: str, txn_id: None = None) -> tuple[Meta, int]: ...
@overload
def read_meta(path: str, txn_id: int | None) -> tuple[Meta | None, int]: ...


def read_meta(path: str, txn_id: int | None = None) -> tuple[Meta | None, int]:
    """(the newest valid meta page, the file's size) of ``data.mdb`` at ``path``; Damaged if neither meta page is
    valid or the file is shorter than the pages the newest one says are in use. With ``txn_id``, the meta page of
    that transaction instead, or None if neither is (writers have committed twice since)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(HEADER + 256)
            first = _meta_at(head, 0, 0)
            page_size = first.page_size if first is not None else os.sysconf("SC_PAGE_SIZE")
            if not _plausible_page_size(page_size):
                page_size = os.sysconf("SC_PAGE_SIZE")
            f.seek(page_size)
            second = _meta_at(f.read(HEADER + 256), 0, 1)
    except OSError as e:
        raise Damaged(f"cannot read: {e.strerror}") from None
    metas = [m for m in (first, second) if m is not None and _plausible_page_size(m.page_size)]
    if not metas:
        if size < 2 * page_size:
            raise Damaged(f"truncated: {size} bytes, shorter than LMDB's two meta pages")
        raise Damaged("neither of LMDB's two meta pages is valid")
    newest = max(metas, key=lambda m: m.txn_id)
    meta = newest if txn_id is None else next((m for m in metas if m.txn_id == txn_id), None)
    if meta is None:
        return None, size
    in_file = size // meta.page_size   # LMDB never writes pages freed in the commit that made them (loose
    for name, rec in (("free list", meta.free), ("main", meta.main)):   # pages): the file may end before
        if rec.root != P_INVALID and not 2 <= rec.root <= meta.last_page:   # last_page, legitimately
            raise Damaged(f"the {name} database's root page {rec.root} is outside the file's pages "
                          f"2..{meta.last_page}")
        if rec.root != P_INVALID and rec.root >= in_file:
            raise Damaged(f"truncated: {size} bytes, but the {name} database's root page {rec.root} ends at "
                          f"byte {(rec.root + 1) * meta.page_size}")
    return meta, size


def _plausible_page_size(n: int) -> bool:
    return 512 <= n <= 65536 and n & (n - 1) == 0


def check_file(path: str) -> bool:
    """Raise Damaged if ``data.mdb`` at ``path`` (when it exists and is not empty) cannot be mapped safely: no
    valid meta page, or a root page past the end of the file. Returns whether the file is shorter than the pages
    the meta page counts as in use: legitimate when the last ones were freed in the commit that made them, but
    then only a walk (``walk``) can tell whether every page the trees reach is in the file."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return False
    meta, size = read_meta(path)
    return size < (meta.last_page + 1) * meta.page_size


# A node's key: bytes, or an int in MDB_INTEGERKEY databases. Any, not bytes | int: the walk compares keys (and the
# range bounds its parent gave) only within one database, where all are the one kind, which a union cannot say.
_Key = Any
# (key, node flags, the child page or data size (lo | hi << 16), offset of the data)
_Node = tuple[_Key, int, int, int]


class _Walker:
    def __init__(self, f: BinaryIO, meta: Meta, file_size: int, limit: int):
        self.f, self.meta, self.file_size = f, meta, file_size
        self.psize = meta.page_size
        self.seen: set[int] = set()
        self.problems: list[PageProblem] = []
        self.limit = limit
        self.named: list[tuple[str, DbRecord]] = []

    def page(self, pgno: int, count: int = 1) -> bytes:
        self.f.seek(pgno * self.psize)
        return self.f.read(self.psize * count)

    def bad(self, db: str, pgno: int | None, message: str) -> None:
        if len(self.problems) < self.limit:
            self.problems.append(PageProblem(db, pgno, message))

    def tree(self, db: str, rec: DbRecord, collect_named: bool = False) -> None:
        """Walk one B-tree from its root, depth first, with an explicit stack: each page at most once."""
        if rec.root == P_INVALID:
            if rec.entries:
                self.bad(db, None, f"empty tree but {rec.entries} entries recorded")
            return
        stack = [(rec.root, 1, None, None)]   # (page, depth, lower bound key, upper bound key)
        leaf_depths: set[int] = set()
        entries = 0
        budget = self.meta.last_page + 1       # no tree has more pages than the file
        while stack:
            budget -= 1
            if budget < 0:
                self.bad(db, None, "more pages than the file holds: a cycle")
                return
            pgno, depth, low, high = stack.pop()
            if not 2 <= pgno <= self.meta.last_page:
                self.bad(db, pgno, f"page number outside the file's pages 2..{self.meta.last_page}")
                continue
            if pgno in self.seen:
                self.bad(db, pgno, "page reached twice (a cycle, or shared by two parents)")
                continue
            self.seen.add(pgno)
            if depth > MAX_DEPTH:
                self.bad(db, pgno, f"tree deeper than {MAX_DEPTH}")
                continue
            raw = self.page(pgno)
            if len(raw) < self.psize:
                self.bad(db, pgno, f"past the end of the file ({self.file_size} bytes): truncated")
                continue
            number, _, flags, lower, upper = _PAGE.unpack_from(raw, 0)
            if number != pgno:
                self.bad(db, pgno, f"page header names page {number}" + (" (a zeroed page)" if not any(raw[:64])
                                                                           else ""))
                continue
            kind = flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META)
            if kind not in (P_BRANCH, P_LEAF) or flags & P_LEAF2 and not rec.flags & 0x10:
                self.bad(db, pgno, f"not a branch or leaf page (flags {flags:#x})")
                continue
            if not HEADER <= lower <= upper <= self.psize or (lower - HEADER) % 2:
                self.bad(db, pgno, f"bad free-space bounds lower {lower}, upper {upper}")
                continue
            n = (lower - HEADER) // 2
            if kind == P_BRANCH and n < 2 and pgno != rec.root or n == 0:
                self.bad(db, pgno, f"{'branch' if kind == P_BRANCH else 'leaf'} page with {n} keys")
                continue
            if flags & P_LEAF2:
                leaf_depths.add(depth)
                continue   # fixed-size dup pages: not used by logstore's databases
            nodes = self.nodes(db, pgno, raw, n, upper)
            if nodes is None:
                continue
            if rec.flags & MDB_INTEGERKEY:   # native (little-endian) integers: compare as numbers
                nodes = [(int.from_bytes(k, "little") if k is not None and (i or kind == P_LEAF) else k, f, c, d)
                         for i, (k, f, c, d) in enumerate(nodes)]
            previous = None
            for i, (key, nflags, lo_hi, data_off) in enumerate(nodes):
                if kind == P_BRANCH and i == 0:
                    key = low   # a branch page's first key is implicit
                elif key is not None:
                    if previous is not None and not previous < key:
                        self.bad(db, pgno, f"keys out of order at node {i}")
                        break
                    if (low is not None and key < low) or (high is not None and key >= high):
                        self.bad(db, pgno, f"key of node {i} outside the range its parent gives")
                        break
                previous = key if key is not None else previous
            else:
                if kind == P_BRANCH:
                    for i, (key, nflags, child, _) in enumerate(nodes):
                        upper_key = nodes[i + 1][0] if i + 1 < len(nodes) else high
                        stack.append((child | (nflags << 32), depth + 1, key if i else low, upper_key))
                else:
                    leaf_depths.add(depth)
                    entries += n
                    for key, nflags, size, data_off in nodes:
                        self.leaf_node(db, pgno, raw, key, nflags, size, data_off, collect_named)
        if len(leaf_depths) > 1:
            self.bad(db, None, f"leaves at different depths {sorted(leaf_depths)}")
        elif leaf_depths and leaf_depths != {rec.depth} and not self.problems_for(db):
            self.bad(db, None, f"leaves at depth {min(leaf_depths)}, but depth {rec.depth} recorded")
        if not self.problems_for(db) and entries != rec.entries and not rec.flags & MDB_DUPSORT:
            self.bad(db, None, f"{entries} entries found, {rec.entries} recorded")

    def problems_for(self, db: str) -> bool:
        return any(p.db == db for p in self.problems)

    def nodes(self, db: str, pgno: int, raw: bytes, n: int, upper: int) -> list[_Node] | None:
        out: list[_Node] = []
        for i in range(n):
            offset = struct.unpack_from("<H", raw, HEADER + 2 * i)[0]
            if not upper <= offset <= self.psize - _NODE.size:
                self.bad(db, pgno, f"node {i} at offset {offset}, outside the page's node area {upper}..")
                return None
            lo, hi, nflags, ksize = _NODE.unpack_from(raw, offset)
            key_end = offset + _NODE.size + ksize
            if key_end > self.psize:
                self.bad(db, pgno, f"node {i}'s key runs past the page")
                return None
            out.append((bytes(raw[offset + _NODE.size:key_end]), nflags, lo | hi << 16, key_end))
        return out

    def leaf_node(self, db: str, pgno: int, raw: bytes, key: _Key, nflags: int, size: int, data_off: int,
                  collect_named: bool) -> None:
        if nflags & F_BIGDATA:
            if data_off + 8 > self.psize:
                self.bad(db, pgno, "an overflow reference runs past the page")
                return
            first = struct.unpack_from("<Q", raw, data_off)[0]
            pages = -(-(size + HEADER) // self.psize)
            if not 2 <= first or first + pages - 1 > self.meta.last_page:
                self.bad(db, pgno, f"overflow pages {first}..{first + pages - 1} outside the file")
                return
            if (first + pages) * self.psize > self.file_size:
                self.bad(db, pgno, f"overflow pages {first}..{first + pages - 1} past the end of the file "
                                   f"({self.file_size} bytes): truncated")
                return
            head = self.page(first)
            number, _, flags, _, _ = _PAGE.unpack_from(head, 0) if len(head) >= HEADER else (None, 0, 0, 0, 0)
            count = struct.unpack_from("<I", head, 12)[0] if len(head) >= HEADER else 0
            if number != first or not flags & P_OVERFLOW or count != pages:
                self.bad(db, first, f"not the overflow page of {pages} page(s) that a value of {size} bytes needs")
                return
            for p in range(first, first + pages):
                if p in self.seen:
                    self.bad(db, p, "overflow page reached twice")
                    return
                self.seen.add(p)
            return
        if data_off + size > self.psize:
            self.bad(db, pgno, f"a value of {size} bytes runs past the page")
            return
        if nflags & F_SUBDATA:
            if size != _DB.size:
                self.bad(db, pgno, "a named database's record has the wrong size")
                return
            if collect_named:
                self.named.append((key.decode("utf-8", "replace"), _db(raw, data_off)))
            return
        if nflags & F_DUPDATA:
            self.bad(db, pgno, "duplicate-key data, which logstore never writes")


def walk(path: str, limit: int = 1000, txn_id: int | None = None) -> list[PageProblem] | None:
    """Every problem found in the pages of ``data.mdb`` at ``path`` (at most ``limit``): the meta pages and the
    file size, then the free list, the main database and every named database it lists. With ``txn_id`` (the
    caller holds a read transaction of it, so no writer reuses its pages), the tree of that transaction; None if
    its meta page is gone (see read_meta)."""
    try:
        meta, size = read_meta(path, txn_id)
    except Damaged as e:
        return [PageProblem("(file)", None, str(e))]
    if meta is None:
        return None
    with open(path, "rb") as f:
        w = _Walker(f, meta, size, limit)
        w.tree("(free list)", meta.free)
        w.tree("(main)", meta.main, collect_named=True)
        for name, rec in w.named:
            w.tree(name, rec)
    return w.problems


def databases(path: str) -> dict[str, DbRecord]:
    """The named databases of ``data.mdb`` at ``path`` and their records, from the newest meta page (for tests
    and tools that look at one database's pages)."""
    meta, size = read_meta(path)
    with open(path, "rb") as f:
        w = _Walker(f, meta, size, 0)
        w.tree("(main)", meta.main, collect_named=True)
    return dict(w.named)


def page_kind(path: str, pgno: int) -> int:
    """The flags of page ``pgno`` (P_BRANCH, P_LEAF, ...)."""
    with open(path, "rb") as f:
        meta, _ = read_meta(path)
        f.seek(pgno * meta.page_size)
        flags: int = _PAGE.unpack_from(f.read(HEADER), 0)[2]
        return flags

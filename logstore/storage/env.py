"""The LMDB environment of one store directory: opening, the format-version check, named databases, the
transaction runner that owns map growth, and read-only access for inspection.

Invariants:
* One LMDB environment per store directory (``data.mdb`` + ``lock.mdb``), with named databases. The ``meta``
  database holds the format record (docs/format.md); a store of another version is refused at open.
* Write transactions run through ``write(fn)``: ``fn(txn)`` runs inside an LMDB write transaction whose changes
  commit when it returns and are rolled back when it raises. When the map is full the transaction is aborted, the
  map grown and ``fn`` run again from the start, so ``fn`` must do nothing outside ``txn`` that cannot be repeated.
* Group commit: concurrent ``write`` calls from several threads are committed together, one fsync for all, each
  caller's function in a nested transaction so a failure stays its own (see ``write``). ``submit(fn, done)`` is
  the same without a waiting caller: one committer thread takes every submitted function waiting, runs them in
  one write transaction (nested, each its own) and calls each ``done`` after the commit (see ``submit``).
  A write may come in two parts, ``fn`` and ``finish`` (see ``write``): the group's consecutive writes with the
  same ``finish`` then share one call of it, so work every write of a kind ends with (the write path's stream
  append and counters) is done once per group, not once per caller.
* When another process has grown the map, beginning a transaction fails with MDB_MAP_RESIZED; the environment then
  adopts the new size and begins again. Resizing waits until no transaction of this process is open (a gate).
* Reader slots left behind by processes that died (SIGKILL) are freed at open and whenever the reader table is
  full, so crashed readers never lock others out.
* Damage is refused before LMDB can crash on it (pages.py): the file's size is checked against its meta pages
  before it is mapped (a truncated file would be a SIGBUS), and a store whose data.mdb is at most
  WALK_AT_OPEN_LIMIT (or any, with ``walk_pages=True``) has every page of its B-trees walked at open, so a zeroed
  page (LMDB's assertion: SIGABRT) or a cycle of branch pointers (an endless loop) is a CorruptionError instead.
  Every damage LMDB itself reports while reading or writing becomes CorruptionError; a full disk, DiskFullError
  (nothing written; writes resume once there is space); a read-only filesystem, ReadOnlyFilesystemError.
* A read-only open never creates a file: without lock.mdb (no writer has the store open) it reads unlocked.
* One open per directory per process (LMDB's rule): ``_OpenStores`` claims the directory, by its (st_dev, st_ino),
  before LMDB is asked, so a second open is StoreInUseError; the claim is released by ``close`` (or when the
  Environment is collected unclosed, as LMDB's own handle would be).
* Durable by default: each commit is fsynced before ``write`` returns. ``durable=False`` skips the fsync (see
  docs/storage.md for what that risks); ``sync()`` flushes on demand.

Thread-safety: an Environment may be shared by any number of threads; a transaction belongs to the thread that
began it. LMDB serialises writers, across processes too. ``submit``'s ``done`` callbacks run on the committer
thread.
"""
from __future__ import annotations

import errno
import logging
import os
import resource
import threading
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar, cast, overload

import lmdb

from logstore.errors import (CorruptionError, DiskFullError, FormatVersionError, NotAStoreError, ReadOnlyError,
                             ReadOnlyFilesystemError, StorageError, StoreInUseError)

from . import keys, pages
from .txn import Db, Txn

FORMAT_VERSION = 2
UPGRADABLE_VERSIONS = (1,)          # versions storage/upgrade.py converts to FORMAT_VERSION
DEFAULT_MAP_SIZE = 1 << 30          # 1 GiB of address space; the file only grows as pages are used
MAX_GROWTH_STEP = 4 << 30           # double until the map is this large, then grow by this much
MAX_DBS = 64
STORAGE_DBS = ("meta", "segments", "trims", "counters")
T = TypeVar("T")
Done = Callable[[Any, "BaseException | None"], None]   # submit's callback: (result, None) or (None, error)
Finish = Callable[[Txn, list[Any]], list[Any]]   # write's second part: what fns staged -> each caller's result
log = logging.getLogger("logstore.storage")
GATHER_LIMIT_S = 0.002              # a new leader waits at most this long (and no longer than a commit) for a group


META_PAGES = 2                      # LMDB's two meta pages at the start of data.mdb
WALK_AT_OPEN_LIMIT = 64 << 20       # data.mdb up to this size has its pages walked at open (pages.py)
LOCK_READER_BYTES, LOCK_HEADER_BYTES = 64, 192   # LMDB's lock file: a header, then one slot per reader
# py-lmdb's C binding raises a plain lmdb.Error carrying only LMDB's text for an errno it has no class for (all but
# ENOSPC, its DiskError), and LMDB's text for an errno is strerror's: so an errno is told by its strerror text.
_DISK_FULL = tuple(os.strerror(n) for n in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG))
_EIO, _EROFS = os.strerror(errno.EIO), os.strerror(errno.EROFS)
_DAMAGE = (lmdb.CorruptedError, lmdb.PageNotFoundError, lmdb.BadTxnError, lmdb.InvalidError, lmdb.PanicError,
           lmdb.BadRslotError, lmdb.VersionMismatchError)


def _whole(fn: Callable[[Txn], Any], finish: Finish | None) -> Callable[[Txn], Any]:
    """A write's two parts as one function of the transaction (the write alone, not in a run of its kind)."""
    if finish is None:
        return fn
    return lambda txn: finish(txn, [fn(txn)])[0]


def _native_failure(path: str, e: lmdb.Error, doing: str) -> StorageError:
    """The StorageError an LMDB failure is: a full disk, a read-only filesystem, or damage to the file."""
    text = str(e)
    if (isinstance(e, lmdb.DiskError) or any(reason in text for reason in _DISK_FULL)
            or (_EIO in text and _low_space(path))):
        return DiskFullError(f"{path}: the disk is full ({_free_text(path)}): {doing} failed and nothing of it "
                             f"was written; the store is still readable, and writes succeed again once there is "
                             f"space")
    if _EROFS in text:
        return ReadOnlyFilesystemError(f"{path}: on a read-only filesystem: {doing} needs to write; open the "
                                       f"store read-only (readonly=True, or the inspection commands)")
    if isinstance(e, _DAMAGE):
        return CorruptionError(f"{path}/data.mdb: LMDB found its pages damaged while {doing} ({text}); run "
                               f"`logstore check` to see where", what="store file")
    return StorageError(f"{path}: {doing} failed: {text}")


LOW_SPACE = 64 << 20


def _low_space(path: str) -> bool:
    """Whether a write of the store could have failed for want of space: LMDB reports a short write as EIO, so
    an EIO while under LOW_SPACE free (or that close to the process's file-size limit) is taken as a full disk."""
    try:
        st = os.statvfs(path)
        if st.f_bavail * st.f_frsize < LOW_SPACE:
            return True
        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        return soft != resource.RLIM_INFINITY and os.path.getsize(os.path.join(path, "data.mdb")) + LOW_SPACE > soft
    except OSError:
        return False


def _free_text(path: str) -> str:
    try:
        st = os.statvfs(path)
        text = f"{st.f_bavail * st.f_frsize:,} bytes free"
        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if soft != resource.RLIM_INFINITY:
            text += f", file-size limit {soft:,} bytes"
        return text
    except OSError:
        return "free space unknown"


@dataclass(frozen=True, slots=True)
class DbStat:
    """One LMDB database's B-tree: entries and pages by kind."""

    name: str
    entries: int
    depth: int
    branch_pages: int
    leaf_pages: int
    overflow_pages: int

    @property
    def pages(self) -> int:
        return self.branch_pages + self.leaf_pages + self.overflow_pages


@dataclass(frozen=True, slots=True)
class SpaceInfo:
    """Space use of a store (see ``Environment.space``). ``pages`` is how many pages of the file are in use
    (LMDB's last page number + 1); ``tree_pages`` those in the databases' B-trees; ``free_pages`` the rest but the
    two meta pages: pages free for reuse, plus the few holding LMDB's free list itself."""

    page_size: int
    map_size: int
    file_size: int
    pages: int
    tree_pages: int
    free_pages: int
    last_txnid: int
    readers: int
    max_readers: int
    dbs: tuple[DbStat, ...]

    @property
    def used_bytes(self) -> int:
        return self.pages * self.page_size


@dataclass(frozen=True, slots=True)
class WriteStats:
    """This process's committed write transactions of one Environment since it opened (``Environment.write_stats``):
    how many, the seconds they were open (from begun to committed: what every other writer of the store, in any
    process, waits behind, since LMDB has one write lock per store) and, of those, the seconds in their commits
    (the fsync when durable). Both are measured from Python, so they include the waits for the GIL after LMDB's
    calls return (after the commit's, the lock is already free): upper bounds of the lock's time. Transactions
    that aborted are not counted."""

    transactions: int
    held_s: float
    commit_s: float


class _Gate:
    """Counts this process's open transactions so that a map resize can wait for there to be none."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._resizing = False

    def enter(self) -> None:
        with self._cond:
            while self._resizing:
                self._cond.wait()
            self._active += 1

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            if self._active == 0 and self._resizing:  # only a resize waits for the count to reach zero
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._resizing:
                self._cond.wait()
            self._resizing = True
            while self._active:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._resizing = False
                self._cond.notify_all()


class _OpenStores:
    """This process's open store directories, by the directory's (st_dev, st_ino), so that a path spelled another
    way (relative, through a symlink) is the same store. Thread-safe. Inherited by a forked child, as LMDB's own
    list of open environments is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[tuple[int, int]] = set()

    def claim(self, path: str) -> tuple[int, int] | None:
        """Claim ``path`` for one Environment, or raise StoreInUseError; None when it cannot be stat'ed (the open
        that follows reports why)."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = (st.st_dev, st.st_ino)
        with self._lock:
            if key in self._open:
                raise StoreInUseError(f"{path}: this store is already open in this process; share that open "
                                      f"store between threads instead of opening it again")
            self._open.add(key)
        return key

    def release(self, key: tuple[int, int] | None) -> None:
        with self._lock:
            self._open.discard(key)


_OPEN_STORES = _OpenStores()


class _Signal:
    """A one-shot signal for the one thread that waits on it (a queued writer waiting for its commit, or to be
    handed leadership): a lock taken when made and let go by the first ``set``. threading.Event does the same
    through a Condition, which takes and lets go of two more locks at each hand-off, each one more futex call
    and wake-up when the GIL is contended (eight writers waking from one group commit)."""

    __slots__ = ("_lock", "_set")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._set = False

    def set(self) -> None:
        """Wake the waiter (or let its next ``wait`` return at once); only the first call does anything."""
        if not self._set:
            self._set = True
            self._lock.release()

    def wait(self) -> None:
        """Return once ``set`` was called (at once if it was, or if this waiter was woken before: a wait again
        after one interrupted by a signal). Interruptible as a lock's acquire is."""
        if not (self._set and self._lock.locked()):   # set and taken back: this waiter was already woken
            self._lock.acquire()


class _WriteRequest(Generic[T]):
    """One caller of Environment.write waiting for its function to be committed."""

    __slots__ = ("fn", "finish", "result", "error", "done", "promoted")

    def __init__(self, fn: Callable[[Txn], Any], finish: Finish | None):
        self.fn, self.finish = fn, finish
        self.result: T | None = None
        self.error: BaseException | None = None
        self.done = _Signal()
        self.promoted = False


class _Submitted:
    """One function given to Environment.submit, waiting for the committer thread."""

    __slots__ = ("fn", "finish", "prepare", "result", "error", "done")

    def __init__(self, fn: Callable[..., Any], done: Done, finish: Finish | None,
                 prepare: Callable[[], Any] | None = None):
        self.fn, self.finish, self.prepare = fn, finish, prepare
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = done


class Environment:
    """An open store directory. See the module docstring for the rules."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False, durable: bool = True,
                 map_size: int = DEFAULT_MAP_SIZE, max_readers: int = 126, walk_pages: bool | None = None,
                 for_upgrade: bool = False):
        self.path = os.fspath(path)
        self.readonly = readonly
        self.durable = durable
        self.for_upgrade = for_upgrade   # storage/upgrade.py's open: a store of an upgradable version is let in
        self.version = FORMAT_VERSION    # the store's format version (another only when opened for_upgrade)
        self._gate = _Gate()
        self._dbs: dict[str, Db | None] = {}
        self._db_lock = threading.Lock()
        self._queue: list[_WriteRequest[Any]] = []   # each caller's own T
        self._queue_lock = threading.Lock()
        self._arrived = threading.Condition(self._queue_lock)  # a gathering leader waits here for its group
        self._leading = False
        self._gathering = 0        # while a leader gathers: how many callers it waits for (0: none waits)
        self._last_group = 1       # callers the last commit carried
        self._commit_s = 0.0       # how long the last commit took (seconds)
        self._written: list[float] = [0, 0.0, 0.0]   # write_stats' figures, added to after each commit under
                                                     # _written_lock (transactions, held_s, commit_s)
        self._written_lock = threading.Lock()   # (two threads' commits may return at once)
        self._submitted: list[_Submitted] = []   # waiting for the committer thread (submit)
        self._submit_cond = threading.Condition()
        self._committer: threading.Thread | None = None
        self._committer_idle = False
        self._staging = threading.Lock()
        self._submit_closed = False
        self.pages_walked = False
        """Whether this open walked the store's pages (and found them sound): see ``walk_pages``."""
        if readonly:
            if not os.path.exists(self.path):
                raise NotAStoreError(f"{self.path}: no such directory: not a logstore store (no data.mdb)")
            if not os.path.isfile(os.path.join(self.path, "data.mdb")):
                raise NotAStoreError(f"{self.path}: not a logstore store (no data.mdb)")
        elif os.path.exists(self.path) and not os.path.isdir(self.path):
            raise NotAStoreError(f"{self.path}: not a directory")
        data, lock = os.path.join(self.path, "data.mdb"), os.path.join(self.path, "lock.mdb")
        try:   # before LMDB maps the file: a page past its end is a SIGBUS once read
            short = pages.check_file(data)
        except pages.Damaged as e:
            raise CorruptionError(f"{data}: {e}", what="store file") from None
        if not readonly:
            self._prepare_directory(lock, max_readers)
        # released by close(), or when this object is collected unclosed (as LMDB's own handle would be)
        self._release = weakref.finalize(self, _OPEN_STORES.release, _OPEN_STORES.claim(self.path))
        try:   # a reader never creates lock.mdb: without one, no writer has the store open (LMDB makes it)
            self._env = lmdb.open(self.path, map_size=map_size, subdir=True, readonly=readonly,
                                  create=not readonly, sync=durable, metasync=durable, max_dbs=MAX_DBS,
                                  max_readers=max_readers, max_spare_txns=4,
                                  lock=not readonly or os.path.exists(lock))
        except lmdb.Error as e:
            self._release()
            failure = _native_failure(self.path, e, "opening the store")
            if type(failure) is not StorageError:
                raise failure from None
            raise NotAStoreError(f"{self.path}: cannot open as a logstore store: {e}") from None
        try:
            self._env.reader_check()  # free reader slots of processes that died holding them
            if walk_pages or short or (walk_pages is None and os.path.getsize(data) <= WALK_AT_OPEN_LIMIT):
                self.walk_pages(raise_on_damage=True)
                self.pages_walked = True
            self._check_format()
        except BaseException:
            self.close()
            raise

    def _prepare_directory(self, lock: str, max_readers: int) -> None:
        """Make the directory and give lock.mdb its disk blocks now: LMDB extends it with ftruncate and writes
        to it through a mapping, which on a full filesystem is a SIGBUS rather than an error."""
        need = (max_readers - 1) * LOCK_READER_BYTES + LOCK_HEADER_BYTES
        try:
            os.makedirs(self.path, exist_ok=True)
            if os.path.exists(lock) and os.path.getsize(lock) >= need:
                return
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                os.posix_fallocate(fd, 0, need)
            finally:
                os.close(fd)
        except OSError as e:
            if e.errno == errno.EROFS:
                raise ReadOnlyFilesystemError(f"{self.path}: on a read-only filesystem: opening for writing needs "
                                              f"to write; open the store read-only (readonly=True, or the "
                                              f"inspection commands)") from None
            if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise DiskFullError(f"{self.path}: the disk is full ({_free_text(self.path)}): cannot create "
                                    f"the store's lock file; nothing was written") from None
            if e.errno == errno.EOPNOTSUPP or e.errno == errno.EINVAL:
                return   # a filesystem without fallocate: LMDB's own ftruncate it is
            raise

    def walk_pages(self, raise_on_damage: bool = False) -> list[pages.PageProblem]:
        """Walk every page of the store's B-trees as of one read snapshot (pages.py): the problems found, or
        with ``raise_on_damage`` CorruptionError naming the first few. The snapshot's transaction keeps a writer
        from reusing its pages meanwhile; if the writers have moved on too far to find that snapshot's root in
        the meta pages, it begins again (a few times, then walks nothing and reports nothing)."""
        data = os.path.join(self.path, "data.mdb")
        for _ in range(5):
            with self.begin_read() as txn:
                problems = pages.walk(data, txn_id=txn.id())
            if problems is not None:
                break
        else:
            return []
        if problems and raise_on_damage:
            shown = "; ".join(str(p) for p in problems[:3])
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise CorruptionError(f"{shown}{more}; run `logstore check` for every problem", what="store file")
        return problems

    # -- format --------------------------------------------------------------------------------------------------

    def _check_format(self) -> None:
        with self.begin_read() as txn:
            main_keys = [k for k, _ in txn.cursor()]
        if not main_keys and not self.readonly:
            for name in STORAGE_DBS:
                self.db(name)
            meta = self.db("meta")
            self.write(lambda txn: txn.put(keys.FORMAT_KEY, keys.pack_format(FORMAT_VERSION), db=meta))
            return
        if b"meta" not in main_keys:
            raise NotAStoreError(f"{self.path}: an LMDB environment, but not a logstore store")
        meta = self.db("meta")
        with self.begin_read() as txn:
            raw = txn.get(keys.FORMAT_KEY, db=meta)
        try:
            magic, version = keys.unpack_format(raw) if raw is not None else (b"", 0)
        except ValueError:
            magic, version = b"", 0
        if magic != keys.FORMAT_MAGIC:
            raise NotAStoreError(f"{self.path}: an LMDB environment, but not a logstore store")
        if version != FORMAT_VERSION and not (self.for_upgrade and version in UPGRADABLE_VERSIONS):
            if version in UPGRADABLE_VERSIONS:
                raise FormatVersionError(
                    f"{self.path}: store format version {version}; this logstore reads format version "
                    f"{FORMAT_VERSION}. Upgrade the store first (nothing is changed until you do): run "
                    f"`logstore upgrade {self.path}`, or open it with logstore.open(path, upgrade=True)",
                    version=version)
            raise FormatVersionError(f"{self.path}: store format version {version}; this logstore "
                                     f"reads format version {FORMAT_VERSION} only (and upgrades "
                                     f"{', '.join(map(str, UPGRADABLE_VERSIONS))})", version=version)
        self.version = version
        for name in STORAGE_DBS:  # open every handle now, before any caller's transaction can be open
            self.db(name)

    # -- databases -----------------------------------------------------------------------------------------------

    def db(self, name: str) -> Db | None:
        """The handle of named database ``name``, created on first use by a writer. In a read-only store a
        database that does not exist yet is returned as None (it is empty). Do not call while this thread holds
        a write transaction for a database not opened before: opening one takes a write transaction; and get the
        handle before beginning the transaction that uses it."""
        handle = self._dbs.get(name)
        if handle is not None or (self.readonly and name in self._dbs):
            return handle
        with self._db_lock:
            if name not in self._dbs:
                try:
                    self._gate.enter()
                    try:
                        handle = self._env.open_db(name.encode(), create=not self.readonly)
                    finally:
                        self._gate.leave()
                except lmdb.NotFoundError:
                    handle = None
                self._dbs[name] = handle
            return self._dbs[name]

    # -- transactions --------------------------------------------------------------------------------------------

    def _begin(self, write: bool) -> Txn:
        """Begin a transaction inside the gate, adopting a map grown by another process when LMDB asks."""
        while True:
            self._gate.enter()
            try:
                return self._env.begin(write=write)
            except lmdb.MapResizedError:
                self._gate.leave()
                self._adopt_map_size()
            except lmdb.ReadersFullError:
                self._gate.leave()
                if not self._env.reader_check():  # nothing stale to free: the table is really full
                    raise
            except BaseException:
                self._gate.leave()
                raise

    @contextmanager
    def begin_read(self) -> Iterator[Txn]:
        """A read-only snapshot transaction, for use on this thread only."""
        txn = self._begin(write=False)
        try:
            yield txn
        except lmdb.Error as e:
            if isinstance(e, _DAMAGE):
                raise _native_failure(self.path, e, "reading") from None
            raise
        finally:
            txn.abort()
            self._gate.leave()

    @overload
    def write(self, fn: Callable[[Txn], T], finish: None = None) -> T: ...

    @overload
    def write(self, fn: Callable[[Txn], Any], finish: Finish) -> Any: ...

    def write(self, fn: Callable[[Txn], Any], finish: Finish | None = None) -> Any:
        """Run ``fn(txn)`` in a write transaction and commit; return what it returned, or raise what it raised
        (having changed nothing). Grows the map and re-runs ``fn`` if the map fills. Raises ReadOnlyError in a
        read-only store. Do not call ``write`` from inside ``fn``.

        In two parts: with ``finish``, ``fn(txn)`` stages the write and ``finish(txn, [staged])`` ends it, in the
        same transaction, returning ``[result]``; ``write`` returns that result. In a group (below), consecutive
        callers whose ``finish`` is the same (``==``) each stage in a nested transaction of their own, then one
        ``finish(txn, [staged, ...])`` ends them all, in their order; a caller whose ``fn`` raised is left out of
        it (its changes rolled back). ``finish`` must not depend on being called once per caller, nor fail for
        one caller's reason: if it raises, the run of callers is rolled back and each is run alone, staged and
        finished in a nested transaction of its own, so each gets its own result or error as without ``finish``.

        Group commit: while one caller's transaction commits, callers from other threads queue up; the next
        leader runs all queued functions in one transaction, each in a nested transaction of its own (so one
        that raises is rolled back alone), and commits them with one fsync. Every caller returns only after the
        commit that holds its changes.

        Gathering: when the last commit carried a group of several callers, they are all busy returning (and
        most come back with their next write) just as the first of them finds nobody leading. Committing that
        one alone would cost a whole commit and split the callers into two groups taking turns, each carrying
        half. So that first caller leads, but waits for as many callers as the last group had (at most as long
        as the last commit took, and GATHER_LIMIT_S), before it begins. A caller after a commit that carried
        only itself never waits."""
        if self.readonly:
            raise ReadOnlyError(f"{self.path}: opened read-only")
        with self._queue_lock:
            lead = not self._leading
            if lead:
                self._leading = True
                group = self._last_group
            else:
                request: _WriteRequest[Any] = _WriteRequest(fn, finish)
                self._queue.append(request)
                if self._gathering and len(self._queue) >= self._gathering:
                    self._arrived.notify()  # the group is complete: wake its leader (once, not per arrival)
        if lead:
            try:
                gathered = self._gather(fn, finish, group) if group > 1 else None
            except BaseException:
                self._hand_over()  # callers that queued meanwhile still need a leader
                raise
            if gathered is None:  # nobody else is writing: no queue, no nesting, errors propagate as they are
                try:
                    return self._transact(_whole(fn, finish))
                finally:
                    self._last_group = 1
                    self._hand_over()
            request = gathered
            self._lead()
        else:
            try:
                request.done.wait()
            except BaseException:  # interrupted while queued (Ctrl-C, a signal handler): leave cleanly
                with self._queue_lock:
                    if not request.promoted and request in self._queue:
                        self._queue.remove(request)  # withdrawn before any leader took it: nothing written
                        raise
                request.done.wait()  # a leader already took it, or handed leadership to this thread
                if request.promoted:
                    self._lead()     # keep the hand-over chain alive, or every later write would wait forever
                raise
            if request.promoted:  # the previous leader handed the queue over to this thread
                self._lead()
        if request.error is not None:
            raise request.error
        return request.result   # set by whoever committed it, the error being None

    def nested(self, txn: Txn) -> Txn:
        """A child of write transaction ``txn`` (from ``write``): its changes join ``txn`` when it commits and are
        gone when it aborts. The caller commits or aborts it before using ``txn`` again."""
        return self._env.begin(write=True, parent=txn)

    def _gather(self, fn: Callable[[Txn], Any], finish: Finish | None, group: int) -> "_WriteRequest[Any] | None":
        """As the new leader, wait for up to ``group`` callers in all (see ``write``): the leader's own request,
        first in the queue, when others came; None (and the queue as it was) when none did."""
        request: _WriteRequest[Any] = _WriteRequest(fn, finish)
        with self._queue_lock:
            self._queue.insert(0, request)
            self._gathering = group
            try:
                wait = min(self._commit_s, GATHER_LIMIT_S)
                deadline = time.monotonic() + wait
                while len(self._queue) < group and wait > 0:
                    self._arrived.wait(wait)
                    wait = deadline - time.monotonic()
            except BaseException:  # interrupted (Ctrl-C, a signal handler): nothing of it has run
                self._queue.remove(request)
                raise
            finally:
                self._gathering = 0
            if len(self._queue) > 1:
                return request
            self._queue.clear()
            return None

    def _transact(self, body: Callable[[Txn], T]) -> T:
        """Run ``body(txn)`` in one write transaction and commit; on a full map abort, grow and run it again."""
        while True:
            txn = self._begin(write=True)
            begun = time.perf_counter()
            try:
                try:
                    if threading.current_thread() is self._committer:
                        with self._staging:   # a submitted group's staging: see wait_for_staging
                            result = body(txn)
                    else:
                        result = body(txn)
                    started = time.perf_counter()
                    txn.commit()
                    ended = time.perf_counter()
                    self._commit_s = ended - started
                    with self._written_lock:
                        written = self._written
                        written[0] += 1
                        written[1] += ended - begun
                        written[2] += self._commit_s
                    return result
                except BaseException:
                    txn.abort()
                    raise
                finally:
                    self._gate.leave()
            except lmdb.MapFullError:
                self._grow()
            except (lmdb.MapResizedError, lmdb.ReadersFullError):
                raise
            except lmdb.Error as e:   # a full disk at commit, or damage met while writing
                raise _native_failure(self.path, e, "a write") from None

    def _hand_over(self) -> None:
        """Give leadership to the first queued request, or give it up."""
        with self._queue_lock:
            if self._queue:
                self._queue[0].promoted = True
                self._queue[0].done.set()
            else:
                self._leading = False

    def _lead(self) -> None:
        """Commit every queued request in one transaction, each in a nested transaction of its own, then hand
        leadership over, so no caller waits on other callers' work for longer than one commit."""
        with self._queue_lock:
            batch, self._queue = self._queue, []
        self._last_group = len(batch)
        try:
            self._transact(lambda txn: self._run_nested(txn, batch))
        except BaseException as e:  # the commit itself failed: nobody's changes are in
            for request in batch:
                request.error = e
        finally:
            self._hand_over()
            for request in batch:
                request.done.set()

    def _run_nested(self, txn: Txn, batch: "list[_WriteRequest[Any]] | list[_Submitted]") -> None:
        """Run each request in a nested transaction of ``txn``, setting its result or error: one that raises is
        rolled back alone. Consecutive requests with the same ``finish`` are staged, then finished with one call
        (``_run_staged``). A full map is the whole transaction's (it is grown and run again)."""
        i = 0
        while i < len(batch):
            finish, j = batch[i].finish, i + 1
            if finish is not None:
                while j < len(batch) and batch[j].finish == finish:
                    j += 1
            if j - i > 1:
                self._run_staged(txn, batch[i:j], cast(Finish, finish))
            else:
                self._run_alone(txn, batch[i])
            i = j

    def _run_alone(self, txn: Txn, request: "_WriteRequest[Any] | _Submitted") -> None:
        done, result = self._in_child(txn, request, _whole(request.fn, request.finish))
        if done:
            request.result, request.error = result, None

    def _in_child(self, parent: Txn, request: "_WriteRequest[Any] | _Submitted", fn: Callable[[Txn], Any]
                  ) -> tuple[bool, Any]:
        """``fn`` in a nested transaction of ``parent``, committed: (True, what it returned); or, if it raised,
        rolled back, the request's error set and (False, None). A full map is the whole transaction's."""
        child = self._env.begin(write=True, parent=parent)
        try:
            result = fn(child)
            child.commit()
            return True, result
        except lmdb.MapFullError:
            child.abort()
            raise
        except BaseException as e:  # this caller's failure is this caller's alone
            child.abort()
            request.result, request.error = None, self._failure(e)
            return False, None

    def _run_staged(self, txn: Txn, run: "list[_WriteRequest[Any]] | list[_Submitted]", finish: Finish) -> None:
        """A run of requests sharing ``finish``: each stages in a nested transaction of its own inside one nested
        transaction for the run, then one ``finish`` ends those that staged. If ``finish`` raises, the run is
        rolled back and each request that staged runs alone (``write``'s contract)."""
        outer = self._env.begin(write=True, parent=txn)
        staged_requests: list[Any] = []
        staged: list[Any] = []
        try:
            for request in run:
                done, value = self._in_child(outer, request, request.fn)
                if done:
                    staged_requests.append(request)
                    staged.append(value)
            results = finish(outer, staged) if staged else []
            outer.commit()
        except lmdb.MapFullError:
            outer.abort()
            raise
        except BaseException:   # finish failed: nothing of the run is in; each caller alone, for its own answer
            outer.abort()
            for request in staged_requests:
                self._run_alone(txn, request)
            return
        for request, result in zip(staged_requests, results):
            request.result, request.error = result, None

    def _failure(self, e: BaseException) -> BaseException:
        return _native_failure(self.path, e, "a write") if isinstance(e, _DAMAGE) else e

    # -- submitted writes: the committer thread ------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], done: Callable[[Any, BaseException | None], None],
               finish: Finish | None = None, prepare: Callable[[], Any] | None = None) -> None:
        """Have ``fn(txn)`` committed without waiting for it: ``done(result, None)`` is called once the commit
        holding its changes returned (fsynced when durable), or ``done(None, error)`` with what ``fn`` raised
        (having changed nothing) or the commit's failure. Returns at once (ReadOnlyError in a read-only store).

        One committer thread (started by the first ``submit``) takes every function submitted meanwhile, runs
        them in one write transaction through ``write`` (so they also meet other threads' writes in its group
        commit), each in a nested transaction of its own so one that raises is rolled back alone, commits once,
        then calls each ``done``, in submission order, on the committer thread: keep them short, and never call
        ``write`` from one. While one group commits, the next gathers. ``close`` commits what was submitted
        before it, then stops the thread. ``finish``: as ``write``'s (the group's runs share one call of it).

        ``prepare``: work of the write that needs no transaction (validating and encoding what is written), run on
        the committer thread before the group's transaction begins, so that LMDB's write lock (which every
        process's writers share) is not held for it; ``fn(txn, prepare())`` is then the write. What ``prepare``
        raises is the write's error (``done(None, error)``, in its turn; nothing written).

        While the committer stages a group (its functions running in the transaction, before the commit),
        ``wait_for_staging`` blocks."""
        if self.readonly:
            raise ReadOnlyError(f"{self.path}: opened read-only")
        with self._submit_cond:
            if self._submit_closed:
                raise StorageError(f"{self.path}: the store is closed")
            self._submitted.append(_Submitted(fn, done, finish, prepare))
            if self._committer is None:
                self._committer = threading.Thread(target=self._commit_submitted, name="logstore-committer",
                                                   daemon=True)
                self._committer.start()
            elif self._committer_idle:
                self._committer_idle = False
                self._submit_cond.notify()

    def _commit_submitted(self) -> None:
        """The committer thread: commit what is waiting, as one group, until closed with nothing waiting."""
        while True:
            with self._submit_cond:
                while not self._submitted and not self._submit_closed:
                    self._committer_idle = True
                    self._submit_cond.wait()
                self._committer_idle = False
                if not self._submitted:
                    return
                batch, self._submitted = self._submitted, []
            writes = [request for request in batch if request.prepare is None or self._prepared(request)]
            if len(writes) == 1:   # alone: no nesting; what fn raised comes back from write as it is
                one = writes[0]
                try:
                    one.result = self.write(one.fn, one.finish)
                except BaseException as e:
                    one.error = e
            elif writes:
                try:
                    self.write(lambda txn: self._run_nested(txn, writes))
                except BaseException as e:  # the commit itself failed: nobody's changes are in
                    for request in writes:
                        request.result, request.error = None, e
            for request in batch:
                try:
                    request.done(request.result, request.error)
                except Exception:   # a callback's own failure must not stop the others' answers
                    log.exception("a submitted write's callback failed")

    @staticmethod
    def _prepared(request: "_Submitted") -> bool:
        """Run a submitted write's ``prepare`` (outside any transaction) and bind its result to ``fn``; False, with
        the request's error set, if it raised."""
        try:
            value = cast(Callable[[], Any], request.prepare)()
        except BaseException as e:
            request.result, request.error = None, e
            return False
        fn = request.fn
        request.fn = lambda txn: fn(txn, value)
        return True

    def _stop_committer(self) -> None:
        with self._submit_cond:
            self._submit_closed = True
            self._submit_cond.notify()
            committer = self._committer
        if committer is not None and committer is not threading.current_thread():
            committer.join()

    def _adopt_map_size(self) -> None:
        with self._gate.exclusive():
            self._env.set_mapsize(0)

    def _grow(self) -> None:
        with self._gate.exclusive():
            size = self._env.info()["map_size"]
            self._env.set_mapsize(size + min(size, MAX_GROWTH_STEP))

    def secret(self, name: str, create: bool = True) -> bytes | None:
        """32 random bytes kept in the store under ``meta`` key ``secret:<name>``, created on first use by a
        writer (a read-only store without it gets ReadOnlyError; with ``create=False``, None)."""
        meta, key = self.db("meta"), b"secret:" + name.encode()
        with self.begin_read() as txn:
            value = txn.get(key, db=meta)
        if value is None and not create:
            return None
        if value is None:
            def make(txn: Txn) -> bytes:
                existing = txn.get(key, db=meta)
                if existing is not None:
                    return existing
                made = os.urandom(32)
                txn.put(key, made, db=meta)
                return made
            value = self.write(make)
        return bytes(value)

    def wait_for_staging(self) -> None:
        """Return once the committer thread (``submit``) is not staging a group, i.e. running its functions inside
        a write transaction before the commit; at once when it is not. For the thread that takes up requests (the
        server's event loop), before each one: every py-lmdb call of the staging lets the GIL go, and a thread that
        took it then would run other requests' Python while LMDB's write lock (one per store, for every process)
        stays held. Waiting here instead keeps the lock held about as long as the staging itself takes; the
        commit's fsync that follows is not waited for. Never call it from inside a write."""
        if self._staging.locked():
            with self._staging:
                pass

    def writing(self) -> bool:
        """Whether a write of this process is running or waiting at this moment: a ``write`` leading or queued,
        or submitted writes the committer has not finished. A glance without a lock, for a caller deciding
        whether its own write would wait behind others (the server commits a lone write on its event loop only
        when not); the answer may be out of date as soon as it is given."""
        return self._leading or bool(self._submitted) or (self._committer is not None and not self._committer_idle)

    def write_stats(self) -> WriteStats:
        """This process's committed write transactions so far, how long they were open and how long they took to
        commit (``WriteStats``)."""
        with self._written_lock:
            transactions, held_s, commit_s = self._written
        return WriteStats(int(transactions), held_s, commit_s)

    # -- maintenance ---------------------------------------------------------------------------------------------

    @property
    def map_size(self) -> int:
        return self._env.info()["map_size"]

    def info(self) -> dict[str, object]:
        """LMDB's environment info plus the page size and the file's size."""
        out: dict[str, object] = dict(self._env.info())
        out["page_size"] = self._env.stat()["psize"]
        out["file_size"] = os.path.getsize(os.path.join(self.path, "data.mdb"))
        return out

    def space(self) -> "SpaceInfo":
        """How the file's pages are used: per database (every named database of the store) and in all, and the
        free pages LMDB keeps for reuse. For inspection; read-only; each figure is from one snapshot, but the
        environment-wide ones (``last_pgno``, map size) may already include a concurrent writer's next commit."""
        with self.begin_read() as txn:
            names = sorted(bytes(k).decode("utf-8", "replace") for k, _ in txn.cursor())
        handles = [(name, self.db(name)) for name in names]
        info = self._env.info()
        with self.begin_read() as txn:
            main = self._env.stat()
            dbs = [DbStat("(main)", main["entries"], main["depth"], main["branch_pages"], main["leaf_pages"],
                          main["overflow_pages"])]
            for name, handle in handles:
                if handle is not None:
                    st = txn.stat(handle)
                    dbs.append(DbStat(name, st["entries"], st["depth"], st["branch_pages"], st["leaf_pages"],
                                      st["overflow_pages"]))
        used = sum(d.pages for d in dbs)
        pages = info["last_pgno"] + 1
        return SpaceInfo(page_size=main["psize"], map_size=info["map_size"], file_size=os.path.getsize(
            os.path.join(self.path, "data.mdb")), pages=pages, tree_pages=used,
            free_pages=max(0, pages - META_PAGES - used), last_txnid=info["last_txnid"],
            readers=info["num_readers"], max_readers=info["max_readers"], dbs=tuple(dbs))

    def sync(self) -> None:
        """Flush every committed transaction to disk (for ``durable=False`` stores)."""
        if not self.readonly:
            self._env.sync(True)

    def close(self) -> None:
        self._stop_committer()   # what was submitted is committed (and answered) first
        self._env.close()
        self._release()

    def __enter__(self) -> "Environment":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The upgrade mechanism: converting a store of an older format version, explicitly, in bounded, resumable steps.

A store is never rewritten silently: opening an older store raises FormatVersionError naming ``logstore upgrade``
(storage/env.py). ``run`` converts one: it walks a list of named ``Step``s (each layer contributes its own; the
v1 -> v2 list is assembled in tables/upgrade.py), calling each step's ``run(txn, state)`` in one write transaction
after another. A call does a bounded amount of work (a batch of entries) inside the transaction it is given and
returns the state to resume from, or None when the step is finished. The runner stores the progress in the same
transaction, so a crash (even SIGKILL) loses at most the uncommitted batch, and the next ``run`` continues where
the last commit left off. The final transaction writes the new format record and deletes the progress record:
until then the store is still of the old version and every ordinary open refuses it.

Progress record (``meta`` key ``upgrade``): msgpack ``[from version, to version, step index, step name, state]``
(state: bytes). A progress record naming another step list than the one being run is refused (an upgrade is
finished by the same logstore that began it, or by one with the same steps).

Steps must be idempotent per batch: a batch is either committed with its progress or not at all, so they may
assume they run exactly once per state. Thread-safety: ``run`` takes the store's write lock per batch; run one
upgrade per store at a time (LMDB's writer lock serialises two anyway, and the progress record keeps them exact).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import msgpack

from logstore.errors import FormatVersionError

from . import keys
from .env import FORMAT_VERSION, Environment
from .txn import Db, Txn

PROGRESS_KEY = b"upgrade"
DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class Step:
    """One named part of an upgrade. ``run(txn, state)`` does at most one batch of work in ``txn`` from ``state``
    (b"" at the start) and returns the next state, or None when the step has nothing left to do."""

    name: str
    run: Callable[[Txn, bytes], bytes | None]
    doc: str = ""


@dataclass(slots=True)
class UpgradeReport:
    """What an upgrade did: the versions, and per step the number of batches (transactions) it took."""

    path: str
    from_version: int
    to_version: int
    batches: dict[str, int] = field(default_factory=dict)
    resumed_at: str | None = None
    seconds: float = 0.0
    already_current: bool = False


# an unfinished upgrade's progress, as msgpack stores it: [from version, to version, step index, step name, state]
Progress = list[Any]


def _read_progress(txn: Txn, meta: Db | None) -> Progress | None:
    raw = txn.get(PROGRESS_KEY, db=meta)
    rec: Progress | None = None if raw is None else msgpack.unpackb(raw, raw=False)
    return rec


def progress(env: Environment) -> Progress | None:
    """The stored progress of an unfinished upgrade, or None."""
    with env.begin_read() as txn:
        return _read_progress(txn, env.db("meta"))


def run(env: Environment, steps: list[Step], *, to_version: int = FORMAT_VERSION,
        on_batch: Callable[[str, int], None] | None = None) -> UpgradeReport:
    """Run ``steps`` to completion on ``env`` (opened with ``for_upgrade=True``), resuming an interrupted run.
    ``on_batch(step name, batches so far)`` is called after each committed batch (progress output; tests)."""
    started = time.monotonic()
    meta = env.db("meta")
    names = [s.name for s in steps]
    report = UpgradeReport(env.path, env.version, to_version)
    if env.version == to_version:
        report.already_current = True
        return report
    first = progress(env)
    if first is not None:
        report.resumed_at = first[3]

    def batch(txn: Txn) -> tuple[str, bool]:
        rec = _read_progress(txn, meta)
        if rec is None:
            rec = [env.version, to_version, 0, names[0] if names else "", b""]
        frm, to, index, name, state = rec
        if to != to_version or index > len(steps) or (index < len(steps) and names[index] != name):
            raise FormatVersionError(f"{env.path}: an unfinished upgrade to format version {to} (at step "
                                     f"{name!r}) was begun by another logstore; finish it with that one")
        if index < len(steps):
            state = steps[index].run(txn, state)
            if state is None:
                index, state = index + 1, b""
        if index >= len(steps):
            txn.put(keys.FORMAT_KEY, keys.pack_format(to_version), db=meta)
            txn.delete(PROGRESS_KEY, db=meta)
            return name, True
        txn.put(PROGRESS_KEY, msgpack.packb([frm, to, index, names[index], state], use_bin_type=True), db=meta)
        return name, False

    done = False
    while not done:
        name, done = env.write(batch)
        report.batches[name] = report.batches.get(name, 0) + 1
        if on_batch is not None:
            on_batch(name, report.batches[name])
    env.version = to_version
    report.seconds = time.monotonic() - started
    return report


# -- generic steps -----------------------------------------------------------------------------------------------


def rewrite_values(name: str, handle: Db | None, transform: Callable[[bytes, bytes], bytes], batch: int = DEFAULT_BATCH,
                   doc: str = "") -> Step:
    """A step that replaces every value of database ``handle`` (None: the database does not exist, nothing to
    do) by ``transform(key, value)``, keys unchanged, ``batch`` entries per transaction in key order. State: the
    last key done (prefixed with one byte so that the empty key is a state too)."""
    def run_batch(txn: Txn, state: bytes) -> bytes | None:
        if handle is None:
            return None
        with txn.cursor(db=handle) as cur:
            if state:
                last = state[1:]
                ok = cur.set_range(last)
                if ok and cur.key() == last:
                    ok = cur.next()
            else:
                ok = cur.first()
            todo: list[tuple[bytes, bytes]] = []
            while ok and len(todo) < batch:
                todo.append((bytes(cur.key()), bytes(cur.value())))
                ok = cur.next()
        for key, value in todo:
            txn.put(key, transform(key, value), db=handle)
        if not todo or not ok:
            return None
        return b"k" + todo[-1][0]
    return Step(name, run_batch, doc)

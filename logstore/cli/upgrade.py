"""``logstore upgrade PATH``: convert a store of an older format version to the current one, in place.

The one command that rewrites a store's on-disk format, and only when asked (every other open of an older store
is refused, naming this command). The work is tables/upgrade.py's list of named steps run by storage/upgrade.py:
bounded transactions, each committed with the upgrade's progress, so an interrupted upgrade (Ctrl-C, a crash,
SIGKILL) is finished by running the command again; until it has finished the store stays of the old version and
nothing else opens it. A store that is already current is left alone (exit 0, "already at format version N").
Stop every process that uses the store first: the upgrade needs it to itself (LMDB would serialise a writer with
it, but the other process could not open the half-upgraded store anyway).

Exit status: 0 upgraded (or already current), 2 it could not run (not a store, a version it cannot upgrade, an
error in a step; the store is then as the last committed batch left it, and a rerun resumes).
"""
from __future__ import annotations

import os

import click

from logstore.errors import NotAStoreError
from logstore.storage import FORMAT_VERSION
from logstore.storage.upgrade import DEFAULT_BATCH
from logstore.tables.upgrade import upgrade as upgrade_store

from .common import console, emit_json, store_command


@click.command()
@click.option("--batch", type=click.IntRange(1, 100_000), default=DEFAULT_BATCH, show_default=True,
              help="entries converted per transaction")
@store_command
def upgrade(path: str, as_json: bool, batch: int) -> None:
    """Upgrade the store at PATH to the current on-disk format (resumable; run it again if interrupted)."""
    if not os.path.isfile(os.path.join(path, "data.mdb")):
        raise NotAStoreError(f"{path}: not a logstore store (no data.mdb)")
    out = None if as_json else console()
    report = upgrade_store(path, batch=batch)
    if as_json:
        emit_json({"path": report.path, "from_version": report.from_version, "to_version": report.to_version,
                   "already_current": report.already_current, "resumed_at": report.resumed_at,
                   "batches": report.batches, "seconds": round(report.seconds, 3)})
        return
    if report.already_current:
        out.print(f"{path}: already at format version {FORMAT_VERSION}; nothing to do")
        return
    if report.resumed_at:
        out.print(f"resumed an interrupted upgrade at step {report.resumed_at!r}")
    for name, n in report.batches.items():
        out.print(f"  {name}: {n} transaction(s)")
    out.print(f"{path}: upgraded from format version {report.from_version} to {report.to_version} "
              f"in {report.seconds:.2f}s")

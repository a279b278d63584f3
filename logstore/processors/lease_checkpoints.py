"""Checkpoints kept in a lease table (leases.py) instead of a store's ``processor_checkpoints``: the same
``load`` / ``get`` / ``commit`` a shard worker uses with ``Checkpoints``, so the worker does not know which it
has. A lease's ``checkpoint`` attribute holds ``TRIM_HORIZON``, ``LATEST``, the wire sequence number of the last
record handled, or ``SHARD_END``.

What cannot be kept: one transaction with a store. Writes that ``Checkpoints.commit`` would run in the
checkpoint's transaction (``also``: an on-failure table's item) are applied to the checkpoint store first, in
their own transaction, then the lease is checkpointed: at least once, not exactly once. ``context.batch`` is
therefore None with leases.

Thread-safety: as ``Leases``; each shard's checkpoint is written by the one worker holding its lease.
"""
from __future__ import annotations

from typing import Callable

from .checkpoints import Checkpoint
from .config import LATEST, TRIM_HORIZON
from .leases import SHARD_END, Lease, Leases


def to_checkpoint(lease: Lease) -> Checkpoint:
    value = lease.checkpoint
    if value == SHARD_END:
        return Checkpoint(lease.shard_id, None, True)
    if value in (TRIM_HORIZON, LATEST):
        return Checkpoint(lease.shard_id, None, False, 0, value)
    return Checkpoint(lease.shard_id, value, False)


def to_value(cp: Checkpoint) -> str:
    if cp.done:
        return SHARD_END
    return cp.after if cp.after is not None else cp.start


class LeaseCheckpoints:
    def __init__(self, leases: Leases, store=None):
        self.leases = leases
        self.store = store

    def load(self) -> dict[str, Checkpoint]:
        return {shard_id: to_checkpoint(lease) for shard_id, lease in self.leases.list().items()}

    def get(self, shard_id: str) -> Checkpoint | None:
        return self.load().get(shard_id)

    def commit(self, cp: Checkpoint, also: Callable | None = None) -> Checkpoint:
        """Checkpoint the lease (raises LeaseLost when another instance took it); ``also`` first, in the
        checkpoint store's own transaction."""
        if also is not None:
            if self.store is None:
                raise ValueError("writes beside a lease checkpoint need a checkpoint store")
            self.store.env.write(also)
        self.leases.checkpoint(cp.shard_id, to_value(cp))
        if cp.done:
            self.leases.drop(cp.shard_id)
        return cp

    def forget(self) -> int:
        raise NotImplementedError("delete the lease table to start over")

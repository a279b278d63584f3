"""``Txn``: the static type of every LMDB transaction logstore opens. The one owner of that annotation.

logstore never opens a transaction with ``buffers=True``, so py-lmdb returns ``bytes`` from ``get``, cursors and
``pop``; saying so here lets readers hand those values straight to the unpackers typed ``bytes`` (no copy, no
``memoryview`` branch). A transaction opened with ``buffers=True`` would be a ``lmdb.Transaction[memoryview]``
and must not be passed where a ``Txn`` is expected.
"""
from __future__ import annotations

from typing import TypeAlias

import lmdb

Txn: TypeAlias = "lmdb.Transaction[bytes]"
Cursor: TypeAlias = "lmdb.Cursor[bytes]"
Db: TypeAlias = "lmdb._Database"   # a named database handle (py-lmdb names its class _Database)

"""Client request tokens (TransactWriteItems' ClientRequestToken), stored in the store so that a request is
applied exactly once however often, from however many threads, processes or restarts, it is retried.

Format (docs/format.md, "Client request tokens", format version 2): database ``request_tokens``, key = the token's
UTF-8 bytes, value = sealed (storage/sealed.py) SHA-256 of the request's canonical form (everything but the token;
32 bytes) || u64 LE time (ms) the request committed; database ``request_token_times``, key = u64 BE that time ||
token bytes, value empty: the same entries in time order, so pruning finds the oldest without a scan.

Invariants:
* A token is checked and recorded in the write transaction of the request it names (``Writer.write``'s
  ``before``/``after`` hooks), so of concurrent requests with one token exactly one applies its changes; the
  others see its entry once they get the write lock (LMDB serialises writers across processes, and group commit's
  nested transactions see earlier ones). A request that fails records nothing.
* An entry counts for ``WINDOW_MS`` (AWS's 10 minutes) from its commit, by the injected clock; after that the token
  is new again. A replay within the window does not extend it.
* Every recording deletes at most ``PRUNE_STEP`` expired entries, oldest first: each write does bounded work, and
  the databases hold little more than the window's tokens.

Thread-safety: handles only; transactions are the caller's.
"""
from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

import orjson

from logstore.errors import IdempotentParameterMismatchException
from logstore.storage import Environment
from logstore.storage.sealed import open_sealed, seal
from logstore.storage.txn import Txn

WINDOW_MS = 10 * 60 * 1000
PRUNE_STEP = 8
DBS = ("request_tokens", "request_token_times")
_VALUE = struct.Struct("<32sQ")
_TIME = struct.Struct(">Q")
MISMATCH = "The request uses the same client token as a previous, but non-identical request."


def digest(request: dict[str, Any], token_member: str = "ClientRequestToken") -> bytes:
    """SHA-256 of the request without its token, canonical: compact JSON with map keys sorted at every depth
    (orjson; bytes as base64, sets as sorted lists), so two equal requests digest alike whatever order their
    members came in. A request JSON cannot hold (an integer beyond 64 bits, an odd embedded value) falls back to
    a slower canonical text of the same kind."""
    rest = {k: v for k, v in request.items() if k != token_member}
    try:
        text = orjson.dumps(rest, default=_json_default, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        text = b"~" + _canonical(rest).encode("utf-8", "backslashreplace")
    return hashlib.sha256(text).digest()


def _json_default(value: object) -> object:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b64:" + base64.b64encode(value).decode("ascii")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(type(value).__name__)


def _canonical(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_canonical(k)}:{_canonical(v)}" for k, v in
                              sorted(value.items(), key=lambda kv: repr(kv[0]))) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "<" + ",".join(sorted(_canonical(v) for v in value)) + ">"
    return f"{type(value).__name__}:{value!r}"


def _entry(key: bytes, raw: bytes) -> tuple[bytes, int]:
    """(request digest, commit time) of a sealed ``request_tokens`` value; CorruptionError if it is damaged."""
    return open_sealed(key, raw, lambda: f"request_tokens entry {bytes(key).decode('utf-8', 'replace')!r}",
                       _VALUE.unpack)


class RequestTokens:
    def __init__(self, env: Environment):
        self.tokens = env.db(DBS[0])
        self.times = env.db(DBS[1])

    def seen(self, txn: Txn, token: str, request_digest: bytes, now_ms: int) -> bool:
        """Whether a request under ``token`` committed within the window: True if it was this request (the caller
        then does nothing and succeeds); IdempotentParameterMismatchException if it was another; False if the token
        is new (or its entry expired)."""
        if self.tokens is None:
            return False
        key = token.encode()
        raw = txn.get(key, db=self.tokens)
        if raw is None:
            return False
        stored, at_ms = _entry(key, raw)
        if now_ms - at_ms >= WINDOW_MS:
            return False
        if stored != request_digest:
            raise IdempotentParameterMismatchException(MISMATCH)
        return True

    def record(self, txn: Txn, token: str, request_digest: bytes, now_ms: int) -> None:
        """Record that the request under ``token`` commits now (in ``txn``), and prune a few expired entries."""
        key = token.encode()
        old = txn.get(key, db=self.tokens)
        if old is not None:   # an expired entry of the same token: replace it
            txn.delete(_TIME.pack(_entry(key, old)[1]) + key, db=self.times)
        txn.put(key, seal(key, _VALUE.pack(request_digest, now_ms)), db=self.tokens)
        txn.put(_TIME.pack(now_ms) + key, b"", db=self.times)
        self.prune(txn, now_ms, PRUNE_STEP)

    def prune(self, txn: Txn, now_ms: int, limit: int) -> int:
        """Delete up to ``limit`` entries whose window has passed, oldest first; how many were deleted."""
        if self.times is None:
            return 0
        done = 0
        cursor = txn.cursor(db=self.times)
        while done < limit and cursor.first():
            entry = bytes(cursor.key())
            if now_ms - _TIME.unpack_from(entry)[0] < WINDOW_MS:
                break
            cursor.delete()
            txn.delete(entry[_TIME.size:], db=self.tokens)
            done += 1
        return done

    def count(self, txn: Txn) -> int:
        """How many tokens are stored (expired ones not yet pruned included)."""
        return 0 if self.tokens is None else txn.stat(self.tokens)["entries"]

"""Shard iterators: self-describing, signed position tokens. The server keeps no iterator state.

Token text: ``<StreamArn>|1|<base64url(body || tag)>`` where body = msgpack ``[stream_no, shard_no, position,
issued_ms, nonce]`` (nonce: 4 random bytes, so no two tokens are ever the same string) and tag = the first 16 bytes of
HMAC-SHA256(store key, ARN || body). ``position`` is in sequence space
(the next sequence number to read), never a list index, so trimming cannot shift it. The store key is 32 random
bytes kept in the store, so tokens survive restarts; a token from another store, or altered in any byte, fails
verification. Expiry (15 minutes after issue) is checked by the reader against the injected clock.

Pure functions; thread-safe.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

import msgpack

from logstore.errors import ValidationException

TAG_LEN = 16
LIFETIME_MS = 15 * 60 * 1000
MAX_LEN = 2048


@dataclass(frozen=True, slots=True)
class IteratorToken:
    stream_no: int
    shard_no: int
    position: int
    issued_ms: int


def _tag(key: bytes, arn: str, body: bytes) -> bytes:
    return hmac.new(key, arn.encode() + b"|" + body, hashlib.sha256).digest()[:TAG_LEN]


def encode(token: IteratorToken, arn: str, key: bytes) -> str:
    body = msgpack.packb([token.stream_no, token.shard_no, token.position, token.issued_ms, os.urandom(4)])
    blob = base64.urlsafe_b64encode(body + _tag(key, arn, body)).decode().rstrip("=")
    return f"{arn}|1|{blob}"


def decode(text: str, key: bytes) -> tuple[str, IteratorToken]:
    """(stream ARN, token) of a token this store issued; ValidationException for anything else."""
    invalid = ValidationException("Invalid ShardIterator")
    if not isinstance(text, str) or len(text) > MAX_LEN:
        raise invalid
    arn, sep, rest = text.rpartition("|")
    arn, sep2, version = arn.rpartition("|")
    if not sep or not sep2 or version != "1":
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(rest + "=" * (-len(rest) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != rest:  # only the one canonical spelling
        raise invalid
    body, tag = raw[:-TAG_LEN], raw[-TAG_LEN:]
    if len(raw) <= TAG_LEN or not hmac.compare_digest(tag, _tag(key, arn, body)):
        raise invalid
    try:
        stream_no, shard_no, position, issued, _nonce = msgpack.unpackb(body)
    except (ValueError, TypeError, msgpack.ExtraData):  # pragma: no cover - a signed body is always ours
        raise invalid from None
    return arn, IteratorToken(stream_no, shard_no, position, issued)

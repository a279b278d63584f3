"""Every identifier the stream layer hands out, generated and parsed in this one place.

* Sequence numbers are ints inside (u64, from the store's ``seq`` counter) and, on the wire, decimal strings of
  exactly 21 digits: ``str(SEQ_BASE + seq)``. Lexical order equals numeric order; numbers are never reused.
* Stream labels: the UTC creation time ``YYYY-MM-DDTHH:MM:SS.mmm``; unique per table (bumped 1 ms on a clash).
* Table ARNs: ``arn:aws:dynamodb:<region>:<account>:table/<table>``; stream ARNs: the table's ARN and
  ``/stream/<label>``. Lambda function ARNs (the processors' failure records):
  ``arn:aws:lambda:<region>:<account>:function:<name>``. KMS key ARNs (a table's SSEDescription):
  ``arn:aws:kms:<region>:<account>:key/<key id>``, or ``...:alias/<name>`` for a key named by its alias; the
  account's AWS managed key for DynamoDB (``alias/aws/dynamodb``) has a key id derived from region and account.
* Shard ids: ``shardId-<20-digit creation ms>-<8 hex>``, 37 characters; sorting them sorts by creation time.
* Event ids: 32 lowercase hex characters, a keyed hash of (stream, sequence number) under the store's own random
  event key (``event_key``: 32 bytes made when a store is created, kept in it). A record keeps its id however often
  it is read; two stores, or one directory before and after a reset (a new store, a new key), never repeat one,
  as AWS's eventIDs do not (a consumer de-duplicating by eventID would otherwise drop records).

Pure functions. Callers: the stream layer, the api layer (what it renders, and parsing what clients send), the
processors and the CLI.
"""
from __future__ import annotations

import hashlib
import re
import struct
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Sequence

from logstore import codec

if TYPE_CHECKING:   # the Environment is passed in; stream/ids.py stays a leaf at run time
    from logstore.storage import Environment

SEQ_BASE = 10 ** 20
SEQ_WIRE_LEN = 21
_ARN = re.compile(r"^arn:aws[\w-]*:dynamodb:([\w-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})/stream/"
                  r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})$")
_TABLE_ARN = re.compile(r"arn:(aws[a-z-]*):dynamodb:([a-z0-9-]+):(\d{12}):table/(.+)")
_SHARD_ID = re.compile(r"^shardId-(\d{20})-([0-9a-f]{8})$")
_EVENT = struct.Struct(">QQ")


def seq_to_wire(seq: int) -> str:
    return str(SEQ_BASE + seq)


def seq_from_wire(text: str) -> int | None:
    """The internal sequence number of a wire string, or None if it is not one logstore could have issued."""
    if len(text) != SEQ_WIRE_LEN or not text.isdigit() or not text.isascii():
        return None
    value = int(text) - SEQ_BASE
    return value if 0 <= value < 1 << 64 else None


def stream_label(created_ms: int) -> str:
    dt = datetime.fromtimestamp(created_ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (created_ms % 1000)


def table_arn(region: str, account: str, table: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}"


def parse_table_arn(arn: str) -> tuple[str, str, str, str] | None:
    """(partition, region, account, the rest after ``table/``) of what is shaped like a table ARN, else None.
    The rest is not checked: callers say what a table name must be there."""
    m = _TABLE_ARN.fullmatch(arn)
    return m.groups() if m else None  # type: ignore[return-value]


def stream_arn(region: str, account: str, table: str, label: str) -> str:
    return f"{table_arn(region, account, table)}/stream/{label}"


def function_arn(region: str, account: str, function: str) -> str:
    """A Lambda function's ARN (the processors name themselves so in their failure records)."""
    return f"arn:aws:lambda:{region}:{account}:function:{function}"


MANAGED_KMS_ALIAS = "alias/aws/dynamodb"
_MANAGED_KMS_KEYS = uuid.UUID("6f0d3f36-6a3c-4b8e-9a55-1f1b0d7c2e41")   # namespace of the managed keys' ids


def kms_key_arn(region: str, account: str, key: str | None) -> str:
    """The ARN a table's SSEDescription names for SSESpecification's KMSMasterKeyId ``key`` (a key id, a key ARN,
    an alias name or an alias ARN, as KMS takes them); None or ``alias/aws/dynamodb``: the account's AWS managed
    key for DynamoDB, whose id is the same for one region and account every time. Without a KMS to ask, an alias
    stays an alias ARN (AWS names the key it points at)."""
    if key is None or key == MANAGED_KMS_ALIAS:
        key = str(uuid.uuid5(_MANAGED_KMS_KEYS, f"{region}:{account}"))
    if key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        return f"arn:aws:kms:{region}:{account}:{key}"
    return f"arn:aws:kms:{region}:{account}:key/{key}"


def parse_stream_arn(arn: str) -> tuple[str, str, str, str] | None:
    """(region, account, table, label) of a well-formed stream ARN, else None."""
    m = _ARN.match(arn)
    return m.groups() if m else None  # type: ignore[return-value]


def shard_id(created_ms: int, salt: int) -> str:
    return "shardId-%020d-%08x" % (created_ms, salt & 0xFFFFFFFF)


def shard_salt(text: str) -> int | None:
    """The salt (the shard number mod 2**32) a shard id ends in, or None if ``text`` is not a shard id."""
    m = _SHARD_ID.match(text)
    return int(m.group(2), 16) if m else None


def is_shard_id(text: str) -> bool:
    return _SHARD_ID.match(text) is not None


EVENT_KEY_SECRET = "event-ids"   # the name of the store's event key (storage.Environment.secret)


def event_id(event_key: bytes, stream_no: int, seq: int) -> str:
    return hashlib.blake2b(_EVENT.pack(stream_no, seq), digest_size=16, key=event_key).hexdigest()


def event_ids(event_key: bytes, stream_no: int, seqs: Sequence[int]) -> list[str]:
    """``[event_id(event_key, stream_no, s) for s in seqs]`` for a page of records, in one codec call (the C
    codec hashes the key block once per page)."""
    return codec.event_ids(event_key, stream_no, seqs)


def store_event_key(env: Environment) -> bytes:
    """The event key of the store in ``env`` (an Environment), made on first use by a writer. A read-only view of
    a store no writer has opened since event keys came (nothing to render from it yet but older records) gets the
    empty key, which gives those records the ids they always had."""
    if env.readonly:
        return env.secret(EVENT_KEY_SECRET, create=False) or b""
    return env.secret(EVENT_KEY_SECRET) or b""   # a writer's is never None: made on first use

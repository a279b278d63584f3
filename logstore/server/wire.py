"""The AWS JSON 1.0 wire format: request bodies in, response and error bodies out.

- ``decode(body)``: the request JSON object (SerializationException for anything else: malformed JSON, a
  non-object, ``NaN``/``Infinity``, nesting beyond reason).
JSON is orjson's (about 15x faster than the standard library's encoder on a 1,000-record GetRecords page, which
dominated its cost; strict on input).

- ``encode_response(operation, response)``: the success body; empty for TagResource and UntagResource, as AWS.
- ``encode(response)``: compact UTF-8 JSON; ``bytes`` (AttributeValue ``B``/``BS``) become base64 strings; times
  are already epoch-second numbers.
- ``error_body(exc)``: AWS's error envelope ``{"__type": "<prefix>#<Code>", "message": ...}`` read from the
  exception class (errors.py), plus the members the error carries (``CancellationReasons``, ``Item``), with its
  HTTP status.
- ``headers(body)``: the response headers every answer carries: content type, ``x-amzn-RequestId``, and
  ``x-amz-crc32`` (CRC32 of the exact body bytes, which botocore's dynamodb client verifies).

Pure functions; thread-safe.
"""
from __future__ import annotations

import base64
import os
import random
import zlib

import orjson

from logstore.errors import AwsError, SerializationException

CONTENT_TYPE = b"application/x-amz-json-1.0"


def decode(body: bytes | bytearray) -> dict:
    if not body or body.isspace():
        return {}   # an empty body is an empty request (boto3 always sends at least "{}")
    try:
        value = orjson.loads(body)   # strict: no NaN/Infinity, valid UTF-8, integers within 64 bits, depth <= 1024
    except orjson.JSONDecodeError:
        raise SerializationException("Unable to parse request body as JSON") from None
    if not isinstance(value, dict):
        raise SerializationException("Start of structure or map expected")
    return value


def _default(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def encode(response: dict) -> bytes:
    return orjson.dumps(response, default=_default)


EMPTY_BODY_OPERATIONS = frozenset({"TagResource", "UntagResource"})


def encode_response(operation: str, response: dict) -> bytes:
    """An operation's success body: ``encode(response)``, except the operations AWS answers with an empty body
    (TagResource, UntagResource: no JSON at all, as botocore expects of them)."""
    return b"" if operation in EMPTY_BODY_OPERATIONS else encode(response)


def error_body(exc: AwsError) -> tuple[int, bytes]:
    out = {"__type": exc.aws_type()}
    if exc.message:
        out["message"] = exc.message
    out.update(getattr(exc, "details", None) or {})   # e.g. CancellationReasons, Item
    return exc.http_status, encode(out)


_ids = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(32)))   # a forked worker draws its own ids


def request_id() -> str:
    """A fresh request id, in AWS's form (52 upper-case alphanumerics): 208 random bits from a generator seeded
    from the OS once per process. Not os.urandom per request: that system call releases the GIL, and on the
    event loop's thread each release hands the GIL to the committer thread and waits to get it back (~50 us)."""
    return f"{_ids.getrandbits(208):052X}"


def headers(body: bytes, rid: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", CONTENT_TYPE), (b"x-amzn-requestid", rid.encode()),
            (b"x-amz-crc32", str(zlib.crc32(body)).encode()), (b"content-length", str(len(body)).encode())]

"""The seam between botocore and the in-process mock: one handler on botocore's ``before-send`` event.

botocore emits ``before-send.<service-id>.<Operation>`` with the prepared request just before it would open a
connection; the first handler that returns a response ends the send, and botocore parses that response as if it had
come from the network (status, headers, the CRC32 the dynamodb client checks, error envelopes, retries). The handler
is registered once, at import, on ``botocore.handlers.BUILTIN_HANDLERS`` for ``before-send.dynamodb`` and
``before-send.dynamodb-streams``, so every botocore session created afterwards (boto3's, PynamoDB's, anyone's) carries
it; it does nothing unless a mock is active, and then it answers only those two services (every other service is
left to botocore). The URL, region, credentials and endpoint settings of the client do not matter: no request
reaches the network. Sessions made *before* this module was imported lack the handler; the pytest plugin imports it
when pytest starts, and ``mock()`` replaces boto3's default session while it is active, as moto does.

Owns the stack of active mocks (innermost answers; see docs/testing.md for nesting and threads) and the
translation of a prepared request to the server's per-request core (logstore.server.dispatch) and back.

Thread-safety: the stack is changed under a lock and read without one (a list, replaced, never mutated).
"""
from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from logstore.errors import RequestEntityTooLargeException
from logstore.server import wire
from logstore.server.limits import DEFAULT_MAX_BODY

if TYPE_CHECKING:
    from .mock import Mock

EVENTS = ("before-send.dynamodb", "before-send.dynamodb-streams")
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_HOST = re.compile(r"(?:^|\.)(?:dynamodb|streams\.dynamodb|ddb|streams-ddb)\.([a-z0-9-]+)\.amazonaws\.com")

_lock = threading.Lock()
_stack: tuple["Mock", ...] = ()   # active mocks, innermost last


def push(mock: "Mock") -> None:
    global _stack
    with _lock:
        _stack = _stack + (mock,)


def remove(mock: "Mock") -> None:
    """Take ``mock`` off the stack wherever it is (another thread's mock may have been pushed after it)."""
    global _stack
    with _lock:
        _stack = tuple(m for m in _stack if m is not mock)


def innermost() -> "Mock | None":
    stack = _stack
    return stack[-1] if stack else None


def active() -> tuple["Mock", ...]:
    return _stack


class _Raw:
    """The response body as botocore reads it (``stream()``)."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def region_of(headers: dict[str, str], host: str | None) -> str | None:
    """The client's region: the SigV4 credential scope's, else the AWS host name's, else None."""
    found = _SCOPE.search(headers.get("authorization", ""))
    if found:
        return found.group(1)
    found = _HOST.search(host or "")
    return found.group(1) if found else None


def request_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    data = body.read()   # a file-like body (not what the JSON protocol sends, but botocore allows it)
    if hasattr(body, "seek"):
        body.seek(0)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def before_send(request, **_) -> AWSResponse | None:
    """botocore's ``before-send`` handler: the innermost active mock's answer, or None (send for real)."""
    mock = innermost()
    if mock is None:
        return None
    url = urlsplit(request.url)
    headers = {}
    for name, value in request.headers.items():
        headers[name.lower()] = value.decode("latin-1") if isinstance(value, bytes) else value
    body = request_bytes(request.body)
    rid = wire.request_id()
    if len(body) > DEFAULT_MAX_BODY:   # the server refuses it before reading it (app.py); so does the mock
        status, out = wire.error_body(RequestEntityTooLargeException(
            f"Request body of {len(body)} bytes is over the limit of {DEFAULT_MAX_BODY} bytes"))
    else:
        region = region_of(headers, url.hostname) or mock.region
        status, out = mock.dispatcher(region).answer(rid, request.method, url.path or "/", url.query, headers, body)
    return AWSResponse(request.url, status, {k.decode(): v.decode() for k, v in wire.headers(out, rid)}, _Raw(out))


def _install() -> None:
    for event in EVENTS:
        if (event, before_send) not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append((event, before_send))


_install()

"""The HTTP/1.1 connection layer: uvicorn's httptools protocol with resource limits on what a client may make the
server hold before a request reaches the application, and the global budget of request-body bytes in flight.

Limits (``HttpLimits``; ``serve`` options, docs/server.md):
* request line (method, target, version) longer than ``max_request_line`` bytes, more than ``max_headers`` header
  fields, or more than ``max_header_bytes`` bytes of header block -> ``400`` with a plain-text reason and the
  connection closed, as an HTTP front end answers ("HTTP request headers or request line too large"); nothing of
  the request runs. The header block is counted as it arrives, so a client cannot make the server buffer one
  endless header line either.
* bodies: ``BodyBudget`` is the number of body bytes all requests of this process may hold at once. The application
  reserves a request's Content-Length before reading any of it and gives it back when the request is done; a
  request that cannot get its share within the body-read timeout is refused with ThrottlingException (400, which
  SDKs retry). Until a body is admitted its connection is not read from (uvicorn pauses reading past 64 KiB), so a
  hundred slow 15 MiB uploads hold at most the budget, not 1.5 GB.

Thread-safety: all of it runs on the event loop of its process; ``HttpLimits.current`` is set once per process by
``Server`` before the first connection.
"""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from dataclasses import dataclass

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("logstore.server")
TOO_LARGE = "HTTP request headers or request line too large"
MAX_REQUEST_LINE = 16 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100


@dataclass(frozen=True, slots=True)
class HttpLimits:
    max_request_line: int = MAX_REQUEST_LINE
    max_header_bytes: int = MAX_HEADER_BYTES
    max_headers: int = MAX_HEADERS

    def __post_init__(self) -> None:
        for name in ("max_request_line", "max_header_bytes", "max_headers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


# A request's scope holds this key, True, once its whole body has arrived (with its head, for most requests): the
# application's first ``receive`` then returns at once, and it reads the body with no timer armed (app.py _body).
BODY_COMPLETE = "logstore.body_complete"

_current = HttpLimits()
_in_flight = 0   # this process's requests whose head has been read and whose response is not complete


def requests_in_flight() -> int:
    """This process's requests whose head has been read and whose response is not yet complete (nor their
    connection lost): 1 while the caller's own request is the only one. Counted as heads are parsed, so the
    requests that arrived in one event-loop step are all counted before the first of them runs."""
    return _in_flight


def configure(limits: HttpLimits) -> None:
    """The limits every connection of this process gets (``Server`` calls it at construction)."""
    global _current
    _current = limits


class _HeadTooLarge(Exception):
    pass


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing request heads over the limits of ``configure``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limits = _current
        self._in_head = True      # between the start of a message and its headers' end
        self._head_seen = 0       # bytes received while in the head of the current message
        self._header_count = 0
        self._header_bytes = 0
        self._counted = 0         # this connection's requests in ``requests_in_flight``

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_seen, self._header_count, self._header_bytes = True, 0, 0, 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self._limits.max_request_line:
            raise _HeadTooLarge("request line")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value) + 4
        if self._header_count > self._limits.max_headers or self._header_bytes > self._limits.max_header_bytes:
            raise _HeadTooLarge("headers")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        global _in_flight
        self._in_head = False
        cycle = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not cycle:   # a request (not an upgrade): in flight
            self._counted += 1
            _in_flight += 1
        if self.cycle is not None and not isinstance(self.cycle.transport, _OneWriteResponses):
            self.cycle.transport = _OneWriteResponses(self.transport, self.loop)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        cycle = self.cycle
        if cycle is not None and not cycle.more_body:   # the body is whole in the cycle's buffer, unread
            cycle.scope[BODY_COMPLETE] = True

    def on_response_complete(self) -> None:
        self._uncount(1)
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._uncount(self._counted)   # its requests not answered (and any queued behind them) are gone
        super().connection_lost(exc)

    def _uncount(self, n: int) -> None:
        global _in_flight
        n = min(n, self._counted)
        self._counted -= n
        _in_flight -= n

    def data_received(self, data: bytes) -> None:
        """uvicorn's, telling a head over the limits (raised from a parser callback) from a malformed request."""
        if self.parser is None:   # already refused and closing
            return
        self._unset_keepalive_if_required()
        if self._in_head:
            self._head_seen += len(data)
            if self._head_seen > self._limits.max_request_line + self._limits.max_header_bytes + 64 * 1024:
                return self._refuse()   # one endless line: the parser would buffer it whole
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                return self._refuse()
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserError:
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _refuse(self) -> None:
        log.warning("refused a request from %s: %s", self.client, TOO_LARGE)
        self.send_400_response(TOO_LARGE)


JOIN_BELOW = 64 * 1024   # _OneWriteResponses: a body this large goes out beside its head, not copied behind it


class _OneWriteResponses:
    """The transport as a request's response cycle sees it: a response head is held back until its body is
    written (in the same event-loop step, as the application sends them), and both go out in one write: one
    ``send`` system call and one TCP segment per small response, not two. A head with no body following in the
    same step is written at the end of the step; ``close`` writes a held head first. Everything else is the
    transport's own."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport, self._loop = transport, loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._held is not None:
            head, self._held = self._held, None
            if len(data) >= JOIN_BELOW:   # a large body (a GetRecords page): one writev, not a copy of the body
                return self._transport.writelines((head, data))
            return self._transport.write(head + data)
        if data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 100 "):
            self._held = data
            self._loop.call_soon(self._flush)
            return None
        self._transport.write(data)

    def _flush(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class BodyBudget:
    """Bytes of request bodies this process holds at once, at most ``limit``. ``acquire(n, timeout)`` waits, in
    arrival order, until ``n`` bytes are free (False if the timeout passes first); ``release(n)`` gives them back.
    Event-loop only."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError("the body budget must be at least 1 byte")
        self.limit = limit
        self.used = 0
        self._waiters: list[tuple[int, asyncio.Future]] = []

    async def acquire(self, n: int, timeout: float) -> bool:
        n = min(n, self.limit)   # a body larger than the whole budget waits for all of it
        if not self._waiters and self.used + n <= self.limit:
            self.used += n
            return True
        fut = asyncio.get_running_loop().create_future()
        entry = (n, fut)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout)
            return True
        except asyncio.TimeoutError:
            if fut.done() and not fut.cancelled():
                return True   # granted just as the time ran out: keep it
            return False
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)
                self._wake()

    def release(self, n: int) -> None:
        self.used -= min(n, self.limit)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            n, fut = self._waiters[0]
            if fut.done():
                self._waiters.pop(0)
                continue
            if self.used + n > self.limit:
                return
            self.used += n
            self._waiters.pop(0)
            fut.set_result(True)


def return_freed_memory_to_the_os() -> None:
    """glibc raises its mmap threshold after large blocks are freed, so later large bodies come from the heap and
    are never given back; fixing the threshold at 1 MiB keeps every body-sized block its own mapping, returned to
    the OS when freed. Fixing it also fixes the trim threshold, at 128 KiB unless set: the heap's free top was then
    given back after every GetRecords page (about a megabyte of blocks under 1 MiB, freed together) and faulted in
    again for the next, 40 % of the server's CPU for a page; at 4 MiB a page's blocks are kept for the next, and
    no more than that beyond what is in use is kept. No-op elsewhere."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(-3, 1 << 20)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 4 << 20)   # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass

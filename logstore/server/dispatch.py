"""The per-request core of the server, without HTTP: one AWS JSON 1.0 request in, ``(status, body bytes)`` out.

``Dispatcher.answer(rid, method, path, query, headers, body)`` runs, in this order: SigV4 (auth.py) ->
``X-Amz-Target`` (``DynamoDB_20120810.<Op>`` or ``DynamoDBStreams_20120810.<Op>``; anything else, or an operation
the engine does not offer, is UnknownOperationException) -> JSON (wire.decode) -> member types against botocore's
model (api/members.py, the check the embedded store makes too) -> the engine's ``Store.call`` -> JSON out
(wire.encode; GetRecords' body comes whole from ``Store.get_records_json``, rendered from the stored records). An
``AwsError`` becomes AWS's envelope; a ``StorageError`` InternalServerError saying only what kind (the disk is
full, the store is damaged), logged; anything else is logged with the request id and becomes InternalServerError
with no details.

``submit`` is ``answer`` for the single-item writes without a thread waiting for the commit: checked on the
caller's thread (the event loop's), committed by the store's committer thread, answered through a callback.

Two callers, one path: the ASGI application (app.py: on its event loop for bounded reads and, through ``submit``,
the single-item writes; on a pool thread for the rest) and the in-process mock (logstore.testing, on the client's
own thread, from botocore's ``before-send`` event). This module imports no HTTP server, so the mock never loads
uvicorn.

``holder`` is anything with ``enter() -> Store`` and ``leave()`` (app.py's ``StoreHolder``, which lets a reset wait
for calls in flight). Thread-safety: stateless beyond its collaborators, which are safe to share.
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol

from logstore.api import Store, members
from logstore.api.operations import ROUTES
from logstore.errors import (AwsError, CorruptionError, DiskFullError, InternalServerError, StorageError,
                             UnknownOperationException)

from . import wire
from .auth import Verifier

log = logging.getLogger("logstore.server")

ENGINE_OPERATIONS = ROUTES   # X-Amz-Target prefix -> operation -> Store method: the one table (api/operations.py)


class Holder(Protocol):
    def enter(self) -> Store: ...

    def leave(self) -> None: ...


class Dispatcher:
    def __init__(self, verifier: Verifier, holder: Holder):
        self.verifier, self.holder = verifier, holder

    def answer(self, rid: str, method: str, path: str, query: str, headers: dict[str, str],
               body: bytes) -> tuple[int, bytes]:
        """One AWS request (``headers``: lower-case names -> values): (HTTP status, response body)."""
        operation = "?"
        try:
            operation, request = self._request(method, path, query, headers, body)
            store = self.holder.enter()
            try:
                if operation == "GetRecords":   # the body straight from stored bytes, no dict per record
                    return 200, store.get_records_json(request)
                response = store.call(operation, request, from_json=True)
            finally:
                self.holder.leave()
            return 200, wire.encode_response(operation, response)
        except Exception as exc:
            return self.failure(rid, operation, exc)

    def submit(self, rid: str, method: str, path: str, query: str, headers: dict[str, str], body: bytes,
               answer: Callable[[int, bytes], None]) -> None:
        """``answer`` for the single-item writes (``Store.SUBMITTABLE``), without waiting for the commit: the
        request is verified, decoded and validated on the caller's thread, then committed by the store's
        committer thread (``Store.submit``); ``answer(status, body)`` is called once, on the committer thread
        after the commit returned, or here at once for a request refused before it reached the engine."""
        operation = "?"
        try:
            operation, request = self._request(method, path, query, headers, body)
            store = self.holder.enter()
        except Exception as exc:
            return answer(*self.failure(rid, operation, exc))

        def done(response: dict | None, error: BaseException | None) -> None:
            self.holder.leave()
            if error is None:
                try:
                    return answer(200, wire.encode_response(operation, response or {}))
                except Exception as exc:
                    error = exc
            answer(*self.failure(rid, operation, error if isinstance(error, Exception) else Exception(error)))
        try:
            store.submit(operation, request, done, from_json=True)
        except Exception as exc:   # refused before anything was submitted
            self.holder.leave()
            answer(*self.failure(rid, operation, exc))

    def _request(self, method: str, path: str, query: str, headers: dict[str, str],
                 body: bytes) -> tuple[str, dict]:
        """SigV4, the target, JSON, member types: (operation, request) for the engine, or the AwsError."""
        self.verifier.verify(method, path, query, headers, body)
        prefix, _, operation = headers.get("x-amz-target", "").partition(".")
        engine_ops = ENGINE_OPERATIONS.get(prefix)
        if not engine_ops or operation not in engine_ops:
            raise UnknownOperationException()
        return operation, members.checked(operation, wire.decode(body), from_json=True)

    def failure(self, rid: str, operation: str, exc: Exception) -> tuple[int, bytes]:
        """The answer to a request that failed with ``exc``: an AwsError's own envelope; the engine's trouble
        (StorageError) an InternalServerError saying what kind; anything else an InternalServerError, logged."""
        if isinstance(exc, AwsError):
            if isinstance(exc, InternalServerError):
                log.error("request %s (%s): internal error: %s", rid, operation, exc.message)
            return wire.error_body(exc)
        if isinstance(exc, StorageError):   # the engine's own trouble: AWS's 500, saying what kind, details logged
            log.error("request %s (%s): %s: %s", rid, operation, type(exc).__name__, exc)
            return wire.error_body(InternalServerError(storage_message(exc)))
        # the border: nothing unexpected reaches the client
        log.error("request %s (%s): unexpected error", rid, operation, exc_info=(type(exc), exc, exc.__traceback__))
        return wire.error_body(InternalServerError())


def storage_message(exc: StorageError) -> str:
    """What a client is told of the engine's own trouble: that the disk is full, or that the store is damaged
    (where is in the server's log), else nothing more than AWS's default."""
    if isinstance(exc, DiskFullError):
        return ("The server's disk is full: the request was not applied (nothing of it was written). Retry once "
                "space has been freed.")
    if isinstance(exc, CorruptionError):
        return "The store is damaged where this request reads it; the server's log says where."
    return InternalServerError.default_message

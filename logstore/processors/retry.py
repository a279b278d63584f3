"""Retrying calls to a DynamoDB (Streams) endpoint the way AWS's own consumers do: throttling and transient
failures are retried with capped exponential backoff and full jitter; anything else is the caller's to handle.

* **Throttling** (``classify`` -> ``"throttle"``): LimitExceededException (GetRecords over its per-shard rate),
  ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded, and an HTTP 429.
* **Transient** (``"transient"``): an HTTP 5xx answer (InternalServerError, ServiceUnavailable...), and the
  connection failing (refused, reset, closed mid-answer, timed out: botocore's connection and HTTP client errors,
  or the builtin ConnectionError / TimeoutError of any other client).
* Everything else (validation, a missing table, a conditional check, credentials) is not retried here.

The pause before retry ``n`` (0-based) is ``uniform(0, min(cap_s, base_s * 2**n))`` ("full jitter", AWS
Architecture Blog, "Exponential Backoff And Jitter"). The sleep and the random source are injected: a
processor sleeps on its stop event (so a stop ends the pause at once) and tests pass their own.

Errors from boto3 (botocore ``ClientError``) and from an embedded ``Store`` (``logstore.errors.AwsError``) are
both understood (``error_code``), so the same code drives a lease table in a local store or in AWS.

Thread-safety: a ``Retrier`` is shared by the threads of a processor; its counters are behind a lock, and it
keeps the random source behind the same lock.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

log = logging.getLogger("logstore.processors")
# A first contact (finding the stream, the lease table) gives up after 4 transient failures but only after this
# many throttled answers: instances starting at once are throttled together, and a throttle is an answer.
STARTUP_THROTTLE_ATTEMPTS = 20
T = TypeVar("T")

THROTTLING_CODES = frozenset({"LimitExceededException", "ProvisionedThroughputExceededException",
                              "ThrottlingException", "Throttling", "RequestLimitExceeded",
                              "TooManyRequestsException"})
TRANSIENT_CODES = frozenset({"InternalServerError", "InternalFailure", "ServiceUnavailable",
                             "ServiceUnavailableException", "InternalServerErrorException"})


def error_code(e: BaseException) -> str | None:
    """The AWS error code of ``e``: botocore's ``response["Error"]["Code"]``, or a logstore AwsError's code."""
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    code = getattr(type(e), "code", None)
    if callable(code):   # logstore.errors.AwsError: the class name is the code
        code = code()
    return code if isinstance(code, str) else None


def _status(e: BaseException) -> int | None:
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        return response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    status = getattr(type(e), "http_status", None)
    return status if isinstance(status, int) else None


def _connection_failure(e: BaseException) -> bool:
    try:
        from botocore import exceptions as bx
    except ImportError:   # pragma: no cover - boto3 is optional for the embedded mode
        bx = None
    if bx is not None and isinstance(e, (bx.HTTPClientError, bx.ConnectionError)):
        return True
    return isinstance(e, (ConnectionError, TimeoutError))


def classify(e: BaseException) -> str | None:
    """``"throttle"``, ``"transient"`` or None (not retried here)."""
    code = error_code(e)
    if code in THROTTLING_CODES:
        return "throttle"
    status = _status(e)
    if status == 429:
        return "throttle"
    if code in TRANSIENT_CODES or (status is not None and status >= 500):
        return "transient"
    if code is None and _connection_failure(e):
        return "transient"
    return None


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with full jitter."""
    base_s: float = 0.05
    cap_s: float = 5.0

    def __post_init__(self) -> None:
        if not (0 < self.base_s <= self.cap_s):
            raise ValueError(f"backoff needs 0 < base_s <= cap_s, not {self.base_s}, {self.cap_s}")

    def ceiling(self, attempt: int) -> float:
        return min(self.cap_s, self.base_s * 2 ** min(attempt, 62))


class Retrier:
    """Runs calls, retrying throttling and transient failures (see the module docstring). ``sleep(seconds)``
    returns True when the wait was cut short by a stop (then ``call`` raises ``Interrupted``); ``max_attempts``
    None retries for as long as it takes. With ``max_attempts``, throttled answers have their own allowance,
    ``throttle_attempts`` (default: the same): a throttle is an answer, so a caller that gives up soon on an
    endpoint that is down may still wait out the throttling of many instances starting at once."""

    def __init__(self, backoff: Backoff = Backoff(), *, sleep: Callable[[float], bool] | None = None,
                 rng: random.Random | None = None, max_attempts: int | None = None,
                 throttle_attempts: int | None = None, what: str = "processor"):
        self.backoff = backoff
        self.sleep = sleep or (lambda s: time.sleep(s) or False)
        self.rng = rng or random.Random()
        self.max_attempts = max_attempts
        self.throttle_attempts = throttle_attempts if throttle_attempts is not None else max_attempts
        self.what = what
        self._lock = threading.Lock()
        self.throttles = 0
        self.transient = 0

    def pause(self, attempt: int) -> float:
        with self._lock:
            return self.rng.uniform(0, self.backoff.ceiling(attempt))

    def count(self, kind: str) -> None:
        with self._lock:
            if kind == "throttle":
                self.throttles += 1
            else:
                self.transient += 1

    def call(self, fn: Callable[..., T], *args, on_retry: Callable[[str, BaseException], None] | None = None,
             **kwargs) -> T:
        attempt = 0
        tries = {"throttle": 0, "transient": 0}
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as e:  # classified; what is not retried is raised again
                kind = classify(e)
                if kind is None:
                    raise
                tries[kind] += 1
                limit = self.throttle_attempts if kind == "throttle" else self.max_attempts
                if limit is not None and tries[kind] >= limit:
                    raise
                self.count(kind)
                if on_retry is not None:
                    on_retry(kind, e)
                delay = self.pause(attempt)
                log.warning("%s: %s (%s), retry %d in %.0f ms", self.what, _describe(e),
                            "throttled" if kind == "throttle" else "transient", attempt + 1, delay * 1000)
                if self.sleep(delay):
                    raise Interrupted() from e
                attempt += 1


class Interrupted(Exception):
    """A retry pause was cut short by a stop."""


def _describe(e: BaseException) -> str:
    code = error_code(e)
    return code if code else f"{type(e).__name__}: {e}"

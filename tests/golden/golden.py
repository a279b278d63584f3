"""The golden wire runner: sends the scenario's requests (scenario.py) to a target — a real ``logstore serve`` over
HTTP, or an embedded store answered through the server's own JSON encoder — and normalises each response body so
that only what truly varies between runs is replaced:

* stream labels (``2026-12-03T07:56:26.123``, inside stream ARNs) -> ``<label:N>``
* shard ids (``shardId-<20 digits>-<8 hex>``: creation time and a random salt) -> ``<shard:N>``
* shard iterators (signed with the store's random key, with a random nonce) -> ``<iterator:N>``
* table ids (random UUIDs) -> ``<table-id:N>``
* eventIDs (keyed by the store's random event key) -> ``<event-id:N>``
* times (``...DateTime`` members, epoch seconds) -> ``"<time>"``

N numbers the distinct values in the order the scenario first met them, so a request can name one
(``<iterator:2>``) and the runner sends the value this run's response carried. Everything else in the body is
compared byte for byte. Request ids and the CRC32 header are headers, not bodies.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import requests

FIXTURE = Path(__file__).with_name("wire.json")
_ITERATOR = re.compile(rb'"(?:Next)?ShardIterator":"([^"]+)"')
_LABEL = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}")
_SHARD = re.compile(rb"shardId-\d{20}-[0-9a-f]{8}")
_TABLE_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EVENT_ID = re.compile(rb'"eventID":"([0-9a-f]{32})"')
_TIME = re.compile(rb'"(\w*DateTime)":-?[0-9.eE+-]+')
_PLACEHOLDER = re.compile(r"<(label|shard|iterator|table-id|event-id):(\d+)>")


class Normaliser:
    """Run-varying values <-> numbered placeholders, for one run of the scenario."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, int], bytes] = {}
        self.names: dict[bytes, bytes] = {}

    def _name(self, kind: str, value: bytes) -> bytes:
        name = self.names.get(value)
        if name is None:
            n = 1 + sum(1 for k, _ in self.values if k == kind)
            self.values[(kind, n)] = value
            name = self.names[value] = f"<{kind}:{n}>".encode()
        return name

    def body(self, raw: bytes) -> str:
        out = _ITERATOR.sub(lambda m: m.group(0).replace(m.group(1), self._name("iterator", m.group(1))), raw)
        out = _SHARD.sub(lambda m: self._name("shard", m.group(0)), out)
        out = _TABLE_ID.sub(lambda m: self._name("table-id", m.group(0)), out)
        out = _EVENT_ID.sub(lambda m: m.group(0).replace(m.group(1), self._name("event-id", m.group(1))), out)
        out = _LABEL.sub(lambda m: self._name("label", m.group(0)), out)
        out = _TIME.sub(lambda m: b'"' + m.group(1) + b'":"<time>"', out)
        return out.decode()

    def request(self, request: dict) -> bytes:
        """The request's JSON with this run's values in place of the placeholders (an unknown placeholder is
        sent as written)."""
        text = json.dumps(request, separators=(",", ":"))

        def real(m: re.Match) -> str:
            value = self.values.get((m.group(1), int(m.group(2))))
            return value.decode() if value is not None else m.group(0)
        return _PLACEHOLDER.sub(real, text).encode()


class HttpTarget:
    """A running ``logstore serve`` (no signing configured, so unsigned requests are accepted)."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()

    def send(self, prefix: str, operation: str, body: bytes) -> tuple[int, bytes]:
        r = self.session.post(self.url + "/", data=body, timeout=30,
                              headers={"Content-Type": "application/x-amz-json-1.0",
                                       "X-Amz-Target": f"{prefix}.{operation}"})
        return r.status_code, r.content


class EmbeddedTarget:
    """An embedded store, answered as the server would encode its answer (logstore.server.wire). The request is
    what a Python caller passes: the JSON with blobs as bytes (converted by the member-type walker's wire door,
    api/members.py, when the request passes it; otherwise the JSON as it is, so the embedded door's own walk
    answers)."""

    def __init__(self, store):
        self.store = store

    def send(self, prefix: str, operation: str, body: bytes) -> tuple[int, bytes] | None:
        """None for an exchange that only exists at the HTTP border (an unknown target or operation)."""
        from logstore.api.store import OPERATIONS, STREAMS_OPERATIONS
        from logstore.api import members
        from logstore.errors import AwsError, SerializationException
        from logstore.server import wire
        if operation not in {"DynamoDB_20120810": OPERATIONS, "DynamoDBStreams_20120810": STREAMS_OPERATIONS}[prefix]:
            return None
        request = json.loads(body)
        try:
            request = members.checked(operation, request, from_json=True)
        except SerializationException:
            pass
        try:
            return 200, wire.encode_response(operation, self.store.call(operation, request))
        except AwsError as exc:
            return wire.error_body(exc)
        except Exception as exc:  # recorded: the embedded API has no border turning it into JSON
            return 0, f"{type(exc).__name__}: {exc}".encode()


def run(target, steps) -> list[dict | None]:
    """Every step's exchange: {"target", "operation", "request", "status", "body"} (body normalised); None for a
    step the target does not take."""
    norm = Normaliser()
    out = []
    for prefix, operation, request in steps:
        answer = target.send(prefix, operation, norm.request(request))
        if answer is None:
            out.append(None)
            continue
        status, raw = answer
        out.append({"target": prefix, "operation": operation, "request": request, "status": status,
                    "body": norm.body(raw)})
    return out


def load() -> list[dict]:
    return json.loads(FIXTURE.read_text())

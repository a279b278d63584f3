"""Helpers of the mock tests (``from mockhelpers import ...``): table definitions and a socket audit."""
from __future__ import annotations

import sys
import threading

KEY = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
       "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
       "BillingMode": "PAY_PER_REQUEST"}
STREAM = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def create_table(client, name: str, stream: bool = True) -> dict:
    return client.create_table(TableName=name, **KEY, **(STREAM if stream else {}))["TableDescription"]


class SocketAudit:
    """Records every socket connect, bind and name lookup made while it is recording (an audit hook: nothing is
    patched; a hook cannot be removed, so one is installed per process and switched on and off)."""

    EVENTS = ("socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto")
    _installed = None

    def __init__(self):
        self.events: list[tuple[str, tuple]] = []
        self.recording = False
        self._lock = threading.Lock()

    @classmethod
    def get(cls) -> "SocketAudit":
        if cls._installed is None:
            audit = cls._installed = cls()
            sys.addaudithook(audit._hook)
        return cls._installed

    def _hook(self, event: str, args: tuple) -> None:
        if self.recording and event in self.EVENTS:
            with self._lock:
                self.events.append((event, tuple(repr(a) for a in args)))

    def __enter__(self) -> "SocketAudit":
        self.events = []
        self.recording = True
        return self

    def __exit__(self, *exc) -> None:
        self.recording = False

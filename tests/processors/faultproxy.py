"""A loopback HTTP proxy that injects the faults a real DynamoDB (Streams) endpoint shows, in front of a real
``logstore serve``: throttling answers (LimitExceededException for GetRecords, ProvisionedThroughputExceeded /
ThrottlingException for DynamoDB), 500s, ExpiredIteratorException, connections dropped before or after the
request reached the server (the answer lost), and slow answers. Faults are drawn from a seeded RNG (from
``kinds``, default all); counts of each are kept, and the most GetRecords calls it has had in flight at once
(``max_get_records_in_flight``). Tests only."""
from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

PREFIX = "com.amazonaws.dynamodb.v20120810#"


class FaultProxy:
    def __init__(self, upstream: str, seed: int, rate: float = 0.2, slow_s: float = 0.3,
                 kinds: tuple[str, ...] | None = None):
        self.upstream = urlparse(upstream)
        self.kinds = kinds
        self.get_records_in_flight = self.max_get_records_in_flight = 0
        self.rng = random.Random(seed)
        self.rate = rate
        self.slow_s = slow_s
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.enabled = True
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._forward(b"")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._forward(body)

            def _forward(self, body: bytes):
                target = self.headers.get("X-Amz-Target", "")
                if not target.endswith("GetRecords"):
                    return self._pass(body, target)
                with proxy.lock:
                    proxy.get_records_in_flight += 1
                    proxy.max_get_records_in_flight = max(proxy.max_get_records_in_flight,
                                                          proxy.get_records_in_flight)
                try:
                    self._pass(body, target)
                finally:
                    with proxy.lock:
                        proxy.get_records_in_flight -= 1

            def _pass(self, body: bytes, target: str):
                fault = proxy.draw(target)
                if fault == "drop_before":
                    return self._drop()
                if fault in ("throttle", "error500", "expired"):
                    return self._error(fault, target)
                if fault == "slow":
                    time.sleep(proxy.slow_s)
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                if fault == "drop_after":       # the server did it; the client never hears
                    return self._drop()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _drop(self):
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def _error(self, fault: str, target: str):
                if fault == "error500":
                    status, code = 500, "InternalServerError"
                elif fault == "expired":
                    status, code = 400, "ExpiredIteratorException"
                elif target.startswith("DynamoDBStreams"):
                    status, code = 400, "LimitExceededException"
                else:
                    status, code = 400, proxy.rng.choice(["ProvisionedThroughputExceededException",
                                                          "ThrottlingException"])
                data = json.dumps({"__type": PREFIX + code, "message": f"injected {code}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def draw(self, target: str) -> str | None:
        with self.lock:
            if not self.enabled or not target or self.rng.random() >= self.rate:
                return None
            kinds = ["throttle", "error500", "drop_before", "drop_after", "slow"]
            if target.endswith("GetRecords"):
                kinds.append("expired")
            if self.kinds is not None:
                kinds = [k for k in kinds if k in self.kinds] or [None]
            fault = self.rng.choice(kinds)
            if fault is None:
                return None
            self.counts[fault] = self.counts.get(fault, 0) + 1
            return fault

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

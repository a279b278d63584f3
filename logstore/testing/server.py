"""A real ``logstore serve`` child process for tests that need an endpoint URL (subprocesses, other languages'
SDKs, aiobotocore): ``LiveServer(path).start()`` runs ``python -m logstore serve PATH --port 0
--enable-test-endpoints`` on 127.0.0.1, reads the port it printed, and waits until ``GET /`` answers.

The handle mirrors the mock's where it can: ``endpoint_url``, ``env`` (the variables that point an unmodified AWS
SDK at it), ``reset()`` (wipe every table and stream), ``advance(...)`` (move the server's clock and run one
maintenance round: shards roll over, records past retention are trimmed, TTL items expire), ``records(table)``.
``stop()`` sends SIGTERM and waits (then kills, bounded).

Uses only the standard library's HTTP client (test endpoints and the Streams API are plain JSON POSTs; the server
accepts unsigned requests when it has no access keys). Thread-safety: one owner (a fixture).
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time

from . import timeline
from .lineage import records_along_lineage

_PORT = re.compile(rb"running on http://127\.0\.0\.1:(\d+)")
TARGETS = {"ListStreams": "DynamoDBStreams_20120810", "DescribeStream": "DynamoDBStreams_20120810",
           "GetShardIterator": "DynamoDBStreams_20120810", "GetRecords": "DynamoDBStreams_20120810"}


class LiveServer:
    def __init__(self, path: str | os.PathLike, *, region: str = "us-east-1", args: tuple[str, ...] = ()):
        self.path = os.fspath(path)
        self.region = region
        self.args = list(args)
        self.log_path = self.path.rstrip("/") + ".log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What points an AWS SDK (boto3, the AWS CLI, others) at this server, with dummy credentials."""
        return {"AWS_ENDPOINT_URL_DYNAMODB": self.endpoint_url, "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": self.region,
                "LOGSTORE_ENDPOINT_URL": self.endpoint_url}

    def start(self, timeout: float = 60.0) -> "LiveServer":
        with open(self.log_path, "ab") as log:
            start_at = log.tell()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "logstore", "serve", self.path, "--port", "0", "--enable-test-endpoints",
                 "--maintenance-interval", "0", "--region", self.region, "--log-level", "info", *self.args],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start_at)
                found = _PORT.search(f.read())
            if found:
                self.port = int(found.group(1))
                while time.monotonic() < deadline:
                    try:
                        if self._request("GET", "/", b"", {})[0] == 200:
                            return self
                    except OSError:
                        time.sleep(0.05)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"logstore serve did not start within {timeout} s:\n{self.log()[-3000:]}")

    def stop(self, timeout: float = 30.0) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(timeout)

    def log(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- requests ------------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def _post(self, path: str, payload: dict, target: str | None = None) -> dict:
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        if target:
            headers["X-Amz-Target"] = target
        status, body = self._request("POST", path, json.dumps(payload).encode(), headers)
        answer = json.loads(body or b"{}")
        if status != 200:
            raise RuntimeError(f"{path} {target or ''}: HTTP {status}: {answer}")
        return answer

    def call(self, operation: str, **request) -> dict:
        """A Streams API call as JSON (what ``records`` reads with)."""
        return self._post("/", request, f"{TARGETS[operation]}.{operation}")

    def reset(self) -> None:
        """Wipe every table and stream, and set the clock back to the system's."""
        self._post("/moto-api/reset", {})

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> dict:
        """Move the server's clock forward and run maintenance as the mock does (timeline.py: a round per simulated
        hour, at most 240): shards roll over, records past retention are trimmed, TTL items expire."""
        now = None
        for step in timeline.steps(timeline.total_ms(seconds, minutes, hours, days)):
            now = self._post("/logstore-admin/advance-clock", {"Seconds": step / 1000})["NowMs"]
            self._post("/logstore-admin/maintain", {})
        return {"now_ms": now}

    def records(self, table: str) -> list[dict]:
        """Every readable record of the table's latest stream along lineage, as the wire carries them."""
        return records_along_lineage(self.call, table)

"""Helpers of the server integration tests (imported as ``from serverhelpers import ...``): a ``logstore serve``
child process on 127.0.0.1 with an ephemeral port, boto3 clients for it, raw and SigV4-signed requests, reading a
shard to its end."""
from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import boto3
import requests
from botocore.config import Config

REGION = "us-east-1"
_names = itertools.count()


class ServerProcess:
    """A ``logstore serve`` child process over ``path``. ``start`` waits until it listens."""

    def __init__(self, path, log_path, *args: str):
        self.path, self.log_path, self.args = str(path), str(log_path), list(args)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "ServerProcess":
        log = open(self.log_path, "ab")
        start_at = log.tell()
        self.proc = subprocess.Popen([sys.executable, "-m", "logstore", "serve", self.path, "--port", "0",
                                      "--maintenance-interval", "0", *self.args],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start_at)
                m = re.search(rb"running on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                while time.monotonic() < deadline:              # with --workers, the port opens first
                    try:
                        if requests.get(self.url + "/", timeout=2).status_code == 200:
                            return self
                    except requests.ConnectionError:
                        pass
                    time.sleep(0.05)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.log()}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def client(self, service: str, **kwargs):
        kwargs.setdefault("aws_access_key_id", "test")
        kwargs.setdefault("aws_secret_access_key", "test")
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}), **kwargs)

    def post(self, target: str | None, body, headers: dict | None = None) -> requests.Response:
        h = {"Content-Type": "application/x-amz-json-1.0"}
        if target is not None:
            h["X-Amz-Target"] = target
        h.update(headers or {})
        data = body if isinstance(body, (bytes, str)) else __import__("json").dumps(body)
        return requests.post(self.url + "/", data=data, headers=h, timeout=30)

    def admin(self, path: str, body: dict | None = None) -> dict:
        r = requests.post(self.url + path, json=body or {}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{next(_names)}-{uuid.uuid4().hex[:6]}"


def read_shard(streams, arn: str, shard_id: str, kind: str = "TRIM_HORIZON", **extra) -> list[dict]:
    """Every record of a shard from ``kind`` up to now (or to its end, if closed)."""
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind,
                                    **extra)["ShardIterator"]
    out = []
    while it:
        page = streams.get_records(ShardIterator=it, Limit=1000)
        out += page["Records"]
        if not page["Records"]:
            break
        it = page.get("NextShardIterator")
    return out


def env_for_children() -> dict:
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    env.pop("AWS_PROFILE", None)
    return env


def signed_headers(url: str, target: str, body: bytes, akid: str, secret: str, when=None,
                   region: str = REGION) -> dict:
    """Headers of a SigV4-signed AWS JSON request made at ``when`` (a datetime; default now), signed by botocore."""
    import datetime

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    when = when or datetime.datetime.now(datetime.timezone.utc)
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    request = AWSRequest(method="POST", url=url + "/", data=body,
                         headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target,
                                  "X-Amz-Date": stamp, "Host": url.split("//", 1)[1]})
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(akid, secret), "dynamodb", region)
    signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    signer._inject_signature_to_request(request, signature)
    return dict(request.headers.items())

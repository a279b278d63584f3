"""Helpers of the console tests (``from consolehelpers import ...``): a browser-like HTTP session over the console
(cookies kept, the CSRF token read from the page's forms), tables with a known history, and the read-only
``logstore console`` child process."""
from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from urllib.parse import quote

import requests

from serverhelpers import unique


class Browser:
    """A requests session that behaves like a browser on the console: cookies, same-origin form posts."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.s = requests.Session()

    def get(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.s.get(self.base + path, **kw)

    def csrf(self, page: str) -> str:
        m = re.search(r'name="csrf" value="([^"]+)"', page)
        assert m, "no CSRF field on the page"
        return html.unescape(m.group(1))

    def post(self, path: str, data: dict, origin: bool = True, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        headers = {"Origin": self.base.split("/console")[0]} if origin else {}
        return self.s.post(self.base + path, data=data, headers=headers, **kw)


def q(text: str) -> str:
    return quote(text, safe="")


def make_table(ddb, items: int = 0, name: str | None = None, range_key: bool = True) -> tuple[str, str]:
    """A table (pk S, sk N) with a NEW_AND_OLD_IMAGES stream and ``items`` items; (name, stream ARN)."""
    name = name or unique("con")
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
    out = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=keys,
                           AttributeDefinitions=attrs,
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    for i in range(items):
        item = {"pk": {"S": f"p{i % 5}"}, "n": {"N": str(i)}, "note": {"S": f"item <{i}> & co"}}
        if range_key:
            item["sk"] = {"N": str(i)}
        ddb.put_item(TableName=name, Item=item)
    return name, out["TableDescription"]["LatestStreamArn"]


class ConsoleProcess:
    """``logstore console PATH --port 0``; ``url`` from the line it prints."""

    def __init__(self, path, log_path):
        self.path, self.log_path = str(path), str(log_path)
        self.proc = None
        self.url = None

    def start(self, timeout: float = 30.0) -> "ConsoleProcess":
        self.proc = subprocess.Popen([sys.executable, "-m", "logstore", "console", self.path, "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=open(self.log_path, "wb"),
                                     stdin=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/console/)", line)
        assert m, f"no URL printed: {line!r}; {open(self.log_path).read()}"
        self.url = m.group(1)
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"console did not answer: {open(self.log_path).read()}")

    def stop(self) -> int:
        if self.proc is None:
            return 0
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return open(self.log_path).read()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

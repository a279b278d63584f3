"""Fixtures of the console tests: a real ``logstore serve`` (test endpoints on, so tests can split shards and
move the clock) with a known history, driven by real boto3 and by HTTP (requests) or a real Chromium."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))   # serverhelpers

from serverhelpers import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("console-server")
    proc = ServerProcess(base / "store", base / "server.log", "--enable-test-endpoints").start()
    yield proc
    assert proc.stop() in (0, -signal.SIGTERM), proc.log()
    assert "Traceback" not in proc.log(), proc.log()


@pytest.fixture
def ddb(server):
    return server.client("dynamodb")


@pytest.fixture
def streams(server):
    return server.client("dynamodbstreams")

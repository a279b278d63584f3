"""Fixtures of the conformance tests (tests/conformance): every test runs twice, against the embedded store and
against a real ``logstore serve`` on 127.0.0.1 (ephemeral port, one per session) driven by boto3 with client-side
parameter validation off, so that the server, not botocore, judges bad requests. Helpers: confhelpers.py."""
from __future__ import annotations

import signal

import boto3
import pytest
from botocore.config import Config
from confhelpers import Dual
from serverhelpers import REGION, ServerProcess

import logstore


@pytest.fixture(scope="session")
def conformance_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("conformance")
    proc = ServerProcess(base / "store", base / "server.log", "--enable-test-endpoints").start()
    yield proc
    assert proc.stop() in (0, -signal.SIGTERM), proc.log()
    assert "Traceback" not in proc.log(), proc.log()


@pytest.fixture(params=["embedded", "http"])
def db(request, tmp_path):
    if request.param == "embedded":
        store = logstore.open(tmp_path / "store", durable=False)
        yield Dual("embedded", store)
        store.close()
    else:
        server = request.getfixturevalue("conformance_server")
        config = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
        clients = [boto3.client(service, endpoint_url=server.url, region_name=REGION, config=config,
                                aws_access_key_id="test", aws_secret_access_key="test")
                   for service in ("dynamodb", "dynamodbstreams")]
        yield Dual("http", tuple(clients))

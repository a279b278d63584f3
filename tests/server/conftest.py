"""Integration fixtures: real ``logstore serve`` processes on 127.0.0.1 (ephemeral ports) driven by real boto3
clients. One server for the whole session (``server``); tests keep to their own table names, so they need no
reset. Tests that restart, sign or wipe start their own (few: the machine has two cores)."""
from __future__ import annotations

import signal

import pytest
from serverhelpers import ServerProcess, unique

MAX_BODY = 1 << 20     # the session server's --max-body (the default is DynamoDB's 16 MiB)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("server")
    proc = ServerProcess(base / "store", base / "server.log", "--enable-test-endpoints",
                         "--max-body", str(MAX_BODY)).start()
    assert "no access keys configured: every request is accepted" in proc.log()
    yield proc
    assert proc.stop() in (0, -signal.SIGTERM), proc.log()   # uvicorn re-raises the signal once drained
    assert "Traceback" not in proc.log(), proc.log()


@pytest.fixture
def ddb(server):
    return server.client("dynamodb")


@pytest.fixture
def streams(server):
    return server.client("dynamodbstreams")


@pytest.fixture
def table(ddb):
    """A fresh table (hash key ``pk``: S) with a NEW_AND_OLD_IMAGES stream; yields (name, stream ARN)."""
    name = unique()
    out = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return name, out["TableDescription"]["LatestStreamArn"]



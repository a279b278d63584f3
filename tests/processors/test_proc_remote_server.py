"""Remote mode against a real ``logstore serve`` process (tests/server's ServerProcess), through real boto3
clients: a processor started while writes arrive over HTTP, stopped and restarted, delivers every record once in
per-key order, with checkpoints in a local store; and ``logstore process --endpoint-url`` stops on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("logstore.server")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from serverhelpers import ServerProcess

import boto3

import logstore
from logstore.processors import Processor, ProcessorConfig
from prochelpers import Recorder, assert_in_order_once

CREDS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture
def served(tmp_path):
    server = ServerProcess(tmp_path / "served", tmp_path / "server.log").start()
    yield server
    server.stop()


def make_table(ddb, name: str) -> None:
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def test_processor_against_logstore_serve(served, tmp_path):
    ddb = boto3.client("dynamodb", endpoint_url=served.url, **CREDS)
    streams = boto3.client("dynamodbstreams", endpoint_url=served.url, **CREDS)
    make_table(ddb, "orders")
    versions: dict[str, int] = {}

    def write(n):
        for i in range(n):
            pk = f"key{i % 7}"
            versions[pk] = versions.get(pk, 0) + 1
            ddb.put_item(TableName="orders", Item={"pk": {"S": pk}, "v": {"N": str(versions[pk])},
                                                   "blob": {"B": b"\x00\xff"}})
    write(40)
    rec = Recorder()
    with logstore.open(tmp_path / "checkpoints", durable=False) as local:
        cfg = ProcessorConfig(batch_size=9, poll_interval_s=0.02)
        p = Processor.remote(streams, "orders", rec, local, cfg, name="remote").start()
        write(30)
        p.wait_idle()
        p.stop()
        write(20)
        p = Processor.remote(streams, "orders", rec, local, cfg, name="remote").start()
        p.wait_idle()
        p.stop()
    assert_in_order_once(rec.versions(), versions)
    first = rec.records[0]
    assert first["dynamodb"]["NewImage"]["blob"] == {"B": "AP8="}
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    assert first["eventSourceARN"].endswith(first["eventSourceARN"].split("/stream/")[1])


def test_cli_against_logstore_serve(served, tmp_path):
    ddb = boto3.client("dynamodb", endpoint_url=served.url, **CREDS)
    make_table(ddb, "orders")
    for i in range(25):
        ddb.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}, "v": {"N": "1"}})
    (tmp_path / "h.py").write_text(
        "import json, os\n"
        "def handle(event, context):\n"
        "    with open(os.environ['OUT'], 'a') as f:\n"
        "        f.writelines(r['dynamodb']['Keys']['pk']['S'] + '\\n' for r in event['Records'])\n")
    env = dict(os.environ, OUT=str(tmp_path / "out"), AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    proc = subprocess.Popen([sys.executable, "-m", "logstore", "process", "--endpoint-url", served.url,
                             "--checkpoints", str(tmp_path / "cp"), "--table", "orders", "--handler", "h:handle",
                             "--stats-interval", "0.2", "--json", "--poll-interval", "0.05"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "out").exists() or len((tmp_path / "out").read_text().split()) < 25:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert json.loads(stdout.splitlines()[-1])["records"] == 25
    assert sorted((tmp_path / "out").read_text().split()) == sorted(f"k{i}" for i in range(25))

"""Regressions of ``logstore process`` (issue 17): a signal stops it promptly in every mode (also ``--until-idle
--stats-interval 0`` while not idle); a handler that keeps failing is visible (logged, counted); a user's mistake
is one line and exit status 2, never a traceback (no credentials, no such table, a table without a stream, an
endpoint that does not answer, a ``--store`` that is not a store); the lag is 0 once caught up."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import logstore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from serverhelpers import ServerProcess

SLOW = '''
import os, time
def handle(event, context):
    with open(os.environ["OUT"], "a") as f:
        f.write("x\\n")
    time.sleep(0.2)
def fail(event, context):
    raise RuntimeError("poison")
'''


def make_store(tmp_path: Path, n: int, stream: bool = True) -> Path:
    (tmp_path / "slowhandlers.py").write_text(SLOW)
    path = tmp_path / "store"
    with logstore.open(path) as store:
        spec = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}} if stream else {}
        store.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], **spec)
        for i in range(n):
            store.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}})
    return path


def run(tmp_path, *args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "logstore", "process", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=timeout, env=env or dict(os.environ, OUT=str(tmp_path / "out")))


def assert_one_line_error(result, *phrases):
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for phrase in phrases:
        assert phrase in errors[0], errors[0]


@pytest.mark.parametrize("mode", [["--until-idle", "--stats-interval", "0"], ["--stats-interval", "0"],
                                  ["--until-idle", "--stats-interval", "30"]])
def test_sigterm_stops_promptly_while_busy(tmp_path, mode):
    path = make_store(tmp_path, 200)          # 200 batches of 1 at 0.2 s each: 40 s of work
    proc = subprocess.Popen([sys.executable, "-m", "logstore", "process", "--store", str(path), "--table", "orders",
                             "--handler", "slowhandlers:handle", "--batch-size", "1", *mode], cwd=tmp_path,
                            env=dict(os.environ, OUT=str(tmp_path / "out")), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "out").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert took < 5, f"took {took:.1f} s to stop"
    assert "stopped: every delivered batch is checkpointed" in stderr


def test_a_failing_handler_is_logged_and_counted(tmp_path):
    path = make_store(tmp_path, 3)
    proc = subprocess.Popen([sys.executable, "-m", "logstore", "process", "--store", str(path), "--table", "orders",
                             "--handler", "slowhandlers:fail", "--stats-interval", "0.3", "--json"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "handler raised RuntimeError('poison')" in stderr and "(attempt 1)" in stderr and "(attempt 4)" in stderr
    last = json.loads(stdout.splitlines()[-1])
    assert last["handler_errors"] >= 4 and last["records"] == 0


def test_lag_is_zero_once_caught_up(tmp_path):
    path = make_store(tmp_path, 5)
    result = run(tmp_path, "--store", str(path), "--table", "orders", "--handler", "slowhandlers:handle",
                 "--until-idle", "--json", "--batch-size", "10")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["lag_ms"] == 0


def test_store_mistakes(tmp_path):
    path = make_store(tmp_path, 1)
    (tmp_path / "typo").mkdir()
    assert_one_line_error(run(tmp_path, "--store", str(tmp_path / "typo"), "--table", "orders", "--handler",
                              "slowhandlers:handle"), "not a logstore store", "--create")
    assert not (tmp_path / "typo" / "data.mdb").exists()          # nothing was created
    assert_one_line_error(run(tmp_path, "--store", str(tmp_path / "nowhere"), "--table", "orders", "--handler",
                              "slowhandlers:handle"), "not a logstore store")
    assert not (tmp_path / "nowhere").exists()
    assert_one_line_error(run(tmp_path, "--store", str(path), "--table", "missing", "--handler",
                              "slowhandlers:handle"), "no table missing")
    plain = tmp_path / "plain"
    plain.mkdir()
    make_store(plain, 1, stream=False)
    assert_one_line_error(run(tmp_path, "--store", str(plain / "store"), "--table", "orders", "--handler",
                              "slowhandlers:handle"), "has no enabled stream")
    created = run(tmp_path, "--store", str(tmp_path / "new"), "--create", "--table", "orders", "--handler",
                  "slowhandlers:handle")
    assert_one_line_error(created, "no table orders")            # --create made the store; the table is missing
    assert (tmp_path / "new" / "data.mdb").exists()


def test_endpoint_mistakes(tmp_path):
    (tmp_path / "slowhandlers.py").write_text(SLOW)
    creds = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    common = ["--table", "orders", "--handler", "slowhandlers:handle", "--checkpoints", str(tmp_path / "cp")]
    down = run(tmp_path, "--endpoint-url", "http://127.0.0.1:9", *common, env=creds)
    assert_one_line_error(down, "cannot reach")
    bare = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    bare.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    assert_one_line_error(run(tmp_path, "--endpoint-url", "http://127.0.0.1:9", *common, env=bare),
                          "no AWS credentials")
    server = ServerProcess(tmp_path / "served", tmp_path / "server.log").start()
    try:
        ddb = server.client("dynamodb")
        ddb.create_table(TableName="plain", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        assert_one_line_error(run(tmp_path, "--endpoint-url", server.url, *common, env=creds), "no table orders")
        common[1] = "plain"
        assert_one_line_error(run(tmp_path, "--endpoint-url", server.url, *common, env=creds),
                              "table plain has no enabled stream")
    finally:
        server.stop()

"""``logstore process``: runs a handler module over a table's stream from the command line, prints per-shard
stats, stops on SIGTERM after checkpointing, and resumes where it stopped."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import logstore

HANDLER = '''
import json, os
def handle(event, context):
    with open(os.environ["OUT"], "a") as f:
        for r in event["Records"]:
            f.write(json.dumps([r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]]) + "\\n")
'''


def setup(tmp_path: Path, n: int) -> tuple[Path, dict]:
    (tmp_path / "myhandlers.py").write_text(HANDLER)
    path = tmp_path / "store"
    with logstore.open(path) as store:
        store.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        for i in range(n):
            store.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}})
    env = dict(os.environ, OUT=str(tmp_path / "out.jsonl"))
    return path, env


def command(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "logstore", "process", "--store", str(path), "--table", "orders",
            "--handler", "myhandlers:handle", *extra]


def delivered(tmp_path: Path) -> list:
    out = tmp_path / "out.jsonl"
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_until_idle_with_a_filter_and_json_stats(tmp_path):
    path, env = setup(tmp_path, 30)
    result = subprocess.run(command(path, "--until-idle", "--json", "--batch-size", "7",
                                    "--filter", '{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "k1"}]}}}}'),
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(k for _, k in delivered(tmp_path)) == sorted(["k1"] + [f"k1{i}" for i in range(10)])
    stats = json.loads(result.stdout.splitlines()[-1])
    assert stats["records"] == 11 and stats["filtered"] == 19 and stats["lag_ms"] is not None


def test_sigterm_stops_after_checkpointing_and_a_restart_resumes(tmp_path):
    path, env = setup(tmp_path, 50)
    proc = subprocess.Popen(command(path, "--stats-interval", "0.2"), cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(delivered(tmp_path)) < 50:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)     # a stats line or two
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "records/s" in stdout and "lag" in stdout and "50 records" in stdout
    assert "stopped: every delivered batch is checkpointed" in stderr
    with logstore.open(path) as store:
        for i in range(50, 60):
            store.put_item(TableName="orders", Item={"pk": {"S": f"k{i}"}})
    result = subprocess.run(command(path, "--until-idle"), cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert [k for _, k in delivered(tmp_path)] == [f"k{i}" for i in range(60)]


def test_usage_errors(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from logstore.cli import main
    path, _ = setup(tmp_path, 1)
    monkeypatch.chdir(tmp_path)
    base = ["process", "--table", "orders", "--handler", "myhandlers:handle"]
    for args, message in ((base, "exactly one of --store"),
                          (base + ["--endpoint-url", "http://localhost:1"], "needs --checkpoints"),
                          (base + ["--store", str(path), "--batch-size", "0"], "batch_size"),
                          (base[:3] + ["--handler", "nocolon", "--store", str(path)], "module:function"),
                          # both were taken, and the process ran until stopped
                          (base + ["--store", str(path), "--failover", "-1"], "Invalid value for '--failover'"),
                          (base + ["--store", str(path), "--stats-interval", "-1"],
                           "Invalid value for '--stats-interval'")):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)

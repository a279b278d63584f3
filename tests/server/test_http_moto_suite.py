"""moto's own DynamoDB Streams test suite, taken from moto's source distribution on PyPI, run in moto's server
mode against a ``logstore serve`` process (``TEST_SERVER_MODE=true``: moto's tests send their boto3 clients to our
endpoint and wipe state through our ``POST /moto-api/reset``).

Two of its tests expect what AWS does not do, and are expected to fail here (docs/streams-compat.md):
``test_enable_stream_on_table`` (enabling a second stream, with view type ``OLD_IMAGES``: moto expects
ResourceInUseException; AWS answers ValidationException, for the view type and for the stream already enabled) and
``test_stream_with_range_key`` (creates a table with view type ``NEW_IMAGES``, which AWS rejects). Every other
test must pass. The suite needs no update expressions.

The sdist is fetched once with ``pip download --no-binary :all: --no-deps moto==MOTO_VERSION`` into
``~/.cache/logstore-tests/`` (or taken from ``$LOGSTORE_MOTO_SDIST``)."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET

import pytest
from serverhelpers import ServerProcess, env_for_children

MOTO_VERSION = "5.2.1"
EXPECTED_FAILURES = {"test_enable_stream_on_table", "test_stream_with_range_key"}


def moto_sdist(tmp_path) -> pathlib.Path:
    given = os.environ.get("LOGSTORE_MOTO_SDIST")
    if given:
        return pathlib.Path(given)
    cache = pathlib.Path.home() / ".cache" / "logstore-tests"
    wanted = cache / f"moto-{MOTO_VERSION}.tar.gz"
    if not wanted.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
                        f"moto=={MOTO_VERSION}", "-d", str(tmp_path)], check=True, timeout=600)
        os.replace(tmp_path / wanted.name, wanted)
    return wanted


def extract_suite(sdist: pathlib.Path, into: pathlib.Path) -> pathlib.Path:
    root = f"moto-{MOTO_VERSION}/"
    keep = (root + "tests/__init__.py", root + "tests/conftest.py", root + "tests/test_dynamodbstreams/")
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(keep)]
        assert any(m.name.endswith("test_dynamodbstreams.py") for m in members), "suite missing from the sdist"
        tar.extractall(into, members=members, filter="data")
    return into / root


@pytest.mark.slow
def test_moto_dynamodbstreams_suite(tmp_path):
    suite = extract_suite(moto_sdist(tmp_path), tmp_path / "src")
    server = ServerProcess(tmp_path / "store", tmp_path / "server.log", "--enable-test-endpoints").start()
    try:
        env = env_for_children()
        env.update(TEST_SERVER_MODE="true", TEST_SERVER_MODE_ENDPOINT=server.url)
        report = tmp_path / "report.xml"
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                              "--rootdir", str(suite), f"--junitxml={report}", "tests/test_dynamodbstreams"],
                             cwd=suite, env=env, capture_output=True, text=True, timeout=600)
    finally:
        server.stop()
    print(run.stdout[-4000:])
    cases = ET.parse(report).getroot().iter("testcase")
    outcome, why = {}, {}
    for case in cases:
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped") is not None
        outcome[case.get("name")] = "failed" if problem is not None else "skipped" if skipped else "passed"
        if problem is not None:
            why[case.get("name")] = (problem.get("message") or "") + (problem.text or "")
    print({k: v for k, v in sorted(outcome.items())})
    assert len(outcome) >= 15, run.stdout
    assert {n for n, o in outcome.items() if o != "passed"} == EXPECTED_FAILURES, run.stdout
    # ... and they fail for the expected reason: we answer as AWS does
    assert "ValidationException" in why["test_enable_stream_on_table"]
    assert "'OLD_IMAGES' at 'streamSpecification.streamViewType'" in why["test_enable_stream_on_table"]
    assert "'NEW_IMAGES' at 'streamSpecification.streamViewType'" in why["test_stream_with_range_key"]
    assert "Traceback" not in server.log(), server.log()

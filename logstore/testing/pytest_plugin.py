"""logstore's pytest plugin, registered by the ``pytest11`` entry point (installing logstore with the ``[testing]``
extra is enough; ``-p no:logstore`` turns it off).

Fixtures:
- ``logstore_mock``: a fresh ``logstore.testing.mock()`` around the test (every botocore DynamoDB and DynamoDB
  Streams client in the process answered in process); yields the handle (``store``, ``clock``, ``advance``,
  ``records``, ``path``).
- ``logstore_server``: a real ``logstore serve`` process on 127.0.0.1 with an ephemeral port (one per session,
  started on first use, wiped before each test that uses it), for code that needs an endpoint URL; yields a
  ``LiveServer`` (``endpoint_url``, ``env``, ``reset``, ``advance``, ``records``); its ``env`` (endpoint URLs,
  dummy credentials, region) is set in ``os.environ`` for the test's duration.

Option ``--logstore-keep-failed``: the stores of failed tests are kept under ``--logstore-keep-dir`` (default
``.logstore-failed`` in the rootdir), one directory per test, listed at the end of the run.

Importing this module imports logstore.testing, which registers the botocore hook before test modules make
sessions; when botocore is missing, the fixtures say so when used and nothing else changes.
"""
from __future__ import annotations

import os
import re
import shutil

import pytest

try:
    from logstore.testing.inprocess import mock as _make_mock
    from logstore.testing.server import LiveServer
    _MISSING: str | None = None
except ModuleNotFoundError as exc:   # botocore absent: logstore installed without the [testing] extra
    from logstore.extras import missing_extra
    _MISSING = missing_extra(exc, "testing")
    if _MISSING is None:
        raise
    _make_mock = LiveServer = None

_REPORTS = pytest.StashKey[dict]()
_KEPT = pytest.StashKey[list]()


def pytest_addoption(parser) -> None:
    group = parser.getgroup("logstore")
    group.addoption("--logstore-keep-failed", action="store_true", default=False,
                    help="keep the logstore stores of failed tests (see --logstore-keep-dir)")
    group.addoption("--logstore-keep-dir", default=None, metavar="DIR",
                    help="where --logstore-keep-failed puts them (default: .logstore-failed in the rootdir)")


def pytest_configure(config) -> None:
    config.stash[_KEPT] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(_REPORTS, {})[report.when] = report


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    kept = config.stash.get(_KEPT, [])
    if kept:
        terminalreporter.section("logstore stores kept")
        for nodeid, path in kept:
            terminalreporter.write_line(f"{nodeid}: {path}")


def _require() -> None:
    if _MISSING is not None:
        pytest.fail(_MISSING, pytrace=False)


def _failed(node) -> bool:
    reports = node.stash.get(_REPORTS, {})
    return any(r.failed for r in reports.values())


def _keep_dir(config, nodeid: str) -> str:
    base = config.getoption("logstore_keep_dir") or os.path.join(str(config.rootpath), ".logstore-failed")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:200] or "test"
    target, n = os.path.join(base, name), 1
    while os.path.exists(target):
        n += 1
        target = os.path.join(base, f"{name}.{n}")
    os.makedirs(base, exist_ok=True)
    return target


@pytest.fixture
def logstore_mock(request):
    """A fresh in-process mock around the test; yields its handle."""
    _require()
    m = _make_mock()
    m.start()
    try:
        yield m
    finally:
        keep = request.config.getoption("logstore_keep_failed") and _failed(request.node)
        m.keep = keep
        path = m.path
        m.stop()
        if keep:
            target = _keep_dir(request.config, request.node.nodeid)
            shutil.move(path, target)
            request.config.stash[_KEPT].append((request.node.nodeid, target))


@pytest.fixture(scope="session")
def _logstore_live_server(tmp_path_factory):
    _require()
    base = tmp_path_factory.mktemp("logstore-server")
    server = LiveServer(base / "store").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def logstore_server(_logstore_live_server, monkeypatch, request):
    """The session's ``logstore serve`` process, wiped for this test; its ``env`` is set while the test runs."""
    server = _logstore_live_server
    server.reset()
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    yield server
    if request.config.getoption("logstore_keep_failed") and _failed(request.node):
        target = _keep_dir(request.config, request.node.nodeid)
        os.makedirs(target)
        for name in ("data.mdb",):   # the server is idle between tests: the file is consistent
            if os.path.exists(os.path.join(server.path, name)):
                shutil.copy2(os.path.join(server.path, name), target)
        request.config.stash[_KEPT].append((request.node.nodeid, target))

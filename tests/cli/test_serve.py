"""``logstore serve`` as a command: its help, and option errors reported before anything starts. (The server
itself is tested through HTTP in tests/server/.)"""
from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logstore", "serve", *args], capture_output=True, text=True,
                          timeout=60)


def test_help_lists_the_options():
    out = run("--help")
    assert out.returncode == 0
    for option in ("--host", "--port", "--access-key", "--max-body", "--enable-test-endpoints",
                   "--maintenance-interval", "--graceful-timeout"):
        assert option in out.stdout
    assert "127.0.0.1" in out.stdout


def test_a_malformed_access_key_is_refused(tmp_path):
    out = run(str(tmp_path / "store"), "--access-key", "no-colon-here")
    assert out.returncode == 2
    assert "ACCESS_KEY_ID:SECRET" in out.stderr
    assert not (tmp_path / "store").exists()


def test_a_busy_port_is_reported(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        out = run(str(tmp_path / "store"), "--port", str(s.getsockname()[1]))
    assert out.returncode != 0
    assert "address already in use" in out.stderr.lower()


def test_test_endpoints_need_one_worker(tmp_path):
    out = run(str(tmp_path / "store"), "--workers", "2", "--enable-test-endpoints")
    assert out.returncode == 2
    assert "single worker" in out.stderr


@pytest.mark.parametrize("option,value", [("--port", "70000"), ("--port", "-5"), ("--threads", "0"),
                                          ("--max-body", "-1"), ("--maintenance-interval", "-1"),
                                          ("--rollover-seconds", "0"), ("--graceful-timeout", "-1")])
def test_an_option_out_of_range_is_refused_before_anything_starts(tmp_path, option, value):
    """Each was taken: port 70000 "running on http://127.0.0.1:70000", --threads 0 a traceback at start-up,
    --rollover-seconds 0 silently the default, the negative ones a server that misbehaved later."""
    out = run(str(tmp_path / "store"), option, value)
    assert out.returncode == 2
    assert f"Invalid value for '{option}'" in out.stderr
    assert not (tmp_path / "store").exists()

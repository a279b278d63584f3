"""``logstore console``: what it refuses before serving (the pages themselves: tests/console/). A path that is not
a store is one line and exit status 2, and nothing is created there."""
from __future__ import annotations

import os
import socket

from clihelpers import run


def test_a_missing_directory(tmp_path):
    result = run("console", tmp_path / "nope", "--port", "0", ok_codes=(2,))
    assert "no such store directory" in result.output
    assert not (tmp_path / "nope").exists()


def test_a_directory_that_is_not_a_store(tmp_path):
    result = run("console", tmp_path, "--port", "0", ok_codes=(2,))
    assert "not a logstore store" in result.output
    assert os.listdir(tmp_path) == []        # read-only: no data.mdb made


def test_a_port_in_use(built):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run("console", built.path, "--port", str(taken.getsockname()[1]), ok_codes=(2,))
    assert "cannot listen on 127.0.0.1" in result.output


def test_a_port_out_of_range_is_refused(built):
    """Was OverflowError's traceback from bind()."""
    for port in ("70000", "-1"):
        result = run("console", built.path, "--port", port, ok_codes=(2,))
        assert "Invalid value for '--port'" in result.output

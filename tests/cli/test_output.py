"""The people-facing output of every inspection command, piped: no line ends in spaces (rich pads each line of a
table to the table's width, which a terminal hides and a file, ``diff`` or ``grep ' $'`` does not)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from clihelpers import run

COMMANDS = [("info",), ("tables",), ("streams",), ("stats",), ("shards",), ("check",), ("records", "--table",
                                                                                       "users")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_no_line_ends_in_spaces(built, command):
    out = run(command[0], built.path, *command[1:]).stdout
    assert out.strip(), "the command printed nothing"
    padded = [line for line in out.splitlines() if line != line.rstrip(" ")]
    assert padded == [], padded[:3]


def test_a_real_pipe_gets_whole_trimmed_lines(built):
    """Through an OS pipe (a child process, as ``logstore tables PATH | less`` runs): the same trimmed lines, the
    table's rows and ARNs whole, and the exit status 0."""
    proc = subprocess.run([sys.executable, "-m", "logstore", "tables", built.path], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line for line in lines if line != line.rstrip(" ")] == []
    assert any(line.split()[:1] == ["users"] and "NEW_AND_OLD_IMAGES" in line for line in lines), proc.stdout
    assert any(built.users_arn in line for line in lines), proc.stdout
    assert proc.stdout.endswith("\n")

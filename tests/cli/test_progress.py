"""Progress bars: shown on standard error when it is a terminal (a pseudo-terminal here) and the scan takes long
enough (LOGSTORE_PROGRESS_AFTER=0 makes any scan long enough), never otherwise, and never on standard output."""
from __future__ import annotations

import os
import pty
import subprocess
import sys


def run_with_terminal_stderr(args, env) -> tuple[bytes, bytes, int]:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "logstore", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = proc.stdout.read()
    rc = proc.wait(timeout=60)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:   # the terminal's other end is closed once the process has ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return out, seen, rc


def test_a_progress_bar_on_a_terminal_only(built):
    env = dict(os.environ, LOGSTORE_PROGRESS_AFTER="0")
    for command, label in (("check", b"checking segments"), ("stats", b"reading segment timestamps")):
        out, terminal, rc = run_with_terminal_stderr([command, built.path, "--json"], env)
        assert rc == 0 and label in terminal, terminal[-500:]
        assert label not in out
        piped = subprocess.run([sys.executable, "-m", "logstore", command, built.path, "--json"],
                               capture_output=True, env=env, timeout=60)
        assert piped.returncode == 0 and piped.stderr == b""

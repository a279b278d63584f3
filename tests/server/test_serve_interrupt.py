"""Ctrl-C on ``logstore serve`` is the documented way to stop it: a clean shutdown, exit status 0, no "Aborted!"
(uvicorn re-raises the SIGINT it handled once it has shut down; click would turn that into exit 1)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time


def test_sigint_stops_serve_cleanly(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "logstore", "serve", "--port", "0", str(tmp_path / "s")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            if "Uvicorn running on" in line:
                break
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "Aborted" not in output and "Traceback" not in output
    assert "Application shutdown complete" in output

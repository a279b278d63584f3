"""Real helper processes for the tests that need another process beside them (a writer, a reader, a command):
``Proc`` runs one and collects its output. On sys.path through the top-level conftest's directory."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


class Proc:
    """A real helper process (``python argv...``) whose stdout lines a thread collects, so it never blocks on a full
    pipe, and whose stderr goes to a file under ``workdir``. Use as a context manager: killed on exit if running."""

    def __init__(self, argv: list, *, workdir: Path, name: str, env: dict | None = None):
        self.name = name
        self.err_path = workdir / f"{name}.{os.getpid()}.{time.monotonic_ns()}.err"
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([sys.executable, *map(str, argv)], stdout=subprocess.PIPE, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env)
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode().rstrip("\n")
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def stderr(self) -> str:
        return self.err_path.read_text()[-3000:]

    def expect(self, prefix: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{self.name}: no {prefix!r} line within {timeout} s; stderr:\n{self.stderr()}")
            if line is None:
                self.proc.wait()
                raise AssertionError(f"{self.name} ended (status {self.proc.returncode}) before printing {prefix!r}; "
                                     f"output {self.lines[-5:]}; stderr:\n{self.stderr()}")
            if line.startswith(prefix):
                return line

    def wait_for(self, predicate, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.lines):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: condition not met within {timeout} s; {len(self.lines)} lines, "
                                     f"last {self.lines[-3:]}; stderr:\n{self.stderr()}")
            if self.proc.poll() is not None and predicate(self.lines) is False and self._queue.empty():
                time.sleep(0.2)
                if not predicate(self.lines):
                    raise AssertionError(f"{self.name} ended (status {self.proc.returncode}); stderr:\n"
                                         f"{self.stderr()}")
            time.sleep(0.05)

    def wait(self, timeout: float = 120) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout} s; output {self.lines[-5:]}") from None
        self._thread.join(timeout=10)
        return rc

    def interrupt(self) -> int:
        """SIGINT (Ctrl-C), then wait."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
        return self.wait(30)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._thread.join(timeout=10)

    def __enter__(self) -> "Proc":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
        self.proc.stdout.close()

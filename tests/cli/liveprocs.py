"""Real helper processes for the CLI tests: the engine writer in procs/ and ``python -m logstore ...`` commands, as
``liveproc.Proc``s."""
from __future__ import annotations

from pathlib import Path

import liveproc

PROCS = Path(__file__).resolve().parent / "procs"


class Proc(liveproc.Proc):
    @classmethod
    def writer(cls, *args, workdir: Path) -> "Proc":
        return cls([PROCS / "engine_writer.py", *args], workdir=workdir, name="engine_writer")

    @classmethod
    def logstore(cls, *args, workdir: Path) -> "Proc":
        return cls(["-m", "logstore", *args], workdir=workdir, name=f"logstore-{args[0]}")

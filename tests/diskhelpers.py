"""Small filesystems for the full-disk and read-only-filesystem tests: ``tmpfs(size)`` mounts a tmpfs the test owns
(skipping the test where mounting is not allowed), ``fill(where)`` fills one up. On sys.path through the top-level
conftest's directory."""
from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile

import pytest


@contextlib.contextmanager
def tmpfs(size: str):
    where = tempfile.mkdtemp(prefix="logstore-tmpfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where], capture_output=True)
    if r.returncode != 0:
        os.rmdir(where)
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", where], capture_output=True)
        os.rmdir(where)


def fill(where: str, name: str = "filler") -> str:
    """Fill the filesystem at ``where`` with one file; returns its path (delete it to free the space)."""
    filler = os.path.join(where, name)
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler

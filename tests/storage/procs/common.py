"""Shared by the subprocess helpers in this directory and the tests that check their output.

Every record's payload and timestamp are derived from its sequence number alone, so a checker that knows only the
sequence number can verify the content byte for byte. Payload sizes are pseudo-random (0 bytes up to several
pages) but reproducible. Imported by the helpers as ``common`` (their directory is ``sys.path[0]``) and by the
tests through ``load_common()`` in each test module.
"""
from __future__ import annotations

import hashlib

BASE_TS = 1_700_000_000_000   # ms; timestamps are BASE_TS + seq, so they never decrease along a shard


def ts_for(seq: int) -> int:
    return BASE_TS + seq


def payload_for(seq: int, profile: str = "mixed") -> bytes:
    """The payload of record ``seq``. ``mixed``: mostly small (0..199 bytes), some up to 1.5 KB, about 1 in 85
    between 3 and 9 KB (larger than a page, so LMDB overflow pages are used). ``large``: 500..2499 bytes (fills a
    small map quickly)."""
    h = hashlib.blake2b(seq.to_bytes(8, "little") + profile.encode(), digest_size=32).digest()
    r, v = h[0], int.from_bytes(h[1:4], "little")
    if profile == "mixed":
        size = v % 200 if r < 218 else (v % 1500 if r < 253 else 3000 + v % 6000)
    elif profile == "large":
        size = 500 + v % 2000
    else:
        raise ValueError(f"unknown payload profile {profile!r}")
    return (h * (size // len(h) + 1))[:size]

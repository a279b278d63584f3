"""A damaged store in the console: the Store page's check lists the problem, the Stream page still draws every
shard and marks the damaged one, and the damaged records are reported (a 500 page naming the shard and segment),
never shown. Faults are written into LMDB directly (tests/cli/clihelpers.Raw), as in the check's own tests."""
from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

from consolehelpers import Browser, ConsoleProcess, q

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))   # clihelpers

import msgpack
from clihelpers import Raw, build_store


def test_damage_is_reported_never_served(tmp_path):
    built = build_store(tmp_path / "store")
    with Raw(built.path) as raw:
        shards = {msgpack.unpackb(v[4:])[2]: msgpack.unpackb(v[4:])[0] for _k, v in raw.items("shards")}   # sealed
        shard_no = shards[built.parent_shard]
        key, value = next((k, v) for k, v in raw.items("segments") if struct.unpack(">Q", k[:8])[0] == shard_no)
        damaged = bytearray(value)
        damaged[len(damaged) // 2] ^= 0x40          # inside the records: the header still reads
        raw.put("segments", key, bytes(damaged))
    with ConsoleProcess(built.path, tmp_path / "console.log") as console:
        b = Browser(console.url.rstrip("/"))
        check = b.get("/store?check=1")
        assert check.status_code == 200
        assert re.search(r'id="check-verdict" class="error" role="status">\s*\d+ problem', check.text), check.text
        assert '<table class="grid" id="problems">' in check.text and "<td>segment</td>" in check.text
        stream = b.get(f"/stream?arn={q(built.users_arn)}")
        assert stream.status_code == 200 and stream.text.count('class="shard ') == 3
        assert re.search(rf'class="shard damaged" href="[^"]+" data-shard="{built.parent_shard}"', stream.text)
        assert stream.text.count('class="shard damaged"') == 1
        assert 'id="damaged"' in b.get("/store").text
        records = b.get(f"/stream/records?arn={q(built.users_arn)}&shard={q(built.parent_shard)}")
        assert records.status_code == 500 and "CorruptionError" in records.text
        assert f"shard {shard_no}" in records.text and '<tr class="record' not in records.text
        assert b.get(f"/stream/records?arn={q(built.users_arn)}&shard={q(built.child_shards[0])}").status_code == 200
        assert "Traceback" not in console.log()

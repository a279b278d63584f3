"""``logstore info``: counts and sizes of a store built through the engine; and the errors every inspection
command gives for a missing path, a file, an LMDB environment that is not a store and an unknown format version --
one line, exit status 2, never a traceback. Also: inspecting changes no byte of data.mdb."""
from __future__ import annotations

import hashlib
import os
import struct

import lmdb
import pytest

from clihelpers import Raw, run, run_json

COMMANDS = [["info"], ["tables"], ["streams"], ["shards"], ["records"], ["check"], ["stats"],
            ["export", "--out", "EXPORT"]]


def test_info_counts_what_the_engine_wrote(built):
    data = run_json("info", built.path)
    assert data["format_version"] == 2
    assert data["tables"] == 3
    assert (data["streams"], data["streams_enabled"]) == (3, 2)
    assert (data["shards"], data["shards_open"]) == (5, 3)   # users: parent + 2 children; orders 1; old 1 (closed)
    assert data["records"] == built.users_records + built.orders_records + built.old_records
    assert data["oldest_record"]["shard_id"] == built.parent_shard
    assert data["oldest_record"]["time"] == "2023-11-14T22:13:21.000Z"
    assert data["newest_record"]["stream_arn"] == built.old_arn
    assert 0 < data["map_usage"] < 1 and data["file_size"] > 0 and data["page_size"] in (4096, 16384, 65536)


def test_info_reads_for_people(built):
    out = run("info", built.path).stdout
    for text in ("format version", "3 (2 enabled, 1 disabled)", "5 (3 open, 2 closed)", "95 in", "of 5 shard logs",
                 "oldest record",
                 built.parent_shard):
        assert text in out, text


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_missing_directory_is_a_clear_error(tmp_path, command):
    args = [a.replace("EXPORT", str(tmp_path / "out")) for a in command]
    result = run(*args[:1], tmp_path / "nowhere", *args[1:], ok_codes=(2,))
    assert result.output.strip() == f"error: {tmp_path / 'nowhere'}: no such file or directory"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_file_or_a_foreign_lmdb_is_not_a_store(tmp_path, command):
    args = [a.replace("EXPORT", str(tmp_path / "out")) for a in command]
    file = tmp_path / "file"
    file.write_text("hello")
    assert "not a directory" in run(args[0], file, *args[1:], ok_codes=(2,)).output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "not a logstore store (no data.mdb)" in run(args[0], empty, *args[1:], ok_codes=(2,)).output
    foreign = tmp_path / "foreign"
    env = lmdb.open(str(foreign), max_dbs=2)
    with env.begin(write=True, db=env.open_db(b"other")) as txn:
        txn.put(b"k", b"v")
    env.close()
    result = run(args[0], foreign, *args[1:], ok_codes=(2,))
    assert "an LMDB environment, but not a logstore store" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_unknown_format_version_is_a_clear_error(built, tmp_path, command):
    with Raw(built.path) as raw:
        raw.put("meta", b"format", struct.pack("<8sI", b"logstore", 7))
    args = [a.replace("EXPORT", str(tmp_path / "out")) for a in command]
    result = run(args[0], built.path, *args[1:], ok_codes=(2,))
    assert "store format version 7; this logstore reads format version 2 only" in result.output


def test_inspection_changes_no_byte_of_the_data_file(built, tmp_path):
    data = os.path.join(built.path, "data.mdb")
    before = hashlib.sha256(open(data, "rb").read()).hexdigest(), os.stat(data).st_mtime_ns
    for command in COMMANDS:
        args = [a.replace("EXPORT", str(tmp_path / "out")) for a in command]
        run(args[0], built.path, *args[1:])
    assert (hashlib.sha256(open(data, "rb").read()).hexdigest(), os.stat(data).st_mtime_ns) == before


@pytest.mark.parametrize("command", ["info", "shards", "streams", "stats", "records"])
def test_a_damaged_catalogue_is_a_one_line_error(built, command):
    with Raw(built.path) as raw:
        key, _ = raw.items("shards")[0]
        raw.put("shards", key, b"\xc1 not msgpack")
    result = run(command, built.path, ok_codes=(2,))
    assert result.stderr.startswith("error: ") and "logstore check" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

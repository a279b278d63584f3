"""``logstore export``: matching records to gzipped JSON-lines parts with a manifest; the parts hold exactly what
``records --json`` prints; a second run resumes after the last record (picking up records committed since), an
interrupted part is redone, and other options in the same directory are refused."""
from __future__ import annotations

import gzip
import hashlib
import json
import os

import pytest

import logstore
from clihelpers import json_lines, run, run_json


def read_parts(out_dir) -> list[dict]:
    manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
    records = []
    for part in manifest["parts"]:
        path = os.path.join(out_dir, part["file"])
        raw = open(path, "rb").read()
        assert hashlib.sha256(raw).hexdigest() == part["sha256"]
        text = gzip.decompress(raw).decode() if path.endswith(".gz") else raw.decode()
        got = json_lines(text)
        assert len(got) == part["records"]
        assert got[0]["dynamodb"]["SequenceNumber"] == part["first_sequence_number"]
        assert got[-1]["dynamodb"]["SequenceNumber"] == part["last_sequence_number"]
        records += got
    assert len(records) == manifest["records"]
    return records


def test_export_writes_what_records_prints(built, tmp_path):
    out = tmp_path / "out"
    summary = run_json("export", built.path, "--out", out, "--table", "users", "--part-records", 30)
    assert summary["added"] == summary["records"] == 85 and summary["parts"] == 3
    assert read_parts(out) == json_lines(run("records", built.path, "--json", "--table", "users").stdout)
    assert sorted(os.listdir(out)) == ["manifest.json", "part-000001.jsonl.gz", "part-000002.jsonl.gz",
                                       "part-000003.jsonl.gz"]


def test_export_resumes_and_picks_up_new_records(built, tmp_path):
    out = tmp_path / "out"
    run("export", built.path, "--out", out, "--table", "users", "--part-records", 50)
    again = run_json("export", built.path, "--out", out, "--table", "users", "--part-records", 50)
    assert again["added"] == 0 and again["records"] == 85
    with logstore.open(built.path, durable=False) as store:
        for i in range(7):
            store.put_item(TableName="users", Item={"pk": {"S": f"new-{i}"}})
    more = run_json("export", built.path, "--out", out, "--table", "users", "--part-records", 50)
    assert more["added"] == 7 and more["records"] == 92 and more["parts"] == 3
    assert read_parts(out) == json_lines(run("records", built.path, "--json", "--table", "users").stdout)


def test_an_interrupted_part_is_redone(built, tmp_path):
    out = tmp_path / "out"
    run("export", built.path, "--out", out, "--part-records", 40)
    manifest_path = out / "manifest.json"
    manifest = json.load(open(manifest_path))
    # as if the run had died after writing part 3 but before listing it: drop it from the manifest, leave junk
    last = manifest["parts"].pop()
    manifest["records"] -= last["records"]
    manifest["after_seq"] = int(manifest["parts"][-1]["last_sequence_number"]) - 10 ** 20
    json.dump(manifest, open(manifest_path, "w"))
    (out / (last["file"] + ".tmp")).write_bytes(b"half a part")
    resumed = run_json("export", built.path, "--out", out, "--part-records", 40)
    assert resumed["added"] == last["records"] and resumed["records"] == 95
    assert read_parts(out) == json_lines(run("records", built.path, "--json").stdout)


def test_time_range_uncompressed_lambda_shape(built, tmp_path):
    out = tmp_path / "out"
    run("export", built.path, "--out", out, "--since", "2023-11-14T22:13:30Z", "--until", "2023-11-14T22:13:39Z",
        "--no-compress", "--shape", "lambda")
    got = read_parts(out)
    assert len(got) == 10 and all("eventSourceARN" in r for r in got)
    assert sorted(os.listdir(out)) == ["manifest.json", "part-000001.jsonl"]


def test_other_options_in_the_same_directory_are_refused(built, tmp_path):
    out = tmp_path / "out"
    run("export", built.path, "--out", out, "--table", "users")
    result = run("export", built.path, "--out", out, "--table", "orders", ok_codes=(2,))
    assert "holds an export with other options" in result.output


@pytest.mark.parametrize("junk", [b"not json", b'{"format": "something else"}'])
def test_a_broken_manifest_is_a_clear_error(built, tmp_path, junk):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_bytes(junk)
    assert "manifest" in run("export", built.path, "--out", out, ok_codes=(2,)).output


def test_an_age_resumes_as_the_same_export(built, tmp_path):
    """``--since 5000d`` is resolved once, by the first run; the same options resume (not refused as different)."""
    out = tmp_path / "out"
    first = run_json("export", built.path, "--out", out, "--since", "5000d", "--table", "users")
    assert first["added"] == 85
    again = run_json("export", built.path, "--out", out, "--since", "5000d", "--table", "users")
    assert again["added"] == 0 and again["records"] == 85
    manifest = json.load(open(out / "manifest.json"))
    assert manifest["options"]["since"] == "5000d" and isinstance(manifest["filter"]["since_ms"], int)

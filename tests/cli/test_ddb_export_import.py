"""``logstore export --format dynamodb`` and ``logstore import``: DynamoDB's export-to-S3 layout (manifests, MD5s,
gzipped DynamoDB JSON lines), a round trip of a table with every attribute type back to an equal table (with and
without stream records), the incremental form applied on top of a full export, an import of a file written by
hand in AWS's documented import format, resuming an interrupted import, and bad input refused with FILE:LINE."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import time

import pytest

import logstore
from clihelpers import run

EVERY_TYPE = {
    "pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"S": "text ünïcode"}, "n": {"N": "-12.500"}, "b": {"B": b"\x00\xffbin"},
    "t": {"BOOL": True}, "f": {"BOOL": False}, "z": {"NULL": True}, "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2.5", "-3"]}, "bs": {"BS": [b"\x01", b"\x02\x03"]},
    "m": {"M": {"inner": {"S": "v"}, "deep": {"M": {"b": {"B": b"\xfe"}, "l": {"L": [{"N": "7"}, {"NULL": True}]}}}}},
    "l": {"L": [{"S": "one"}, {"N": "2"}, {"B": b"\x03"}, {"BS": [b"\x04"]}, {"M": {}}, {"L": []}, {"SS": ["q"]}]},
}


def make_table(store, name="things", view="NEW_AND_OLD_IMAGES", sort=True):
    keys = [("pk", "S")] + ([("sk", "N")] if sort else [])
    store.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"}
                                  for i, (n, _) in enumerate(keys)],
                       AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in keys],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": view})


def items_of(store, table):
    out, start = [], None
    while True:
        page = store.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        out += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(out, key=lambda i: json.dumps({k: i[k] for k in ("pk", "sk") if k in i}, default=str))


def stream_records(store, table):
    desc = store.describe_table(TableName=table)["Table"]
    arn = desc.get("LatestStreamArn")
    if arn is None:
        return []
    out = []
    for shard in store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = store.get_records(ShardIterator=it)
            out += page["Records"]
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out


def fill(path, n=30):
    with logstore.open(path) as store:
        make_table(store)
        for i in range(n):
            item = dict(EVERY_TYPE, pk={"S": f"k{i % 7}"}, sk={"N": str(i)})
            store.put_item(TableName="things", Item=item)
        return items_of(store, "things")


def the_export(out):
    base = out / "AWSDynamoDB"
    (export_id,) = os.listdir(base)
    return base / export_id


def test_full_export_layout(tmp_path):
    fill(tmp_path / "src", 30)
    out = tmp_path / "out"
    run("export", tmp_path / "src", "--table", "things", "--format", "dynamodb", "--out", out, "--part-records", 12)
    d = the_export(out)
    assert d.name[:14].isdigit() and d.name[14] == "-" and len(d.name) == 23
    assert (d / "_started").read_bytes() == b""
    summary = json.loads((d / "manifest-summary.json").read_text())
    assert summary["version"] == "2020-06-30" and summary["outputFormat"] == "DYNAMODB_JSON"
    assert summary["exportType"] == "FULL_EXPORT" and summary["itemCount"] == 30
    assert summary["exportArn"] == f"{summary['tableArn']}/export/{d.name}"
    assert summary["tableArn"].endswith(":table/things")
    assert summary["manifestFilesS3Key"] == f"AWSDynamoDB/{d.name}/manifest-files.json"
    assert (d / "manifest-summary.checksum").read_text() == hashlib.md5((d / "manifest-summary.json")
                                                                        .read_bytes()).hexdigest()
    entries = [json.loads(line) for line in (d / "manifest-files.json").read_text().splitlines()]
    assert [e["itemCount"] for e in entries] == [12, 12, 6]
    lines = []
    for e in entries:
        assert e["dataFileS3Key"].startswith(f"AWSDynamoDB/{d.name}/data/") and e["dataFileS3Key"].endswith(".json.gz")
        raw = (out / e["dataFileS3Key"]).read_bytes()
        assert e["md5Checksum"] == base64.b64encode(hashlib.md5(raw).digest()).decode()
        assert e["etag"] == hashlib.md5(raw).hexdigest()
        lines += [json.loads(x) for x in gzip.decompress(raw).decode().splitlines()]
    assert all(set(line) == {"Item"} for line in lines)
    first = next(line["Item"] for line in lines if line["Item"]["sk"] == {"N": "0"})
    assert first["b"] == {"B": base64.b64encode(b"\x00\xffbin").decode()}        # DynamoDB JSON: base64
    assert first["bs"] == {"BS": ["AQ==", "AgM="]} and sorted(first["ns"]["NS"]) == ["-3", "1", "2.5"]


@pytest.mark.parametrize("records", [True, False], ids=["with-stream-records", "no-stream-records"])
def test_round_trip_of_every_attribute_type(tmp_path, records):
    original = fill(tmp_path / "src", 30)
    out = tmp_path / "out"
    run("export", tmp_path / "src", "--table", "things", "--format", "dynamodb", "--out", out)
    extra = [] if records else ["--no-stream-records"]
    result = run("import", tmp_path / "dst", out, "--batch-items", 8, *extra)
    assert "30 item(s) written" in result.output and "in 4 batch(es)" in result.output
    with logstore.open(tmp_path / "dst") as store:
        assert items_of(store, "things") == original
        desc = store.describe_table(TableName="things")["Table"]
        assert [k["AttributeName"] for k in desc["KeySchema"]] == ["pk", "sk"]
        assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        got = stream_records(store, "things")
        assert len(got) == (30 if records else 0)
        assert all(r["eventName"] == "INSERT" for r in got)
    # renamed, into the source store itself
    run("import", tmp_path / "src", out, "--table", "copy")
    with logstore.open(tmp_path / "src") as store:
        assert items_of(store, "copy") == original


def test_incremental_export_applies_on_top_of_a_full_one(tmp_path):
    src = tmp_path / "src"
    fill(src, 20)
    run("export", src, "--table", "things", "--format", "dynamodb", "--out", tmp_path / "full")
    time.sleep(0.01)
    since = int(time.time() * 1000)
    time.sleep(0.01)
    with logstore.open(src) as store:
        store.put_item(TableName="things", Item={"pk": {"S": "k0"}, "sk": {"N": "0"}, "s": {"S": "changed"}})
        store.put_item(TableName="things", Item={"pk": {"S": "k0"}, "sk": {"N": "0"}, "s": {"S": "changed twice"}})
        store.delete_item(TableName="things", Key={"pk": {"S": "k1"}, "sk": {"N": "1"}})
        store.put_item(TableName="things", Item={"pk": {"S": "new"}, "sk": {"N": "99"}, "b": {"B": b"\x09"}})
        store.put_item(TableName="things", Item={"pk": {"S": "gone"}, "sk": {"N": "1"}})
        store.delete_item(TableName="things", Key={"pk": {"S": "gone"}, "sk": {"N": "1"}})
        final = items_of(store, "things")
    inc = tmp_path / "inc"
    run("export", src, "--table", "things", "--format", "dynamodb-incremental", "--since", str(since), "--out", inc)
    d = the_export(inc)
    summary = json.loads((d / "manifest-summary.json").read_text())
    assert summary["exportType"] == "INCREMENTAL_EXPORT" and summary["outputView"] == "NEW_AND_OLD_IMAGES"
    assert summary["itemCount"] == 3
    entry = json.loads((d / "manifest-files.json").read_text().splitlines()[0])
    lines = [json.loads(x) for x in gzip.decompress((inc / entry["dataFileS3Key"]).read_bytes()).splitlines()]
    by_pk = {line["Keys"]["pk"]["S"]: line for line in lines}
    assert set(by_pk) == {"k0", "k1", "new"}         # "gone" came and went inside the window
    assert by_pk["k0"]["NewImage"]["s"] == {"S": "changed twice"} and by_pk["k0"]["OldImage"]["s"]["S"] == "text ünïcode"
    assert "NewImage" not in by_pk["k1"] and by_pk["k1"]["OldImage"]["sk"] == {"N": "1"}
    assert "OldImage" not in by_pk["new"] and by_pk["new"]["NewImage"]["b"] == {"B": "CQ=="}
    assert int(by_pk["k0"]["Metadata"]["WriteTimestampMicros"]["N"]) >= since * 1000
    run("import", tmp_path / "dst", tmp_path / "full")
    result = run("import", tmp_path / "dst", inc, "--table", "things")
    assert "2 item(s) written, 1 deleted" in result.output
    with logstore.open(tmp_path / "dst") as store:
        assert items_of(store, "things") == final


def test_import_of_a_hand_written_file_in_aws_format(tmp_path):
    # the shape of AWS's "DynamoDB JSON" import format (Developer Guide, S3DataImport.Format): one Item per line
    data = tmp_path / "books"
    data.mkdir()
    (data / "part1.json").write_text(
        '{"Item":{"Authors":{"SS":["Author1","Author2"]},"Dimensions":{"S":"8.5 x 11.0 x 1.5"},'
        '"ISBN":{"S":"333-3333333333"},"Id":{"N":"103"},"InPublication":{"BOOL":false},"PageCount":{"N":"600"},'
        '"Price":{"N":"2000"},"ProductCategory":{"S":"Book"},"Title":{"S":"Book 103 Title"}}}\n'
        '{"Item":{"Id":{"N":"104"},"Cover":{"B":"iVBORw0KGgo="},"Tags":{"L":[{"S":"new"},{"N":"1"}]},'
        '"Meta":{"M":{"pages":{"NS":["1","2"]},"blobs":{"BS":["AA=="]},"none":{"NULL":true}}}}}\n')
    with gzip.open(data / "part2.json.gz", "wt") as f:
        f.write('{"Item":{"Id":{"N":"105"},"Title":{"S":"Zipped"}}}\n')
    result = run("import", tmp_path / "store", data, "--table", "Books", "--partition-key", "Id:N")
    assert "3 item(s) written" in result.output
    with logstore.open(tmp_path / "store") as store:
        got = store.get_item(TableName="Books", Key={"Id": {"N": "104"}})["Item"]
        assert got["Cover"] == {"B": base64.b64decode("iVBORw0KGgo=")}
        assert got["Meta"]["M"]["blobs"] == {"BS": [b"\x00"]}
        assert store.get_item(TableName="Books", Key={"Id": {"N": "103"}})["Item"]["Authors"] == {
            "SS": ["Author1", "Author2"]}
        assert len(stream_records(store, "Books")) == 3


def test_an_interrupted_import_resumes(tmp_path):
    original = fill(tmp_path / "src", 30)
    out = tmp_path / "out"
    run("export", tmp_path / "src", "--table", "things", "--format", "dynamodb", "--out", out, "--part-records", 10)
    d = the_export(out)
    entries = [json.loads(x) for x in (d / "manifest-files.json").read_text().splitlines()]
    second = out / entries[1]["dataFileS3Key"]
    good = second.read_bytes()
    broken = gzip.decompress(good).splitlines()
    broken[5] = b'{"Item": {"pk": {"S": "no sort key"}}}'
    second.write_bytes(gzip.compress(b"\n".join(broken) + b"\n"))
    entries[1]["md5Checksum"] = base64.b64encode(hashlib.md5(second.read_bytes()).digest()).decode()
    (d / "manifest-files.json").write_text("".join(json.dumps(e) + "\n" for e in entries))
    result = run("import", tmp_path / "dst", out, "--batch-items", 4, ok_codes=(2,))
    assert "error:" in result.output and f"{second}:" in result.output and "refused" in result.output
    with logstore.open(tmp_path / "dst") as store:
        assert len(items_of(store, "things")) == 12      # the batches before the bad one
    second.write_bytes(good)
    entries[1]["md5Checksum"] = base64.b64encode(hashlib.md5(good).digest()).decode()
    (d / "manifest-files.json").write_text("".join(json.dumps(e) + "\n" for e in entries))
    result = run("import", tmp_path / "dst", out, "--batch-items", 4)
    assert "resumed after 1 file(s) and 2 line(s) already imported" in result.output
    with logstore.open(tmp_path / "dst") as store:
        assert items_of(store, "things") == original
        assert len(stream_records(store, "things")) == 30          # nothing written twice


@pytest.mark.parametrize("content, message", [
    (b"not json\n", ":1: not JSON"),
    (b'{"Item": {"pk": {"Q": "x"}}}\n', "unknown attribute type 'Q'"),
    (b'{"Thing": 1}\n', 'is {"Item": {...}}'),
    (b'{"Item": {"pk": {"B": "not base64!"}}}\n', "not base64"),
])
def test_bad_input_is_refused_with_its_place(tmp_path, content, message):
    (tmp_path / "bad.json").write_bytes(content)
    result = run("import", tmp_path / "store", tmp_path / "bad.json", "--table", "bad", "--partition-key", "pk:S",
                 ok_codes=(2,))
    assert message in result.output
    with logstore.open(tmp_path / "store") as store:
        assert store.list_tables()["TableNames"] == []      # refused before anything was written: no table left

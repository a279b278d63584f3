"""Every bad input to the console, against a real ``logstore serve``: each is a 400 (a client mistake) or a 404 (a
missing table, stream, shard or page) whose page says what was wrong, never a 500, and none changes the table or
its stream (the same items and the same stream records before and after). The server's log has no traceback."""
from __future__ import annotations

import json
import re

import pytest

from consolehelpers import Browser, make_table, q
from serverhelpers import read_shard


@pytest.fixture(scope="module")
def target(server):
    ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
    name, arn = make_table(ddb, items=5)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return name, arn, shard


def snapshot(server, name, arn):
    ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
    items = sorted(json.dumps(i, sort_keys=True) for i in ddb.scan(TableName=name, ConsistentRead=True)["Items"])
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    records = [r["dynamodb"]["SequenceNumber"] for s in shards for r in read_shard(streams, arn, s["ShardId"])]
    return items, records


def message(page: str) -> str:
    m = re.search(r'role="alert"[^>]*>(.*?)</', page, re.S)
    assert m, "the error page has no alert saying what was wrong"
    return m.group(1)


# (path with {t} table, {a} stream ARN, {s} shard id; expected status; a fragment of the message)
GETS = [
    ("/tables/nope/items", 404, "Table: nope not found"),
    ("/tables/%00/items", 400, "validation error"),
    ("/tables/" + "x" * 300 + "/items", 400, "validation error"),
    ("/tables/{t}/items?start=garbage", 400, "The start key is not JSON"),
    ("/tables/{t}/items?start=%5B1%5D", 400, "The start key must be a JSON object"),
    ("/tables/{t}/items?start=%7B%7D", 400, "starting key is invalid"),
    ("/tables/{t}/items?start=%7B%22pk%22%3A1%7D", 400, "exactly one type key"),
    ("/tables/{t}/items?limit=-1", 400, "limit must be between 1 and 1000"),
    ("/tables/{t}/items?limit=abc", 400, "limit must be a whole number"),
    ("/tables/{t}/items?limit=100000000000", 400, "limit must be between 1 and 1000"),
    ("/tables/{t}/items?mode=query", 400, "A Query needs a key condition"),
    ("/tables/{t}/items?mode=query&kce=pk%20%3D%20%3Aa", 400, "ValidationException"),
    ("/tables/{t}/items?mode=query&kce=pk%20%3D%20%3Aa&values=notjson", 400, "Values is not JSON"),
    ("/tables/{t}/items?mode=query&kce=pk%20%3D%20%3Aa&values=%5B%5D", 400, "Values must be a JSON object"),
    ("/tables/{t}/items?mode=query&kce=pk%20%3D%20%3Aa&values=%7B%22%3Aa%22%3A%7B%22S%22%3A%22p0%22%7D%7D"
     "&forward=maybe", 400, "forward must be 1 (ascending) or 0 (descending)"),
    ("/tables/{t}/items?index=nope", 400, "does not have the specified index"),
    ("/tables/{t}/items?filter=%28%28", 400, "Invalid FilterExpression"),
    ("/tables/{t}/items?names=%5B%5D", 400, "Names must be a JSON object"),
    ("/tables/{t}/item", 400, "key (the item&#39;s key as DynamoDB JSON"),
    ("/tables/{t}/item?key=bad", 400, "key: not JSON"),
    ("/tables/{t}/item?key=%7B%7D", 400, "key: an item is a JSON object"),
    ("/tables/{t}/item?key=%7B%22pk%22%3A1%7D", 400, "exactly one type key"),
    ("/tables/{t}/item?key=%7B%22pk%22%3A%7B%22S%22%3A%22p0%22%7D%7D", 400, "does not match the schema"),  # no sk
    ("/tables/{t}/delete", 400, "is required"),
    ("/tables/{t}/delete?key=bad", 400, "key: not JSON"),
    ("/stream", 400, "arn (the stream&#39;s ARN) is required"),
    ("/stream?arn=bad", 404, "Stream: bad not found"),
    ("/stream?arn={a}x", 404, "not found"),
    ("/stream?arn={a}&page=0", 400, "page must be between 1 and"),
    ("/stream?arn={a}&page=-5", 400, "page must be between 1 and"),
    ("/stream?arn={a}&page=abc", 400, "page must be a whole number"),
    ("/stream?arn={a}&page=99999999999999999999", 400, "page must be between 1 and"),
    ("/stream/records", 400, "is required"),
    ("/stream/records?arn={a}&shard=nope", 404, "Shard: nope"),
    ("/stream/records?arn={a}&shard={s}&from=abc", 400, "not a sequence number"),
    ("/stream/records?arn={a}&shard={s}&event=BOGUS", 400, "event must be INSERT, MODIFY or REMOVE"),
    ("/stream/tail", 400, "is required"),
    ("/stream/tail?arn=bad", 404, "not found"),
    ("/nope", 404, "No console page at"),
    ("/tables/", 404, "No console page at"),
    ("/%ff", 404, "No console page at"),
]

TAIL = [("notjson", 400), ("%5B%5D", 400), ("%7B%22x%22%3A%22y%22%7D", 400), ("%7B%22{s}%22%3A%22y%22%7D", 400),
        ("%7B%22{s}%22%3A-1%7D", 400)]


def test_every_bad_request_says_what_is_wrong_and_changes_nothing(server, target):
    name, arn, shard = target
    before = snapshot(server, name, arn)
    b = Browser(server.url + "/console")
    wrong = []
    for path, status, fragment in GETS:
        url = path.format(t=name, a=q(arn), s=shard)
        r = b.get(url, allow_redirects=False)
        if r.status_code != status or fragment not in message(r.text):
            wrong.append((url, r.status_code, message(r.text)))
    assert not wrong, wrong
    for cursor, status in TAIL:
        r = b.get(f"/stream/tail.json?arn={q(arn)}&cursor={cursor.format(s=shard)}")
        assert r.status_code == status and "cursor must be a JSON object" in r.text, (cursor, r.text)
    for missing in ("/stream/tail.json", "/stream/tail.json?arn=bad"):
        assert b.get(missing).status_code in (400, 404)
    assert b.get("/static/nope.css").status_code == 404
    assert snapshot(server, name, arn) == before
    assert "Traceback" not in server.log()


def test_every_bad_write_says_what_is_wrong_and_changes_nothing(server, target):
    name, arn, _ = target
    before = snapshot(server, name, arn)
    b = Browser(server.url + "/console")
    token = b.csrf(b.get(f"/tables/{name}/new").text)
    key = json.dumps({"pk": {"S": "p0"}, "sk": {"N": "0"}})
    posts = [
        (f"/tables/{name}/put", {"mode": "create", "item": "{nope"}, 400, "not JSON"),
        (f"/tables/{name}/put", {"mode": "create", "item": "[]"}, 400, "an item is a JSON object"),
        (f"/tables/{name}/put", {"mode": "create", "item": '{"pk": {"S": "x"}}'}, 400, "ValidationException"),
        (f"/tables/{name}/put", {"mode": "create", "item": '{"pk": {"S": "x"}, "sk": {"N": "nan"}}'}, 400,
         "ValidationException"),
        (f"/tables/{name}/put", {"mode": "create", "item": key}, 400, "exists already"),
        (f"/tables/{name}/put", {"mode": "edit", "key": key,
                                 "item": '{"pk": {"S": "moved"}, "sk": {"N": "0"}}'}, 400, "cannot change"),
        (f"/tables/{name}/put", {"mode": "edit", "key": "junk", "item": key}, 400, "key: not JSON"),
        (f"/tables/{name}/delete", {"key": "junk"}, 400, "key: not JSON"),
        (f"/tables/{name}/delete", {}, 400, "is required"),
        ("/tables/nope/put", {"mode": "create", "item": key}, 404, "Table: nope not found"),
        ("/tables/nope/delete", {"key": key}, 404, "Requested resource not found"),
    ]
    wrong = []
    for path, data, status, fragment in posts:
        r = b.post(path, {"csrf": token, **data})
        if r.status_code != status or fragment not in message(r.text):
            wrong.append((path, data, r.status_code, message(r.text)))
    assert not wrong, wrong
    assert snapshot(server, name, arn) == before
    assert "Traceback" not in server.log()

"""The wire itself, with raw HTTP: error envelopes and statuses, SerializationException for malformed JSON and
wrongly typed members (checked against botocore's model), UnknownOperationException, request ids, x-amz-crc32,
the body size limit (refused before the body is read), and no stack trace ever reaching a client."""
from __future__ import annotations

import socket
import zlib

import pytest

DDB = "DynamoDB_20120810."
STREAMS = "DynamoDBStreams_20120810."


def envelope(r):
    body = r.json()
    return r.status_code, body["__type"].rsplit("#", 1)[1], body.get("message", "")


def test_success_headers_and_crc32(server):
    r = server.post(DDB + "ListTables", {})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert len(r.headers["x-amzn-RequestId"]) == 52
    assert int(r.headers["x-amz-crc32"]) == zlib.crc32(r.content)
    assert "TableNames" in r.json()
    assert server.post(DDB + "ListTables", {}).headers["x-amzn-RequestId"] != r.headers["x-amzn-RequestId"]


@pytest.mark.parametrize("body, fragment", [
    (b"{", None), (b"[1, 2]", None), (b"\"text\"", None), (b"{\"Limit\": NaN}", None), (b"\xff\xfe", None),
    (b"[" * 100000, None),
    ({"Limit": "5"}, "Integer"), ({"Limit": 2.5}, None), ({"Limit": True}, None),
    ({"ExclusiveStartTableName": 12}, "String"), ({"ExclusiveStartTableName": {"a": 1}}, "structure"),
])
def test_serialization_exceptions(server, body, fragment):
    r = server.post(DDB + "ListTables", body)
    status, code, message = envelope(r)
    assert (status, code) == (400, "SerializationException")
    assert r.json()["__type"] == "com.amazon.coral.service#SerializationException"
    if fragment:
        assert fragment in message


@pytest.mark.parametrize("body", [
    {"TableName": "x" * 5, "Item": {"pk": {"B": "***not base64***"}}},
    {"TableName": "x" * 5, "Item": {"pk": {"S": ["a"]}}},
    {"TableName": "x" * 5, "Item": {"pk": {"NULL": "yes"}}},
    {"TableName": "x" * 5, "Item": {"pk": {"L": [None]}}},
    {"TableName": "x" * 5, "Item": []},
])
def test_wrongly_typed_items_are_serialization_errors(server, body):
    status, code, _ = envelope(server.post(DDB + "PutItem", body))
    assert (status, code) == (400, "SerializationException")


@pytest.mark.parametrize("target", [DDB + "NoSuchThing", STREAMS + "PutItem", "Nonsense.ListTables", "", None,
                                    DDB + "CreateBackup"])
def test_unknown_operation(server, target):
    r = server.post(target, {})
    status, code, _ = envelope(r)
    assert (status, code) == (400, "UnknownOperationException")
    assert r.json()["__type"] == "com.amazon.coral.service#UnknownOperationException"


def test_validation_envelope_and_prefixes(server):
    r = server.post(STREAMS + "GetRecords", {"ShardIterator": "x", "Limit": 0})
    assert r.status_code == 400
    assert r.json()["__type"] == "com.amazon.coral.validate#ValidationException"
    r = server.post(DDB + "DescribeTable", {"TableName": "no-such-table"})
    assert r.json()["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"


@pytest.mark.parametrize("body", [
    {"TableName": "abc", "Item": {"pk": None}},
    {"TableName": "abc", "Item": {"pk": {}}},
    {"TableName": "abc", "Item": {"pk": {"M": {"a": None}}}},
    {"RequestItems": {"abc": None}},
    {"RequestItems": {"abc": [{"PutRequest": {}}]}},
    {"RequestItems": {"abc": [{"PutRequest": {"Item": None}}]}},
])
def test_odd_but_well_typed_requests_get_client_errors(server, ddb, body):
    ddb_name = "abc"
    try:
        ddb.create_table(TableName=ddb_name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    except ddb.exceptions.ResourceInUseException:
        pass
    target = DDB + ("PutItem" if "Item" in body else "BatchWriteItem")
    r = server.post(target, body)
    assert r.status_code == 400, r.text
    assert envelope(r)[1] in ("ValidationException", "SerializationException"), r.text


def test_body_over_the_limit_is_refused_unread(server):
    # Declare 100 MB and send only the headers: the answer must come without the body being read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
                  b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 100000000\r\n\r\n{")
        reply = b""
        while chunk := s.recv(65536):       # the server closes the connection after answering
            reply += chunk
        reply = reply.decode()
    assert reply.startswith("HTTP/1.1 413"), reply
    assert "RequestEntityTooLargeException" in reply


def test_streamed_body_over_the_configured_limit_is_refused(server):
    # No Content-Length: a chunked body is counted as it arrives and refused once past --max-body (1 MiB here).
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.DescribeTable\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
        try:
            for _ in range(64):                          # 4 MiB offered; the server stops reading after 1 MiB
                s.sendall(chunk)
        except OSError:                                  # it answered and closed while we were still sending
            pass
        reply = b""
        try:
            while part := s.recv(65536):
                reply += part
        except OSError:
            pass
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"RequestEntityTooLargeException" in reply
    body = b'{"TableName": "' + b"x" * 900_000 + b'"}'        # under the limit: read, then validated
    r = server.post(DDB + "DescribeTable", body)
    assert r.status_code == 400 and "at 'tableName'" in r.json()["message"]


def test_get_is_a_health_check_and_other_paths_are_refused(server):
    import requests
    assert requests.get(server.url + "/", timeout=10).status_code == 200
    assert requests.post(server.url + "/elsewhere", data="{}", timeout=10).status_code == 404
    assert requests.put(server.url + "/", data="{}", timeout=10).status_code == 405


def test_no_stack_traces_in_error_bodies(server):
    for target, body in [(DDB + "PutItem", b"{\"TableName\": \"abc\", \"Item\": {\"pk\": {\"S\": \"\\ud800\"}}}"),
                         (STREAMS + "GetRecords", {"ShardIterator": "arn:aws:dynamodb:a|1|" + "A" * 500})]:
        r = server.post(target, body)
        assert r.status_code < 500, r.text
        assert "Traceback" not in r.text and "File \"" not in r.text


def test_reset_wipes_the_store_and_nothing_else(tmp_path):
    from serverhelpers import ServerProcess
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "notes.txt").write_text("keep me")
    own = ServerProcess(tmp_path / "store", tmp_path / "log", "--enable-test-endpoints").start()
    try:
        ddb = own.client("dynamodb")
        ddb.create_table(TableName="gone", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        assert own.admin("/moto-api/reset") == {"status": "ok"}
        assert ddb.list_tables()["TableNames"] == []
        assert (tmp_path / "store" / "notes.txt").read_text() == "keep me"
    finally:
        own.stop()


def test_json_types_on_the_wire(server, table):
    name, arn = table
    raw = server.post(DDB + "DescribeTable", {"TableName": name}).json()["Table"]
    assert isinstance(raw["CreationDateTime"], (int, float)) and raw["CreationDateTime"] > 1.6e9
    assert isinstance(raw["ItemCount"], int) and isinstance(raw["TableSizeBytes"], int)
    server.post(DDB + "PutItem", {"TableName": name, "Item": {"pk": {"S": "j"}, "b": {"B": "AP8="},
                                                            "bs": {"BS": ["AQ==", "Ag=="]}, "n": {"N": "10.0"}}})
    item = server.post(DDB + "GetItem", {"TableName": name, "Key": {"pk": {"S": "j"}}}).json()["Item"]
    assert item["b"] == {"B": "AP8="} and sorted(item["bs"]["BS"]) == ["AQ==", "Ag=="] and item["n"] == {"N": "10"}
    shard = server.post(STREAMS + "DescribeStream", {"StreamArn": arn}).json()["StreamDescription"]["Shards"][0]
    it = server.post(STREAMS + "GetShardIterator", {"StreamArn": arn, "ShardId": shard["ShardId"],
                                                     "ShardIteratorType": "TRIM_HORIZON"}).json()["ShardIterator"]
    record = server.post(STREAMS + "GetRecords", {"ShardIterator": it}).json()["Records"][0]
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], (int, float))
    assert isinstance(record["dynamodb"]["SizeBytes"], int)
    assert record["dynamodb"]["NewImage"]["b"] == {"B": "AP8="}
    assert record["dynamodb"]["SequenceNumber"].isdigit()

"""Hostile HTTP over loopback (issue 18): truncated bodies, slow bodies, header floods, oversized request lines,
a signature that leaves X-Amz-Target unsigned, and a hundred slow 15 MiB uploads. What must hold: no 5xx for any
of these client mistakes, no partial request ever executed, the server's RSS bounded by its body budget."""
from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
from serverhelpers import ServerProcess, signed_headers

AKID, SECRET = "AKIDHOSTILE", "hostile-secret"
BODY_TIMEOUT = 3
BUDGET = 32 * 1024 * 1024


def _raw(port: int, data: bytes, *, close_write: bool = False, timeout: float = 15) -> bytes:
    """Send ``data`` on a fresh connection and return everything the server answers until it closes (or the
    time is up)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if close_write:
            s.shutdown(socket.SHUT_WR)
        return _read_all(s, timeout)


def _read_all(s: socket.socket, timeout: float) -> bytes:
    out, deadline = b"", time.monotonic() + timeout
    s.settimeout(1)
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            if b"\r\n\r\n" in out and _complete(out):
                break
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _status(response: bytes) -> int | None:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else None


def _request(target: str, body: bytes, *, length: int | None = None, extra: bytes = b"") -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: " + target.encode() + b"\r\nContent-Length: "
            + str(len(body) if length is None else length).encode() + b"\r\n" + extra + b"\r\n")


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    proc = ServerProcess(base / "store", base / "log", "--body-timeout", str(BODY_TIMEOUT), "--body-budget",
                         str(BUDGET), "--max-headers", "50", "--max-header-bytes", "8192",
                         "--max-request-line", "4096").start()
    ddb = proc.client("dynamodb")
    ddb.create_table(TableName="hostile", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    yield proc
    proc.stop()
    log = proc.log()
    assert "Traceback" not in log, log[-3000:]


def _put(pk: str, pad: int = 50) -> bytes:
    return json.dumps({"TableName": "hostile", "Item": {"pk": {"S": pk}, "pad": {"S": "x" * pad}}}).encode()


def _exists(server, pk: str) -> bool:
    return "Item" in server.client("dynamodb").get_item(TableName="hostile", Key={"pk": {"S": pk}})


def test_truncated_bodies_are_never_executed(open_server):
    port = open_server.port
    for i, cut in enumerate((0, 1, 30, 65, 114)):
        body = _put(f"cut-{i}")
        answer = _raw(port, _request("DynamoDB_20120810.PutItem", body) + body[:cut], close_write=True, timeout=8)
        assert _status(answer) in (None, 400, 408), answer[:300]
        assert not _exists(open_server, f"cut-{i}")
    whole = _put("whole")
    assert _status(_raw(port, _request("DynamoDB_20120810.PutItem", whole) + whole)) == 200
    assert _exists(open_server, "whole")


def test_slow_body_times_out_and_is_not_executed(open_server):
    body = _put("slow")
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=20) as s:
        s.sendall(_request("DynamoDB_20120810.PutItem", body) + body[:40])
        time.sleep(BODY_TIMEOUT + 1)
        answer = _read_all(s, 10)
        with pytest.raises(OSError):   # the server has closed the connection: the rest goes nowhere
            for _ in range(20):
                s.sendall(body[40:])
                time.sleep(0.05)
    assert _status(answer) == 408, answer[:300]
    assert b"RequestTimeoutException" in answer
    assert not _exists(open_server, "slow")


def test_bodies_in_parts_chunked_or_pipelined_are_read_whole(open_server):
    """A body that arrives with its head is read with no timer armed (protocol.BODY_COMPLETE); one that arrives
    later, in parts, chunked or behind another request on the same connection, is read under the timer. Each is
    executed exactly once, whole."""
    port, target = open_server.port, "DynamoDB_20120810.PutItem"
    body = _put("parts")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(_request(target, body) + body[:40])
        time.sleep(0.5)                                    # well inside the body timeout
        s.sendall(body[40:])
        assert _status(_read_all(s, 5)) == 200
    chunked_head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                    b"X-Amz-Target: " + target.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    whole = _put("chunked-whole")
    assert _status(_raw(port, chunked_head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(whole), whole), timeout=5)) == 200
    split = _put("chunked-split")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(chunked_head + b"%x\r\n%s\r\n" % (30, split[:30]))
        time.sleep(0.5)
        s.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(split) - 30, split[30:]))
        assert _status(_read_all(s, 5)) == 200
    first, second = _put("pipelined-1"), _put("pipelined-2")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(_request(target, first) + first + _request(target, second) + second)
        answers = b""
        deadline = time.monotonic() + 10
        while answers.count(b"HTTP/1.1 200") < 2 and time.monotonic() < deadline:
            answers += s.recv(65536)
        assert answers.count(b"HTTP/1.1 200") == 2, answers[:600]
    for pk in ("parts", "chunked-whole", "chunked-split", "pipelined-1", "pipelined-2"):
        assert _exists(open_server, pk), pk


@pytest.mark.parametrize("head", [
    b"".join(b"X-Flood-%d: x\r\n" % i for i in range(60)),           # too many header fields
    b"X-Big: " + b"y" * 9000 + b"\r\n",                               # header block too large
    b"X-Endless: " + b"z" * 300_000,                                  # one endless header line, never ended
], ids=["count", "bytes", "endless"])
def test_header_floods_are_refused_with_400(open_server, head):
    body = _put("flood")
    answer = _raw(open_server.port, _request("DynamoDB_20120810.PutItem", body, extra=head) + body)
    assert _status(answer) == 400, answer[:300]
    assert b"HTTP request headers or request line too large" in answer
    assert not _exists(open_server, "flood")


def test_oversized_request_line_is_refused_with_400(open_server):
    answer = _raw(open_server.port, b"POST /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    assert _status(answer) == 400 and b"too large" in answer, answer[:300]
    assert requests.get(open_server.url + "/", timeout=5).status_code == 200   # the server is fine


def test_slow_uploads_hold_only_the_budget(open_server):
    """100 connections each sending a 15 MiB body as fast as the server takes it: at most the budget is admitted
    (and read) at a time, the rest wait unread and are refused (ThrottlingException) when the body timeout passes;
    the bodies are not JSON, so each admitted one is a 400 too. No 5xx; RSS stays bounded by the budget."""
    pid = open_server.proc.pid
    before = _rss_kb(pid)
    declared = 15 * 1024 * 1024
    statuses, peak, lock = [], [before], threading.Lock()

    def upload(n):
        try:
            with socket.create_connection(("127.0.0.1", open_server.port), timeout=30) as s:
                s.sendall(_request("DynamoDB_20120810.PutItem", b"", length=declared))
                s.settimeout(BODY_TIMEOUT * 2)
                chunk, sent = b"x" * (1 << 20), 0
                try:
                    while sent < declared:
                        s.sendall(chunk)
                        sent += len(chunk)
                except (socket.timeout, OSError):
                    pass   # refused and closed by the server while sending: read what it said
                answer = _read_all(s, BODY_TIMEOUT * 2)
        except OSError:
            answer = b""
        with lock:
            statuses.append(_status(answer))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak.append(_rss_kb(pid))
        time.sleep(0.2)
        for t in threads:
            t.join(0)
    print(f"\nRSS before {before} kB, peak {max(peak)} kB during 100 slow 15 MiB uploads (budget {BUDGET >> 20} MiB); "
          f"statuses {sorted(set(map(str, statuses)))}")
    assert all(s is None or 400 <= s < 500 for s in statuses), statuses
    assert statuses.count(400) >= 2, statuses
    assert max(peak) - before < 3 * BUDGET // 1024 + 64 * 1024, (before, max(peak))
    assert requests.get(open_server.url + "/", timeout=5).status_code == 200


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-keys")
    proc = ServerProcess(base / "store", base / "log", "--access-key", f"{AKID}:{SECRET}").start()
    yield proc
    proc.stop()


def test_unsigned_target_cannot_be_replayed_as_another_operation(keyed_server):
    ddb = keyed_server.client("dynamodb", aws_access_key_id=AKID, aws_secret_access_key=SECRET)
    ddb.create_table(TableName="signed", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.put_item(TableName="signed", Item={"pk": {"S": "keep"}})
    body = json.dumps({"TableName": "signed", "Key": {"pk": {"S": "keep"}}}).encode()
    headers = signed_headers(keyed_server.url, "DynamoDB_20120810.GetItem", body, AKID, SECRET)
    # re-sign over only host;x-amz-date, as an attacker who captured a GetItem would need the server to accept
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=keyed_server.url + "/", data=body,
                         headers={"Host": keyed_server.url.split("//", 1)[1], "X-Amz-Date": headers["X-Amz-Date"]})
    request.context["timestamp"] = headers["X-Amz-Date"]
    signer = SigV4Auth(Credentials(AKID, SECRET), "dynamodb", "us-east-1")
    signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    signer._inject_signature_to_request(request, signature)
    narrow = dict(request.headers.items())
    assert "SignedHeaders=host;x-amz-date," in narrow["Authorization"]
    for target in ("DynamoDB_20120810.GetItem", "DynamoDB_20120810.DeleteItem"):
        r = requests.post(keyed_server.url + "/", data=body, timeout=10, headers={
            **narrow, "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        assert r.status_code == 400, r.text
        assert r.json()["__type"].endswith("#InvalidSignatureException")
        assert r.json()["message"] == "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
    assert "Item" in ddb.get_item(TableName="signed", Key={"pk": {"S": "keep"}})
    r = requests.post(keyed_server.url + "/", data=body, headers=headers, timeout=10)   # properly signed: fine
    assert r.status_code == 200 and r.json()["Item"]["pk"] == {"S": "keep"}


@pytest.mark.parametrize("body", [
    '{"TableName":"cap","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":'
    '[{"AttributeName":"pk","AttributeType":"S"}],"ProvisionedThroughput":{"ReadCapacityUnits":18446744073709551616,'
    '"WriteCapacityUnits":1}}',
    '{"TableName":"cap","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":'
    '[{"AttributeName":"pk","AttributeType":"S"}],"ProvisionedThroughput":{"ReadCapacityUnits":9223372036854775808,'
    '"WriteCapacityUnits":1}}',
], ids=["2^64", "2^63"])
def test_capacity_beyond_a_long_is_a_400(open_server, body):
    r = open_server.post("DynamoDB_20120810.CreateTable", body)
    assert r.status_code == 400 and r.json()["__type"].endswith("#SerializationException"), r.text
    assert "cap" not in open_server.client("dynamodb").list_tables()["TableNames"]


@pytest.mark.parametrize("limit", ["1e300", "2147483648", "18446744073709551615"])
def test_scan_limit_beyond_an_int_is_a_400(open_server, limit):
    r = open_server.post("DynamoDB_20120810.Scan", '{"TableName":"hostile","Limit":' + limit + '}')
    assert r.status_code == 400 and r.json()["__type"].endswith("#SerializationException"), r.text


def test_unsigned_content_type_is_refused_too(keyed_server):
    body = b'{"TableName": "signed", "Key": {"pk": {"S": "keep"}}}'
    headers = signed_headers(keyed_server.url, "DynamoDB_20120810.GetItem", body, AKID, SECRET)
    auth = headers["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0]
    assert "content-type" in signed.split(";")
    # the same signature, claiming Content-Type was not signed: the signature no longer matches, and before that
    # the server refuses a Content-Type the client says it left out
    narrowed = auth.replace(signed, ";".join(h for h in signed.split(";") if h != "content-type"))
    r = requests.post(keyed_server.url + "/", data=body, headers={**headers, "Authorization": narrowed}, timeout=10)
    assert r.status_code == 400 and r.json()["message"] == ("'Content-Type' must be a 'SignedHeader' in the AWS "
                                                            "Authorization."), r.text

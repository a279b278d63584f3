"""Who can use the console: with access keys, ``serve``'s console needs a login with one of them (and the API still
needs SigV4); ``logstore console`` is read-only over a store another process is writing, without its writer
lock; ``--no-console`` turns it off."""
from __future__ import annotations

import json
import re
import signal

from consolehelpers import Browser, ConsoleProcess, make_table, q
from serverhelpers import ServerProcess


def test_access_keys_guard_the_console_behind_a_login(tmp_path):
    proc = ServerProcess(tmp_path / "store", tmp_path / "server.log", "--access-key", "AKIDCONSOLE:s3cret").start()
    try:
        b = Browser(proc.url + "/console")
        r = b.get("/", allow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=")
        assert b.get("/store", allow_redirects=False).status_code == 303
        assert b.get("/static/console.css").status_code == 200      # the login page needs its style
        form = b.get("/login")
        token = b.csrf(form.text)
        wrong = b.post("/login", {"csrf": token, "key_id": "AKIDCONSOLE", "secret": "nope", "next": "/console/"})
        assert wrong.status_code == 401 and "wrong secret" in wrong.text
        assert "ls_session" not in b.s.cookies
        no_token = b.post("/login", {"key_id": "AKIDCONSOLE", "secret": "s3cret"})
        assert no_token.status_code == 401 and "ls_session" not in b.s.cookies
        ok = b.post("/login", {"csrf": token, "key_id": "AKIDCONSOLE", "secret": "s3cret",
                               "next": "/console/store"})
        assert ok.status_code == 303 and ok.headers["location"] == "/console/store"
        assert "HttpOnly" in ok.headers["set-cookie"] and "SameSite=Strict" in ok.headers["set-cookie"]
        assert b.get("/").status_code == 200
        assert "log out AKIDCONSOLE" in b.get("/store").text
        forged = Browser(proc.url + "/console")
        value = b.s.cookies["ls_session"]
        key_id, expires, sig = value.rsplit(".", 2)
        forged.s.cookies.set("ls_session", f"{key_id}.{int(expires) + 999}.{sig}")
        assert forged.get("/", allow_redirects=False).status_code == 303
        assert proc.post("DynamoDB_20120810.ListTables", {}).status_code == 400   # unsigned API call: refused
        out = b.post("/logout", {"csrf": b.csrf(b.get("/").text)})
        assert out.status_code == 303
        assert b.get("/", allow_redirects=False).status_code == 303
        evil = b.post("/login", {"csrf": token, "key_id": "AKIDCONSOLE", "secret": "s3cret",
                                 "next": "http://evil.example/"})
        assert evil.headers["location"] == "/console/"      # never a redirect off the console
    finally:
        assert proc.stop() in (0, -signal.SIGTERM), proc.log()


def test_no_console_flag(tmp_path):
    proc = ServerProcess(tmp_path / "store", tmp_path / "server.log", "--no-console").start()
    try:
        assert Browser(proc.url + "/console").get("/").status_code == 405
    finally:
        proc.stop()


def test_logstore_console_is_read_only_over_a_store_being_written(server, ddb, tmp_path):
    name, arn = make_table(ddb, items=3)
    with ConsoleProcess(server.path, tmp_path / "console.log") as console:
        b = Browser(console.url.rstrip("/"))
        page = b.get("/")
        assert page.status_code == 200 and "read-only" in page.text and name in page.text
        items = b.get(f"/tables/{name}/items")
        assert items.text.count("/item?key=") == 3 and "New item" not in items.text
        key = json.dumps({"pk": {"S": "p0"}, "sk": {"N": "0"}})
        item = b.get(f"/tables/{name}/item?key={q(key)}")
        assert item.status_code == 200 and 'name="csrf"' not in item.text      # no write form at all
        token = b.s.cookies.get("ls_csrf")
        for path, data in ((f"/tables/{name}/put", {"mode": "create", "item": key}),
                           (f"/tables/{name}/delete", {"key": key})):
            r = b.post(path, dict(data, csrf=token))
            assert r.status_code == 403 and "read-only" in r.text
        assert b.get(f"/tables/{name}/new").status_code == 403
        assert ddb.scan(TableName=name)["Count"] == 3
        # the server keeps writing (it holds the writer lock); the console sees each commit
        ddb.put_item(TableName=name, Item={"pk": {"S": "later"}, "sk": {"N": "9"}})
        assert b.get(f"/tables/{name}/items").text.count("/item?key=") == 4
        stream = b.get(f"/stream?arn={q(arn)}")
        assert stream.status_code == 200 and re.search(r'data-records="4"', stream.text)
        assert "Traceback" not in console.log()

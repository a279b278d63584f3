"""The console's pure parts: AttributeValues rendered and parsed, image diffs, session cookies and CSRF checks."""
from __future__ import annotations

import pytest

from logstore.console import auth, values
from logstore.errors import ValidationException


def test_readable_rendering_of_every_type():
    item = {"s": {"S": "a\"b"}, "n": {"N": "1.5"}, "b": {"B": b"\x00\xff"}, "t": {"BOOL": True}, "z": {"NULL": True},
            "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01"]},
            "l": {"L": [{"S": "q"}, {"N": "3"}]}, "m": {"M": {"k": {"BOOL": False}}}}
    shown = {k: values.readable(v) for k, v in item.items()}
    assert shown == {"s": '"a\\"b"', "n": "1.5", "b": "b64:AP8=", "t": "true", "z": "null", "ss": '<<"x", "y">>',
                     "ns": "<<1, 2>>", "bs": "<<b64:AQ==>>", "l": '["q", 3]', "m": '{"k": false}'}
    assert values.short({"S": "x" * 500}, 20).endswith("\u2026") and len(values.short({"S": "x" * 500}, 20)) == 20


def test_json_round_trip_keeps_binary():
    item = {"pk": {"S": "a"}, "b": {"B": b"\x00\x01"}, "bs": {"BS": [b"\x02"]},
            "m": {"M": {"l": {"L": [{"B": b"\x03"}]}}}}
    assert values.item_from_json(values.to_json(item)) == item


@pytest.mark.parametrize("text, message", [
    ("nope", "not JSON"), ("[]", "JSON object"), ("{}", "JSON object"),
    ('{"a": {"S": "x", "N": "1"}}', "exactly one type key"), ('{"a": "x"}', "exactly one type key"),
    ('{"a": {"B": "***"}}', "base64"), ('{"a": {"M": {"b": 1}}}', "a.b"),
])
def test_bad_json_says_what_is_wrong(text, message):
    with pytest.raises(ValidationException) as e:
        values.item_from_json(text)
    assert message in e.value.message


def test_diff_of_images():
    old = {"k": {"S": "1"}, "a": {"N": "1"}, "gone": {"S": "x"}, "same": {"BOOL": True}}
    new = {"k": {"S": "1"}, "a": {"N": "2"}, "added": {"L": []}, "same": {"BOOL": True}}
    kinds = {c.attribute: (c.kind, c.old, c.new) for c in values.diff(old, new)}
    assert kinds == {"a": ("changed", "1", "2"), "added": ("added", None, "[]"), "gone": ("removed", '"x"', None),
                     "k": ("same", '"1"', '"1"'), "same": ("same", "true", "true")}
    assert [c.kind for c in values.diff(None, {"k": {"S": "1"}})] == ["added"]


def test_session_cookie_checks_key_expiry_and_signature():
    keys = {"AKID": "secret"}
    assert auth.login(keys, "AKID", "wrong", 1000) is None and auth.login(keys, "OTHER", "secret", 1000) is None
    cookie = auth.login(keys, "AKID", "secret", 1000)
    assert auth.session(keys, cookie, 1000) == "AKID"
    assert auth.session(keys, cookie, 1000 + auth.SESSION_S + 1) is None          # expired
    assert auth.session({"AKID": "rotated"}, cookie, 1000) is None                 # the secret changed
    assert auth.session({}, cookie, 1000) is None                                  # the key was removed
    key_id, expires, sig = cookie.rsplit(".", 2)
    assert auth.session(keys, f"{key_id}.{int(expires) + 1}.{sig}", 1000) is None  # tampered expiry
    for junk in ("", "x", "a.b.c", "AKID.notanumber.sig"):
        assert auth.session(keys, junk, 1000) is None


def test_csrf_rules():
    assert auth.csrf_ok("t", "t", {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000",
                                   "sec-fetch-site": "same-origin"})
    assert auth.csrf_ok("t", "t", {})
    assert not auth.csrf_ok("t", "u", {})
    assert not auth.csrf_ok(None, "t", {}) and not auth.csrf_ok("t", None, {})
    assert not auth.csrf_ok("t", "t", {"host": "127.0.0.1:8000", "origin": "http://evil.example"})
    assert not auth.csrf_ok("t", "t", {"sec-fetch-site": "cross-site"})
    assert not auth.csrf_ok("t", "t", {"sec-fetch-site": "same-site"})

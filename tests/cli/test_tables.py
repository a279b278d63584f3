"""``logstore tables``: each table's key schema, item count and stream settings, as JSON and for people."""
from __future__ import annotations

from clihelpers import run, run_json


def test_tables_json(built):
    rows = {t["name"]: t for t in run_json("tables", built.path)["tables"]}
    assert sorted(rows) == ["old", "orders", "users"]
    users, orders, old = rows["users"], rows["orders"], rows["old"]
    assert users["key_schema"] == [{"name": "pk", "type": "S", "role": "HASH"}]
    assert orders["key_schema"] == [{"name": "pk", "type": "S", "role": "HASH"},
                                    {"name": "sk", "type": "N", "role": "RANGE"}]
    assert (users["items"], orders["items"], old["items"]) == (35, 5, 4)
    assert users["bytes"] > 0
    assert (users["stream_enabled"], users["stream_view_type"], users["latest_stream_arn"]) == (
        True, "NEW_AND_OLD_IMAGES", built.users_arn)
    assert (old["stream_enabled"], old["stream_status"], old["latest_stream_arn"]) == (False, "DISABLED",
                                                                                     built.old_arn)


def test_tables_for_people(built):
    out = run("tables", built.path).stdout
    assert "3 table(s)" in out
    for text in ("users", "pk S HASH", "sk N RANGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY", "off (was NEW_IMAGE)",
                 built.users_arn):
        assert text in out, text


def test_an_empty_store_has_no_tables(tmp_path):
    import logstore
    logstore.open(tmp_path / "s", durable=False).close()
    assert run_json("tables", tmp_path / "s") == {"tables": []}
    assert "0 table(s)" in run("tables", tmp_path / "s").stdout

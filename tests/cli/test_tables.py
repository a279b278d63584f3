"""``logstore tables``: each table's key schema, item count and stream settings, as JSON and for people."""
from __future__ import annotations

import pytest
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


def _at_width(width: int, *args) -> str:
    from click.testing import CliRunner

    from logstore.cli import main
    result = CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": str(width)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("width", [80, 120])
def test_tables_fit_80_and_120_columns_with_whole_arns(built, width):
    """Regression (issue 16): at 80 columns the ARN and table columns were cut away; at 120 each ARN wrapped over
    many lines. The table now fits the width with every column, and each ARN is one whole line under it."""
    out = _at_width(width, "tables", built.path)
    table, _, arns = out.partition("latest stream ARNs")
    assert all(len(line) <= width for line in table.splitlines()), table
    for header in ("table", "key schema", "items", "size", "stream", "TTL", "created"):
        assert header in table.splitlines()[2], header
    for name, items, stream in (("users", "35", "NEW_AND_OLD_IMAGES"), ("orders", "5", "KEYS_ONLY"),
                                ("old", "4", "off (was NEW_IMAGE)")):
        row = next(line for line in table.splitlines() if line.split()[:1] == [name])
        assert f" {items} " in row and stream in row, row
    for name, arn in (("users", built.users_arn), ("orders", built.orders_arn), ("old", built.old_arn)):
        assert any(line.split() == [name, arn] for line in arns.splitlines()), arns

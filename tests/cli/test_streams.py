"""``logstore streams``: every stream with ARN, status, view type and shard count, DISABLED ones included."""
from __future__ import annotations

import pytest
from clihelpers import run, run_json


def test_streams_json_includes_disabled_streams(built):
    rows = {s["arn"]: s for s in run_json("streams", built.path)["streams"]}
    assert set(rows) == {built.users_arn, built.orders_arn, built.old_arn}
    users, orders, old = rows[built.users_arn], rows[built.orders_arn], rows[built.old_arn]
    assert (users["status"], users["view_type"], users["shards"], users["open_shards"]) == (
        "ENABLED", "NEW_AND_OLD_IMAGES", 3, 2)
    assert (orders["view_type"], orders["shards"], orders["key_schema"]) == (
        "KEYS_ONLY", 1, [{"name": "pk", "role": "HASH"}, {"name": "sk", "role": "RANGE"}])
    assert (old["status"], old["shards"], old["open_shards"]) == ("DISABLED", 1, 0)
    assert old["disabled"] is not None and users["disabled"] is None


def test_streams_of_one_table(built):
    assert [s["arn"] for s in run_json("streams", built.path, "--table", "old")["streams"]] == [built.old_arn]
    assert run_json("streams", built.path, "--table", "nope") == {"streams": []}


def test_streams_for_people(built):
    out = run("streams", built.path).stdout
    assert "3 stream(s)" in out
    for text in (built.users_arn, built.old_arn, "DISABLED", "ENABLED", "KEYS_ONLY"):
        assert text in out, text


@pytest.mark.parametrize("width", [80, 120])
def test_streams_fit_80_and_120_columns_with_whole_arns(built, width):
    """Regression (issue 16): at 80 columns the ARN and table columns were cut away; at 120 each ARN wrapped over
    many lines. The table now fits the width with every column, and each ARN is one whole line under it."""
    from click.testing import CliRunner

    from logstore.cli import main
    result = CliRunner().invoke(main, ["streams", str(built.path)], env={"COLUMNS": str(width)},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table, _, arns = result.output.partition("stream ARNs")
    assert all(len(line) <= width for line in table.splitlines()), table
    for header in ("table", "status", "view type", "shards", "created", "disabled"):
        assert header in table.splitlines()[2], header
    for name, status, view, shards in (("users", "ENABLED", "NEW_AND_OLD_IMAGES", "3 (2 open)"),
                                       ("orders", "ENABLED", "KEYS_ONLY", "1 (1 open)"),
                                       ("old", "DISABLED", "NEW_IMAGE", "1 (0 open)")):
        row = next(line for line in table.splitlines() if line.split()[:1] == [name])
        assert status in row and view in row and shards in row, row
    for name, arn in (("users", built.users_arn), ("orders", built.orders_arn), ("old", built.old_arn)):
        assert any(line.split() == [name, arn] for line in arns.splitlines()), arns

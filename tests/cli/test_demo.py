"""``logstore demo`` (mentioned in the README's quick start) runs end to end and reports what the stream holds."""
from __future__ import annotations

from click.testing import CliRunner

from logstore.cli import main


def test_demo_writes_items_and_reads_the_change_log(tmp_path):
    runner = CliRunner()
    for _ in range(2):  # and again over the same store: it starts over with a fresh table
        result = runner.invoke(main, ["demo", str(tmp_path / "demo"), "--items", "1500"])
        assert result.exit_code == 0, result.output
        assert "read 1502 stream records" in result.output
        assert "1500 INSERT, 1 MODIFY, 1 REMOVE" in result.output


def test_demo_refuses_fewer_than_one_item(tmp_path):
    """Was: "inserted -5 items in 0.00s (-3,787,867/s ...)" into a store made for it."""
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "demo"), "--items", "-5"])
    assert result.exit_code == 2
    assert "Invalid value for '--items'" in result.output
    assert not (tmp_path / "demo").exists()

"""Fixtures of the CLI tests: a store built through the engine (clihelpers.build_store) in tmp_path."""
from __future__ import annotations

import pytest

from clihelpers import build_store


@pytest.fixture
def built(tmp_path):
    return build_store(tmp_path / "store")

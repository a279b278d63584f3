"""Shared test fixtures: a fresh store directory, seeds that are printed, the codec implementations."""
from __future__ import annotations

import os
import random

import pytest


@pytest.fixture
def store_path(tmp_path):
    """A path for a new store directory (not yet created)."""
    return tmp_path / "store"


@pytest.fixture
def seed(request):
    """A random seed, printed so a failure can be replayed with LOGSTORE_SEED=<seed> (the one seed fixture: every
    randomised test takes it)."""
    value = int(os.environ.get("LOGSTORE_SEED") or random.randrange(1 << 32))
    print(f"\n{request.node.nodeid}: seed {value} (replay with LOGSTORE_SEED={value})")
    return value

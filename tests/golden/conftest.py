"""The golden wire tier: its runner (golden.py) and scenario (scenario.py) sit beside the tests; the server
helpers come from tests/server."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "server"))

"""The server's GC policy (server/gcpolicy.py), applied in a child process so this test process keeps its own."""
import subprocess
import sys

CHILD = """
import gc, json
from logstore.server import gcpolicy
before = gc.get_threshold()
gcpolicy.tune_for_serving()
gcpolicy.tune_for_serving()   # idempotent
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "before": before,
                  "after": gc.get_threshold()}))
"""


def test_tuning_freezes_start_up_and_raises_thresholds_with_the_gc_still_on():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=True)
    import json
    got = json.loads(out.stdout)
    assert got["enabled"] is True
    assert got["frozen"] > 1000                     # the imported modules' objects are out of the collector's walk
    assert got["after"][0] >= 50_000 > got["before"][0]
    assert got["after"][1] >= got["before"][1] and got["after"][2] >= got["before"][2]

"""Record the golden wire fixture: ``.venv/bin/python tests/golden/record.py`` runs scenario.py against a fresh
``logstore serve`` and a fresh embedded store and writes wire.json: each step's request, and the exact normalised
response body and status of the server (``status``/``body``) and, where the embedded store answers differently,
of the embedded store (``embedded``; null for an exchange only the HTTP border has). Re-record only on purpose (a behaviour change meant and reviewed): the
fixture is what guards refactors."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE.parent / "server")]

import golden  # noqa: E402
import scenario  # noqa: E402
from serverhelpers import ServerProcess  # noqa: E402

import logstore  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "served", Path(tmp) / "server.log").start()
        try:
            served = golden.run(golden.HttpTarget(server.url), scenario.STEPS)
        finally:
            server.stop()
        with logstore.open(Path(tmp) / "embedded", durable=False) as store:
            embedded = golden.run(golden.EmbeddedTarget(store), scenario.STEPS)
    for s, e in zip(served, embedded):
        if e is None:
            s["embedded"] = None        # an exchange of the HTTP border only
        elif (s["status"], s["body"]) != (e["status"], e["body"]):
            s["embedded"] = {"status": e["status"], "body": e["body"]}
    golden.FIXTURE.write_text(json.dumps(served, indent=1) + "\n")
    differ = sum(s.get("embedded", 0) is not None and "embedded" in s for s in served)
    print(f"{len(served)} exchanges written to {golden.FIXTURE}; {differ} answered differently by the embedded store")


if __name__ == "__main__":
    main()

"""Golden wire JSON: the recorded exchanges of wire.json (every operation, successes and errors; recorded by
record.py before the api layer's refactor) replayed against a fresh real ``logstore serve`` and a fresh embedded
store; every response body must equal the recorded bytes (after golden.py's normalisation of what varies between
runs), with the recorded status. Where the embedded store answers differently from the server, the fixture says
so (``embedded``), and that answer is held too, so a change to either shows here."""
from __future__ import annotations

import json
import signal

import golden
import scenario
from serverhelpers import ServerProcess

import logstore

RECORDED = golden.load()


def _compare(name: str, got: list, expected: list[dict], embedded: bool) -> None:
    assert len(got) == len(expected), "the scenario and wire.json disagree: re-record (record.py)"
    faults = []
    for n, (g, e) in enumerate(zip(got, expected)):
        want = e.get("embedded", e) if embedded else e
        if want is None or g is None:
            assert want is None and g is None, f"step {n} {e['operation']}: taken by one side only"
            continue
        if (g["status"], g["body"]) != (want["status"], want["body"]):
            faults.append(f"step {n} {e['operation']} {e['request']}:\n  expected {want['status']} {want['body']}\n"
                          f"  got      {g['status']} {g['body']}")
    assert not faults, f"{name}: {len(faults)} exchanges differ from wire.json:\n" + "\n".join(faults)


def test_fixture_matches_scenario():
    """wire.json was recorded from scenario.py as it is (re-record with record.py after changing it)."""
    steps = json.loads(json.dumps(scenario.STEPS))
    assert [[e["target"], e["operation"], e["request"]] for e in RECORDED] == steps


def test_server_answers_as_recorded(tmp_path):
    server = ServerProcess(tmp_path / "store", tmp_path / "server.log").start()
    try:
        got = golden.run(golden.HttpTarget(server.url), scenario.STEPS)
    finally:
        assert server.stop() in (0, -signal.SIGTERM), server.log()
    assert "Traceback" not in server.log(), server.log()
    _compare("server", got, RECORDED, embedded=False)


def test_embedded_store_answers_as_recorded(tmp_path):
    with logstore.open(tmp_path / "store", durable=False) as store:
        got = golden.run(golden.EmbeddedTarget(store), scenario.STEPS)
    _compare("embedded", got, RECORDED, embedded=True)

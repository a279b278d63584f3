"""The one background maintenance loop (api/store.py ``maintenance_loop``), which the store's
``maintenance_interval`` thread and the server both run: a failing round is logged and the next one runs."""
from __future__ import annotations

import logging
import threading
import time

import logstore
from logstore.api.store import maintenance_loop


def test_a_failing_round_is_logged_and_the_next_one_runs(caplog):
    calls = []
    stop = threading.Event()

    def maintain():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        if len(calls) >= 3:
            stop.set()
        return "report"

    thread = threading.Thread(target=maintenance_loop, args=(maintain, 0.01, stop), daemon=True)
    with caplog.at_level(logging.DEBUG, logger="logstore.maintenance"):
        thread.start()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(calls) == 3
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and "maintenance failed" in failures[0].getMessage()
    assert "disk on fire" in (failures[0].exc_text or "")


def test_the_loop_stops_when_asked():
    stop = threading.Event()
    stop.set()
    calls = []
    maintenance_loop(lambda: calls.append(1), 0.01, stop)
    assert calls == []


def test_the_store_thread_runs_maintenance_and_stops_on_close(tmp_path):
    from logstore.clock import FakeClock
    clock = FakeClock(1_700_000_000_000)
    store = logstore.open(tmp_path / "s", durable=False, clock=clock, maintenance_interval=0.01)
    try:
        store.create_table(TableName="ttl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")
        store.update_time_to_live(TableName="ttl",
                                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        store.put_item(TableName="ttl", Item={"pk": {"S": "a"}, "exp": {"N": str(clock.now_ms() // 1000 - 10)}})
        deadline = time.monotonic() + 20
        while store.get_item(TableName="ttl", Key={"pk": {"S": "a"}}) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.get_item(TableName="ttl", Key={"pk": {"S": "a"}}) == {}, "the TTL sweep never ran"
    finally:
        store.close()
    assert store._maintainer is not None and not store._maintainer.is_alive()

"""Nested mocks, mocks used from several threads, and the decorator on functions, coroutines and classes
(unittest.TestCase and pytest-style), as docs/testing.md defines them."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import unittest

import boto3
import botocore.config
import pytest
from mockhelpers import create_table

from logstore.testing import current, mock


def ddb():
    return boto3.client("dynamodb", region_name="us-east-1")


def names():
    return ddb().list_tables()["TableNames"]


def test_nested_mock_shadows_the_outer_one_until_it_exits():
    with mock() as outer:
        create_table(ddb(), "outer-table")
        client = ddb()                               # a client made in the outer mock...
        with mock() as inner:
            assert current() is inner
            assert names() == [] and client.list_tables()["TableNames"] == []   # ...answered by the inner one
            create_table(client, "inner-table")
            inner.advance(hours=30)
            assert names() == ["inner-table"]
        assert current() is outer
        assert client.list_tables()["TableNames"] == ["outer-table"]
        assert outer.clock.now_ms() < inner.clock.now_ms() - 29 * 3600_000   # the outer clock did not move
    assert current() is None


def test_mocks_may_end_in_any_order():
    a, b = mock(), mock()
    a.start()
    b.start()
    create_table(ddb(), "in-b")
    a.stop()                      # not the innermost: taken off the stack where it is; b still answers
    assert current() is b and names() == ["in-b"]
    b.stop()
    assert current() is None


def test_one_mock_serves_every_thread(seed):
    import random
    rng = random.Random(seed)
    counts = {f"w{i}": rng.randrange(5, 20) for i in range(8)}
    with mock() as m:
        create_table(ddb(), "shared")

        def worker(name: str) -> int:
            client = ddb()            # each thread its own client (boto3 clients are thread-safe; sessions are not)
            for i in range(counts[name]):
                client.put_item(TableName="shared", Item={"pk": {"S": f"{name}-{i}"}})
            return client.scan(TableName="shared", Select="COUNT")["Count"]

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(worker, counts))
        assert ddb().scan(TableName="shared", Select="COUNT")["Count"] == sum(counts.values())
        assert len(m.records("shared")) == sum(counts.values())


def test_a_mock_per_thread_when_each_enters_its_own():
    """Each thread's mock is process-wide while it is innermost; a thread that wants its own store uses the handle's
    Store directly (or one mock at a time). What holds: nothing crashes, every mock ends, none leaks."""
    barrier = threading.Barrier(4, timeout=30)
    errors = []

    def run(i: int) -> None:
        try:
            with mock() as m:
                barrier.wait()
                m.store.create_table(TableName=f"own-{i}", **__import__("mockhelpers").KEY)
                assert m.store.list_tables()["TableNames"] == [f"own-{i}"]
                barrier.wait()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and current() is None


def test_stop_waits_for_calls_in_flight():
    with mock() as m:
        create_table(ddb(), "busy")
        stop = threading.Event()
        done = []

        def writer():   # once the mock ends, its calls go to a closed local port (never to AWS)
            client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:1",
                                  config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1))
            n = 0
            while not stop.is_set() and n < 2000:
                try:
                    client.put_item(TableName="busy", Item={"pk": {"S": str(n)}})
                except Exception as exc:  # after the mock ends: connection refused
                    done.append(type(exc).__name__)
                    return
                n += 1
            done.append(n)

        t = threading.Thread(target=writer)
        t.start()
        while m.store.scan(TableName="busy", Select="COUNT")["Count"] < 20:
            pass
    stop.set()
    t.join(60)
    assert done, "writer did not finish"
    assert done[0] == "EndpointConnectionError" or isinstance(done[0], int), done


@mock()
def test_decorated_function_gets_a_fresh_mock():
    assert current() is not None
    assert names() == []
    create_table(ddb(), "only-here")


@mock()
async def _coroutine():
    create_table(ddb(), "async-table")
    return names()


def test_decorated_coroutine():
    assert asyncio.run(_coroutine()) == ["async-table"]
    assert current() is None


@mock()
class TestDecoratedPytestClass:
    """Each test method gets its own fresh mock."""

    def test_one(self):
        assert names() == []
        create_table(ddb(), "from-one")

    def test_two(self):
        assert names() == []
        create_table(ddb(), "from-two")

    def helper(self):   # not a test: not wrapped
        return current()

    def test_helper_sees_the_tests_mock(self):
        assert self.helper() is current() is not None


@mock()
class TestDecoratedWithSetupMethod:
    """With setup_method, the mock spans setup_method, the test and teardown_method."""

    def setup_method(self, method):
        create_table(ddb(), "made-in-setup")
        self.mock = current()

    def teardown_method(self, method):
        assert current() is self.mock
        assert "made-in-setup" in names()

    def test_sees_setup_table(self):
        assert current() is self.mock
        assert names() == ["made-in-setup"]

    def test_again_fresh(self):
        assert names() == ["made-in-setup"]


@mock()
class DecoratedTestCase(unittest.TestCase):
    def setUp(self):
        create_table(ddb(), "from-setup")

    def tearDown(self):
        assert current() is not None       # the mock outlives tearDown

    def test_a(self):
        self.assertEqual(names(), ["from-setup"])
        create_table(ddb(), "from-a")

    def test_b(self):
        self.assertEqual(names(), ["from-setup"])


def test_unittest_class_runs_each_test_in_its_own_mock():
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(DecoratedTestCase).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 2 and current() is None


def test_decorated_class_mock_removed_after_each(tmp_path):
    seen = []

    @mock()
    class Probe:
        def test_x(self):
            seen.append(current().path)

    Probe().test_x()
    Probe().test_x()
    assert len(set(seen)) == 2 and not any(os.path.exists(p) for p in seen)


def test_the_mock_object_cannot_be_nested_in_itself():
    m = mock()
    with m:
        with pytest.raises(RuntimeError, match="already active"):
            with m:
                pass
    assert current() is None
